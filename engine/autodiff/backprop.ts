/**
 * Reverse-mode differentiation over a tape's flat list of recorded ops: prune the list to the
 * ops on a path from the sources to the targets, walk them newest first, call each op's VJP
 * rule and accumulate (never overwrite) the gradient of every input, checking its shape.
 */
import { isFloat } from "../storage/dtype";
import { LookupError } from "../ops/errors";
import type { OpContext, Trackable } from "../ops/op";
import { add } from "../ops/elementwise";
import { formatShape } from "../storage/shape";
import type { Tensor } from "../storage/tensor";
import type { OpList } from "./op-list";

export interface Plan {
  list: OpList;
  /** Indices into `list` of the ops on a path from a source to a target, newest first. */
  order: number[];
  /** The mark that tensors on this plan's paths carry in needMark. */
  stamp: number;
  needed: Trackable[];
  batchable: boolean;
  largest: number;
}

/** Which recorded ops lie on a path from a source to a target, newest first. */
export function planBackprop(list: OpList, targets: Trackable[], sources: Trackable[]): Plan {
  const stamp = nextStamp();
  // Marks live on the tensors themselves: a Set of ids costs more than the walk it serves.
  for (const s of sources) s.reachMark = stamp;
  const { ops, outputs, inputs, inputEnds } = list;
  const n = list.length;
  const reached = new Uint8Array(n);
  for (let i = 0, start = 0; i < n; start = inputEnds[i++]) {
    for (let j = start; j < inputEnds[i]; j++) {
      if (inputs[j].reachMark === stamp) {
        reached[i] = 1;
        outputs[i].reachMark = stamp;
        break;
      }
    }
  }
  const needed: Trackable[] = [];
  const need = (x: Trackable): void => {
    if (x.needMark !== stamp) { x.needMark = stamp; needed.push(x); }
  };
  targets.forEach(need);
  const order: number[] = [];
  let batchable = true, largest = 1;
  for (let i = n - 1; i >= 0; i--) {
    const output = outputs[i];
    if (!reached[i] || output.needMark !== stamp) continue;
    order.push(i);
    if (ops[i].batchable === false) batchable = false;
    if (output.size > largest) largest = output.size;
    for (let j = list.inputStart(i); j < inputEnds[i]; j++) if (inputs[j].reachMark === stamp) need(inputs[j]);
  }
  return { list, order, stamp, needed, batchable, largest };
}

/** The reverse walk: each op's VJP, accumulated per input, every shape checked. */
/** Intermediate gradients are kept for the tape's picture; beyond this many ops only the newest are. */
const KEPT_GRADIENTS = 2000;

export function runBackprop(plan: Plan, targets: Trackable[], seeds: Tensor[], sources: Trackable[]): Map<number, Tensor> {
  const grads = new Map<number, Tensor>();
  const accumulate = (id: number, g: Tensor): void => {
    const prev = grads.get(id);
    grads.set(id, prev ? add(prev, g) : g);
  };
  targets.forEach((t, i) => accumulate(t.id, seeds[i]));
  const stamp = plan.stamp;
  // One context for the whole walk: rules read it synchronously and keep no reference to it.
  const needs: boolean[] = [];
  const ctx: OpContext<unknown> = { inputs: [], output: seeds[0], attrs: undefined, needs };
  const { order, list } = plan;
  const { ops, outputs, attrs, inputs: allInputs, inputEnds } = list;
  // The rule's view of its op's inputs, refilled for each op.
  const inputs: Tensor[] = [];
  const sourceIds = order.length > KEPT_GRADIENTS ? new Set(sources.map((x) => x.id)) : undefined;
  for (let k = 0; k < order.length; k++) {
    const i = order[k];
    const op = ops[i], output = outputs[i];
    const dy = grads.get(output.id);
    if (!dy) continue;
    if (!op.vjp) {
      // Integer and boolean results carry no gradient (TF's None); a float op without a rule is a gap TF reports.
      if (isFloat(output.dtype)) throw noGradientError(op.name);
      continue;
    }
    // On a long tape, a gradient no later op needs is released at once, so memory stays small.
    if (sourceIds && k >= KEPT_GRADIENTS && !sourceIds.has(output.id)) grads.delete(output.id);
    // A rule that differentiates something itself (a custom gradient) may have planned anew.
    if (latestStamp !== stamp) remark(plan);
    const start = list.inputStart(i), count = inputEnds[i] - start;
    inputs.length = count;
    needs.length = count;
    for (let j = 0; j < count; j++) {
      const x = allInputs[start + j];
      inputs[j] = x as Tensor;
      needs[j] = x.needMark === stamp && isFloat(x.dtype);
    }
    ctx.inputs = inputs;
    ctx.output = output;
    ctx.attrs = attrs[i];
    const inputGrads = op.vjp(dy, ctx);
    const batch = dy.rank - output.rank;
    for (let j = 0; j < count; j++) {
      const g = inputGrads[j];
      if (!g || !needs[j]) continue;
      checkGradientShape(op.name, j, allInputs[start + j].shape, g, dy, batch);
      accumulate(allInputs[start + j].id, g);
    }
  }
  return grads;
}

function noGradientError(op: string): LookupError {
  return new LookupError(
    `No gradient defined for operation '${op}' (op type: ${op}). In general every operation must have an associated ` +
    "gradient rule for correct autodiff, which this op is lacking.",
  );
}

let latestStamp = 0;
function nextStamp(): number {
  return (latestStamp = latestStamp + 1);
}
function remark(plan: Plan): void {
  for (const x of plan.needed) x.needMark = plan.stamp;
  latestStamp = plan.stamp;
}

/** A rule's gradient must have the input's shape, after the same leading batch dimensions as dy. */
function checkGradientShape(op: string, j: number, shape: readonly number[], g: Tensor, dy: Tensor, batch: number): void {
  let ok = g.rank === batch + shape.length;
  for (let k = 0; ok && k < g.rank; k++) ok = g.shape[k] === (k < batch ? dy.shape[k] : shape[k - batch]);
  if (!ok) {
    const expected = [...dy.shape.slice(0, batch), ...shape];
    throw new Error(`${op}: gradient for input ${j} has shape ${formatShape(g.shape)}, expected ${formatShape(expected)}`);
  }
}
