/**
 * What keeps an interrupted cell stopped for good: every run of a cell carries a `CellRun`
 * through AsyncLocalStorage, into its async functions, timers and callbacks. Once the run is
 * cancelled, nothing of it resumes: its async functions get a KeyboardInterrupt at their next
 * `await`, its timers are dropped, its loops throw and what it prints is discarded. Each
 * resumption runs `guarded`, so SIGINT also breaks work that never loops (a slow regex).
 *
 * Cells' async functions are lowered to generators (transform.ts) and driven by `runAsync`;
 * cells see the timers and console of `cellScope()` instead of the globals.
 */
import { AsyncLocalStorage } from "node:async_hooks";
import { promisify } from "node:util";
import { KeyboardInterrupt } from "./errors";
import { guarded, isScriptInterruption } from "./interrupt-guard";
import { ASYNC_RUNTIME, CELL_SCOPE, SCOPED_GLOBALS } from "./transform";

/** An async function of a cell, suspended at an `await`. */
interface Suspended { wake(): void }

/** One run of one cell; everything it starts carries it. */
export class CellRun {
  cancelled = false;
  /** Rejects with KeyboardInterrupt when the run is cancelled. */
  readonly interrupted: Promise<never>;
  /** Its async functions now waiting; cancelling wakes each with a KeyboardInterrupt. */
  readonly suspended = new Set<Suspended>();
  private stop!: (reason: unknown) => void;

  constructor(readonly count: number) {
    this.interrupted = new Promise<never>((_, reject) => { this.stop = reject; });
    this.interrupted.catch(() => undefined);
  }

  cancel(): void {
    if (this.cancelled) return;
    this.cancelled = true;
    runs.anyCancelled = true;
    this.stop(new KeyboardInterrupt());
    // What they awaited may never settle (a dropped timer), yet their `finally` blocks must run.
    // Not now: the code that asked to cancel may be one of them, still running.
    native.setImmediate(() => context.run(this, () => { for (const call of [...this.suspended]) call.wake(); }));
  }
}

const context = new AsyncLocalStorage<CellRun>();
/** `anyCancelled` is set once any run was cancelled: until then loops need not look up their run. */
export const runs = { anyCancelled: false };
/** Told when SIGINT stopped code of `run` (undefined: code outside any cell). */
let onInterrupted: (run: CellRun | undefined) => void = () => undefined;

export function setInterruptionHandler(handler: (run: CellRun | undefined) => void): void {
  onInterrupted = handler;
}

export const currentRun = (): CellRun | undefined => context.getStore();
export const inCancelledRun = (): boolean => runs.anyCancelled && context.getStore()?.cancelled === true;
export const withinRun = <T>(run: CellRun, call: () => T): T => context.run(run, call);

/** Turns SIGINT's termination of a guarded call into a KeyboardInterrupt of the run it stopped. */
function interruption(error: unknown, run: CellRun | undefined): unknown {
  if (!isScriptInterruption(error)) return error;
  run?.cancel();
  onInterrupted(run);
  return new KeyboardInterrupt();
}

const quietly = (promise: Promise<unknown>) => { promise.catch(() => undefined); };

/**
 * One call of a lowered async function: steps its generator, each step guarded. A cancelled run's
 * generator gets KeyboardInterrupt instead of what it awaited, so its `finally` blocks (and the
 * engine's, such as a tape's recording) still run.
 */
class LoweredCall implements Suspended {
  /** Counts resumptions: a settlement meant for an earlier one is ignored. */
  private step = 0;
  readonly promise: Promise<unknown>;
  private settle!: { resolve: (value: unknown) => void; reject: (error: unknown) => void };

  constructor(private readonly generator: Generator, private readonly run: CellRun | undefined) {
    this.promise = new Promise((resolve, reject) => { this.settle = { resolve, reject }; });
  }

  advance(resume: "next" | "throw", input: unknown): void {
    const step = ++this.step;
    this.run?.suspended.delete(this);
    if (this.run?.cancelled) {
      resume = "throw";
      input = new KeyboardInterrupt();
    }
    let result: IteratorResult<unknown>;
    try {
      result = guarded(() => this.generator[resume](input));
    } catch (error) {
      this.fail(interruption(error, this.run));
      return;
    }
    if (result.done) {
      this.settle.resolve(result.value);
      return;
    }
    this.run?.suspended.add(this);
    Promise.resolve(result.value).then(
      (value) => { if (step === this.step) this.advance("next", value); },
      (error) => { if (step === this.step) this.advance("throw", error); },
    );
  }

  wake(): void {
    this.advance("throw", new KeyboardInterrupt());
  }

  fail(error: unknown): void {
    // Nobody may wait for an interrupted call any more; its rejection is no news.
    if (error instanceof KeyboardInterrupt && this.run?.cancelled) quietly(this.promise);
    this.settle.reject(error);
  }
}

/** esbuild's `__async(this, arguments, generatorFunction)`, for the cells' lowered async functions. */
export function runAsync(self: unknown, args: ArrayLike<unknown> | null, body: (...a: unknown[]) => Generator): Promise<unknown> {
  let generator: Generator;
  try {
    generator = body.apply(self, args === null ? [] : Array.from(args));
  } catch (error) {
    return Promise.reject(error);
  }
  const call = new LoweredCall(generator, context.getStore());
  call.advance("next", undefined);
  return call.promise;
}

/** Runs a timer's callback for its run: dropped once the run is cancelled, guarded otherwise. */
function cellCallback(callback: (...a: unknown[]) => unknown, args: unknown[], onDropped?: () => void) {
  return function (this: unknown) {
    const run = context.getStore();
    if (run?.cancelled) {
      onDropped?.();
      return;
    }
    try {
      guarded(() => Reflect.apply(callback, this, args));
    } catch (error) {
      const thrown = interruption(error, run);
      if (thrown instanceof KeyboardInterrupt && (run?.cancelled || thrown !== error)) return;
      throw thrown;
    }
  };
}

const native = { setTimeout, setInterval, setImmediate, queueMicrotask, console };
type Callback = (...args: unknown[]) => unknown;

const cellTimers = {
  setTimeout: Object.assign((callback: Callback, delay?: number, ...args: unknown[]) => {
    if (typeof callback !== "function") return native.setTimeout(callback, delay, ...args);
    return native.setTimeout(cellCallback(callback, args), delay);
  }, { [promisify.custom]: (native.setTimeout as unknown as Record<symbol, unknown>)[promisify.custom] }),
  setInterval: (callback: Callback, delay?: number, ...args: unknown[]) => {
    if (typeof callback !== "function") return native.setInterval(callback, delay, ...args);
    const handle: NodeJS.Timeout = native.setInterval(cellCallback(callback, args, () => clearInterval(handle)), delay);
    return handle;
  },
  setImmediate: Object.assign((callback: Callback, ...args: unknown[]) => {
    if (typeof callback !== "function") return native.setImmediate(callback, ...args);
    return native.setImmediate(cellCallback(callback, args));
  }, { [promisify.custom]: (native.setImmediate as unknown as Record<symbol, unknown>)[promisify.custom] }),
  queueMicrotask: (callback: Callback) => {
    if (typeof callback !== "function") return native.queueMicrotask(callback);
    native.queueMicrotask(cellCallback(callback, []));
  },
};

const quietMethods = new WeakMap<Callback, Callback>();
/** The console as cells see it: whatever the global console does, silent for a cancelled run. */
const cellConsole = new Proxy(native.console, {
  get(target, key) {
    const value = Reflect.get(target, key) as unknown;
    if (typeof value !== "function") return value;
    let quiet = quietMethods.get(value as Callback);
    if (!quiet) {
      quiet = function (this: unknown, ...args: unknown[]) {
        if (inCancelledRun()) return undefined;
        return Reflect.apply(value as Callback, this === cellConsole ? target : this, args);
      };
      quietMethods.set(value as Callback, quiet);
    }
    return quiet;
  },
});

const cellVersions: Record<(typeof SCOPED_GLOBALS)[number], unknown> = { ...cellTimers, console: cellConsole };

/**
 * The values of SCOPED_GLOBALS for a cell: the cell versions of the built-ins, unless a cell
 * replaced a global on purpose (`globalThis.setTimeout = ...`), which then stays in effect.
 */
function cellScope(): Record<string, unknown> {
  const globals = globalThis as Record<string, unknown>;
  const scope: Record<string, unknown> = {};
  for (const name of SCOPED_GLOBALS) {
    scope[name] = globals[name] === (native as Record<string, unknown>)[name] ? cellVersions[name] : globals[name];
  }
  return scope;
}

/** Makes the helpers transformed cells call reachable; a cell cannot replace them. */
export function installCellRuntime(): void {
  for (const [name, value] of [[ASYNC_RUNTIME, runAsync], [CELL_SCOPE, cellScope]] as const) {
    if (!Object.hasOwn(globalThis, name)) Object.defineProperty(globalThis, name, { value });
  }
}
