/**
 * A gradient step as users write it, `w.assignSub(tf.mul(g, learningRate))`, in one pass over
 * memory. The product of a large float tensor and a one-element tensor is deferred: its values
 * are computed when first read. An add or sub that meets such a product, with the result's
 * shape on both sides, computes w ± fround(s·g) in one pass into one new array instead, which
 * rounds exactly as the product followed by the sum does. Anything else that reads the product
 * computes it then, once, with the kernel the product would have run at once.
 */
import { currentBackend } from "../backend";
import { isFloat, type DType, type TypedArray } from "../storage/dtype";
import { sameShape } from "../storage/shape";
import { deferredTensor, deferredValuesOf, onlyValue, Tensor, type DeferredValues } from "../storage/tensor";

/**
 * Below this, a product costs less than what deferring it does (a recipe and a closure);
 * above it, a pass over the values and an array of their size are saved when a sum consumes it.
 */
export const DEFER_MIN_ELEMENTS = 4096;

class ScaledProduct implements DeferredValues {
  constructor(
    /** The large operand, of the product's shape. */
    readonly source: Tensor,
    /** The one-element operand's value, as its dtype stores it. */
    readonly scale: number,
    readonly compute: () => TypedArray,
  ) {}
}

/**
 * `a·b` deferred, when one side is a float tensor of at least DEFER_MIN_ELEMENTS elements of
 * the result's shape and the other has one element; `compute(a, b, shape, dtype)` makes the
 * product's values as the op would have at once. Null when the product is not of that kind.
 */
export function deferredScaling(a: Tensor, b: Tensor, shape: number[], compute: (a: Tensor, b: Tensor, shape: number[], dtype: DType) => TypedArray): Tensor | null {
  const dtype = a.dtype;
  if (!isFloat(dtype)) return null;
  const source = b.size === 1 ? a : a.size === 1 ? b : null;
  if (source === null || source.size < DEFER_MIN_ELEMENTS || !sameShape(source.shape, shape)) return null;
  return deferredTensor(shape, dtype, new ScaledProduct(source, onlyValue(source === a ? b : a), () => compute(a, b, shape, dtype)));
}

function scaledProductOf(t: Tensor): ScaledProduct | undefined {
  const recipe = deferredValuesOf(t);
  return recipe instanceof ScaledProduct ? recipe : undefined;
}

/**
 * `a + sign·b` in one pass when b (or, for a sum, either side) is a deferred scaled product and
 * both sides have the result's shape; null otherwise. The product stays deferred.
 */
export function sumWithScaled(a: Tensor, b: Tensor, shape: number[], sign: 1 | -1): Tensor | null {
  let product = scaledProductOf(b), other = a, scaled = b;
  if (!product && sign === 1) [product, other, scaled] = [scaledProductOf(a), b, a];
  if (!product || !sameShape(other.shape, shape) || !sameShape(scaled.shape, shape)) return null;
  const backend = currentBackend();
  const out = backend.allocateOutput(other.dtype, other.size);
  // w − fround(s·g) equals w + fround((−s)·g) bit for bit: negation is exact, and IEEE's x − y is x + (−y).
  backend.addScaled(other.values, product.source.values, sign * product.scale, out);
  return new Tensor(out, shape, other.dtype);
}
