/**
 * tf.linalg.eigh and eigvalsh for symmetric matrices (the lower triangle is read, as TF), batched.
 * Eigenvalues and eigenvectors travel in one tensor ([..., n + 1, n]: the values, then the vectors
 * as columns) so one op carries both; the rules are the standard perturbation formulas, written
 * with engine ops, exact while the eigenvalues are distinct.
 */
import { allocate } from "../storage/dtype";
import { runOp, type OpDef } from "./op";
import { formatShape } from "../storage/shape";
import { Tensor } from "../storage/tensor";
import { assertFloat, toTensor, type TensorLike } from "./convert";
import { add, mul, reciprocal, sub, where } from "./elementwise";
import { castMask } from "./elementwise-factory";
import { matmul, matrixTranspose } from "./linalg";
import { symmetricEigen } from "./linalg-kernels";
import { bandPart, diag, diagPart } from "./linalg-structure";
import { concat, expandDims, reshape, slice } from "./shape";

function unpack(packed: Tensor): [Tensor, Tensor] {
  const lead = packed.shape.slice(0, -2), n = packed.shape[packed.rank - 1];
  const values = reshape(slice(packed, [...lead.map(() => 0), 0, 0], [...lead, 1, n]), [...lead, n]);
  return [values, slice(packed, [...lead.map(() => 0), 1, 0], [...lead, n, n])];
}

/** F_ij = 1 / (λ_j − λ_i) off the diagonal, 0 on it. */
function gaps(values: Tensor): Tensor {
  const n = values.shape[values.rank - 1];
  const offDiagonal = new Uint8Array(n * n).map((_, k) => (Math.floor(k / n) === k % n ? 0 : 1));
  const mask = new Tensor(offDiagonal, [n, n], "bool");
  const difference = sub(expandDims(values, -2), expandDims(values, -1));
  return where(mask, reciprocal(where(mask, difference, 1)), 0);
}

/** The symmetric matrix whose lower triangle is that of `m`. */
function symmetricFromLower(m: Tensor): Tensor {
  const lower = bandPart(m, -1, 0);
  return add(lower, matrixTranspose(sub(lower, bandPart(m, 0, 0))));
}

const eighDef: OpDef<undefined> = {
  name: "eigh",
  forward([a]) {
    const n = a.shape[a.rank - 1], count = a.size / (n * n);
    const out = allocate(a.dtype, count * (n + 1) * n);
    for (let i = 0; i < count; i++) {
      const { values, vectors } = symmetricEigen(a.values, i * n * n, n);
      out.set(values, i * (n + 1) * n);
      out.set(vectors, i * (n + 1) * n + n);
    }
    return new Tensor(out, [...a.shape.slice(0, -2), n + 1, n], a.dtype);
  },
  // Ā = V (diag(λ̄) + F ∘ (Vᵀ V̄)) Vᵀ, then folded onto the lower triangle the forward pass reads.
  vjp(dy, { output }) {
    const [values, vectors] = unpack(output);
    const [dValues, dVectors] = unpack(dy);
    const inner = add(diag(dValues), mul(gaps(values), matmul(vectors, dVectors, true, false)));
    const full = matmul(vectors, matmul(inner, vectors, false, true));
    const folded = bandPart(add(full, matrixTranspose(full)), -1, 0);
    const n = values.shape[values.rank - 1];
    const halfDiagonal = new Float64Array(n * n).map((_, k) => (Math.floor(k / n) === k % n ? 0.5 : 1));
    return [mul(folded, castMask(new Tensor(halfDiagonal, [n, n], "float64"), folded))];
  },
  // λ̇ = diag(Vᵀ Ȧ V), V̇ = V (F ∘ (Vᵀ Ȧ V)) with Ȧ symmetrised from its lower triangle.
  jvp([t], { output }) {
    if (!t) return null;
    const [values, vectors] = unpack(output);
    const rotated = matmul(vectors, matmul(symmetricFromLower(t), vectors), true, false);
    return concat([expandDims(diagPart(rotated), -2), matmul(vectors, mul(gaps(values), rotated))], -2);
  },
};

function runEigh(op: string, input: TensorLike): Tensor {
  const a = toTensor(input, op);
  assertFloat(a, op);
  const n = a.shape[a.rank - 1];
  if (a.rank < 2 || a.shape[a.rank - 2] !== n) {
    throw new RangeError(`${op}: expected a square matrix or a batch of them ([..., n, n]), got shape ${formatShape(a.shape)}`);
  }
  return runOp(eighDef, [a], undefined);
}

/** tf.linalg.eigh: [eigenvalues ascending, eigenvectors as columns] of each symmetric matrix. */
export function eigh(tensor: TensorLike): [Tensor, Tensor] {
  return unpack(runEigh("eigh", tensor));
}

/** tf.linalg.eigvalsh: the eigenvalues of each symmetric matrix, ascending. */
export function eigvalsh(tensor: TensorLike): Tensor {
  return unpack(runEigh("eigvalsh", tensor))[0];
}
