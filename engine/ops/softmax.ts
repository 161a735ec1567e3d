/**
 * softmax, logSoftmax and logSumExp as single ops over rows (one backend pass each, shifted by
 * the row's maximum so large logits never overflow), with VJP and JVP rules written in the
 * engine's ops so that higher derivatives follow. Reduced axes that are not the trailing ones
 * are moved there by a transpose first.
 */
import { currentBackend, type SoftmaxKind } from "../backend";
import { normalizeAxes, normalizeAxis, sizeOf } from "../storage/shape";
import { Tensor } from "../storage/tensor";
import { assertFloat, toTensor, type TensorLike } from "./convert";
import { exp, mul, sub } from "./elementwise";
import { runOp, type OpDef } from "./op";
import { reduceSum, type Axis } from "./reduce";
import { broadcastTo, reshape, squeeze } from "./shape";

interface RowAttrs {
  /** Reduced axes, ascending. */
  axes: number[];
}

/** `x`'s values with the reduced axes moved last (the kept ones keep their order), and the permutation used. */
function rowsOf(x: Tensor, axes: number[]): { values: Tensor["values"]; perm: number[] | null } {
  const trailing = axes.every((axis, i) => axis === x.rank - axes.length + i);
  if (trailing) return { values: x.values, perm: null };
  const perm = [...x.shape.map((_, i) => i).filter((i) => !axes.includes(i)), ...axes];
  const moved = currentBackend().allocateOutput(x.dtype, x.size);
  currentBackend().transpose(x.values, x.shape, perm, moved);
  return { values: moved, perm };
}

function computeRows(x: Tensor, axes: number[], kind: SoftmaxKind): Tensor {
  const backend = currentBackend();
  const inner = axes.reduce((n, axis) => n * x.shape[axis], 1);
  const outer = inner === 0 ? sizeOf(x.shape.filter((_, i) => !axes.includes(i))) : x.size / inner;
  const { values, perm } = rowsOf(x, axes);
  if (kind === "logSumExp") {
    const out = backend.allocateOutput(x.dtype, outer);
    backend.softmaxRows(values, outer, inner, kind, out);
    return new Tensor(out, x.shape.map((d, i) => (axes.includes(i) ? 1 : d)), x.dtype);
  }
  const rows = backend.allocateOutput(x.dtype, x.size);
  backend.softmaxRows(values, outer, inner, kind, rows);
  if (!perm) return new Tensor(rows, x.shape, x.dtype);
  const inverse = new Array<number>(perm.length);
  perm.forEach((p, i) => (inverse[p] = i));
  const out = backend.allocateOutput(x.dtype, x.size);
  backend.transpose(rows, perm.map((p) => x.shape[p]), inverse, out);
  return new Tensor(out, x.shape, x.dtype);
}

/** The reduced axes as `dy` numbers them: shifted past its leading batch dimensions. */
const batched = (dy: Tensor, output: Tensor, axes: number[]) => axes.map((axis) => axis + dy.rank - output.rank);

const softmaxDef: OpDef<RowAttrs> = {
  name: "softmax",
  forward: ([x], { axes }) => computeRows(x, axes, "softmax"),
  // dx = y · (dy − Σ dy·y)
  vjp: (dy, { output: y, attrs }) => [mul(y, sub(dy, reduceSum(mul(dy, y), batched(dy, y, attrs.axes), true)))],
  jvp: ([t], { output: y, attrs }) => t && mul(y, sub(t, reduceSum(mul(t, y), attrs.axes, true))),
};

const logSoftmaxDef: OpDef<RowAttrs> = {
  name: "logSoftmax",
  forward: ([x], { axes }) => computeRows(x, axes, "logSoftmax"),
  // dx = dy − softmax · Σ dy, with softmax = e^y
  vjp: (dy, { output: y, attrs }) => [sub(dy, mul(exp(y), reduceSum(dy, batched(dy, y, attrs.axes), true)))],
  jvp: ([t], { output: y, attrs }) => t && sub(t, reduceSum(mul(exp(y), t), attrs.axes, true)),
};

/** Kept dims: the output has 1s on the reduced axes, so it broadcasts against the input. */
const logSumExpDef: OpDef<RowAttrs> = {
  name: "logSumExp",
  forward: ([x], { axes }) => computeRows(x, axes, "logSumExp"),
  // dx = dy · e^(x − lse), dy spread over the reduced axes
  vjp: (dy, { inputs: [x], output }) => {
    const batch = dy.shape.slice(0, dy.rank - output.rank);
    return [mul(broadcastTo(dy, [...batch, ...x.shape]), exp(sub(x, output)))];
  },
  jvp: ([t], { inputs: [x], output, attrs }) => t && reduceSum(mul(t, exp(sub(x, output))), attrs.axes, true),
};

/** softmax along `axis`, shifted by the maximum so large logits never overflow. */
export function softmax(logits: TensorLike, axis = -1): Tensor {
  const t = toTensor(logits, "softmax");
  assertFloat(t, "softmax");
  return runOp(softmaxDef, [t], { axes: [normalizeAxis("softmax", axis, t.rank)] });
}

export function logSoftmax(logits: TensorLike, axis = -1): Tensor {
  const t = toTensor(logits, "logSoftmax");
  assertFloat(t, "logSoftmax");
  return runOp(logSoftmaxDef, [t], { axes: [normalizeAxis("logSoftmax", axis, t.rank)] });
}

/** log(Σ exp(x)) over `axis` (all axes when none are given), computed stably. */
export function logSumExp(x: TensorLike, axis?: Axis, keepDims = false): Tensor {
  const t = toTensor(x, "logSumExp");
  assertFloat(t, "logSumExp");
  const axes = [...new Set(normalizeAxes("logSumExp", axis, t.rank))].sort((a, b) => a - b);
  const kept = runOp(logSumExpDef, [t], { axes });
  return keepDims ? kept : axes.length ? squeeze(kept, axes) : reshape(kept, t.shape);
}
