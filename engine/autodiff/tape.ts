/**
 * GradientTape, as TensorFlow's: while recording it keeps a flat list of the ops whose inputs
 * descend from watched tensors; `gradient` hands that list to the backward walk (backprop.ts).
 * Jacobians run the walk once with a batch of seed rows instead of once per output element.
 */
import { isFloat } from "../storage/dtype";
import { DISPLAY_SYMBOL, MIME, type MimeBundle, type TapePayload } from "../../display/contract";
import { activeDuring, activeRecorders, type OpDef, type Recorder, type RecordedOp, type Trackable } from "../ops/op";
import { isReadable, toTensor, type TensorLike } from "../ops/convert";
import { zeros } from "../ops/creation";
import { concat, reshape, stack, transpose } from "../ops/shape";
import { formatShape, sizeOf, tupleShape } from "../storage/shape";
import { flatten, unflatten, type Structure } from "../storage/structure";
import { Tensor } from "../storage/tensor";
import { readVariableOp, Variable } from "./variable";
import { describeTape, labelledGradients } from "../display/tape-view";
import { planBackprop, runBackprop, type Plan } from "./backprop";
import { OpList } from "./op-list";

export type Source = Tensor | Variable;

/**
 * The gradients for a structure of sources: the same structure with a tensor in place of each
 * source (null where the target does not depend on it, as TF's None).
 */
export type Gradients<S> = S extends Source ? Tensor | null
  : S extends readonly unknown[] ? { -readonly [K in keyof S]: Gradients<S[K]> }
  : S extends object ? { -readonly [K in keyof S]: Gradients<S[K]> }
  : never;
export type UnconnectedGradients = "none" | "zero";

export interface GradientOptions {
  outputGradients?: Structure<TensorLike>;
  unconnectedGradients?: UnconnectedGradients;
}

export interface JacobianOptions {
  unconnectedGradients?: UnconnectedGradients;
  /** false: one backward pass per output element instead of batched passes. */
  experimentalUseVectorized?: boolean;
}

const isLeaf = (x: unknown): boolean => x instanceof Tensor || x instanceof Variable;

/** A finished tape's picture shows its newest ops only, as display/tape-view.ts draws them. */
const PICTURED_OPS = 2000;

/** Elements a batched backward pass may hold in one gradient before it is split into chunks. */
const CHUNK_ELEMENTS = 1 << 22;

/** The last gradient computation, kept so the tape can show where gradients flowed. */
export interface GradientRecord {
  readonly nodes: RecordedOp[];
  targets: Trackable[];
  sources: Trackable[];
  grads: Map<number, Tensor>;
  /** The ops the gradient flowed through, newest first. */
  readonly used: RecordedOp[];
}

export class GradientTape implements Recorder {
  readonly persistent: boolean;
  readonly watchAccessedVariables: boolean;
  private list = new OpList();
  /** Ops' outputs carry this mark once recorded here (cheaper than a set of every id). */
  private mark = nextTapeMark();
  private watchedIds = new Set<number>();
  private watched: Source[] = [];
  private paused = 0;
  private consumed = false;
  /** What the last gradient computation walked, for the tape's picture. */
  private lastWalk?: { list: OpList; order: number[]; targets: Trackable[]; sources: Trackable[]; grads: Map<number, Tensor> };

  constructor(options: { persistent?: boolean; watchAccessedVariables?: boolean } = {}) {
    this.persistent = options.persistent ?? false;
    this.watchAccessedVariables = options.watchAccessedVariables ?? true;
  }

  get recording(): boolean {
    return activeRecorders.includes(this);
  }

  /** Runs `fn` while this tape records: Python's `with tf.GradientTape() as tape:` block. */
  record<T>(fn: () => T): T {
    if (this.recording) {
      throw new Error("Tape is still recording, This can happen if you try to re-enter an already-active tape.");
    }
    return activeDuring(this, fn);
  }

  onOp(op: OpDef<any>, inputs: readonly Trackable[], output: Tensor, attrs: unknown): void {
    if (this.paused) return;
    if (op === readVariableOp && this.watchAccessedVariables) {
      const v = inputs[0] as Variable;
      if (v.trainable) this.watchOne(v);
    }
    for (let i = 0; i < inputs.length; i++) {
      if (this.tracks(inputs[i])) {
        this.list.push(op, inputs, output, attrs);
        if (output.tapeMark === 0) output.tapeMark = this.mark;
        else (output.otherTapeMarks ??= []).push(this.mark);
        return;
      }
    }
  }

  private tracks(x: Trackable): boolean {
    return x.tapeMark === this.mark || this.watchedIds.has(x.id) || (x.otherTapeMarks !== undefined && x.otherTapeMarks.includes(this.mark));
  }

  /** Watches tensors or variables (or a structure of them) so ops on them are recorded. */
  watch(x: Structure<Source>): void {
    for (const leaf of flatten(x, isLeaf)) {
      if (!leaf) continue;
      if (!(leaf instanceof Tensor || leaf instanceof Variable)) {
        throw new TypeError(`watch: expected a tensor or a tf.Variable, got ${describeValue(leaf)}`);
      }
      this.watchOne(leaf);
    }
  }

  private watchOne(x: Source): void {
    if (this.watchedIds.has(x.id)) return;
    this.watchedIds.add(x.id);
    this.watched.push(x);
  }

  watchedVariables(): Variable[] {
    return this.watched.filter((w): w is Variable => w instanceof Variable);
  }

  /** Runs `fn` without recording its ops on this tape (other tapes still record). */
  stopRecording<T>(fn: () => T): T {
    if (!this.recording) throw new Error("Tape must be recording.");
    this.paused++;
    try {
      return fn();
    } finally {
      this.paused--;
    }
  }

  /** Forgets every recorded op and watched value; a recording tape keeps recording. */
  reset(): void {
    this.list.clear();
    this.list = new OpList();
    this.mark = nextTapeMark();
    this.watchedIds = new Set();
    this.watched = [];
    this.consumed = false;
    this.lastWalk = undefined;
  }

  gradient<S extends Structure<Source>>(target: Structure<TensorLike>, sources: S, options: GradientOptions = {}): Gradients<S> {
    this.checkUsable();
    const unconnected = checkUnconnected(options.unconnectedGradients);
    const targets = flattenTargets(target, "gradient");
    const srcs = flattenSources(sources, "gradient");
    const seeds = options.outputGradients === undefined
      ? targets.map((t) => onesOf(t))
      : (targets.length === 1 && isSingle(target) ? [options.outputGradients] : flatten(options.outputGradients as Structure<unknown>, isSeedLeaf))
          .map((g, i) => seedFor(g, targets[i] ?? targets[0], "gradient"));
    if (seeds.length !== targets.length) {
      throw new Error(`gradient: outputGradients has ${seeds.length} entries but there are ${targets.length} targets`);
    }
    const plan = planBackprop(this.list, targets, srcs);
    const grads = runBackprop(plan, targets, seeds, srcs);
    this.remember(plan, targets, srcs, grads);
    this.consume();
    const results = srcs.map((s) => resultFor(s, grads.get(s.id), unconnected, s.shape));
    // The structure is the sources' own, leaf for leaf; TypeScript cannot follow that far.
    const gradients: unknown = labelledGradients(unflatten(sources, results, isLeaf), sources);
    return gradients as Gradients<S>;
  }

  jacobian<S extends Structure<Source>>(target: TensorLike | TensorLike[], sources: S, options: JacobianOptions = {}): Gradients<S> {
    this.checkUsable();
    const unconnected = checkUnconnected(options.unconnectedGradients);
    // A list of targets is stacked first, recorded on this tape so the stack is differentiable.
    const t = Array.isArray(target) ? this.whileRecording(() => stack(target)) : flattenTargets(target, "jacobian")[0];
    const srcs = flattenSources(sources, "jacobian");
    const n = t.size;
    const rows = this.batchedGradients(t, srcs, n, (start, count) => identityRows(start, count, n, t), options.experimentalUseVectorized);
    this.consume();
    const results = srcs.map((s, i) => {
      const g = rows[i];
      const shape = [...t.shape, ...s.shape];
      const out = g ? reshape(g, shape) : resultFor(s, undefined, unconnected, shape);
      if (out) out.derivativeMatrix = { kind: "jacobian", targetShape: t.shape.slice(), sourceShape: s.shape.slice() };
      return out;
    });
    const jacobians: unknown = unflatten(sources, results, isLeaf);
    return jacobians as Gradients<S>;
  }

  batchJacobian(target: TensorLike, source: Source, options: JacobianOptions = {}): Tensor | null {
    this.checkUsable();
    const unconnected = checkUnconnected(options.unconnectedGradients);
    const t = flattenTargets(target, "batchJacobian")[0];
    const [s] = flattenSources(source, "batchJacobian");
    for (const x of [t, s]) if (x.shape.length < 2) throw new Error(`Shape ${tupleShape(x.shape)} must have rank at least 2`);
    if (t.shape[0] !== s.shape[0]) {
      throw new Error(`Need first dimension of target shape ${tupleShape(t.shape)} and source shape ${tupleShape(s.shape)} to match.`);
    }
    const batch = t.shape[0], inner = t.shape.slice(1), m = sizeOf(inner);
    const [g] = this.batchedGradients(t, [s], m, (start, count) => perExampleRows(start, count, m, t), options.experimentalUseVectorized);
    this.consume();
    const shape = [batch, ...inner, ...s.shape.slice(1)];
    if (!g) return resultFor(s, undefined, unconnected, shape);
    // [m, B, ...S'] → [B, m, ...S'] → [B, ...T', ...S']
    const perm = g.shape.map((_, i) => i);
    [perm[0], perm[1]] = [1, 0];
    const out = reshape(transpose(g, perm), shape);
    out.derivativeMatrix = { kind: "jacobian", targetShape: t.shape.slice(), sourceShape: s.shape.slice() };
    return out;
  }

  /** The tape's own description: what the tape renderer draws. */
  describe(): TapePayload {
    return describeTape(this.list.length ? this.list.asRecords() : (this.lastGradient?.nodes ?? []), this.watched, this.lastGradient, {
      persistent: this.persistent,
      recording: this.recording,
    });
  }

  [DISPLAY_SYMBOL](): MimeBundle {
    const d = this.describe();
    const ops = d.nodes.length;
    return {
      [MIME.text]: `<GradientTape persistent=${this.persistent} recording=${d.recording}: ${ops} op${ops === 1 ? "" : "s"}, ${d.sources.length} watched>`,
      [MIME.tape]: d,
    };
  }

  // ---- internals -------------------------------------------------------------------------

  private checkUsable(): void {
    if (this.consumed) {
      throw new Error("A non-persistent GradientTape can only be used to compute one set of gradients (or jacobians)");
    }
  }

  private consume(): void {
    if (this.persistent) return;
    this.consumed = true;
    const done = this.list;
    this.list = new OpList();
    const walk = this.lastWalk;
    if (walk?.list !== done) return done.clear();
    // The picture shows only the newest ops; the walk's order is newest first, so theirs is a prefix.
    done.keepNewest(PICTURED_OPS);
    const from = Math.max(0, done.length - PICTURED_OPS);
    let kept = 0;
    while (kept < walk.order.length && walk.order[kept] >= from) kept++;
    this.lastWalk = { ...walk, order: walk.order.slice(0, kept) };
  }

  private whileRecording<T>(fn: () => T): T {
    if (this.recording && !this.paused) return fn();
    const saved = this.paused;
    this.paused = 0;
    activeRecorders.push(this);
    try {
      return fn();
    } finally {
      activeRecorders.splice(activeRecorders.lastIndexOf(this), 1);
      this.paused = saved;
    }
  }

  private remember(plan: Plan, targets: Trackable[], sources: Trackable[], grads: Map<number, Tensor>): void {
    this.lastWalk = { list: plan.list, order: plan.order, targets, sources, grads };
  }

  /** The last gradient computation; records of its ops are made only when asked for (the tape is displayed). */
  get lastGradient(): GradientRecord | undefined {
    const walk = this.lastWalk;
    if (!walk) return undefined;
    const { list, order, targets, sources, grads } = walk;
    return {
      targets, sources, grads,
      get nodes() { return list.asRecords(); },
      get used() { const records = list.asRecords(); return order.map((i) => records[i]); },
    };
  }

  /**
   * Gradients of `n` seed rows at once: each returned tensor is [n, ...source.shape] (null if
   * unconnected). Rows go in chunks so no intermediate gradient grows past CHUNK_ELEMENTS.
   */
  private batchedGradients(t: Tensor, srcs: Source[], n: number, seedRows: (start: number, count: number) => Tensor, vectorized = true): (Tensor | null)[] {
    const plan = planBackprop(this.list, [t], srcs);
    const perRow = !vectorized || !plan.batchable;
    const chunk = perRow ? 1 : Math.max(1, Math.floor(CHUNK_ELEMENTS / Math.max(plan.largest, ...srcs.map((s) => s.size))));
    const parts: (Tensor | null)[][] = srcs.map(() => []);
    for (let start = 0; start < n; start += chunk) {
      const count = Math.min(chunk, n - start);
      const seed = seedRows(start, count);
      const grads = runBackprop(plan, [t], [perRow ? reshape(seed, seed.shape.slice(1)) : seed], srcs);
      srcs.forEach((s, i) => {
        const g = grads.get(s.id);
        parts[i].push(g ? (perRow ? reshape(g, [1, ...g.shape]) : g) : null);
      });
    }
    if (n === 0) return srcs.map((s) => zeros([0, ...s.shape], s.dtype));
    return parts.map((p, i) => {
      if (p.every((g) => g === null)) return null;
      const filled = p.map((g, k) => g ?? zeros([Math.min(chunk, n - k * chunk), ...srcs[i].shape], srcs[i].dtype));
      return filled.length === 1 ? filled[0] : concat(filled, 0);
    });
  }
}

let lastTapeMark = 0;
const nextTapeMark = (): number => ++lastTapeMark;

// ---- helpers --------------------------------------------------------------------------------

function checkUnconnected(value: string | undefined): UnconnectedGradients {
  const v = value ?? "none";
  if (v !== "none" && v !== "zero") throw new Error(`Unknown value for unconnected_gradients: '${v}'; expected 'none' or 'zero'`);
  return v;
}

const isSingle = (x: unknown): boolean => x instanceof Tensor || isReadable(x) || typeof x === "number";
const isSeedLeaf = (x: unknown): boolean => isSingle(x) || (Array.isArray(x) && x.every((v) => typeof v === "number"));

function describeValue(x: unknown): string {
  return x === null ? "null" : Array.isArray(x) ? "an array" : typeof x;
}

function flattenTargets(target: Structure<TensorLike>, op: string): Tensor[] {
  const leaves = flatten(target as Structure<unknown>, (x) => x instanceof Tensor || isReadable(x) || typeof x === "number");
  if (leaves.length === 0) throw new Error(`${op}: no target given`);
  return leaves.map((x) => {
    if (x === null || x === undefined) throw new TypeError(`${op}: target is ${x}; expected a tensor`);
    // A variable as target stands for itself (its id), as TF differentiates a variable w.r.t. itself.
    if (x instanceof Variable) return x as unknown as Tensor;
    return toTensor(x as TensorLike, op);
  });
}

function flattenSources(sources: Structure<Source>, op: string): Source[] {
  const leaves = flatten(sources, isLeaf);
  return leaves.map((s, i) => {
    if (!(s instanceof Tensor || s instanceof Variable)) {
      throw new TypeError(`${op}: source ${i} is ${describeValue(s)}; expected a tensor or a tf.Variable`);
    }
    return s;
  });
}

function onesOf(t: Trackable): Tensor {
  const v = t instanceof Variable ? t.value() : (t as Tensor);
  return new Tensor(new (v.values.constructor as Float32ArrayConstructor)(v.size).fill(1), v.shape, v.dtype);
}

function seedFor(g: unknown, target: Tensor, op: string): Tensor {
  const t = toTensor(g as TensorLike, op, target.dtype);
  if (t.shape.length !== target.shape.length || t.shape.some((d, i) => d !== target.shape[i])) {
    throw new Error(`${op}: outputGradients shape ${formatShape(t.shape)} does not match target shape ${formatShape(target.shape)}`);
  }
  return t;
}

function resultFor(s: Source, g: Tensor | undefined, unconnected: UnconnectedGradients, shape: number[]): Tensor | null {
  if (!isFloat(s.dtype)) return null;
  if (g) return g;
  return unconnected === "zero" ? zeros(shape, s.dtype) : null;
}

/** Rows start..start+count of the n×n identity, each shaped like the target. */
function identityRows(start: number, count: number, n: number, t: Tensor): Tensor {
  const seed = zeros([count, ...t.shape], t.dtype);
  const values = seed.values;
  for (let r = 0; r < count; r++) values[r * n + start + r] = 1;
  return seed;
}

/** Seeds picking element j of every example: [count, B, ...T'] with ones at position start+r. */
function perExampleRows(start: number, count: number, m: number, t: Tensor): Tensor {
  const batch = t.shape[0];
  const seed = zeros([count, ...t.shape], t.dtype);
  const values = seed.values;
  for (let r = 0; r < count; r++) for (let b = 0; b < batch; b++) values[(r * batch + b) * m + start + r] = 1;
  return seed;
}
