/** tf.math's further elementwise functions: erf, inverse trigonometric and hyperbolic, atan2, divNoNan, addN. */
import { formatShape, sameShape } from "../storage/shape";
import type { Tensor } from "../storage/tensor";
import { toTensor, toTensorPair, type TensorLike } from "./convert";
import { add, div, equal, exp, mul, neg, reciprocal, rsqrt, square, sub, where } from "./elementwise";
import { binaryOp, unaryOp } from "./elementwise-factory";

const TWO_OVER_SQRT_PI = 2 / Math.sqrt(Math.PI);

/** erf to double precision: its Taylor series near zero, erfc's continued fraction beyond. */
function erfValue(x: number): number {
  if (Number.isNaN(x)) return x;
  const a = Math.abs(x);
  if (a < 2) {
    let term = x, sum = x;
    for (let n = 1; n < 60 && Math.abs(term) > 1e-17 * Math.abs(sum); n++) {
      term *= (-x * x) / n;
      sum += term / (2 * n + 1);
    }
    return TWO_OVER_SQRT_PI * sum;
  }
  // erfc(a) = exp(-a²)/√π · 1/(a + (1/2)/(a + 1/(a + (3/2)/(a + ...)))), evaluated by Lentz's method.
  const tiny = 1e-300;
  let f = a, c = a, d = 0;
  for (let n = 1; n < 200; n++) {
    const coeff = n / 2;
    d = a + coeff * d; d = Math.abs(d) < tiny ? tiny : d; d = 1 / d;
    c = a + coeff / c; c = Math.abs(c) < tiny ? tiny : c;
    const delta = c * d;
    f *= delta;
    if (Math.abs(delta - 1) < 1e-16) break;
  }
  const erfc = Math.exp(-a * a) / Math.sqrt(Math.PI) / f;
  return x > 0 ? 1 - erfc : erfc - 1;
}

export const erf = unaryOp({
  name: "erf", kernel: erfValue, floatOnly: true,
  partial: (x) => mul(TWO_OVER_SQRT_PI, exp(neg(square(x)))),
});
const oneMinusSquare = (x: Tensor): Tensor => sub(1, square(x));
export const asin = unaryOp({ name: "asin", kernel: "Math.asin(x)", floatOnly: true, partial: (x) => rsqrt(oneMinusSquare(x)) });
export const acos = unaryOp({ name: "acos", kernel: "Math.acos(x)", floatOnly: true, partial: (x) => neg(rsqrt(oneMinusSquare(x))) });
export const atan = unaryOp({ name: "atan", kernel: "Math.atan(x)", floatOnly: true, partial: (x) => reciprocal(add(square(x), 1)) });
export const sinh = unaryOp({ name: "sinh", kernel: "Math.sinh(x)", floatOnly: true, partial: (x) => cosh(x) });
export const cosh = unaryOp({ name: "cosh", kernel: "Math.cosh(x)", floatOnly: true, partial: (x) => sinh(x) });
export const asinh = unaryOp({ name: "asinh", kernel: "Math.asinh(x)", floatOnly: true, partial: (x) => rsqrt(add(square(x), 1)) });
export const acosh = unaryOp({ name: "acosh", kernel: "Math.acosh(x)", floatOnly: true, partial: (x) => rsqrt(sub(square(x), 1)) });
export const atanh = unaryOp({ name: "atanh", kernel: "Math.atanh(x)", floatOnly: true, partial: (x) => reciprocal(oneMinusSquare(x)) });

/** atan2(y, x): the angle of the point (x, y), in (-π, π]. */
export const atan2 = binaryOp({
  name: "atan2", tfName: "Atan2", kernel: "Math.atan2(x, y)",
  partials: [(y, x) => div(x, add(square(x), square(y))), (y, x) => neg(div(y, add(square(x), square(y))))],
});

/** x / y, and 0 wherever y is 0 (even for x = 0 or NaN); its gradient is 0 there too, as TF's. */
export function divNoNan(x: TensorLike, y: TensorLike): Tensor {
  const [a, b] = toTensorPair(x, y, "divNoNan", "DivNoNan");
  const zero = equal(b, 0);
  return where(zero, 0, div(a, where(zero, 1, b)));
}

/** Elementwise sum of a list of tensors of one shape and dtype (tf.math.add_n). */
export function addN(inputs: TensorLike[]): Tensor {
  if (!Array.isArray(inputs) || inputs.length === 0) throw new Error("addN: expected a non-empty list of tensors");
  const ts = inputs.map((t) => toTensor(t, "addN"));
  for (const t of ts) {
    if (!sameShape(t.shape, ts[0].shape) || t.dtype !== ts[0].dtype) {
      throw new Error(`addN: all inputs must have the same shape and dtype, got ${ts.map((u) => `${formatShape(u.shape)} ${u.dtype}`).join(", ")}`);
    }
  }
  return ts.reduce((acc, t) => add(acc, t));
}
