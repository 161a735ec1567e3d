/**
 * tf.linalg's solvers and decompositions, batched over leading axes: solve, inv, det, slogdet,
 * cholesky, triangularSolve, qr. Forward values come from linalg-kernels.ts; every VJP and JVP is
 * written with engine ops (matmul, solve, triangularSolve itself), so higher orders work.
 */
import { allocate } from "../storage/dtype";
import { InvalidArgumentError } from "./errors";
import { expand } from "../backend/kernels";
import { runOp, type OpDef } from "./op";
import { broadcastShapes, formatShape, sizeOf } from "../storage/shape";
import { Tensor } from "../storage/tensor";
import { assertFloat, toTensor, toTensorPair, type TensorLike } from "./convert";
import { add, mul, neg, sub } from "./elementwise";
import { castMask } from "./elementwise-factory";
import { sumTo } from "./grad-utils";
import { matmul, matrixTranspose } from "./linalg";
import { choleskyFactor, householderQR, luDecompose, luSolve, triangularSolveInto } from "./linalg-kernels";
import { bandPart } from "./linalg-structure";
import { reduceSum } from "./reduce";
import { concat, reshape, slice } from "./shape";
import { eye } from "./creation";

const epsilonOf = (t: Tensor): number => (t.dtype === "float64" ? 2 ** -52 : 2 ** -23);

function squareMatrices(op: string, x: Tensor): number {
  assertFloat(x, op);
  const n = x.shape[x.rank - 1];
  if (x.rank < 2 || x.shape[x.rank - 2] !== n) {
    throw new RangeError(`${op}: expected a square matrix or a batch of them ([..., n, n]), got shape ${formatShape(x.shape)}`);
  }
  return n;
}

const notInvertible = (op: string): InvalidArgumentError => new InvalidArgumentError(`${op}: Input matrix is not invertible.`);

/** Both operands' values broadcast to one batch shape, as [count, ...matrix] blocks. */
function batched(a: Tensor, b: Tensor, op: string): { batch: number[]; av: ArrayLike<number>; bv: ArrayLike<number> } {
  const batch = broadcastShapes(op, a.shape.slice(0, -2), b.shape.slice(0, -2));
  const full = (t: Tensor) => {
    const shape = [...batch, ...t.shape.slice(-2)];
    return t.size === sizeOf(shape) ? t.values : expand(t.values, t.shape, shape);
  };
  return { batch, av: full(a), bv: full(b) };
}

// ---- solve and inv -------------------------------------------------------------------------
const solveDef: OpDef<undefined> = {
  name: "solve",
  forward([a, b]) {
    const n = a.shape[a.rank - 1], k = b.shape[b.rank - 1];
    const { batch, av, bv } = batched(a, b, "solve");
    const out = allocate(a.dtype, sizeOf(batch) * n * k);
    for (let i = 0; i < sizeOf(batch); i++) {
      const lu = luDecompose(av, i * n * n, n, epsilonOf(a));
      if (lu.singular) throw notInvertible("solve");
      luSolve(lu, n, bv, i * n * k, k, out, i * n * k);
    }
    return new Tensor(out, [...batch, n, k], a.dtype);
  },
  // X = A⁻¹B: B̄ = A⁻ᵀ X̄ and Ā = −B̄ Xᵀ.
  vjp(dy, { inputs: [a, b], output, needs }) {
    const batch = dy.rank - output.rank;
    const gb = solve(matrixTranspose(a), dy);
    const ga = needs && !needs[0] ? null : neg(matmul(gb, output, false, true));
    return [ga && sumTo(ga, a.shape, batch), needs && !needs[1] ? null : sumTo(gb, b.shape, batch)];
  },
  jvp([ta, tb], { inputs: [a], output }) {
    const rhs = ta ? (tb ? sub(tb, matmul(ta, output)) : neg(matmul(ta, output))) : tb!;
    return solve(a, rhs);
  },
};

/** tf.linalg.solve: X with A X = B for square A ([..., n, n]) and B ([..., n, k]); `adjoint` solves Aᵀ X = B. */
export function solve(matrix: TensorLike, rhs: TensorLike, adjoint = false): Tensor {
  const [a0, b] = toTensorPair(matrix, rhs, "solve", "MatrixSolve");
  const n = squareMatrices("solve", a0);
  if (b.rank < 2 || b.shape[b.rank - 2] !== n) {
    throw new RangeError(`solve: rhs must have shape [..., ${n}, k] to match matrix ${formatShape(a0.shape)}, got ${formatShape(b.shape)}`);
  }
  return runOp(solveDef, [adjoint ? matrixTranspose(a0) : a0, b], undefined);
}

const invDef: OpDef<undefined> = {
  name: "inv",
  forward([a]) {
    const n = a.shape[a.rank - 1], count = a.size / (n * n);
    const out = allocate(a.dtype, a.size);
    const identity = eye(n, n, [], "float64").values;
    for (let i = 0; i < count; i++) {
      const lu = luDecompose(a.values, i * n * n, n, epsilonOf(a));
      if (lu.singular) throw notInvertible("inv");
      luSolve(lu, n, identity, 0, n, out, i * n * n);
    }
    return new Tensor(out, a.shape, a.dtype);
  },
  // Y = A⁻¹: Ā = −Yᵀ Ȳ Yᵀ; Ẏ = −Y Ȧ Y.
  vjp: (dy, { output }) => [neg(matmul(matmul(output, dy, true, false), output, false, true))],
  jvp: ([t], { output }) => t && neg(matmul(matmul(output, t), output)),
};

/** tf.linalg.inv: the inverse of each square matrix; a singular one raises InvalidArgumentError. */
export function inv(input: TensorLike, adjoint = false): Tensor {
  const a = toTensor(input, "inv");
  squareMatrices("inv", a);
  return runOp(invDef, [adjoint ? matrixTranspose(a) : a], undefined);
}

// ---- determinants --------------------------------------------------------------------------
function determinants(a: Tensor, op: string): { sign: Float64Array; logAbs: Float64Array } {
  const n = squareMatrices(op, a), count = a.size / (n * n);
  const sign = new Float64Array(count), logAbs = new Float64Array(count);
  for (let i = 0; i < count; i++) {
    const { lu, parity } = luDecompose(a.values, i * n * n, n, 0);
    let s = parity, l = 0;
    for (let k = 0; k < n; k++) { const d = lu[k * n + k]; s *= Math.sign(d); l += Math.log(Math.abs(d)); }
    sign[i] = s || 0; logAbs[i] = s === 0 ? -Infinity : l;
  }
  return { sign, logAbs };
}

/** dy (with its batch axes) times A⁻ᵀ: the gradient of log|det A| scaled by dy. */
const timesInverseTransposed = (dy: Tensor, a: Tensor): Tensor => mul(reshape(dy, [...dy.shape, 1, 1]), matrixTranspose(inv(a)));
/** trace(A⁻¹ Ȧ), batched: the directional derivative of log|det A|. */
const traceOfInverseTimes = (t: Tensor, a: Tensor): Tensor => reduceSum(mul(matrixTranspose(inv(a)), t), [-2, -1]);

const detDef: OpDef<undefined> = {
  name: "det",
  forward([a]) {
    const { sign, logAbs } = determinants(a, "det");
    const out = allocate(a.dtype, sign.length);
    for (let i = 0; i < out.length; i++) out[i] = sign[i] * Math.exp(logAbs[i]);
    return new Tensor(out, a.shape.slice(0, -2), a.dtype);
  },
  vjp: (dy, { inputs: [a], output }) => [timesInverseTransposed(mul(dy, output), a)],
  jvp: ([t], { inputs: [a], output }) => t && mul(output, traceOfInverseTimes(t, a)),
};

const logAbsDetDef: OpDef<undefined> = {
  name: "logAbsDet",
  forward([a]) {
    const { logAbs } = determinants(a, "slogdet");
    const out = allocate(a.dtype, logAbs.length);
    out.set(logAbs);
    return new Tensor(out, a.shape.slice(0, -2), a.dtype);
  },
  vjp: (dy, { inputs: [a] }) => [timesInverseTransposed(dy, a)],
  jvp: ([t], { inputs: [a] }) => t && traceOfInverseTimes(t, a),
};

/** tf.linalg.det: the determinant of each square matrix. */
export function det(input: TensorLike): Tensor {
  return runOp(detDef, [toTensor(input, "det")], undefined);
}

/** tf.linalg.slogdet: [sign, log|det|] of each square matrix, stable where det itself would under- or overflow. */
export function slogdet(input: TensorLike): [Tensor, Tensor] {
  const a = toTensor(input, "slogdet");
  const { sign } = determinants(a, "slogdet");
  const signs = allocate(a.dtype, sign.length);
  signs.set(sign);
  return [new Tensor(signs, a.shape.slice(0, -2), a.dtype), runOp(logAbsDetDef, [a], undefined)];
}

// ---- cholesky and triangular solves -----------------------------------------------------------
/** Φ(M): the lower triangle of M with its diagonal halved (Murray, "Differentiation of the Cholesky decomposition", 2016). */
function lowerHalfDiagonal(m: Tensor): Tensor {
  const n = m.shape[m.rank - 1];
  const weights = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j <= i; j++) weights[i * n + j] = i === j ? 0.5 : 1;
  return mul(m, castMask(new Tensor(weights, [n, n], "float64"), m));
}

const choleskyDef: OpDef<undefined> = {
  name: "cholesky",
  forward([a]) {
    const n = a.shape[a.rank - 1], count = a.size / (n * n);
    const out = allocate(a.dtype, a.size);
    for (let i = 0; i < count; i++) {
      const l = choleskyFactor(a.values, i * n * n, n);
      if (!l) throw new InvalidArgumentError("cholesky: Cholesky decomposition was not successful. The input might not be valid.");
      out.set(l, i * n * n);
    }
    return new Tensor(out, a.shape, a.dtype);
  },
  vjp(dy, { output: l }) {
    const n = l.shape[l.rank - 1];
    const lInverse = triangularSolve(l, eye(n, n, [], l.dtype), true);
    const middle = lowerHalfDiagonal(matmul(l, dy, true, false));
    const g = matmul(matmul(lInverse, middle, true, false), lInverse);
    return [mul(0.5, add(g, matrixTranspose(g)))];
  },
  jvp([t], { output: l }) {
    if (!t) return null;
    // L̇ = L Φ(L⁻¹ Ȧ L⁻ᵀ)
    const left = triangularSolve(l, t, true);
    return matmul(l, lowerHalfDiagonal(matrixTranspose(triangularSolve(l, matrixTranspose(left), true))));
  },
};

/** tf.linalg.cholesky: the lower-triangular L with L Lᵀ = A, for symmetric positive-definite A (only its lower triangle is read). */
export function cholesky(input: TensorLike): Tensor {
  const a = toTensor(input, "cholesky");
  squareMatrices("cholesky", a);
  return runOp(choleskyDef, [a], undefined);
}

interface TriangularAttrs { lower: boolean; adjoint: boolean }

const triangularDef: OpDef<TriangularAttrs> = {
  name: "triangularSolve",
  forward([a, b], { lower, adjoint }) {
    const n = a.shape[a.rank - 1], k = b.shape[b.rank - 1];
    const { batch, av, bv } = batched(a, b, "triangularSolve");
    const out = allocate(a.dtype, sizeOf(batch) * n * k);
    for (let i = 0; i < sizeOf(batch); i++) {
      if (!triangularSolveInto(av, i * n * n, n, lower, adjoint, bv, i * n * k, k, out, i * n * k)) throw notInvertible("triangularSolve");
    }
    return new Tensor(out, [...batch, n, k], a.dtype);
  },
  vjp(dy, { inputs: [a, b], output, attrs: { lower, adjoint }, needs }) {
    const batch = dy.rank - output.rank;
    const gb = triangularSolve(a, dy, lower, !adjoint);
    let ga: Tensor | null = null;
    if (!needs || needs[0]) {
      const full = adjoint ? neg(matmul(output, gb, false, true)) : neg(matmul(gb, output, false, true));
      ga = sumTo(bandPart(full, lower ? -1 : 0, lower ? 0 : -1), a.shape, batch);
    }
    return [ga, needs && !needs[1] ? null : sumTo(gb, b.shape, batch)];
  },
  jvp([ta, tb], { inputs: [a], output, attrs: { lower, adjoint } }) {
    let rhs = tb;
    if (ta) {
      const band = bandPart(ta, lower ? -1 : 0, lower ? 0 : -1);
      const term = matmul(band, output, adjoint, false);
      rhs = rhs ? sub(rhs, term) : neg(term);
    }
    return triangularSolve(a, rhs!, lower, adjoint);
  },
};

/** tf.linalg.triangular_solve: X with T X = B, T's `lower` (default) or upper triangle; `adjoint` solves Tᵀ X = B. */
export function triangularSolve(matrix: TensorLike, rhs: TensorLike, lower = true, adjoint = false): Tensor {
  const [a, b] = toTensorPair(matrix, rhs, "triangularSolve", "MatrixTriangularSolve");
  const n = squareMatrices("triangularSolve", a);
  if (b.rank < 2 || b.shape[b.rank - 2] !== n) {
    throw new RangeError(`triangularSolve: rhs must have shape [..., ${n}, k] to match matrix ${formatShape(a.shape)}, got ${formatShape(b.shape)}`);
  }
  return runOp(triangularDef, [a, b], { lower, adjoint });
}

// ---- QR --------------------------------------------------------------------------------------
/** Q ([..., m, n]) above R ([..., n, n]) in one tensor, so one op carries both outputs. */
const qrDef: OpDef<undefined> = {
  name: "qr",
  forward([a]) {
    const [m, n] = a.shape.slice(-2), count = a.size / (m * n);
    const out = allocate(a.dtype, count * (m + n) * n);
    for (let i = 0; i < count; i++) {
      const { q, r } = householderQR(a.values, i * m * n, m, n);
      out.set(q, i * (m + n) * n);
      out.set(r, i * (m + n) * n + m * n);
    }
    return new Tensor(out, [...a.shape.slice(0, -2), m + n, n], a.dtype);
  },
  vjp(dy, { inputs: [a], output }) {
    const [q, r] = unpackQR(output, a.shape[a.rank - 2]);
    const [dq, dr] = unpackQR(dy, a.shape[a.rank - 2]);
    const qdq = matmul(q, dq, true, false);
    const rdr = matmul(r, dr, false, true);
    const lowerSkew = bandPart(add(sub(qdq, matrixTranspose(qdq)), sub(rdr, matrixTranspose(rdr))), -1, 0);
    // X R⁻ᵀ, by solving R Zᵀ = Xᵀ with R upper triangular.
    const timesRInverseT = (x: Tensor): Tensor => matrixTranspose(triangularSolve(r, matrixTranspose(x), false));
    const fromR = matmul(q, add(dr, timesRInverseT(lowerSkew)));
    const fromQ = timesRInverseT(sub(dq, matmul(q, qdq)));
    return [add(fromR, fromQ)];
  },
  jvp([t], { inputs: [a], output }) {
    if (!t) return null;
    const [q, r] = unpackQR(output, a.shape[a.rank - 2]);
    // C = Qᵀ Ȧ R⁻¹; Ω = tril(C, −1) − tril(C, −1)ᵀ; Ṙ = (C − Ω) R; Q̇ = Ȧ R⁻¹ − Q (C − Ω).
    const timesRInverse = (x: Tensor): Tensor => matrixTranspose(triangularSolve(r, matrixTranspose(x), false, true));
    const aRinv = timesRInverse(t);
    const c = matmul(q, aRinv, true, false);
    const strictLower = sub(bandPart(c, -1, 0), bandPart(c, 0, 0));
    const upperPart = sub(c, sub(strictLower, matrixTranspose(strictLower)));
    return concat([sub(aRinv, matmul(q, upperPart)), matmul(upperPart, r)], -2);
  },
};

function unpackQR(packed: Tensor, m: number): [Tensor, Tensor] {
  const lead = packed.shape.slice(0, -2).map(() => 0);
  const n = packed.shape[packed.rank - 1];
  return [
    slice(packed, [...lead, 0, 0], [...packed.shape.slice(0, -2), m, n]),
    slice(packed, [...lead, m, 0], [...packed.shape.slice(0, -2), n, n]),
  ];
}

/**
 * tf.linalg.qr: [Q, R] with A = Q R, Q's columns orthonormal, R upper triangular — reduced
 * (Q [..., m, min(m, n)]) as TF's default; `fullMatrices` is supported where it changes nothing (m ≤ n).
 */
export function qr(input: TensorLike, fullMatrices = false): [Tensor, Tensor] {
  const a = toTensor(input, "qr");
  assertFloat(a, "qr");
  if (a.rank < 2) throw new RangeError(`qr: expected a matrix or a batch of matrices, got shape ${formatShape(a.shape)}`);
  const [m, n] = a.shape.slice(-2);
  if (fullMatrices && m > n) {
    throw new RangeError(`qr: fullMatrices = true is supported only for matrices with no more rows than columns, got shape ${formatShape(a.shape)}`);
  }
  if (m >= n) return unpackQR(runOp(qrDef, [a], undefined), m);
  // Wide: A = Q [R₁ R₂], with Q R₁ the QR of the first m columns and R₂ = Qᵀ A₂ (TF's construction, so its gradient too).
  const lead = a.shape.slice(0, -2);
  const left = slice(a, [...lead.map(() => 0), 0, 0], [...lead, m, m]);
  const right = slice(a, [...lead.map(() => 0), 0, m], [...lead, m, n - m]);
  const [q, r1] = unpackQR(runOp(qrDef, [left], undefined), m);
  return [q, concat([r1, matmul(q, right, true, false)], -1)];
}
