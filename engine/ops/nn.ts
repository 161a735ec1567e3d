/** Neural-network helpers built from the primitive ops, so their gradients come for free. */
import { allocate, type DType } from "../dtype";
import { normalizeAxis } from "../shape";
import { Tensor } from "../tensor";
import { assertFloat, toTensor, type TensorLike } from "./convert";
import { div, exp, isFinite, stopGradient, sub, where } from "./elementwise";
import { logSumExp, reduceMax, reduceSum } from "./reduce";

/** softmax along `axis`, shifted by the maximum so large logits never overflow. */
export function softmax(logits: TensorLike, axis = -1): Tensor {
  const t = toTensor(logits, "softmax");
  assertFloat(t, "softmax");
  const a = normalizeAxis("softmax", axis, t.rank);
  const m = stopGradient(reduceMax(t, a, true));
  const e = exp(sub(t, where(isFinite(m), m, 0)));
  return div(e, reduceSum(e, a, true));
}

export function logSoftmax(logits: TensorLike, axis = -1): Tensor {
  const t = toTensor(logits, "logSoftmax");
  assertFloat(t, "logSoftmax");
  return sub(t, logSumExp(t, normalizeAxis("logSoftmax", axis, t.rank), true));
}

export function oneHot(indices: TensorLike, depth: number, onValue = 1, offValue = 0, dtype: DType = "float32"): Tensor {
  const idx = toTensor(indices, "oneHot", "int32");
  if (idx.dtype !== "int32") throw new TypeError(`oneHot: indices must be int32, got ${idx.dtype}`);
  if (!Number.isInteger(depth) || depth < 1) throw new RangeError(`oneHot: depth must be a positive integer, got ${depth}`);
  const out = allocate(dtype, idx.size * depth).fill(offValue);
  for (let i = 0; i < idx.size; i++) {
    const k = idx.values[i];
    if (k >= 0 && k < depth) out[i * depth + k] = onValue;
  }
  return new Tensor(out, [...idx.shape, depth], dtype);
}
