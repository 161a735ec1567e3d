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
  private readonly copyBacks: [Float32Array, number][] = [];
  /** False once a block could not be had (memory full): the caller computes elsewhere. */
  ok = true;

  constructor(private readonly memory: KernelMemory) {}

  /** The byte offset where `x` can be read. */
  input(x: Float32Array): number {
    const at = this.memory.offsetOf(x);
    if (at !== undefined) return at;
    const offset = this.block(x.length);
    if (this.ok) this.memory.floats().set(x, offset / 4);
    return offset;
  }

  /** The byte offset where the kernel writes what ends up in `out`. */
  output(out: Float32Array): number {
    const at = this.memory.offsetOf(out);
    if (at !== undefined) return at;
    const offset = this.block(out.length);
    this.copyBacks.push([out, offset]);
    return offset;
  }

  /** Copies outputs back (when `computed`) and gives the temporary blocks back. */
  finish(computed: boolean): void {
    if (computed) {
      const floats = this.memory.floats();
      for (const [out, offset] of this.copyBacks) out.set(floats.subarray(offset / 4, offset / 4 + out.length));
    }
    for (const { offset, bytes } of this.temporaries) this.memory.release(offset, bytes);
  }

  private block(length: number): number {
    const block = this.ok ? this.memory.temporary(length) : null;
    if (!block) { this.ok = false; return 0; }
    this.temporaries.push(block);
    return block.offset;
  }
}

/** Elements a staging block holds: a few of them stay in a core's L2 cache. */
export const CHUNK = 16384;

export class Streams {
  /** Byte offsets of the staging blocks: two inputs, one output, and one vector for each splat. */
  private readonly slots: number[];
  private readonly bases = [0, 0];
  private readonly steps = [0, 0];
  private readonly offsets: number[] = [];

  constructor(private readonly memory: KernelMemory) {
    const slot = () => {
      const block = memory.temporary(CHUNK);
      if (!block) throw new Error("kernel memory could not hold its staging blocks");
      return block.offset;
    };
    this.slots = [slot(), slot(), slot(), slot()];
  }

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

  /**
   * Runs `kernel(inputOffsets, outputOffset, count)` over `out` in chunks; an input of one
   * element is a scalar, repeated as one vector (its offset stays put: the kernel's step is 0).
   * Plain loops, no closures: this runs for every elementwise op of a few hundred elements up.
   */
  run(inputs: Float32Array[], out: Float32Array, kernel: (at: number[], outAt: number, count: number) => void): void {
    const n = out.length, k = inputs.length;
    const floats = this.memory.floats();
    // Per input: its resident offset, a splat's offset, or -1 for an ordinary array staged in slot k.
    const base = this.bases;
    let staged = false;
    for (let i = 0; i < k; i++) {
      const x = inputs[i];
      if (x.length === 1 && n > 1) {
        base[i] = this.slots[3] + 16 * i;
        floats.fill(x[0], base[i] / 4, base[i] / 4 + 4);
        this.steps[i] = 0;
      } else {
        const resident = this.memory.offsetOf(x);
        base[i] = resident ?? -1;
        staged ||= resident === undefined;
        this.steps[i] = 4;
      }
    }
    const outResident = this.memory.offsetOf(out);
    const step = outResident !== undefined && !staged ? n : CHUNK;
    const at = this.offsets;
    at.length = k;
    for (let from = 0; from < n; from += step) {
      const count = Math.min(step, n - from);
      for (let i = 0; i < k; i++) {
        if (base[i] >= 0) at[i] = base[i] + this.steps[i] * from;
        else { floats.set(inputs[i].subarray(from, from + count), this.slots[i] / 4); at[i] = this.slots[i]; }
      }
      const outAt = outResident !== undefined ? outResident + from * 4 : this.slots[2];
      kernel(at, outAt, count);
      if (outResident === undefined) out.set(floats.subarray(outAt / 4, outAt / 4 + count), from);
    }
  }
}
