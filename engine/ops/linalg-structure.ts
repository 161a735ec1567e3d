/** Matrix structure over the last two axes, batched over the others: diagonals, trace, band parts. */
import { formatShape } from "../storage/shape";
import { Tensor } from "../storage/tensor";
import { toTensor, type TensorLike } from "./convert";
import { mul } from "./elementwise";
import { castMask } from "./elementwise-factory";
import { einsumLabels } from "./einsum";
import { reduceSum } from "./reduce";
import { slice } from "./shape";

function assertMatrix(op: string, x: Tensor): void {
  if (x.rank < 2) throw new RangeError(`${op}: expected a matrix or a batch of matrices (rank ≥ 2), got shape ${formatShape(x.shape)}`);
}

const batchLabels = (n: number): number[] => Array.from({ length: n }, (_, i) => 1000 + i);
const I = 105; // 'i'

/** tf.linalg.diag: [..., n] → [..., n, n] with the values on the diagonal. */
export function diag(diagonal: TensorLike): Tensor {
  const v = toTensor(diagonal, "diag");
  if (v.rank < 1) throw new RangeError(`diag: expected a vector or a batch of vectors, got shape ${formatShape(v.shape)}`);
  const batch = batchLabels(v.rank - 1);
  return einsumLabels([v], [[...batch, I]], [...batch, I, I]);
}

/** tf.linalg.diag_part: [..., m, n] → [..., min(m, n)]. */
export function diagPart(input: TensorLike): Tensor {
  const x = toTensor(input, "diagPart");
  assertMatrix("diagPart", x);
  const [m, n] = x.shape.slice(-2);
  const k = Math.min(m, n);
  const square = m === n ? x : slice(x, x.shape.map(() => 0), [...x.shape.slice(0, -2), k, k]);
  const batch = batchLabels(x.rank - 2);
  return einsumLabels([square], [[...batch, I, I]], [...batch, I]);
}

/** tf.linalg.trace: the sum of the diagonal of each matrix. */
export function trace(x: TensorLike): Tensor {
  return reduceSum(diagPart(x), -1);
}

/**
 * tf.linalg.band_part: keeps `numLower` subdiagonals and `numUpper` superdiagonals of each
 * matrix (a negative count keeps that whole triangle) and zeros the rest.
 */
export function bandPart(input: TensorLike, numLower: number, numUpper: number): Tensor {
  const x = toTensor(input, "bandPart");
  assertMatrix("bandPart", x);
  const [m, n] = x.shape.slice(-2);
  if (numLower > m || numUpper > n) {
    throw new RangeError(`bandPart: numLower (${numLower}) must not exceed ${m} rows and numUpper (${numUpper}) ${n} columns`);
  }
  const keep = new Uint8Array(m * n);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) keep[i * n + j] = (numLower < 0 || i - j <= numLower) && (numUpper < 0 || j - i <= numUpper) ? 1 : 0;
  }
  return mul(x, castMask(new Tensor(keep, [m, n], "bool"), x));
}
