import { tfDTypeName, type DType } from "../storage/dtype";
import { fromValues, Tensor } from "../storage/tensor";

/** Variables expose their current value through this symbol; reading it may record a read on a tape. */
export const READ_VALUE = Symbol("readValue");

export interface Readable {
  [READ_VALUE](): Tensor;
}

export type TensorLike = Tensor | Readable | number | boolean | TensorLikeArray | Float32Array | Float64Array | Int32Array | Uint8Array;
interface TensorLikeArray extends Array<TensorLike> {}

export function isReadable(x: unknown): x is Readable {
  return typeof x === "object" && x !== null && READ_VALUE in x;
}

export function isTensorLike(x: unknown): boolean {
  return x instanceof Tensor || isReadable(x);
}

/** Converts an op's argument to a tensor; plain values take `dtype` (the other operand's) if given. */
export function toTensor(x: TensorLike, op: string, dtype?: DType): Tensor {
  if (x instanceof Tensor) return x;
  if (isReadable(x)) return x[READ_VALUE]();
  if (x === undefined || x === null) throw new TypeError(`${op}: expected a tensor, got ${x}`);
  return fromValues(x, undefined, dtype, op);
}

/** Converts the two operands of a binary op: a plain value takes the dtype of the tensor it meets. */
export function toTensorPair(a: TensorLike, b: TensorLike, op: string, tfName: string): [Tensor, Tensor] {
  const aIsTensor = isTensorLike(a), bIsTensor = isTensorLike(b);
  let ta: Tensor, tb: Tensor;
  if (aIsTensor || !bIsTensor) {
    ta = toTensor(a, op);
    tb = toTensor(b, op, ta.dtype === "bool" && typeof b === "number" ? undefined : ta.dtype);
  } else {
    tb = toTensor(b, op);
    ta = toTensor(a, op, tb.dtype);
  }
  if (ta.dtype !== tb.dtype) {
    throw new TypeError(
      `${op}: cannot compute ${tfName} as input #1(zero-based) was expected to be a ${tfDTypeName(ta.dtype)} tensor but is a ${tfDTypeName(tb.dtype)} tensor (shapes [${ta.shape}] and [${tb.shape}])`,
    );
  }
  return [ta, tb];
}

export function assertFloat(t: Tensor, op: string): void {
  if (t.dtype !== "float32" && t.dtype !== "float64") {
    throw new TypeError(`${op}: expected a float32 or float64 tensor, got ${t.dtype} (shape [${t.shape}]); cast it first with tf.cast(x, "float32")`);
  }
}
