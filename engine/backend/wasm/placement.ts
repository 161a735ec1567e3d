/**
 * Puts one kernel call's float32 operands in kernel memory: arrays that live there are used in
 * place; others are copied into temporary blocks, and outputs copied back by `finish`.
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

  /** A vector of four copies of `value`, for a loop that re-reads it at every step. */
  splat(value: number): number {
    const offset = this.block(4);
    if (this.ok) this.memory.floats().fill(value, offset / 4, offset / 4 + 4);
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
