/**
 * The op table's machinery. An op is one record: its forward computation on raw values, and its
 * reverse-mode (VJP) and forward-mode (JVP) rules written with the engine's own ops, so every rule
 * is itself recorded and differentiable. `runOp` computes the forward value and tells every active
 * recorder (tapes, forward accumulators) about it.
 */
import type { Tensor } from "../storage/tensor";

/** What a tensor-valued input may be before conversion: a tensor, a variable's read, a number... */
export interface Trackable {
  readonly id: number;
  readonly shape: number[];
  readonly dtype: Tensor["dtype"];
  /** Scratch mark for the gradient walk: the plan that reached it, and whether it needs a gradient (backprop.ts). */
  reachMark: number;
  tapeMark: number;
  otherTapeMarks?: number[];
}

export interface OpContext<A> {
  inputs: Tensor[];
  output: Tensor;
  attrs: A;
  /** During backprop: which inputs need a gradient (rules may skip the others' work). */
  needs?: boolean[];
}

export interface OpDef<A = unknown> {
  name: string;
  forward(inputs: Tensor[], attrs: A): Tensor;
  /**
   * Gradients of each input given `dy`, the gradient of the output. `dy` may carry extra leading
   * batch dimensions beyond the output's rank (vectorised Jacobians); each returned gradient then
   * carries the same leading dimensions before the input's shape. null: no gradient flows there.
   */
  vjp?(dy: Tensor, ctx: OpContext<A>): (Tensor | null)[];
  /** The output's tangent given each input's tangent (null: that input has none). */
  jvp?(tangents: (Tensor | null)[], ctx: OpContext<A>): Tensor | null;
  /** False for rules that cannot take batched `dy` (user-defined custom gradients). */
  batchable?: boolean;
}

/** A node of a tape: one recorded op application. */
export interface RecordedOp {
  op: OpDef<any>;
  inputs: Trackable[];
  output: Tensor;
  attrs: unknown;
}

/**
 * Tapes and forward accumulators listen to every op while they are active. An op reaches them
 * as its parts rather than as a RecordedOp, so that running one makes no record a tape would
 * keep; `inputs` is the caller's array, which a recorder copies from and does not keep.
 */
export interface Recorder {
  onOp(op: OpDef<any>, inputs: readonly Trackable[], output: Tensor, attrs: unknown): void;
}

export const activeRecorders: Recorder[] = [];
let suspended = 0;

export function isRecording(): boolean {
  return activeRecorders.length > 0 && suspended === 0;
}

/** Runs `fn` with no recorder hearing its ops (forward values only). */
export function withoutRecording<T>(fn: () => T): T {
  suspended++;
  try {
    return fn();
  } finally {
    suspended--;
  }
}

export function runOp<A>(op: OpDef<A>, inputs: Tensor[], attrs: A): Tensor {
  const output = op.forward(inputs, attrs);
  if (activeRecorders.length > 0 && suspended === 0) notifyOp(op, inputs, output, attrs);
  return output;
}

/** Tells every active recorder about an op; recorders may run further ops while handling it. */
export function notify(node: RecordedOp): void {
  notifyOp(node.op, node.inputs, node.output, node.attrs);
}

function notifyOp(op: OpDef<any>, inputs: readonly Trackable[], output: Tensor, attrs: unknown): void {
  // A recorder may start or stop others while handling the op, so iterate over a snapshot.
  const recorders = activeRecorders.length === 1 ? activeRecorders : activeRecorders.slice();
  for (let i = 0; i < recorders.length; i++) recorders[i].onOp(op, inputs, output, attrs);
}

/** Runs `fn` with `recorder` active until it returns, or, for a Promise, until it settles. */
export function activeDuring<T>(recorder: Recorder, fn: () => T): T {
  activeRecorders.push(recorder);
  const stop = (): void => {
    const i = activeRecorders.lastIndexOf(recorder);
    if (i >= 0) activeRecorders.splice(i, 1);
  };
  let settlesLater = false;
  try {
    const result = fn();
    if (result instanceof Promise) {
      settlesLater = true;
      return result.finally(stop) as T;
    }
    return result;
  } finally {
    if (!settlesLater) stop();
  }
}
