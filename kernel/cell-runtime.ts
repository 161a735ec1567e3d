/**
 * What keeps an interrupted cell stopped for good: every run of a cell carries a `CellRun`
 * through AsyncLocalStorage, into its async functions, timers and callbacks. Once the run is
 * cancelled, nothing of it resumes: its async functions get a KeyboardInterrupt at their next
 * `await`, its timers, ticks and promise callbacks are dropped, its loops throw and what it
 * prints is discarded. Each resumption runs `guarded`, so SIGINT also breaks work that never
 * loops (a slow regex).
 *
 * Cells' async functions are lowered to generators (transform.ts) and driven by `runAsync`;
 * cells see the timers, console and `process.nextTick` of `cellScope()` instead of the globals.
 * The callbacks of `then`/`catch`/`finally` (and so the steps of lowered async generators and
 * `for await`) registered while a run is current run through `runForCell` as well: Promise's
 * `then` is the one built-in this module replaces for everybody, and outside a run it is the
 * original.
 */
import { AsyncLocalStorage } from "node:async_hooks";
import { promisify } from "node:util";
import { KeyboardInterrupt } from "./errors";
import { guarded, isScriptInterruption } from "./interrupt-guard";
import { ASYNC_RUNTIME, CELL_SCOPE, SCOPED_GLOBALS } from "./transform";

/** The built-ins as the kernel found them: a cell may replace the globals, not these. */
const native = { setTimeout, setInterval, setImmediate, queueMicrotask, console, process, nextTick: process.nextTick, then: Promise.prototype.then };
const apply = Reflect.apply;
type Callback = (...args: unknown[]) => unknown;

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

/** What `runForCell` returns when the run's code did not run, or was stopped. */
export const DROPPED: unique symbol = Symbol("dropped");

/**
 * Runs code of `run` (a callback it scheduled) guarded, unless the run is cancelled; DROPPED
 * then, and also when SIGINT or a loop's check stopped it, whose KeyboardInterrupt is no news.
 * `evenIfCancelled` is for the kernel's and the engine's own callbacks, which must still clean up.
 */
export function runForCell<T>(run: CellRun | undefined, call: () => T, evenIfCancelled = false): T | typeof DROPPED {
  if (run?.cancelled && !evenIfCancelled) return DROPPED;
  try {
    return guarded(call);
  } catch (error) {
    const thrown = interruption(error, run);
    if (thrown instanceof KeyboardInterrupt && (run?.cancelled || thrown !== error)) return DROPPED;
    throw thrown;
  }
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
    // The kernel's own reactions: each step is guarded already.
    apply(native.then, adopt(result.value, this.run), [
      (value: unknown) => { if (step === this.step) this.advance("next", value); },
      (error: unknown) => { if (step === this.step) this.advance("throw", error); },
    ]);
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

/**
 * `callback` as code of `run`: guarded, and if it is the cell's own (`cellOwn`), dropped
 * (returning undefined) once the run is cancelled.
 */
export function forRun(run: CellRun, callback: Callback, cellOwn: boolean): Callback {
  return function (this: unknown, ...args: unknown[]) {
    const result = runForCell(run, () => apply(callback, this, args), !cellOwn);
    return result === DROPPED ? undefined : result;
  };
}

/** A timer's (or tick's) callback, run for the run it was scheduled in. */
function cellCallback(callback: (...a: unknown[]) => unknown, args: unknown[], onDropped?: () => void) {
  return function (this: unknown) {
    if (runForCell(context.getStore(), () => apply(callback, this, args)) === DROPPED) onDropped?.();
  };
}

/**
 * A `then` callback of `run`. A dropped one leaves its promise pending, so nothing chained to it
 * runs either; only the cell's own callbacks are dropped: the engine's (a tape's `finally` that
 * stops recording) still run, guarded.
 */
function cellReaction(run: CellRun, reaction: unknown, cellOwn: boolean): unknown {
  if (typeof reaction !== "function") return reaction;
  return (value: unknown) => {
    const result = runForCell(run, () => apply(reaction as Callback, undefined, [value]), !cellOwn);
    return result === DROPPED ? new Promise(() => undefined) : result;
  };
}

function then(this: Promise<unknown>, onFulfilled?: unknown, onRejected?: unknown): Promise<unknown> {
  const run = context.getStore();
  if (run === undefined) return apply(native.then, this, [onFulfilled, onRejected]) as Promise<unknown>;
  const cellOwn = calledFromCell(then);
  return apply(native.then, this, [cellReaction(run, onFulfilled, cellOwn), cellReaction(run, onRejected, cellOwn)]) as Promise<unknown>;
}

const CELL_FILE = /^agnb-cell-\d+$/;
/** Node's own versions of the registering methods (Readable's `on` calls EventEmitter's): not the caller that counts. */
const REGISTERING = /(?:^|\.)(?:then|catch|finally|on|addListener|once|prependListener|prependOnceListener)$/;
const frames: { stack?: NodeJS.CallSite[] } = {};
const captureStackTrace = Error.captureStackTrace;
/**
 * Whether the code that called `api` (`then`, and so `catch` and `finally`; `on`; `fs.stat`) is
 * a cell's: the first frame below it with a file, past Node's own registering methods, is in a
 * cell's script. About 2 µs, paid only
 * for calls while a run is current. What Node, packages or the engine register for the cell
 * (a pooled socket's listeners) must go on working after an interrupt: only the cell's own
 * callbacks are dropped.
 */
export function calledFromCell(api: (...args: never[]) => unknown): boolean {
  const errors = Error as { prepareStackTrace?: unknown; stackTraceLimit: number };
  const { prepareStackTrace, stackTraceLimit } = errors;
  try {
    errors.prepareStackTrace = (_: unknown, callSites: NodeJS.CallSite[]) => callSites;
    errors.stackTraceLimit = 4;
    captureStackTrace(frames, api);
    for (const frame of frames.stack ?? []) {
      const file = frame.getFileName();
      if (!file || (file.startsWith("node:") && REGISTERING.test(frame.getFunctionName() ?? ""))) continue;
      return CELL_FILE.test(file);
    }
    return false;
  } catch {
    // A cell made Error's fields read-only: treat the callback as the cell's.
    return true;
  } finally {
    frames.stack = undefined;
    try {
      errors.prepareStackTrace = prepareStackTrace;
      errors.stackTraceLimit = stackTraceLimit;
    } catch {
      // Read-only: then nothing was changed.
    }
  }
}

/**
 * What an `await` waits for, as a native promise. A thenable's own `then` is cell code too, so it
 * is called guarded (in a microtask, as the language does), not by the engine outside any guard.
 */
function adopt(value: unknown, run: CellRun | undefined): Promise<unknown> {
  if (value instanceof Promise) return value;
  const thenable = (typeof value === "object" && value !== null) || typeof value === "function";
  if (!thenable) return Promise.resolve(value);
  return new Promise((resolve, reject) => {
    native.queueMicrotask(() => {
      try {
        const method = runForCell(run, () => (value as { then?: unknown }).then);
        if (method === DROPPED) return;
        if (typeof method !== "function") return resolve(value);
        runForCell(run, () => apply(method as Callback, value, [resolve, reject]));
      } catch (error) {
        reject(error);
      }
    });
  });
}

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

function cellNextTick(callback: Callback, ...args: unknown[]): void {
  if (typeof callback !== "function") return apply(native.nextTick, native.process, [callback, ...args]);
  apply(native.nextTick, native.process, [cellCallback(callback, args)]);
}

/**
 * `target` as cells see it: `overrides` first, every other property the target's own, methods
 * called on the target; `wrap` may change what a method does (the console's go quiet).
 */
function cellView<T extends object>(target: T, overrides: Record<PropertyKey, unknown>, wrap: (method: Callback) => Callback): T {
  const methods = new WeakMap<Callback, Callback>();
  const view: T = new Proxy(target, {
    get(_, key) {
      if (Object.hasOwn(overrides, key)) return overrides[key as string];
      const value = Reflect.get(target, key) as unknown;
      if (typeof value !== "function") return value;
      let method = methods.get(value as Callback);
      if (!method) {
        const wrapped = wrap(value as Callback);
        method = function (this: unknown, ...args: unknown[]) { return apply(wrapped, this === view ? target : this, args); };
        methods.set(value as Callback, method);
      }
      return method;
    },
    set: (_, key, value) => Reflect.set(target, key, value),
  });
  return view;
}

/** The console as cells see it: whatever the global console does, silent for a cancelled run. */
const cellConsole = cellView(native.console, {}, (method) => function (this: unknown, ...args: unknown[]) {
  return inCancelledRun() ? undefined : apply(method, this, args);
});
/** `process` as cells see it: its ticks belong to the run. */
const cellProcess = cellView(native.process, { nextTick: cellNextTick }, (method) => method);

const cellVersions: Record<(typeof SCOPED_GLOBALS)[number], unknown> = { ...cellTimers, console: cellConsole, process: cellProcess };

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

/** Makes the helpers transformed cells call reachable (a cell cannot replace them), and guards promise callbacks. */
export function installCellRuntime(): void {
  for (const [name, value] of [[ASYNC_RUNTIME, runAsync], [CELL_SCOPE, cellScope]] as const) {
    if (!Object.hasOwn(globalThis, name)) Object.defineProperty(globalThis, name, { value });
  }
  if (Promise.prototype.then === native.then) {
    Object.defineProperty(Promise.prototype, "then", { value: then, writable: true, configurable: true, enumerable: false });
  }
}
