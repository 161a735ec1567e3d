/**
 * Norms and gradient clipping, as TF computes them (so their gradients at zero are TF's too:
 * the clipping and normalising forms are written to stay finite there).
 */
import { normalizeAxes, normalizeAxis } from "../storage/shape";
import type { Tensor } from "../storage/tensor";
import { assertFloat, toTensor, type TensorLike } from "./convert";
import { abs, add, cast, div, greater, isFinite, maximum, minimum, mul, pow, rsqrt, sqrt, square, where } from "./elementwise";
import { reduceMax, reduceSum } from "./reduce";
import { matmul } from "./linalg";
import { eigvalsh } from "./linalg-eigen";
import { reshape, slice, transpose } from "./shape";

export type NormOrder = "euclidean" | "fro" | number;

function vectorNorm(x: Tensor, ord: NormOrder, axes: number[] | undefined, keepDims: boolean): Tensor {
  if (ord === "fro" || !(ord === "euclidean" || ord > 0)) {
    throw new RangeError(`norm: 'ord' must be a supported vector norm ('euclidean', 1, 2, Infinity or any positive number), got ${ord}`);
  }
  if (ord === "euclidean" || ord === 2) return sqrt(reduceSum(square(x), axes, keepDims));
  if (ord === 1) return reduceSum(abs(x), axes, keepDims);
  if (ord === Infinity) return reduceMax(abs(x), axes, keepDims);
  return pow(reduceSum(pow(abs(x), ord), axes, keepDims), 1 / ord);
}

function matrixNorm(x: Tensor, ord: NormOrder, [rows, cols]: number[], keepDims: boolean): Tensor {
  if (ord === "euclidean" || ord === "fro") return sqrt(reduceSum(square(x), [rows, cols], keepDims));
  if (ord === 2) return spectralNorm(x, [rows, cols], keepDims);
  if (ord !== 1 && ord !== Infinity) {
    throw new RangeError(`norm: 'ord' must be a supported matrix norm in ['euclidean', 'fro', 1, 2, Infinity], got ${ord}`);
  }
  // 1: the largest column sum of |x|; Infinity: the largest row sum.
  const [summed, maxed] = ord === 1 ? [rows, cols] : [cols, rows];
  const result = reduceMax(reduceSum(abs(x), summed, true), maxed, true);
  return keepDims ? result : reshape(result, x.shape.filter((_, i) => i !== rows && i !== cols));
}

/** The largest singular value: the square root of the largest eigenvalue of AᵀA (or A Aᵀ, the smaller). */
function spectralNorm(x: Tensor, [rows, cols]: number[], keepDims: boolean): Tensor {
  const others = x.shape.map((_, i) => i).filter((i) => i !== rows && i !== cols);
  const a = transpose(x, [...others, rows, cols]);
  const tall = x.shape[rows] >= x.shape[cols];
  const gram = tall ? matmul(a, a, true, false) : matmul(a, a, false, true);
  const n = gram.shape[gram.rank - 1];
  const largest = slice(eigvalsh(gram), [...others.map(() => 0), n - 1], [...others.map((i) => x.shape[i]), 1]);
  const kept = x.shape.map((d, i) => (i === rows || i === cols ? 1 : d));
  return reshape(sqrt(largest), keepDims ? kept : others.map((i) => x.shape[i]));
}

/**
 * tf.norm: a vector norm over every element (axis omitted) or along `axis`, or a matrix norm
 * over an `axis` pair. ord: 'euclidean' (default), 'fro' (matrices), 1, 2 (for matrices the
 * largest singular value), Infinity, or for vectors any p > 0.
 */
export function norm(tensor: TensorLike, ord: NormOrder = "euclidean", axis?: number | [number, number] | null, keepDims = false): Tensor {
  const x = toTensor(tensor, "norm");
  assertFloat(x, "norm");
  if (Array.isArray(axis)) {
    if (axis.length !== 2) throw new RangeError(`norm: 'axis' must be a number or a pair of numbers, got [${axis}]`);
    const pair = axis.map((a) => normalizeAxis("norm", a, x.rank));
    if (pair[0] === pair[1]) throw new RangeError(`norm: the two axes of a matrix norm must differ, got [${axis}]`);
    return matrixNorm(x, ord, pair, keepDims);
  }
  return vectorNorm(x, ord, axis === undefined || axis === null ? undefined : [normalizeAxis("norm", axis, x.rank)], keepDims);
}

/** tf.math.reduce_euclidean_norm: sqrt(Σ x²) over `axis` (all axes when omitted). */
export function euclideanNorm(x: TensorLike, axis?: number | number[] | null, keepDims = false): Tensor {
  const t = toTensor(x, "euclideanNorm");
  assertFloat(t, "euclideanNorm");
  return sqrt(reduceSum(square(t), normalizeAxes("euclideanNorm", axis, t.rank), keepDims));
}

/** sqrt(s), and s itself where s is 0: a square root whose gradient at 0 is 0 rather than NaN. */
function safeSqrt(sumOfSquares: Tensor): Tensor {
  const positive = greater(sumOfSquares, 0);
  return where(positive, sqrt(where(positive, sumOfSquares, 1)), sumOfSquares);
}

/** Rescales `t` so its L2 norm over `axes` is at most `clipNorm` (tf.clip_by_norm). */
export function clipByNorm(t: TensorLike, clipNorm: TensorLike, axes?: number | number[] | null): Tensor {
  const x = toTensor(t, "clipByNorm");
  assertFloat(x, "clipByNorm");
  const c = cast(toTensor(clipNorm, "clipByNorm", x.dtype), x.dtype);
  const l2 = safeSqrt(reduceSum(square(x), normalizeAxes("clipByNorm", axes, x.rank), true));
  return div(mul(x, c), maximum(l2, c));
}

/** sqrt of the sum of every tensor's squared L2 norm; null entries are skipped (tf.linalg.global_norm). */
export function globalNorm(tList: (TensorLike | null)[]): Tensor {
  const present = tList.filter((t): t is TensorLike => t !== null && t !== undefined).map((t) => toTensor(t, "globalNorm"));
  if (present.length === 0) throw new Error("globalNorm: expected at least one tensor");
  const total = present.map((t) => reduceSum(square(cast(t, present[0].dtype)))).reduce((a, b) => add(a, b));
  return sqrt(total);
}

/**
 * tf.clip_by_global_norm: scales every tensor by clipNorm / max(globalNorm, clipNorm), returning
 * [the clipped list, the global norm]. A non-finite norm gives NaN tensors, as TF.
 */
export function clipByGlobalNorm(tList: (TensorLike | null)[], clipNorm: number, useNorm?: TensorLike): [(Tensor | null)[], Tensor] {
  if (!Array.isArray(tList)) throw new TypeError("clipByGlobalNorm: tList must be a list of tensors");
  const norm = useNorm === undefined ? globalNorm(tList) : toTensor(useNorm, "clipByGlobalNorm");
  const scale = where(isFinite(norm), mul(clipNorm, minimum(div(1, norm), 1 / clipNorm)), NaN);
  const clipped = tList.map((t) => {
    if (t === null || t === undefined) return null;
    const x = toTensor(t, "clipByGlobalNorm");
    return mul(x, cast(scale, x.dtype));
  });
  return [clipped, norm];
}

/** x / sqrt(max(Σ x², epsilon)) along `axis` (tf.math.l2_normalize); finite at zero. */
export function l2Normalize(x: TensorLike, axis?: number | number[] | null, epsilon = 1e-12): Tensor {
  const t = toTensor(x, "l2Normalize");
  assertFloat(t, "l2Normalize");
  const sumOfSquares = reduceSum(square(t), normalizeAxes("l2Normalize", axis, t.rank), true);
  return mul(t, rsqrt(maximum(sumOfSquares, epsilon)));
}
