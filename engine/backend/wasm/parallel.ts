/**
 * Large elementwise calls split across the worker-thread pool (threads.ts) that shares the
 * kernels' memory: each thread takes a run of whole vectors, so no two threads write the same
 * vector. Below PARALLEL_MIN elements, waking sleeping workers costs more than they save; while
 * they still spin from a call just before (the ops of a training step between its products),
 * a call starts on them at once and splitting pays from WARM_PARALLEL_MIN.
 */
import { threadPool, type ThreadPool } from "../threads";

export const PARALLEL_MIN = 262144;
export const WARM_PARALLEL_MIN = 16384;

export interface ParallelKernels {
  /** Threads a split call uses (1: none to split over). */
  readonly threads: number;
  /** Whether splitting `n` elements pays: past PARALLEL_MIN, or past WARM_PARALLEL_MIN while the workers spin. */
  worth(n: number): boolean;
  /** Calls `name(...args(from, count))` for parts of [0, n) (runs of four units: vectors, or rows) on every thread, and returns when all are done. */
  split(name: string, n: number, args: (from: number, count: number) => number[]): void;
  /** Calls `name(...part)` once for each part, spread over the threads (ThreadPool.run). */
  run(name: string, parts: readonly (readonly number[])[]): void;
}

/**
 * The pool's instances of `module`, loaded on first use (none where there are no worker
 * threads). Ask for them before placing operands: a part of a call stopped from outside may
 * still be writing, and asking waits for it.
 */
export function parallelKernels(memory: WebAssembly.Memory, module: WebAssembly.Module): () => ParallelKernels | null {
  let loaded: { pool: ThreadPool; kernel: number } | null | undefined;
  return () => {
    if (loaded === undefined) {
      const pool = threadPool(memory);
      loaded = pool.threads > 1 ? { pool, kernel: pool.load(module) } : null;
    }
    if (!loaded) return null;
    const { pool, kernel } = loaded;
    pool.settle();
    return {
      threads: pool.threads,
      worth: (n) => n >= PARALLEL_MIN || (n >= WARM_PARALLEL_MIN && pool.warm),
      split(name, n, args) {
        const vectors = Math.ceil(n / 4), perThread = Math.ceil(vectors / pool.threads);
        const parts: number[][] = [];
        for (let from = 0; from < n; from += perThread * 4) parts.push(args(from, Math.min(perThread * 4, n - from)));
        pool.run(kernel, name, parts);
      },
      run: (name, parts) => pool.run(kernel, name, parts),
    };
  };
}
