/**
 * Lets SIGINT break any JavaScript a cell runs, at any time: the cell's first run, every resumption
 * of its async functions, every timer callback.
 *
 * Node stops a script on SIGINT only inside `vm` calls made with `breakOnSigint`: a watchdog
 * terminates the script and turns the termination into an ERR_SCRIPT_EXECUTION_INTERRUPTED error
 * at the vm boundary. `guarded(call)` runs `call` through one precompiled script with that option.
 *
 * Two things make that usable many times a second, and safe:
 * - Node's SIGINT watchdog thread is started by the outermost such call and stopped after it
 *   (about 20 µs each), and while it is stopped SIGINT's default action would end the process.
 *   Two "keeper" threads each sit inside a guarded wait for good, so the watchdog stays installed:
 *   guarded calls on the main thread only register with it (under a microsecond), and a SIGINT
 *   that arrives while no cell code runs is caught by a keeper, which reports it.
 * - With a `process.on("SIGINT")` listener, vm's public API removes and re-adds the listeners
 *   around every guarded call; removing the last one resets SIGINT to its default action, which
 *   then ends the process. Guarded calls therefore use the script's own run method (what
 *   `runInThisContext` calls underneath) when this Node has it, and the SIGINT listener this
 *   module adds is never removed (once the keepers run it is no longer called: they get SIGINT).
 *
 * Without SharedArrayBuffer no keeper can wait (Atomics.wait needs shared memory), and around a
 * guarded call without keepers SIGINT would end the process: while vm's public API takes the
 * listeners off (its default action) and after Node's watchdog stops (Node's exit handler). So
 * only a cell's first run is guarded there, through the public API, which puts the listener back
 * in charge afterwards; that risk is then a few microseconds a cell instead of most of the time
 * an `await` loop runs. `guarded` calls (the steps of async code, timers, callbacks) run
 * unguarded, and an interrupt reaches their loops through the loop check's poll instead
 * (executor.ts, loop-poll.ts).
 */
import vm from "node:vm";
import { Worker } from "node:worker_threads";
import { SHARED_MEMORY } from "./transport/shared-state";

const GUARD_ENTRY = "__agnb_guard_entry";
/** The file name of the guard script, as it appears in stack traces. */
export const GUARD_FILE = "agnb-guard";

let nextCall: (() => unknown) | undefined;
Object.defineProperty(globalThis, GUARD_ENTRY, {
  value: () => {
    const call = nextCall!;
    nextCall = undefined;
    return call();
  },
});
const guardScript = new vm.Script(`${GUARD_ENTRY}()`, { filename: GUARD_FILE });

type RunScript = (script: vm.Script) => unknown;
/** ContextifyScript's run (context, timeout, displayErrors, breakOnSigint, breakOnFirstLine), if it answers as expected. */
function directRun(): RunScript | null {
  const run = (Object.getPrototypeOf(vm.Script.prototype) as { runInContext?: (...args: unknown[]) => unknown })?.runInContext;
  if (typeof run !== "function") return null;
  try {
    if (run.call(new vm.Script("6 * 7"), null, -1, false, true, false) !== 42) return null;
  } catch {
    return null;
  }
  return (script) => run.call(script, null, -1, false, true, false);
}
const PUBLIC_OPTIONS = { breakOnSigint: true, displayErrors: false } as const;
/** Runs a script in this realm so that SIGINT stops it with an ERR_SCRIPT_EXECUTION_INTERRUPTED error. */
export const runScriptGuarded: RunScript = (SHARED_MEMORY ? directRun() : null) ?? ((script) => script.runInThisContext(PUBLIC_OPTIONS));

/** Runs `call` so that SIGINT stops it with an ERR_SCRIPT_EXECUTION_INTERRUPTED error (with shared memory). */
export function guarded<T>(call: () => T): T {
  if (!SHARED_MEMORY) return call();
  nextCall = call;
  return runScriptGuarded(guardScript) as T;
}

/** vm's breakOnSigint reports an interrupted script with this code. */
export function isScriptInterruption(error: unknown): boolean {
  return (error as { code?: string } | null)?.code === "ERR_SCRIPT_EXECUTION_INTERRUPTED";
}

const KEEPER_SOURCE = `
const vm = require("node:vm");
const { parentPort, workerData } = require("node:worker_threads");
globalThis.signals = new Int32Array(workerData.signals);
globalThis.flag = new Int32Array(workerData.flag);
// Index 1 never changes: the wait lasts until a SIGINT (or the process's exit) ends it.
const hold = new vm.Script("Atomics.wait(signals, 1, 0)");
parentPort.postMessage("ready");
for (;;) {
  try {
    hold.runInThisContext({ breakOnSigint: true });
  } catch (error) {
    if (!error || error.code !== "ERR_SCRIPT_EXECUTION_INTERRUPTED") throw error;
    // The flag reaches loops even while the main thread is too busy to read messages.
    Atomics.store(flag, 0, 1);
    parentPort.postMessage(Atomics.add(signals, 0, 1) + 1);
  }
}
`;

export interface SignalKeepers {
  /** How many SIGINTs the keepers have caught so far. */
  readonly caught: () => number;
  /** Resolves once both keepers hold the watchdog. */
  readonly ready: Promise<void>;
}

/**
 * Starts the keepers. `onSignal(n)` is called on the main thread for the n-th SIGINT that arrived
 * while no guarded call ran; `flag[0]` is set to 1 at once, for loops that spin where the main
 * thread cannot read messages. Until the keepers hold the watchdog, a SIGINT listener stands in;
 * without shared memory it stays in charge, and no keeper starts.
 */
export function startSignalKeepers(flag: Int32Array, onSignal: (n: number) => void): SignalKeepers {
  const signals = new Int32Array(SHARED_MEMORY ? new SharedArrayBuffer(8) : new ArrayBuffer(8));
  process.on("SIGINT", () => {
    Atomics.store(flag, 0, 1);
    onSignal(Atomics.add(signals, 0, 1) + 1);
  });
  if (!SHARED_MEMORY) return { caught: () => Atomics.load(signals, 0), ready: Promise.resolve() };
  const started = [0, 1].map(() => new Promise<void>((resolve, reject) => {
    const keeper = new Worker(KEEPER_SOURCE, { eval: true, workerData: { signals: signals.buffer, flag: flag.buffer } });
    keeper.on("message", (message: "ready" | number) => {
      if (message === "ready") {
        // A keeper never keeps the process alive.
        keeper.unref();
        resolve();
      } else {
        onSignal(message);
      }
    });
    keeper.on("error", reject);
  }));
  // Should a keeper fail to start, the listener goes on: interrupts still work, only more slowly.
  const ready = Promise.all(started).then(() => undefined, () => undefined);
  return { caught: () => Atomics.load(signals, 0), ready };
}
