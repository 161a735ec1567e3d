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
import { Chunks, type OpList } from "./op-list";

export interface Plan {
  list: OpList;
  /** Indices into `list` of the ops on a path from a source to a target, newest first. */
  order: number[];
  /**
   * One mark a tensor says both things with: reachMark = stamp on this plan's paths, and
   * stamp + 1 + its index in `needed` once it needs a gradient, so the walk keeps gradients in
   * an array by that index instead of a map by id. Older plans' marks are all below the stamp.
   */
  stamp: number;
  needed: Chunks<Trackable>;
  batchable: boolean;
  largest: number;
}

/** Every mark handed out so far is at most this; a new plan's marks start above it. */
let lastMark = 0;
/** The plan whose marks the tensors carry now (a rule that differentiates may plan anew). */
let markedPlan = 0;

/** Which recorded ops lie on a path from a source to a target, newest first. */
export function planBackprop(list: OpList, targets: Trackable[], sources: Trackable[]): Plan {
  const stamp = lastMark + 1;
  // Marks live on the tensors themselves: a Set of ids costs more than the walk it serves.
  for (const s of sources) s.reachMark = stamp;
  const { ops, outputs, inputs, inputEnds } = list;
  const n = list.length;
  const reached = new Uint8Array(n);
  for (let i = 0, start = 0; i < n; i++) {
    const end = inputEnds.get(i);
    for (let j = start; j < end; j++) {
      if (inputs.get(j).reachMark === stamp) {
        reached[i] = 1;
        outputs.get(i).reachMark = stamp;
        break;
      }
    }
    start = end;
  }
  // A mark of stamp + 1 + k: the k-th tensor needing a gradient (targets first).
  const base = stamp + 1;
  const needed = new Chunks<Trackable>();
  for (const t of targets) if (t.reachMark < base) { t.reachMark = base + needed.length; needed.push(t); }
  const order: number[] = [];
  let batchable = true, largest = 1;
  for (let i = n - 1, end = inputs.length; i >= 0; i--) {
    const start = list.inputStart(i);
    const output = reached[i] ? outputs.get(i) : undefined;
    if (output !== undefined && output.reachMark >= base) {
      order.push(i);
      if (ops.get(i).batchable === false) batchable = false;
      if (output.size > largest) largest = output.size;
      for (let j = start; j < end; j++) {
        const x = inputs.get(j);
        if (x.reachMark === stamp) { x.reachMark = base + needed.length; needed.push(x); }
      }
    }
    end = start;
  }
  lastMark = base + needed.length;
  const plan = { list, order, stamp, needed, batchable, largest };
  markedPlan = stamp;
  return plan;
}

/** Intermediate gradients are kept for the tape's picture; beyond this many ops only the newest are. */
const KEPT_GRADIENTS = 2000;

/** The reverse walk: each op's VJP, accumulated per input, every shape checked. */
export function runBackprop(plan: Plan, targets: Trackable[], seeds: Tensor[], sources: Trackable[]): Map<number, Tensor> {
  if (markedPlan !== plan.stamp) remark(plan);
  const { order, list, stamp, needed } = plan;
  // A tensor needs a gradient here when its mark lies in [base, end); its index is mark - base.
  const base = stamp + 1, end = base + needed.length;
  // In chunks, like the tape: a young gradient is then stored into a young chunk.
  const gradOf = new Chunks<Tensor | undefined>(needed.length);
  const accumulate = (index: number, g: Tensor): void => {
    const prev = gradOf.get(index);
    gradOf.set(index, prev ? add(prev, g) : g);
  };
  targets.forEach((t, i) => accumulate(t.reachMark - base, seeds[i]));
  const isSource = new Uint8Array(needed.length);
  for (const s of sources) if (s.reachMark >= base && s.reachMark < end) isSource[s.reachMark - base] = 1;
  // One context for the whole walk: rules read it synchronously and keep no reference to it.
  const ctx: OpContext<unknown> = { inputs: [], output: seeds[0], attrs: undefined, needs: [] };
  const { ops, outputs, attrs, inputs: allInputs, inputEnds } = list;
  // The rule's view of its op's inputs, which need a gradient, and where their gradients go: one
  // set of arrays per input count, refilled for each op (resizing arrays each op costs more than
  // the walk's own work).
  const inputsByCount: Tensor[][] = [], needsByCount: boolean[][] = [], slotsByCount: number[][] = [];
  for (let k = 0; k < order.length; k++) {
    const i = order[k];
    const op = ops.get(i), output = outputs.get(i);
    const at = output.reachMark - base;
    const dy = gradOf.get(at);
    if (!dy) continue;
    if (!op.vjp) {
      // Integer and boolean results carry no gradient (TF's None); a float op without a rule is a gap TF reports.
      if (isFloat(output.dtype)) throw noGradientError(op.name);
      continue;
    }
    // On a long tape, a gradient no later op needs is released at once, so memory stays small.
    if (k >= KEPT_GRADIENTS && !isSource[at]) gradOf.set(at, undefined);
    const start = list.inputStart(i), count = inputEnds.get(i) - start;
    const inputs = (inputsByCount[count] ??= new Array<Tensor>(count));
    const needs = (needsByCount[count] ??= new Array<boolean>(count));
    const slots = (slotsByCount[count] ??= new Array<number>(count));
    for (let j = 0; j < count; j++) {
      const x = allInputs.get(start + j);
      inputs[j] = x as Tensor;
      needs[j] = x.reachMark >= base && x.reachMark < end && isFloat(x.dtype);
      slots[j] = x.reachMark - base;
    }
    ctx.inputs = inputs;
    ctx.needs = needs;
    ctx.output = output;
    ctx.attrs = attrs.get(i);
    const inputGrads = op.vjp(dy, ctx);
    // A rule that differentiates something itself (a custom gradient) planned anew: marks back.
    if (markedPlan !== plan.stamp) remark(plan);
    const batch = dy.rank - output.rank;
    for (let j = 0; j < count; j++) {
      const g = inputGrads[j];
      if (!g || !needs[j]) continue;
      checkGradientShape(op.name, j, inputs[j].shape, g, dy, batch);
      accumulate(slots[j], g);
    }
  }
  const grads = new Map<number, Tensor>();
  for (let index = 0; index < needed.length; index++) {
    const g = gradOf.get(index);
    if (g) grads.set(needed.get(index).id, g);
  }
  gradOf.clear();
  return grads;
}

function noGradientError(op: string): LookupError {
  return new LookupError(
    `No gradient defined for operation '${op}' (op type: ${op}). In general every operation must have an associated ` +
    "gradient rule for correct autodiff, which this op is lacking.",
  );
}

function remark(plan: Plan): void {
  for (let index = 0; index < plan.needed.length; index++) plan.needed.get(index).reachMark = plan.stamp + 1 + index;
  markedPlan = plan.stamp;
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
