/** Matrix multiplication with batch broadcasting over leading dimensions (rank ≥ 2, as TF). */
import { allocate, type DType } from "../storage/dtype";
import { currentBackend } from "../backend";
import { runOp, type OpDef } from "./op";
import { broadcastShapes, broadcastStrides, formatShape, sizeOf, stridesOf } from "../storage/shape";
import { Tensor } from "../storage/tensor";
import { assertFloat, toTensor, toTensorPair, type TensorLike } from "./convert";
import { add } from "./elementwise";
import { sumTo } from "./grad-utils";
import { transpose } from "./shape";

interface MatmulAttrs { transposeA: boolean; transposeB: boolean }

function lastTwoSwapped(rank: number): number[] {
  const perm = Array.from({ length: rank }, (_, i) => i);
  [perm[rank - 2], perm[rank - 1]] = [rank - 1, rank - 2];
  return perm;
}

/** Swaps the last two axes (tf.linalg.matrix_transpose). */
export function matrixTranspose(x: TensorLike): Tensor {
  const t = toTensor(x, "matrixTranspose");
  return transpose(t, lastTwoSwapped(t.rank));
}

function batchOffsets(batchShape: number[], shape: number[], matrixSize: number): number[] {
  const own = shape.slice(0, -2);
  const strides = broadcastStrides(own, batchShape);
  const n = sizeOf(batchShape);
  const offsets = new Array<number>(n);
  const outStrides = stridesOf(batchShape);
  for (let i = 0; i < n; i++) {
    let rem = i, off = 0;
    for (let d = 0; d < batchShape.length; d++) {
      const idx = Math.floor(rem / outStrides[d]);
      rem -= idx * outStrides[d];
      off += idx * strides[d];
    }
    offsets[i] = off * matrixSize;
  }
  return offsets;
}

/**
 * An array the kernels overwrite entirely, made where the backend keeps its results: large
 * float32 ones in kernel memory (which reclaims dropped blocks inside synchronous loops too), so
 * the gemm writes them in place instead of into a staging area copied out into fresh pages.
 */
const filledByTheKernel = (dtype: DType, size: number) => currentBackend().allocateOutput(dtype, size);

const matmulDef: OpDef<MatmulAttrs> = {
  name: "matmul",
  forward([a0, b0], { transposeA, transposeB }) {
    const backend = currentBackend();
    const m = a0.shape[a0.rank - (transposeA ? 1 : 2)], k = a0.shape[a0.rank - (transposeA ? 2 : 1)];
    // [m, k] · [B, k, 1], the shape of a batch of vector-Jacobian products: as rows, [B, k] · [k, m]
    // is one product.
    if (a0.rank === 2 && b0.rank > 2 && !transposeB && b0.shape[b0.rank - 1] === 1) {
      const rows = b0.size / k;
      const out = filledByTheKernel(a0.dtype, rows * m);
      backend.matmul(b0.values, 0, a0.values, 0, out, 0, rows, k, m, false, !transposeA);
      return new Tensor(out, [...b0.shape.slice(0, -2), m, 1], a0.dtype);
    }
    // Transposed operands are read through their strides by the kernels: nothing is materialised.
    const n = b0.shape[b0.rank - (transposeB ? 2 : 1)];
    const batch = broadcastShapes("matmul", a0.shape.slice(0, -2), b0.shape.slice(0, -2));
    const out = filledByTheKernel(a0.dtype, sizeOf(batch) * m * n);
    if (b0.rank === 2 && (a0.rank === 2 || !transposeA)) {
      // [..., m, k] · [k, n] is one [(...)·m, k] · [k, n] product: no per-batch loop.
      backend.matmul(a0.values, 0, b0.values, 0, out, 0, out.length / n, k, n, transposeA, transposeB);
    } else if (a0.rank === 2) {
      // [m, k] · [B, k, n]: lay the batch out as columns, [k, B·n], for one large product.
      const b = transposeB ? swapValues(b0) : b0;
      const count = sizeOf(batch);
      const columns = filledByTheKernel(b.dtype, b.size);
      backend.transpose(b.values, [count, k, n], [1, 0, 2], columns);
      const wide = filledByTheKernel(a0.dtype, m * count * n);
      backend.matmul(a0.values, 0, columns, 0, wide, 0, m, k, count * n, transposeA, false);
      backend.transpose(wide, [m, count, n], [1, 0, 2], out);
    } else {
      const aOffsets = batchOffsets(batch, a0.shape, m * k), bOffsets = batchOffsets(batch, b0.shape, k * n);
      backend.batchMatmul(a0.values, aOffsets, b0.values, bOffsets, out, m, k, n, transposeA, transposeB);
    }
    return new Tensor(out, [...batch, m, n], a0.dtype);
  },
  vjp(dy, { inputs: [a, b], output, attrs: { transposeA: tA, transposeB: tB }, needs }) {
    const batch = dy.rank - output.rank;
    const da = needs && !needs[0] ? null : tA ? (tB ? matmul(b, dy, true, true) : matmul(b, dy, false, true)) : matmul(dy, b, false, !tB);
    const db = needs && !needs[1] ? null : tB ? (tA ? matmul(dy, a, true, true) : matmul(dy, a, true, false)) : matmul(a, dy, !tA, false);
    return [da && sumTo(da, a.shape, batch), db && sumTo(db, b.shape, batch)];
  },
  jvp([ta, tb], { inputs: [a, b], attrs: { transposeA, transposeB } }) {
    const left = ta && matmul(ta, b, transposeA, transposeB);
    const right = tb && matmul(a, tb, transposeA, transposeB);
    return left && right ? add(left, right) : left ?? right;
  },
};

function swapValues(t: Tensor): Tensor {
  const perm = lastTwoSwapped(t.rank);
  const out = allocate(t.dtype, t.size);
  currentBackend().transpose(t.values, t.shape, perm, out);
  return new Tensor(out, perm.map((p) => t.shape[p]), t.dtype);
}

export function matmul(a: TensorLike, b: TensorLike, transposeA = false, transposeB = false): Tensor {
  const [ta, tb] = toTensorPair(a, b, "matmul", "MatMul");
  if (ta.rank < 2 || tb.rank < 2) {
    throw new Error(`matmul: both operands must have rank at least 2, got shapes ${formatShape(ta.shape)} and ${formatShape(tb.shape)} (use tf.expandDims or tf.reshape for vectors)`);
  }
  if (ta.dtype === "bool") assertFloat(ta, "matmul");
  const k1 = ta.shape[ta.rank - (transposeA ? 2 : 1)];
  const k2 = tb.shape[tb.rank - (transposeB ? 1 : 2)];
  if (k1 !== k2) {
    throw new Error(`matmul: inner dimensions differ: ${formatShape(ta.shape)}${transposeA ? "ᵀ" : ""} x ${formatShape(tb.shape)}${transposeB ? "ᵀ" : ""} (${k1} ≠ ${k2})`);
  }
  broadcastShapes("matmul", ta.shape.slice(0, -2), tb.shape.slice(0, -2));
  return runOp(matmulDef, [ta, tb], { transposeA, transposeB });
}

