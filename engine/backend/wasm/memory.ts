/**
 * Float32 arrays that live in the WebAssembly kernels' shared memory, so kernels read and write
 * them in place, while JavaScript reads them as ordinary typed arrays. Blocks come in power-of-two
 * size classes; a block returns to its class's free list when its array is garbage-collected
 * (FinalizationRegistry). Finalizers only run between tasks, so a synchronous loop cannot reclaim
 * anything while it runs: beyond `residentBudget` bytes, arrays are made in ordinary memory
 * instead (and kernels copy them in and out), which keeps memory bounded.
 */
const MIN_BLOCK_BYTES = 4096;
const PAGE_BYTES = 65536;
/** WebAssembly's 32-bit memories end at 4 GB (65536 pages of 64 kB). */
const MAX_PAGES = 65536;

export class KernelMemory {
  readonly memory = new WebAssembly.Memory({ initial: 16, maximum: MAX_PAGES, shared: true });
  private top = 0;
  private residentBytes = 0;
  private readonly free = new Map<number, number[]>();
  private view = new Float32Array(this.memory.buffer);
  private readonly offsets = new WeakMap<Float32Array, number>();
  private readonly registry = new FinalizationRegistry<[offset: number, bytes: number]>(([offset, bytes]) => {
    this.residentBytes -= bytes;
    this.release(offset, bytes);
  });

  constructor(private readonly residentBudget: number) {}

  /** A float32 array of `length` elements in kernel memory (contents unspecified), or null past the budget or the 4 GB limit. */
  resident(length: number): Float32Array | null {
    const bytes = blockBytes(length);
    if (this.residentBytes + bytes > this.residentBudget) return null;
    const offset = this.reserve(bytes);
    if (offset === null) return null;
    this.residentBytes += bytes;
    const array = new Float32Array(this.memory.buffer, offset, length);
    this.offsets.set(array, offset);
    this.registry.register(array, [offset, bytes]);
    return array;
  }

  /** The byte offset of an array made by `resident`, else undefined. */
  offsetOf(array: Float32Array): number | undefined {
    return this.offsets.get(array);
  }

  /** A block for a kernel's temporary copy of `length` elements (plus a spare vector); give it back with `release`. */
  temporary(length: number): { offset: number; bytes: number } | null {
    const bytes = blockBytes(length);
    const offset = this.reserve(bytes);
    return offset === null ? null : { offset, bytes };
  }

  release(offset: number, bytes: number): void {
    this.free.get(bytes)!.push(offset);
  }

  /** A view of the whole memory as it is now (views made before a growth stay valid but shorter). */
  floats(): Float32Array {
    const buffer = this.memory.buffer;
    if (this.view.buffer.byteLength !== buffer.byteLength) this.view = new Float32Array(buffer);
    return this.view;
  }

  private reserve(bytes: number): number | null {
    let list = this.free.get(bytes);
    if (!list) this.free.set(bytes, (list = []));
    const reused = list.pop();
    if (reused !== undefined) return reused;
    const missing = this.top + bytes - this.memory.buffer.byteLength;
    if (missing > 0) {
      const pages = Math.ceil(missing / PAGE_BYTES);
      if (this.memory.buffer.byteLength / PAGE_BYTES + pages > MAX_PAGES) return null;
      try { this.memory.grow(pages); } catch { return null; }
    }
    const offset = this.top;
    this.top += bytes;
    return offset;
  }
}

const nodeBuffer = (globalThis as { Buffer?: { allocUnsafeSlow(size: number): Uint8Array } }).Buffer;

/**
 * An ordinary float32 array whose contents are unspecified, for a kernel to fill entirely:
 * Node's uninitialised allocation skips zeroing memory that is about to be overwritten.
 */
export function uninitialisedFloats(length: number): Float32Array {
  const bytes = nodeBuffer && length >= 4096 ? nodeBuffer.allocUnsafeSlow(length * 4) : undefined;
  return bytes && bytes.byteOffset === 0 && bytes.buffer.byteLength === length * 4 ? new Float32Array(bytes.buffer) : new Float32Array(length);
}

/**
 * Whole vectors plus one spare (row loops may run past a row's end), rounded up to a size class:
 * four classes per power of two, so a block wastes at most a quarter of itself.
 */
function blockBytes(length: number): number {
  const needed = Math.max(MIN_BLOCK_BYTES, (Math.ceil(length / 4) + 1) * 16);
  const step = 2 ** (Math.floor(Math.log2(needed)) - 2);
  return Math.ceil(needed / step) * step;
}
