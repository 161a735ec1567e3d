/** Neural-network helpers built from the primitive ops, so their gradients come for free. */
import { allocate, type DType } from "../storage/dtype";
import { Tensor } from "../storage/tensor";
import { assertFloat, toTensor, type TensorLike } from "./convert";
import { abs, add, div, elu, greater, logicalAnd, less, mul, neg, softplus, tanh, where } from "./elementwise";
import { castMask, unaryOp } from "./elementwise-factory";
import { erf } from "./math";
import { reduceMean, reduceVariance, type Axis } from "./reduce";

export { softmax, logSoftmax } from "./softmax";

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

// ---- activations (TF's tf.nn names and defaults) -------------------------------------------
/** max(x, alpha·x) for alpha < 1; TF's default slope is 0.2. */
export function leakyRelu(features: TensorLike, alpha = 0.2): Tensor {
  const x = toTensor(features, "leakyRelu");
  assertFloat(x, "leakyRelu");
  return where(greater(x, 0), x, mul(x, alpha));
}

/** min(max(x, 0), 6); the gradient is 1 strictly inside (0, 6), as TF's Relu6Grad. */
export const relu6 = unaryOp({
  name: "relu6", kernel: "x > 0 ? (x < 6 ? x : 6) : (x !== x ? x : 0)",
  partial: (x) => castMask(logicalAnd(greater(x, 0), less(x, 6)), x),
});

const SELU_ALPHA = 1.6732632423543772848170429916717;
const SELU_SCALE = 1.0507009873554804934193349852946;
/** Scaled exponential linear unit: scale·(x > 0 ? x : alpha·(eˣ − 1)). */
export function selu(features: TensorLike): Tensor {
  const x = toTensor(features, "selu");
  assertFloat(x, "selu");
  return mul(SELU_SCALE, where(greater(x, 0), x, mul(SELU_ALPHA, elu(x))));
}

/** Gaussian error linear unit: x·Φ(x) exactly (TF's default), or its tanh approximation. */
export function gelu(features: TensorLike, approximate = false): Tensor {
  const x = toTensor(features, "gelu");
  assertFloat(x, "gelu");
  if (approximate) {
    const inner = mul(Math.sqrt(2 / Math.PI), add(x, mul(0.044715, mul(x, mul(x, x)))));
    return mul(mul(0.5, x), add(1, tanh(inner)));
  }
  return mul(mul(0.5, x), add(1, erf(mul(x, Math.SQRT1_2))));
}

/** log(sigmoid(x)) = −softplus(−x), finite for large |x|. */
export function logSigmoid(x: TensorLike): Tensor {
  const t = toTensor(x, "logSigmoid");
  assertFloat(t, "logSigmoid");
  return neg(softplus(neg(t)));
}

/** x / (1 + |x|). */
export function softsign(features: TensorLike): Tensor {
  const x = toTensor(features, "softsign");
  assertFloat(x, "softsign");
  return div(x, add(1, abs(x)));
}

/** tf.nn.moments: the mean and (population) variance of `x` over `axes`, as [mean, variance]. */
export function moments(x: TensorLike, axes: Axis, keepDims = false): [Tensor, Tensor] {
  const t = toTensor(x, "moments");
  assertFloat(t, "moments");
  return [reduceMean(t, axes, keepDims), reduceVariance(t, axes, keepDims)];
}
