/**
 * Puts one kernel call's float32 operands in kernel memory: arrays that live there are used in
 * place; others are copied in and outputs copied back. `Placement` copies whole arrays (for
 * kernels that need all of an operand at once); `Streams` feeds elementwise kernels a chunk at
 * a time through a few staging blocks kept for the backend's life, so an ordinary operand
 * costs one pass through the cache instead of a full copy through main memory and back.
 */
import type { KernelMemory } from "./memory";

export class Placement {
  private readonly temporaries: { offset: number; bytes: number }[] = [];
  private readonly copyBacks: Float32Array[] = [];
  private readonly copyOffsets: number[] = [];
  private stagingUsed = 0;
  /** Whether a call is using this placement (between `begin` and `finish`). */
  busy = false;
  /** False once a block could not be had (memory full): the caller computes elsewhere. */
  ok = true;

  /**
   * `staging`: byte offsets of blocks of CHUNK elements this placement hands out, one an array,
   * before it asks for temporary blocks (the staging blocks of the backend's `Streams`).
   */
  constructor(private readonly memory: KernelMemory, private readonly staging: readonly number[] = []) {}

  /** Starts a call afresh (a placement reused from call to call). */
  begin(): this {
    this.temporaries.length = this.copyBacks.length = this.copyOffsets.length = this.stagingUsed = 0;
    this.ok = true;
    this.busy = true;
    return this;
  }

  /** The byte offset where `x` can be read. */
  input(x: Float32Array): number {
    const at = this.memory.offsetOf(x);
    if (at !== undefined) return at;
    const offset = this.block(x.length, true);
    if (this.ok) this.memory.floats().set(x, offset / 4);
    return offset;
  }

  /**
   * The byte offset where the kernel writes what ends up in `out`. `staged` false keeps it out
   * of the staging blocks: workers of a call stopped from outside may still write there.
   */
  output(out: Float32Array, staged = true): number {
    const at = this.memory.offsetOf(out);
    if (at !== undefined) return at;
    const offset = this.block(out.length, staged);
    this.copyBacks.push(out);
    this.copyOffsets.push(offset);
    return offset;
  }

  /** Copies outputs back (when `computed`) and gives the temporary blocks back. */
  finish(computed: boolean): void {
    if (computed) {
      const floats = this.memory.floats();
      this.copyBacks.forEach((out, i) => out.set(floats.subarray(this.copyOffsets[i] / 4, this.copyOffsets[i] / 4 + out.length)));
    }
    for (const { offset, bytes } of this.temporaries) this.memory.release(offset, bytes);
    this.busy = false;
  }

  private block(length: number, staged: boolean): number {
    // Below CHUNK only: calls split across the threads (parallel.ts) are longer, so no worker ever writes a staging block.
    if (staged && length < CHUNK && this.stagingUsed < this.staging.length) return this.staging[this.stagingUsed++];
    const block = this.ok ? this.memory.temporary(length) : null;
    if (!block) { this.ok = false; return 0; }
    this.temporaries.push(block);
    return block.offset;
  }
}

/**
 * Runs `compute`'s call with whole operands placed, and reports whether it ran (false: kernel
 * memory is full). `place` is reused from call to call (a fresh one when it is still busy).
 */
export function placed(memory: KernelMemory, compute: (place: Placement) => (() => void) | null, place?: Placement): boolean {
  const placement = (place && !place.busy ? place : new Placement(memory)).begin();
  let computed = false;
  try {
    const run = compute(placement);
    if (run && placement.ok) { run(); computed = true; }
  } finally {
    placement.finish(computed);
  }
  return computed;
}

/** Elements a staging block holds: a few of them stay in a core's L2 cache. */
export const CHUNK = 16384;

export class Streams {
  /** Byte offsets of the staging blocks: two inputs, one output, and one vector for each splat. */
  private readonly slots: number[];

  constructor(private readonly memory: KernelMemory) {
    const slot = () => {
      const block = memory.temporary(CHUNK);
      if (!block) throw new Error("kernel memory could not hold its staging blocks");
      return block.offset;
    };
    this.slots = [slot(), slot(), slot(), slot()];
    this.placement = new Placement(memory, this.slots.slice(0, 3));
  }

  /** A placement for whole operands that hands out the staging blocks first (not while a stream runs). */
  readonly placement: Placement;

  /** Calls `visit(offset, count)` over `x`: once, in place, when it lives in kernel memory, else chunk by chunk. */
  read(x: Float32Array, visit: (at: number, count: number) => void): void {
    const resident = this.memory.offsetOf(x);
    if (resident !== undefined) return visit(resident, x.length);
    const floats = this.memory.floats();
    for (let from = 0; from < x.length; from += CHUNK) {
      const count = Math.min(CHUNK, x.length - from);
      floats.set(x.subarray(from, from + count), this.slots[0] / 4);
      visit(this.slots[0], count);
    }
  }

  /** The byte offset of a vector of four `value`s (slot `i`: one for each operand of a call). */
  splat(i: number, value: number): number {
    const at = this.slots[3] + 16 * i;
    this.memory.floats().fill(value, at / 4, at / 4 + 4);
    return at;
  }

  /**
   * Runs `kernel(aOffset, bOffset, outputOffset, count)` over `out` in chunks (b may be null:
   * its offset is then 0). An input of one element is a scalar, repeated as one vector (its
   * offset stays put: the kernel's step is 0). Plain loops and no arrays: this runs for every
   * elementwise op of a few hundred elements up.
   */
  run(a: Float32Array, b: Float32Array | null, out: Float32Array, kernel: (aAt: number, bAt: number, outAt: number, count: number) => void): void {
    const n = out.length;
    // Each input's resident offset, a splat's offset, or -1 for an ordinary array staged in its slot.
    const aBase = this.base(a, 0, n), bBase = b ? this.base(b, 1, n) : 0;
    const aStep = a.length === 1 && n > 1 ? 0 : 4, bStep = b && b.length === 1 && n > 1 ? 0 : 4;
    const outResident = this.memory.offsetOf(out);
    const step = outResident !== undefined && aBase >= 0 && bBase >= 0 ? n : CHUNK;
    const floats = this.memory.floats();
    for (let from = 0; from < n; from += step) {
      const count = Math.min(step, n - from);
      let aAt = aBase + aStep * from, bAt = bBase + bStep * from;
      if (aBase < 0) aAt = this.stage(a, from, count, 0);
      if (bBase < 0) bAt = this.stage(b!, from, count, 1);
      const outAt = outResident !== undefined ? outResident + from * 4 : this.slots[2];
      kernel(aAt, bAt, outAt, count);
      if (outResident === undefined) out.set(floats.subarray(outAt / 4, outAt / 4 + count), from);
    }
  }

  /** Copies `count` elements of `x` from `from` into staging slot `slot`, and returns the slot's offset. */
  private stage(x: Float32Array, from: number, count: number, slot: number): number {
    const at = this.slots[slot];
    this.memory.floats().set(count === x.length ? x : x.subarray(from, from + count), at / 4);
    return at;
  }

  private base(x: Float32Array, i: number, n: number): number {
    if (x.length === 1 && n > 1) return this.splat(i, x[0]);
    return this.memory.offsetOf(x) ?? -1;
  }
}
