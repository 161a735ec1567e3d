/** Reductions over axes (all axes when none are given), with TF's keepDims. */
import { allocate, type DType } from "../storage/dtype";
import { currentBackend, type Reducer } from "../backend";
import { runOp, type OpDef } from "./op";
import { normalizeAxes, sizeOf } from "../storage/shape";
import { castValues, Tensor } from "../storage/tensor";
import { toTensor, type TensorLike } from "./convert";
import { cast, div, equal, mul, sub } from "./elementwise";
import { broadcastTo, reshape, transpose } from "./shape";
import { cumprod } from "./scan";

export type Axis = number | number[] | null | undefined;

interface ReduceAttrs {
  axes: number[];
  keepDims: boolean;
}

/** The input's shape with reduced axes set to 1 (what keepDims gives). */
function keptShape(shape: readonly number[], axes: number[]): number[] {
  return shape.map((d, i) => (axes.includes(i) ? 1 : d));
}

function reduceValues(x: Tensor, axes: number[], kind: Reducer, dtype: DType): Float64Array | Float32Array | Int32Array | Uint8Array {
  const out = currentBackend().allocateOutput(dtype, sizeOf(keptShape(x.shape, axes)));
  if (axes.length === 0) { out.set(x.values); return out; }
  const first = axes[0], last = axes[axes.length - 1];
  const contiguous = last - first + 1 === axes.length;
  const outer = sizeOf(x.shape.slice(0, first));
  const mid = sizeOf(x.shape.slice(first, last + 1));
  const inner = sizeOf(x.shape.slice(last + 1));
  if (contiguous && inner === 1) {
    currentBackend().reduceRows(x.values, outer, mid, kind, out);
    return out;
  }
  if (contiguous && (kind === "sum" || kind === "max" || kind === "min" || kind === "prod")) {
    currentBackend().reduceMiddle(x.values, outer, mid, inner, kind, out);
    return out;
  }
  // Move the reduced axes last, then reduce each row.
  const kept = x.shape.map((_, i) => i).filter((i) => !axes.includes(i));
  const perm = [...kept, ...axes];
  const backend = currentBackend();
  const moved = backend.allocateOutput(x.dtype, x.size);
  backend.transpose(x.values, x.shape, perm, moved);
  backend.reduceRows(moved, out.length, x.size / Math.max(out.length, 1), kind, out);
  return out;
}

function reduction(name: string, kind: Reducer, rules: Pick<OpDef<ReduceAttrs>, "vjp" | "jvp">, outDType?: DType): (x: TensorLike, axis?: Axis, keepDims?: boolean) => Tensor {
  const def: OpDef<ReduceAttrs> = {
    name,
    forward([x], { axes, keepDims }) {
      const dtype = outDType ?? x.dtype;
      const values = x.size === 0 && kind === "sum" ? allocate(dtype, sizeOf(keptShape(x.shape, axes))) : reduceValues(x, axes, kind, dtype);
      const shape = keepDims ? keptShape(x.shape, axes) : x.shape.filter((_, i) => !axes.includes(i));
      return new Tensor(values, shape, dtype);
    },
    ...rules,
  };
  return (x, axis, keepDims = false) => {
    const t = toTensor(x, name);
    return runOp(def, [t], { axes: normalizeAxes(name, axis, t.rank), keepDims });
  };
}

/** dy, with its batch dimensions, broadcast back over the reduced axes of x. */
function spread(dy: Tensor, x: Tensor, output: Tensor, axes: number[]): Tensor {
  const batch = dy.shape.slice(0, dy.rank - output.rank);
  return broadcastTo(reshape(dy, [...batch, ...keptShape(x.shape, axes)]), [...batch, ...x.shape]);
}

export const reduceSum = reduction("reduceSum", "sum", {
  vjp: (dy, { inputs: [x], output, attrs }) => [spread(dy, x, output, attrs.axes)],
  jvp: ([t], { attrs }) => t && reduceSum(t, attrs.axes, attrs.keepDims),
});

/** Max and min send the gradient to the extreme elements, split evenly between ties (as TF). */
function extremeRules(): Pick<OpDef<ReduceAttrs>, "vjp" | "jvp"> {
  const share = (x: Tensor, output: Tensor, axes: number[]): Tensor => {
    const hits = castValues(equal(x, reshape(output, keptShape(x.shape, axes))), x.dtype);
    return div(hits, reduceSum(hits, axes, true));
  };
  return {
    vjp: (dy, { inputs: [x], output, attrs }) => [mul(spread(dy, x, output, attrs.axes), share(x, output, attrs.axes))],
    jvp: ([t], { inputs: [x], output, attrs }) => t && reduceSum(mul(t, share(x, output, attrs.axes)), attrs.axes, attrs.keepDims),
  };
}

export const reduceMax = reduction("reduceMax", "max", extremeRules());
export const reduceMin = reduction("reduceMin", "min", extremeRules());
/**
 * d/dx_i Πx is the product of the other elements — not Πx / x_i, which is NaN at a zero. The
 * product of the others is the running product before i times the running product after it.
 */
function productOfOthers(x: Tensor, axes: number[]): Tensor {
  const kept = x.shape.map((_, i) => i).filter((i) => !axes.includes(i));
  const perm = [...kept, ...axes];
  const moved = transpose(x, perm);
  const rows = reshape(moved, [...kept.map((i) => x.shape[i]), -1]);
  const last = rows.rank - 1;
  const others = mul(cumprod(rows, { axis: last, exclusive: true }), cumprod(rows, { axis: last, exclusive: true, reverse: true }));
  const inverse = new Array<number>(perm.length);
  perm.forEach((p, i) => (inverse[p] = i));
  return transpose(reshape(others, moved.shape), inverse);
}

export const reduceProd = reduction("reduceProd", "prod", {
  vjp: (dy, { inputs: [x], output, attrs }) => [mul(spread(dy, x, output, attrs.axes), productOfOthers(x, attrs.axes))],
  jvp: ([t], { inputs: [x], attrs }) => t && reduceSum(mul(t, productOfOthers(x, attrs.axes)), attrs.axes, attrs.keepDims),
});
export const reduceAny = reduction("reduceAny", "any", {}, "bool");
export const reduceAll = reduction("reduceAll", "all", {}, "bool");

export function reduceMean(x: TensorLike, axis?: Axis, keepDims = false): Tensor {
  const t = toTensor(x, "reduceMean");
  const axes = normalizeAxes("reduceMean", axis, t.rank);
  const count = axes.reduce((n, a) => n * t.shape[a], 1);
  const sum = reduceSum(t, axes, keepDims);
  return t.dtype === "int32" ? cast(div(sum, count), "int32") : div(sum, count);
}

/** Variance over axes (population variance, as tf.math.reduce_variance). */
export function reduceVariance(x: TensorLike, axis?: Axis, keepDims = false): Tensor {
  const t = toTensor(x, "reduceVariance");
  const centred = sub(t, reduceMean(t, axis, true));
  return reduceMean(mul(centred, centred), axis, keepDims);
}

// A cycle (softmax.ts reduces with reduceSum): only function declarations cross it at load time.
export { logSumExp } from "./softmax";

function argReduce(name: string, better: (a: number, b: number) => boolean) {
  return (x: TensorLike, axis = 0): Tensor => {
    const t = toTensor(x, name);
    const [a] = normalizeAxes(name, axis, t.rank);
    const outer = sizeOf(t.shape.slice(0, a)), n = t.shape[a], inner = sizeOf(t.shape.slice(a + 1));
    const out = new Int32Array(outer * inner), values = t.values;
    for (let o = 0; o < outer; o++) {
      for (let i = 0; i < inner; i++) {
        let best = 0;
        for (let k = 1; k < n; k++) if (better(values[(o * n + k) * inner + i], values[(o * n + best) * inner + i])) best = k;
        out[o * inner + i] = best;
      }
    }
    return new Tensor(out, t.shape.filter((_, i) => i !== a), "int32");
  };
}

export const argMax = argReduce("argMax", (a, b) => a > b);
export const argMin = argReduce("argMin", (a, b) => a < b);
