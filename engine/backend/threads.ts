/**
 * Worker threads that run WebAssembly kernels on one shared memory, so that large products (and
 * any other kernel that splits its work) use every core while the API stays synchronous.
 *
 *   const pool = threadPool(memory);              // one pool per shared WebAssembly.Memory
 *   const kernel = pool.load(module);             // instantiated with { env: { memory } } everywhere
 *   pool.exports(kernel).f(...)                   // the calling thread's own instance
 *   pool.run(kernel, "f", [argsOfPart0, argsOfPart1, ...]);
 *
 * `run` writes the parts into a shared control block, wakes as many workers as there are parts
 * beyond the first (Atomics.notify), and every thread, the calling one included, takes the next
 * part not yet taken (Atomics.add) until none is left; then the caller waits (Atomics.wait) for
 * the workers to finish theirs. A worker slow to wake therefore costs nothing: the caller takes
 * its part. Parts must not depend on each other; arguments are numbers, and each call gets one
 * more, the number of the thread making it (0 the caller, 1… the workers), for scratch space
 * of its own (parts may outnumber threads). A call stopped from
 * outside (SIGINT's termination breaks Atomics.wait and skips `finally`) leaves its workers
 * finishing the parts they took: the next `run`, `load` or `settle` first waits for them, so
 * the pool is clean whenever a call begins. Workers start with the first call that has parts
 * to share and are unref'd (a script still exits by itself). After a call they spin for
 * SPIN_MS before sleeping in Atomics.wait (less on a busy machine: threads-worker.ts), so that
 * back-to-back calls (the products of a training step) pay no wake-up, which costs tens of
 * microseconds on a quiet machine and up to milliseconds on a busy one; a caller waiting for a
 * worker's last part spins up to SETTLE_SPIN_MS before it sleeps (briefly, on a busy machine). Without worker threads (or with
 * AGNB_THREADS=1) `threads` is 1 and `run` does every part on the calling thread.
 */
import { WORKER_SOURCE, HEADER_INTS, MAX_ARGUMENTS, MAX_PARTS, PREEMPTED_MS, Claim, Header, Job, JOB_INTS, Request } from "./threads-worker";

export { MAX_PARTS };

/**
 * How long an idle worker spins before it sleeps: longer than the gaps between the parallel
 * calls of one training step, short enough that a pool left idle gives its core back at once.
 */
export const SPIN_MS = 2;
/**
 * How long a caller spins for a worker's last part before it sleeps: long enough for the part
 * of a product that started a little later than the caller's own (waking the caller again
 * would cost more than the wait), briefly only when the worker finds the machine busy.
 */
const SETTLE_SPIN_MS = 1;
const BUSY_SETTLE_SPIN_MS = 0.05;

export interface ThreadPool {
  /** Threads a `run` can use, the calling one included. */
  readonly threads: number;
  /** Makes a module callable on every thread; returns its handle. */
  load(module: WebAssembly.Module): number;
  /** The calling thread's instance of a loaded module. */
  exports(kernel: number): WebAssembly.Exports;
  /** Calls `name(...part, thread)` once for each part, spread over the threads; returns when all are done. */
  run(kernel: number, name: string, parts: readonly (readonly number[])[]): void;
  /** Waits until no worker is still busy with a stopped call's part (before reusing memory it may write). */
  settle(): void;
  /** Whether every worker is spinning, so that a call made now starts on all threads within a microsecond or two. */
  readonly warm: boolean;
}

interface WorkerThreads {
  Worker: new (source: string, options: object) => { unref(): void; postMessage(value: unknown): void };
  MessageChannel: new () => { port1: Port; port2: Port };
  receiveMessageOnPort(port: Port): { message: unknown } | undefined;
}
interface Port { postMessage(value: unknown): void; unref(): void }

/**
 * A Node built-in module, or undefined where there is none: no static import, so the engine
 * still loads outside Node. Node before 20.16 (older Electron) has no getBuiltinModule, but the
 * CommonJS bundles have `require`.
 */
export function nodeBuiltin<T>(name: string): T | undefined {
  try {
    const load = (typeof process === "object" ? (process as { getBuiltinModule?: (id: string) => unknown }).getBuiltinModule : undefined)
      ?? (typeof require === "function" ? require : undefined);
    return load?.(name) as T | undefined;
  } catch {
    return undefined;
  }
}

/** The cores this process may run on (1 where that cannot be known). */
function cores(): number {
  const os = nodeBuiltin<{ availableParallelism?: () => number; cpus(): unknown[] }>("node:os");
  return Math.max(1, os ? (os.availableParallelism?.() ?? os.cpus().length) : 1);
}

/** All cores of this machine, or AGNB_THREADS when set (1 keeps every kernel on the calling thread). */
export function threadCount(): number {
  const requested = Number(typeof process === "object" ? process.env?.AGNB_THREADS : undefined);
  if (Number.isInteger(requested) && requested >= 1) return Math.min(requested, 64);
  return Math.min(cores(), 64);
}

const pools = new WeakMap<WebAssembly.Memory, ThreadPool>();

/** The pool of `memory` (made on first use with threadCount() threads). */
export function threadPool(memory: WebAssembly.Memory): ThreadPool {
  let pool = pools.get(memory);
  if (!pool) pools.set(memory, (pool = createPool(memory, threadCount())));
  return pool;
}

interface Kernel { module: WebAssembly.Module; exports: WebAssembly.Exports; names: string[] }

export interface PoolOptions {
  /**
   * Workers do not spin while the one-minute load average is at least this: more threads want
   * to run than there are cores, our own two included. Tests pass 0 (never spin) or Infinity.
   */
  busyLoad?: number;
}

export function createPool(memory: WebAssembly.Memory, wanted: number, { busyLoad = cores() + 1 }: PoolOptions = {}): ThreadPool {
  const kernels: Kernel[] = [];
  // Started by the first call with parts to share (a process of small products never pays for them).
  let workers: ReturnType<typeof startWorkers> | undefined = wanted > 1 && canShare(memory) ? undefined : null;
  const started = () => {
    if (workers === undefined) {
      workers = startWorkers(memory, wanted - 1, busyLoad);
      kernels.forEach(({ module }, kernel) => workers?.load(module, kernel));
    }
    return workers;
  };

  function exportsOf(kernel: number): WebAssembly.Exports {
    const entry = kernels[kernel];
    if (!entry) throw new Error(`thread pool: no kernel ${kernel} is loaded`);
    return entry.exports;
  }

  return {
    get threads() {
      return workers === null ? 1 : workers ? workers.ports.length + 1 : wanted;
    },
    load(module) {
      const exports = new WebAssembly.Instance(module, { env: { memory } }).exports;
      const names = WebAssembly.Module.exports(module).map((entry) => entry.name);
      kernels.push({ module, exports, names });
      const kernel = kernels.length - 1;
      workers?.load(module, kernel);
      return kernel;
    },
    exports: exportsOf,
    settle: () => workers?.settle(),
    get warm() {
      return workers ? workers.spinning() : false;
    },
    run(kernel, name, parts) {
      const own = exportsOf(kernel)[name] as ((...args: number[]) => unknown) | undefined;
      if (typeof own !== "function") throw new Error(`thread pool: kernel ${kernel} has no function '${name}'`);
      const pool = parts.length > 1 ? started() : null;
      if (!pool) {
        for (const args of parts) own(...args, 0);
        return;
      }
      pool.call(kernel, kernels[kernel].names.indexOf(name), parts, own);
    },
  };
}

const canShare = (memory: WebAssembly.Memory) => memory.buffer instanceof SharedArrayBuffer && nodeBuiltin<WorkerThreads>("node:worker_threads") !== undefined;

function startWorkers(memory: WebAssembly.Memory, count: number, busyLoad: number) {
  const threadsModule = nodeBuiltin<WorkerThreads>("node:worker_threads");
  if (!threadsModule) return null;
  const header = new Int32Array(new SharedArrayBuffer((count * HEADER_INTS + JOB_INTS) * 4));
  const args = new Float64Array(new SharedArrayBuffer(MAX_PARTS * MAX_ARGUMENTS * 8));
  const ports: Port[] = [];
  try {
    for (let index = 0; index < count; index++) {
      const { port1, port2 } = new threadsModule.MessageChannel();
      const worker = new threadsModule.Worker(WORKER_SOURCE, {
        eval: true,
        workerData: { memory, header: header.buffer, args: args.buffer, index, workers: count, port: port2, spinMs: SPIN_MS, busyLoad },
        transferList: [port2],
      });
      worker.unref();
      port1.unref();
      ports.push(port1);
    }
  } catch {
    if (ports.length === 0) return null;
  }
  const at = (worker: number, field: Header) => worker * HEADER_INTS + field;
  const job = (field: Job) => count * HEADER_INTS + field;

  /** Whether workers may still be busy: a call is running, or was stopped before it saw them finish. */
  let outstanding = false;

  /**
   * Whether a worker will not touch the current job: it has not taken up the call request yet
   * and now never will (the worker that wakes for it only marks it done).
   */
  function withdrawn(worker: number): boolean {
    if (header[at(worker, Header.Request)] !== Request.Call) return false;
    const claim = Atomics.compareExchange(header, at(worker, Header.Claim), Claim.Open, Claim.Withdrawn);
    return claim !== Claim.Taken;
  }

  /** Waits until every worker has finished what it took of the last call (a stopped call's parts too). */
  function settle(): void {
    if (!outstanding) return;
    let until = 0, before = 0;
    for (let worker = 0; worker < ports.length; worker++) {
      const sequence = Atomics.load(header, at(worker, Header.Sequence));
      if (Atomics.load(header, at(worker, Header.Done)) === sequence || withdrawn(worker)) continue;
      for (let done, looks = 0; (done = Atomics.load(header, at(worker, Header.Done))) !== sequence; looks++) {
        // Spin a while, then sleep: sooner when this thread was descheduled (its spin may be what keeps the worker waiting for a core).
        // The clock is read once every 64 looks: each reading allocates.
        if ((looks & 63) !== 0) continue;
        const now = performance.now();
        until ||= now + (Atomics.load(header, at(worker, Header.Busy)) ? BUSY_SETTLE_SPIN_MS : SETTLE_SPIN_MS);
        if (now > until || (before && now - before > PREEMPTED_MS)) Atomics.wait(header, at(worker, Header.Done), done);
        before = now;
      }
    }
    outstanding = false;
  }

  function wake(worker: number, request: Request): void {
    outstanding = true;
    header[at(worker, Header.Request)] = request;
    // Opened after the job is written: a worker still waking for an earlier, withdrawn request may take this one.
    Atomics.store(header, at(worker, Header.Claim), Claim.Open);
    Atomics.add(header, at(worker, Header.Sequence), 1);
    // After moving Sequence: a worker that set Sleeping later reads the new Sequence in its wait and does not sleep.
    if (Atomics.load(header, at(worker, Header.Sleeping))) Atomics.notify(header, at(worker, Header.Sequence));
  }

  /** Settles, then throws the first failure a worker that took up the request reported. */
  function finish(woken: number): void {
    settle();
    for (let worker = 0; worker < woken; worker++) {
      const tookPart = header[at(worker, Header.Request)] !== Request.Call || header[at(worker, Header.Claim)] === Claim.Taken;
      if (tookPart && header[at(worker, Header.Failed)]) throw new Error(`thread pool: a worker failed: ${String(lastMessage(ports[worker]))}`);
    }
  }

  /** The last text a worker posted (older ones are from calls that were stopped before reading them). */
  function lastMessage(port: Port): unknown {
    let last: unknown = "(no message)";
    for (let message; (message = threadsModule!.receiveMessageOnPort(port)); ) last = message.message;
    return last;
  }

  return {
    ports,
    settle,
    spinning: () => ports.every((_, worker) => Atomics.load(header, at(worker, Header.Spinning)) === 1),
    /** Every worker instantiates the module posted on its port as kernel `kernel`. */
    load(module: WebAssembly.Module, kernel: number): void {
      settle();
      ports.forEach((port, worker) => {
        port.postMessage({ module, kernel });
        wake(worker, Request.Load);
      });
      finish(ports.length);
    },
    call(kernel: number, functionIndex: number, parts: readonly (readonly number[])[], own: (...args: number[]) => unknown): void {
      settle();
      if (parts.length > MAX_PARTS) throw new Error(`thread pool: at most ${MAX_PARTS} parts a call, got ${parts.length}`);
      const argumentCount = parts[0].length;
      parts.forEach((part, index) => {
        if (part.length !== argumentCount || argumentCount >= MAX_ARGUMENTS) throw new Error(`thread pool: every part takes the same arguments, at most ${MAX_ARGUMENTS - 1}`);
        args.set(part, index * MAX_ARGUMENTS);
      });
      header[job(Job.Kernel)] = kernel;
      header[job(Job.Function)] = functionIndex;
      header[job(Job.ArgumentCount)] = argumentCount;
      header[job(Job.Parts)] = parts.length;
      Atomics.store(header, job(Job.Next), 0);
      const woken = Math.min(ports.length, parts.length - 1);
      for (let worker = 0; worker < woken; worker++) wake(worker, Request.Call);
      try {
        for (let part; (part = Atomics.add(header, job(Job.Next), 1)) < parts.length; ) own(...parts[part], 0);
      } finally {
        finish(woken);
      }
    },
  };
}
