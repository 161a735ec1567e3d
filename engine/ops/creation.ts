/** Tensor factories. Their outputs are constants: nothing is recorded. */
import { allocate, assertDType, type DType } from "../storage/dtype";
import { sizeOf } from "../storage/shape";
import { fromValues, Tensor } from "../storage/tensor";
import { toTensor, type TensorLike } from "./convert";

function checkShape(shape: readonly number[], op: string): number[] {
  if (!Array.isArray(shape) || shape.some((d) => !Number.isInteger(d) || d < 0)) {
    throw new TypeError(`${op}: shape must be an array of non-negative integers, got ${JSON.stringify(shape)}`);
  }
  return shape.slice();
}

export function constant(values: TensorLike, shape?: number[], dtype?: DType): Tensor {
  if (values instanceof Tensor && !shape && (!dtype || dtype === values.dtype)) return values;
  const source = values instanceof Tensor || typeof values !== "object" || values === null || Array.isArray(values) || ArrayBuffer.isView(values)
    ? values
    : toTensor(values, "constant");
  return fromValues(source, shape ? checkShape(shape, "constant") : undefined, dtype, "constant");
}

export function fill(shape: number[], value: number, dtype: DType = "float32"): Tensor {
  const s = checkShape(shape, "fill");
  return new Tensor(allocate(assertDType(dtype, "fill"), sizeOf(s)).fill(value), s, dtype);
}

export function zeros(shape: number[], dtype: DType = "float32"): Tensor {
  const s = checkShape(shape, "zeros");
  return new Tensor(allocate(assertDType(dtype, "zeros"), sizeOf(s)), s, dtype);
}

export function ones(shape: number[], dtype: DType = "float32"): Tensor {
  return fill(checkShape(shape, "ones"), 1, dtype);
}

export function zerosLike(x: TensorLike): Tensor {
  const t = toTensor(x, "zerosLike");
  return zeros(t.shape, t.dtype);
}

export function onesLike(x: TensorLike): Tensor {
  const t = toTensor(x, "onesLike");
  return ones(t.shape, t.dtype);
}

/** Identity matrix, optionally rectangular and batched: shape [...batchShape, numRows, numColumns]. */
export function eye(numRows: number, numColumns = numRows, batchShape: number[] = [], dtype: DType = "float32"): Tensor {
  const out = zeros([...batchShape, numRows, numColumns], dtype);
  const block = numRows * numColumns, values = out.values;
  for (let b = 0; b < sizeOf(batchShape); b++) {
    for (let i = 0; i < Math.min(numRows, numColumns); i++) values[b * block + i * numColumns + i] = 1;
  }
  return out;
}

/** Like tf.range / np.arange: range(5), range(1, 5), range(0, 1, 0.25). */
export function range(start: number, limit?: number, delta = 1, dtype?: DType): Tensor {
  if (limit === undefined) [start, limit] = [0, start];
  if (delta === 0) throw new RangeError("range: delta must not be 0");
  const n = Math.max(0, Math.ceil((limit - start) / delta));
  const dt = dtype ?? ([start, limit, delta].every(Number.isInteger) ? "int32" : "float32");
  const out = allocate(dt, n);
  for (let i = 0; i < n; i++) out[i] = start + i * delta;
  return new Tensor(out, [n], dt);
}

export function linspace(start: number, stop: number, num: number, dtype: DType = "float32"): Tensor {
  if (!Number.isInteger(num) || num < 1) throw new RangeError(`linspace: num must be a positive integer, got ${num}`);
  const out = allocate(dtype, num);
  const step = num > 1 ? (stop - start) / (num - 1) : 0;
  for (let i = 0; i < num; i++) out[i] = start + i * step;
  if (num > 1) out[num - 1] = stop;
  return new Tensor(out, [num], dtype);
}
