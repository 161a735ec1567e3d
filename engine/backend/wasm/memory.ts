/**
 * Float32 arrays that live in the WebAssembly kernels' shared memory, so kernels read and write
 * them in place, while JavaScript reads them as ordinary typed arrays. Arrays take blocks in
 * size classes (four per power of two); a block comes back when its array is garbage-collected
 * (FinalizationRegistry) and merges with free neighbours (free-extents.ts), so blocks given back
 * in one size serve requests of any other without touching fresh pages. Beyond the resident
 * budget, arrays are made in ordinary memory instead (and kernels copy them in and out), which
 * keeps memory bounded.
 *
 * Finalizers run only between tasks, so a synchronous loop that drops its results would soon
 * reach the budget and go on in ordinary memory, whose fresh pages cost more than the arithmetic.
 * Where V8 allows it (reclaim.ts), every request first gets back at once the blocks of arrays
 * that collections have found dead, and one that finds the budget reached forces a full
 * collection, once half a budget has been asked for since the last one. A collection that gives
 * back some but little (live arrays fill most of the budget) doubles the budget, up to its
 * limit, so that the live arrays and those made and dropped beside them fit; one that gives back
 * nothing, or little at the limit, or costs far more per megabyte than fresh pages would (a very
 * large heap), makes the next one wait twice as long, so a program holding more live arrays
 * than fit never collects per op. Two in a row that give back much but take more than a tenth
 * of the processor time since the one before (results made and dropped quickly) double the
 * budget too, so that collections come less often; one such is enough where memory is already
 * as large as the doubled budget (another workload grew it), since growing then takes no fresh
 * pages.
 *
 * Since a collection may run inside any `resident` call, a caller must not keep a block's offset
 * across one without also keeping its array referenced (kernels take offsets after their
 * outputs are made, from the arrays).
 */
import { nodeBuiltin } from "../threads";
import { FreeExtents } from "./free-extents";
import { reclaimingRegistry, synchronousCollector, type ReclaimingRegistry, type SynchronousCollector } from "./reclaim";

const MIN_BLOCK_BYTES = 4096;
const PAGE_BYTES = 65536;
/** WebAssembly's 32-bit memories end at 4 GB (65536 pages of 64 kB). */
const MAX_PAGES = 65536;
const MB = 2 ** 20;
/**
 * A fresh megabyte of ordinary memory costs about 0.1 ms in page faults here: a collection that
 * costs several times that per megabyte it gives back (a very large heap) is not worth forcing often.
 */
const TOO_COSTLY_MS_PER_MB = 0.5;
/**
 * Two fruitful collections in a row, each taking more than this share of the time since the one
 * before, double the budget (one alone may have been slowed down by other work on the machine).
 */
const GROW_ABOVE_TIME_SHARE = 0.1;
/** Collections that give back less than this share of the budget count as fruitless. */
const FRUITLESS_SHARE = 0.25;
/** However fruitless collections were, one is tried again after this many budgets' worth of requests. */
const LONGEST_WAIT_BUDGETS = 64;
/**
 * How far collections may raise the budget, unless told otherwise: 8 times its start, but
 * not past a sixteenth of the machine's memory (WebAssembly memory, once grown, stays).
 */
const BUDGET_GROWTH = 8;
const MACHINE_SHARE = 1 / 16;

function defaultBudgetLimit(residentBudget: number): number {
  const machine = nodeBuiltin<{ totalmem(): number }>("node:os")?.totalmem();
  return Math.min(BUDGET_GROWTH * residentBudget, machine ? MACHINE_SHARE * machine : Infinity);
}

/**
 * The process's processor time in ms (all its threads), where the runtime tells it, else the
 * clock: what collections cost is judged by it, so other work on the machine does not make a
 * collection look costly.
 */
function cpuMs(): number {
  const usage = typeof process === "object" ? process.cpuUsage?.() : undefined;
  return usage ? (usage.user + usage.system) / 1000 : performance.now();
}

export interface KernelMemoryStats {
  /** Full collections forced because the budget was reached. */
  forcedCollections: number;
  /** Processor time they took, in ms. */
  collectionMs: number;
  /** Bytes of blocks they gave back. */
  reclaimedBytes: number;
}

export interface KernelMemoryOptions {
  /** How far collections may raise the budget (default: 8 times it, at most a sixteenth of the machine's memory). */
  budgetLimit?: number;
  /** Whether to reclaim inside synchronous loops where the runtime allows it (default: true). */
  synchronous?: boolean;
}

export class KernelMemory {
  readonly memory = new WebAssembly.Memory({ initial: 16, maximum: MAX_PAGES, shared: true });
  readonly stats: KernelMemoryStats = { forcedCollections: 0, collectionMs: 0, reclaimedBytes: 0 };
  private residentBytes = 0;
  private readonly extents = new FreeExtents();
  private view = new Float32Array(this.memory.buffer);
  private readonly offsets = new WeakMap<Float32Array, number>();
  private readonly collector: SynchronousCollector | null;
  private readonly registry: ReclaimingRegistry<[offset: number, bytes: number]>;
  private budget: number;
  private readonly budgetLimit: number;
  /** Bytes asked of `resident` since the last forced collection, and how many must be before the next. */
  private requestedSinceCollection = 0;
  private collectAfter: number;
  private lastCollectionEnd = cpuMs();
  private lastCollectionCostly = false;

  /** `residentBudget`: bytes of arrays kernel memory holds at once before it reclaims or places arrays outside. */
  constructor(residentBudget: number, { budgetLimit = defaultBudgetLimit(residentBudget), synchronous = true }: KernelMemoryOptions = {}) {
    this.budget = residentBudget;
    this.budgetLimit = Math.max(residentBudget, budgetLimit);
    this.collectAfter = residentBudget / 2;
    this.collector = synchronous ? synchronousCollector() : null;
    this.registry = reclaimingRegistry(this.collector, ([offset, bytes]) => {
      this.residentBytes -= bytes;
      this.release(offset, bytes);
    });
  }

  /** Bytes of arrays kernel memory may hold now (the budget, as collections have raised it). */
  get residentBudget(): number {
    return this.budget;
  }

  /** A float32 array of `length` elements in kernel memory (contents unspecified), or null past the budget or the 4 GB limit. */
  resident(length: number): Float32Array | null {
    const bytes = blockBytes(length);
    this.requestedSinceCollection += bytes;
    // Blocks of arrays that collections have found dead come back now rather than at the next task (a few ns).
    this.registry.cleanupSome();
    if (this.residentBytes + bytes > this.budget) this.collectIfWorthIt(bytes);
    if (this.residentBytes + bytes > this.budget) return null;
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
    this.extents.give(offset, bytes);
  }

  /** Forces a full collection, when enough has been asked for since the last one, and takes back the blocks it finds dead. */
  private collectIfWorthIt(bytes: number): void {
    if (!this.collector || bytes > this.budget || this.requestedSinceCollection < this.collectAfter) return;
    const before = this.residentBytes, start = cpuMs();
    this.collector.collect();
    this.registry.cleanupSome();
    const end = cpuMs(), ms = end - start, freed = before - this.residentBytes;
    const { stats } = this;
    [stats.forcedCollections, stats.collectionMs, stats.reclaimedBytes] = [stats.forcedCollections + 1, stats.collectionMs + ms, stats.reclaimedBytes + freed];
    this.adjust(freed, ms, end - this.lastCollectionEnd);
    this.lastCollectionEnd = end;
    this.requestedSinceCollection = 0;
  }

  /** After a forced collection: when the next may come, and whether the budget grows. */
  private adjust(freed: number, ms: number, sinceLast: number): void {
    const little = freed < FRUITLESS_SHARE * this.budget;
    const fruitless = little || ms / (freed / MB) > TOO_COSTLY_MS_PER_MB;
    // Some came back, but live arrays fill most of the budget: room for those made and dropped beside them.
    const crowded = little && freed > 0;
    const costly = !fruitless && ms > GROW_ABOVE_TIME_SHARE * sinceLast;
    // Two costly ones in a row (one alone may have been slowed by other work on the machine), or
    // one where memory is already as large as the doubled budget: it then takes no fresh pages.
    const larger = Math.min(2 * this.budget, this.budgetLimit);
    const grow = this.budget < this.budgetLimit && (crowded || (costly && (this.lastCollectionCostly || larger <= this.memory.buffer.byteLength)));
    this.lastCollectionCostly = costly && !this.lastCollectionCostly;
    if (grow) {
      this.budget = larger;
      this.collectAfter = this.budget / 2;
    } else {
      this.collectAfter = fruitless ? Math.min(2 * this.collectAfter, LONGEST_WAIT_BUDGETS * this.budget) : this.budget / 2;
    }
  }

  /** A view of the whole memory as it is now (views made before a growth stay valid but shorter). */
  floats(): Float32Array {
    const buffer = this.memory.buffer;
    if (this.view.buffer.byteLength !== buffer.byteLength) this.view = new Float32Array(buffer);
    return this.view;
  }

  private reserve(bytes: number): number | null {
    const reused = this.extents.take(bytes);
    if (reused !== null) return reused;
    const offset = this.extents.top;
    const missing = offset + bytes - this.memory.buffer.byteLength;
    if (missing > 0) {
      const pages = Math.ceil(missing / PAGE_BYTES);
      if (this.memory.buffer.byteLength / PAGE_BYTES + pages > MAX_PAGES) return null;
      try { this.memory.grow(pages); } catch { return null; }
    }
    this.extents.top += bytes;
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
