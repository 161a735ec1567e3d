/** Scans along an axis (cumulative sums and products, TF's exclusive and reverse) and reverse. */
import { allocate } from "../dtype";
import { copyStrided } from "../kernels";
import { runOp, type OpDef } from "../op";
import { normalizeAxes, normalizeAxis, sizeOf, stridesOf } from "../shape";
import { Tensor } from "../tensor";
import { toTensor, type TensorLike } from "./convert";
import { div, mul } from "./elementwise";

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

const cumprodDef: OpDef<ScanAttrs> = {
  name: "cumprod",
  forward: ([x], attrs) => scanValues(x, attrs, true),
  // TF's rule: Σ_{k ≥ i} dy_k·y_k / x_i (undefined where x_i = 0, as in TF).
  vjp: (dy, { inputs: [x], output, attrs }) => [div(cumsum(mul(dy, output), shifted(attrs, dy.rank - output.rank, true)), x)],
  jvp: ([t], { inputs: [x], output, attrs }) => t && mul(output, cumsum(div(t, x), attrs)),
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
