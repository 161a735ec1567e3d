/** Scans along an axis (cumulative sums and products, TF's exclusive and reverse) and reverse. */
import { allocate } from "../storage/dtype";
import { copyStrided } from "../backend/kernels";
import { runOp, type OpDef } from "./op";
import { normalizeAxes, normalizeAxis, sizeOf, stridesOf } from "../storage/shape";
import { Tensor } from "../storage/tensor";
import { toTensor, type TensorLike } from "./convert";
import { mul, where } from "./elementwise";
import { castMask } from "./elementwise-factory";
import { reduceSum } from "./reduce";
import { expandDims, transpose } from "./shape";

interface ScanAttrs { axis: number; exclusive: boolean; reverse: boolean }

function scanValues(x: Tensor, { axis, exclusive, reverse }: ScanAttrs, product: boolean): Tensor {
  const outer = sizeOf(x.shape.slice(0, axis)), n = x.shape[axis], inner = sizeOf(x.shape.slice(axis + 1));
  const out = allocate(x.dtype, x.size);
  const start = product ? 1 : 0;
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      let acc = start;
      for (let step = 0; step < n; step++) {
        const k = reverse ? n - 1 - step : step;
        const at = (o * n + k) * inner + i;
        const v = x.values[at];
        if (exclusive) { out[at] = acc; acc = product ? acc * v : acc + v; }
        else { acc = product ? acc * v : acc + v; out[at] = acc; }
      }
    }
  }
  return new Tensor(out, x.shape, x.dtype);
}

/** The same scan on a gradient that may carry leading batch dimensions. */
const shifted = (attrs: ScanAttrs, batch: number, flip: boolean): ScanOptions & { axis: number } =>
  ({ axis: attrs.axis + batch, exclusive: attrs.exclusive, reverse: flip ? !attrs.reverse : attrs.reverse });

const cumsumDef: OpDef<ScanAttrs> = {
  name: "cumsum",
  forward: ([x], attrs) => scanValues(x, attrs, false),
  // The transpose of a running sum is the running sum the other way.
  vjp: (dy, { output, attrs }) => [cumsum(dy, shifted(attrs, dy.rank - output.rank, true))],
  jvp: ([t], { attrs }) => t && cumsum(t, attrs),
};

/**
 * ∂y_k/∂x_i for a running product, without dividing by x_i (TF's y_k / x_i is NaN at a zero):
 * row i of P is the same running product with x_i replaced by 1, so P[i, k] = Π_{j ∈ J(k), j ≠ i} x_j,
 * masked to the pairs where x_i is a factor of y_k. x has the scanned axis last; P is [..., n, n].
 */
function cumprodPartials(x: Tensor, { exclusive, reverse }: ScanAttrs): Tensor {
  const n = x.shape[x.rank - 1];
  const diagonal = new Uint8Array(n * n), factor = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    diagonal[i * n + i] = 1;
    for (let k = 0; k < n; k++) factor[i * n + k] = (reverse ? (exclusive ? i > k : i >= k) : (exclusive ? i < k : i <= k)) ? 1 : 0;
  }
  const rows = where(new Tensor(diagonal, [n, n], "bool"), 1, expandDims(x, -2));
  const products = cumprod(rows, { axis: -1, exclusive, reverse });
  return mul(products, castMask(new Tensor(factor, [n, n], "float64"), x));
}

/** `t` with `axis` moved last, and the permutation that undoes it. */
function axisLast(t: Tensor, axis: number): [Tensor, number[]] {
  const perm = t.shape.map((_, i) => i).filter((i) => i !== axis).concat(axis);
  const inverse = new Array<number>(perm.length);
  perm.forEach((p, i) => (inverse[p] = i));
  return [transpose(t, perm), inverse];
}

const cumprodDef: OpDef<ScanAttrs> = {
  name: "cumprod",
  forward: ([x], attrs) => scanValues(x, attrs, true),
  // x̄_i = Σ_k ȳ_k ∂y_k/∂x_i
  vjp(dy, { inputs: [x], output, attrs }) {
    const batch = dy.rank - output.rank;
    const [xLast] = axisLast(x, attrs.axis);
    const [dyLast, inverse] = axisLast(dy, attrs.axis + batch);
    return [transpose(reduceSum(mul(expandDims(dyLast, -2), cumprodPartials(xLast, attrs)), -1), inverse)];
  },
  // ẏ_k = Σ_i ẋ_i ∂y_k/∂x_i
  jvp([t], { inputs: [x], attrs }) {
    if (!t) return null;
    const [xLast] = axisLast(x, attrs.axis);
    const [tLast, inverse] = axisLast(t, attrs.axis);
    return transpose(reduceSum(mul(expandDims(tLast, -1), cumprodPartials(xLast, attrs)), -2), inverse);
  },
};

export interface ScanOptions {
  /** Each output excludes its own element: [a, b, c] → [0, a, a + b] (sums) or [1, a, ab]. */
  exclusive?: boolean;
  /** Scan from the end of the axis towards its start. */
  reverse?: boolean;
}

function scan(def: OpDef<ScanAttrs>) {
  return (x: TensorLike, axisOrOptions: number | (ScanOptions & { axis?: number }) = 0, exclusive = false, reverse = false): Tensor => {
    const t = toTensor(x, def.name);
    const o = typeof axisOrOptions === "number" ? { axis: axisOrOptions, exclusive, reverse } : axisOrOptions;
    const axis = normalizeAxis(def.name, o.axis ?? 0, t.rank);
    return runOp(def, [t], { axis, exclusive: o.exclusive ?? false, reverse: o.reverse ?? false });
  };
}

/** tf.math.cumsum(x, axis, exclusive, reverse); the options may also be given as one object. */
export const cumsum = scan(cumsumDef);
/** tf.math.cumprod(x, axis, exclusive, reverse); the options may also be given as one object. */
export const cumprod = scan(cumprodDef);

// ---- reverse -----------------------------------------------------------------------------
const reverseDef: OpDef<{ axes: number[] }> = {
  name: "reverse",
  forward([x], { axes }) {
    const strides = stridesOf(x.shape);
    let base = 0;
    const steps = strides.map((s, i) => {
      if (!axes.includes(i)) return s;
      base += (x.shape[i] - 1) * s;
      return -s;
    });
    const out = allocate(x.dtype, x.size);
    if (x.size) copyStrided(x.values, steps, out, x.shape, base);
    return new Tensor(out, x.shape, x.dtype);
  },
  vjp: (dy, { output, attrs }) => {
    const b = dy.rank - output.rank;
    return [runOp(reverseDef, [dy], { axes: attrs.axes.map((a) => a + b) })];
  },
  jvp: ([t], { attrs }) => t && runOp(reverseDef, [t], attrs),
};

/** tf.reverse: the elements of `x` in reverse order along each of `axis`. */
export function reverse(x: TensorLike, axis: number | number[]): Tensor {
  const t = toTensor(x, "reverse");
  return runOp(reverseDef, [t], { axes: normalizeAxes("reverse", axis, t.rank) });
}
