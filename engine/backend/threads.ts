/**
 * Worker threads that run WebAssembly kernels on one shared memory, so that large products (and
 * any other kernel that splits its work) use every core while the API stays synchronous.
 *
 *   const pool = threadPool(memory);              // one pool per shared WebAssembly.Memory
 *   const kernel = pool.load(module);             // instantiated with { env: { memory } } everywhere
 *   pool.exports(kernel).f(...)                   // the calling thread's own instance
 *   pool.run(kernel, "f", [argsHere, argsForWorker1, ...]);
 *
 * `run` hands parts 1… to the workers through a shared control block (Atomics.notify), calls
 * part 0 itself, then waits (Atomics.wait) until every worker is done. Arguments are numbers.
 * A call stopped from outside (SIGINT's termination breaks Atomics.wait and skips `finally`)
 * leaves its workers finishing their parts: the next `run` or `load` first waits for them, so the
 * pool is always clean when a call begins. Workers are unref'd (a script still exits by itself)
 * and idle in Atomics.wait. Without worker threads (or with AGNB_THREADS=1) `threads` is 1 and
 * `run` calls every part on the calling thread.
 */
import { WORKER_SOURCE, HEADER_INTS, MAX_ARGUMENTS, Header, Request } from "./threads-worker";

export interface ThreadPool {
  /** Threads a `run` can use, the calling one included. */
  readonly threads: number;
  /** Makes a module callable on every thread; returns its handle. */
  load(module: WebAssembly.Module): number;
  /** The calling thread's instance of a loaded module. */
  exports(kernel: number): WebAssembly.Exports;
  /** Calls `name` with parts[0] here and parts[i] on worker i (parts.length ≤ threads); returns when all are done. */
  run(kernel: number, name: string, parts: readonly (readonly number[])[]): void;
  /** Waits until no worker is still busy with a stopped call's part (before reusing memory it may write). */
  settle(): void;
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

/** All cores of this machine, or AGNB_THREADS when set (1 keeps every kernel on the calling thread). */
export function threadCount(): number {
  const requested = Number(typeof process === "object" ? process.env?.AGNB_THREADS : undefined);
  if (Number.isInteger(requested) && requested >= 1) return Math.min(requested, 64);
  const os = nodeBuiltin<{ availableParallelism?: () => number; cpus(): unknown[] }>("node:os");
  return Math.max(1, Math.min(os ? (os.availableParallelism?.() ?? os.cpus().length) : 1, 64));
}

const pools = new WeakMap<WebAssembly.Memory, ThreadPool>();

/** The pool of `memory` (made on first use with threadCount() threads). */
export function threadPool(memory: WebAssembly.Memory): ThreadPool {
  let pool = pools.get(memory);
  if (!pool) pools.set(memory, (pool = createPool(memory, threadCount())));
  return pool;
}

interface Kernel { module: WebAssembly.Module; exports: WebAssembly.Exports; names: string[] }

export function createPool(memory: WebAssembly.Memory, wanted: number): ThreadPool {
  const kernels: Kernel[] = [];
  const workers = wanted > 1 ? startWorkers(memory, wanted - 1) : null;
  const threads = workers ? workers.ports.length + 1 : 1;

  function exportsOf(kernel: number): WebAssembly.Exports {
    const entry = kernels[kernel];
    if (!entry) throw new Error(`thread pool: no kernel ${kernel} is loaded`);
    return entry.exports;
  }

  return {
    threads,
    load(module) {
      const exports = new WebAssembly.Instance(module, { env: { memory } }).exports;
      const names = WebAssembly.Module.exports(module).map((entry) => entry.name);
      kernels.push({ module, exports, names });
      const kernel = kernels.length - 1;
      workers?.dispatch(workers.ports.map((port) => {
        port.postMessage({ module });
        return { request: Request.Load, kernel, functionIndex: 0, args: [] };
      }));
      return kernel;
    },
    exports: exportsOf,
    settle: () => workers?.settle(),
    run(kernel, name, parts) {
      const own = exportsOf(kernel)[name] as ((...args: number[]) => unknown) | undefined;
      if (typeof own !== "function") throw new Error(`thread pool: kernel ${kernel} has no function '${name}'`);
      if (parts.length > threads) throw new Error(`thread pool: ${parts.length} parts for ${threads} threads`);
      if (!workers || parts.length <= 1) {
        for (const args of parts) own(...args);
        return;
      }
      const functionIndex = kernels[kernel].names.indexOf(name);
      workers.dispatch(parts.slice(1).map((args) => ({ request: Request.Call, kernel, functionIndex, args })), () => own(...parts[0]));
    },
  };
}

interface Job { request: Request; kernel: number; functionIndex: number; args: readonly number[] }

function startWorkers(memory: WebAssembly.Memory, count: number) {
  const threadsModule = nodeBuiltin<WorkerThreads>("node:worker_threads");
  if (!threadsModule || !(memory.buffer instanceof SharedArrayBuffer)) return null;
  const header = new Int32Array(new SharedArrayBuffer(count * HEADER_INTS * 4));
  const args = new Float64Array(new SharedArrayBuffer(count * MAX_ARGUMENTS * 8));
  const ports: Port[] = [];
  try {
    for (let index = 0; index < count; index++) {
      const { port1, port2 } = new threadsModule.MessageChannel();
      const worker = new threadsModule.Worker(WORKER_SOURCE, {
        eval: true,
        workerData: { memory, header: header.buffer, args: args.buffer, index, port: port2 },
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

  /** Waits until every worker has finished what it was last given (a stopped call's parts too). */
  function settle(): void {
    for (let worker = 0; worker < ports.length; worker++) {
      for (;;) {
        const done = Atomics.load(header, at(worker, Header.Done));
        if (done === Atomics.load(header, at(worker, Header.Sequence))) break;
        Atomics.wait(header, at(worker, Header.Done), done);
      }
    }
  }

  /** Gives job i to worker i, runs `own` meanwhile, and returns once all are done (or throws what failed). */
  function dispatch(jobs: Job[], own?: () => void): void {
    settle();
    if (jobs.length > ports.length) throw new Error(`thread pool: ${jobs.length} jobs for ${ports.length} workers`);
    jobs.forEach((job, worker) => {
      if (job.args.length > MAX_ARGUMENTS) throw new Error(`thread pool: at most ${MAX_ARGUMENTS} arguments, got ${job.args.length}`);
      header[at(worker, Header.Request)] = job.request;
      header[at(worker, Header.Kernel)] = job.kernel;
      header[at(worker, Header.Function)] = job.functionIndex;
      header[at(worker, Header.ArgumentCount)] = job.args.length;
      args.set(job.args, worker * MAX_ARGUMENTS);
      Atomics.add(header, at(worker, Header.Sequence), 1);
      Atomics.notify(header, at(worker, Header.Sequence));
    });
    try {
      own?.();
    } finally {
      settle();
    }
    const failure = jobs.map((_, worker) => header[at(worker, Header.Failed)] ? lastMessage(ports[worker]) : undefined).find((text) => text !== undefined);
    if (failure !== undefined) throw new Error(`thread pool: a worker failed: ${String(failure)}`);
  }

  /** The last text a worker posted (older ones are from calls that were stopped before reading them). */
  function lastMessage(port: Port): unknown {
    let last: unknown = "(no message)";
    for (let message; (message = threadsModule!.receiveMessageOnPort(port)); ) last = message.message;
    return last;
  }

  return { ports, dispatch, settle };
}
