/**
 * Runs cells in this process's one JavaScript realm, against the engine the kernel was built
 * with. Declarations live on as globals; `display` and `tf` are predeclared. Each run of a cell
 * is a `CellRun` that an interrupt cancels for good (cell-runtime.ts).
 */
import { randomUUID } from "node:crypto";
import v8 from "node:v8";
import vm from "node:vm";
import { CellRun, currentRun, inCancelledRun, installCellRuntime, runs, setInterruptionHandler, withinRun } from "./cell-runtime";
import { guardCellListeners } from "./cell-listeners";
import { guardNodeCallbacks } from "./cell-node-callbacks";
import { MIME, type MimeBundle } from "../display/contract";
import { normaliseBundle, plainText, toMimeBundle } from "./display";
import { withStaticPictures } from "./static-pictures";
import {
  KeyboardInterrupt, cellFileName, type RunCell, errorContent, interruptContent, syntaxErrorContent, typeErrorContent,
} from "./errors";
import { guarded, isScriptInterruption, runScriptGuarded, startSignalKeepers, type SignalKeepers } from "./interrupt-guard";
import { FitProgressDisplay, type FitObservable } from "./fit-progress";
import type { ErrorContent } from "./messages";
import { IMPORT_HELPER, LOOP_CHECK, CellSyntaxError, compileCell, type CompiledCell } from "./transform";
import { throttledPoll } from "./loop-poll";
import { ModuleLoader } from "./module-loader";
import { CellTypeCheck } from "./type-check";

/** Where a cell's outputs go (the kernel turns these into iopub messages). */
export interface OutputSink {
  display(data: MimeBundle, displayId: string, update: boolean): void;
  clear(wait: boolean): void;
  /** A note from the kernel itself, shown as stderr of the cell. */
  note(text: string): void;
}

export type Outcome = { status: "ok"; value: MimeBundle | null } | { status: "error"; error: ErrorContent };

/** `id` names the output for later updates; `raw` means the value already is a MIME bundle. */
export interface DisplayOptions { id?: string; raw?: boolean }

function rawBundle(value: unknown): MimeBundle {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new TypeError(`display(value, { raw: true }) expects a MIME bundle such as { "text/plain": "..." }, got ${plainText(value)}`);
  }
  return normaliseBundle(value as Record<string, unknown>, () => `(${Object.keys(value).join(", ")})`, true);
}

export interface DisplayHandle {
  readonly id: string;
  update(value: unknown): void;
  display(value: unknown): void;
}

/** A cell's record for later tracebacks, compiled again (as it was: same text, same name) if one needs it. */
class KeptCell implements RunCell {
  private made?: CompiledCell;
  constructor(readonly source: string, readonly count: number) {}
  get compiled(): CompiledCell {
    return (this.made ??= compileCell(this.source, `In[${this.count}]`));
  }
}

export class Executor {
  /** The cells run so far that may still appear in tracebacks, by run number (silent runs share an execution count). */
  private readonly cells = new Map<number, RunCell>();
  private runCount = 0;
  private readonly loader: ModuleLoader;
  private readonly types: CellTypeCheck;
  private readonly fitProgress: FitProgressDisplay | null = null;
  private running: CellRun | null = null;
  private readonly keepers: SignalKeepers;
  /** SIGINTs caught before the running cell started were not meant for it. */
  private signalsBeforeCell = 0;
  /** Said in the next cell: background work (a timer of an earlier cell) that an interrupt stopped. */
  private stoppedInBackground: string[] = [];

  constructor(
    private readonly engine: Record<string, unknown>,
    folder: string,
    private readonly interruptFlag: Int32Array,
    private readonly sink: OutputSink,
    /** Without shared memory: whether an interrupt for the running cell has been posted (it is then taken). */
    pollInterrupt?: () => boolean,
  ) {
    // V8 keeps every compiled script in its compilation cache, about 1.5 kB for each cell run, and
    // cells are new text nearly every time: without the cache a long session's memory stays flat.
    v8.setFlagsFromString("--no-compilation-cache");
    this.loader = new ModuleLoader(folder, engine);
    this.types = new CellTypeCheck(folder);
    const globals = globalThis as Record<string, unknown>;
    globals.tf = engine;
    globals.display = (value: unknown, options?: DisplayOptions) => this.display(value, options);
    globals.clearOutput = (wait = false) => { if (!inCancelledRun()) this.sink.clear(wait); };
    globals.require = this.loader.require;
    globals[IMPORT_HELPER] = (specifier: unknown) => this.loader.import(specifier);
    installCellRuntime();
    guardCellListeners();
    guardNodeCallbacks();
    setInterruptionHandler((run) => this.stopped(run));
    const flag = this.interruptFlag;
    // Plain reads keep the per-iteration cost tiny; the rest happens only once one is set.
    const check = () => { if (flag[0] !== 0 || runs.anyCancelled) this.checkLoop(); };
    // Without shared memory nothing sets the flag while a cell spins: its loops poll for interrupts.
    const poll = pollInterrupt && throttledPoll(pollInterrupt);
    globals[LOOP_CHECK] = poll ? () => { if (poll()) flag[0] = 1; check(); } : check;
    this.keepers = startSignalKeepers(interruptFlag, (signal) => { if (signal > this.signalsBeforeCell) this.interrupt(); });
    const keras = engine.keras as { observeFit?: FitObservable } | undefined;
    if (typeof keras?.observeFit === "function") {
      this.fitProgress = new FitProgressDisplay(keras.observeFit, (value, id, update) => this.sink.display(value, id, update));
    }
  }

  /**
   * Stops the running cell for good: a spinning one through SIGINT (guarded calls) or its loops,
   * an awaiting one right here; nothing it started runs again.
   */
  interrupt(): void {
    Atomics.store(this.interruptFlag, 0, 0);
    if (!this.running) return;
    this.fitProgress?.stop();
    this.running.cancel();
  }

  /** Resolves once SIGINT is handled at full speed (see interrupt-guard.ts). */
  get ready(): Promise<void> {
    return this.keepers.ready;
  }

  private checkLoop(): void {
    if (Atomics.exchange(this.interruptFlag, 0, 0) === 1) {
      const run = currentRun();
      run?.cancel();
      this.stopped(run);
      throw new KeyboardInterrupt();
    }
    if (inCancelledRun()) throw new KeyboardInterrupt();
  }

  /** SIGINT or the flag stopped code of `run`: the running cell stops too, as the user asked. */
  private stopped(run: CellRun | undefined): void {
    if (run && run !== this.running) this.stoppedInBackground.push(`KeyboardInterrupt: stopped background work (a timer or callback) of In[${run.count}]\n`);
    this.interrupt();
  }

  display(value: unknown, options: DisplayOptions = {}): DisplayHandle {
    const id = options.id ?? randomUUID();
    const bundle = (shown: unknown) => options.raw ? withStaticPictures(rawBundle(shown)) : toMimeBundle(shown, this.engine);
    // An interrupted cell's leftovers show nothing.
    const show = (shown: unknown, update: boolean) => { if (!inCancelledRun()) this.sink.display(bundle(shown), id, update); };
    show(value, false);
    return { id, update: (next: unknown) => show(next, true), display: (next: unknown) => show(next, false) };
  }

  async execute(source: string, count: number): Promise<Outcome> {
    let compiled: CompiledCell;
    try {
      compiled = compileCell(source, `In[${count}]`);
    } catch (error) {
      if (error instanceof CellSyntaxError) return { status: "error", error: syntaxErrorContent(error, count) };
      throw error;
    }
    // An interrupt meant for an earlier cell must not stop this one.
    Atomics.store(this.interruptFlag, 0, 0);
    this.signalsBeforeCell = this.keepers.caught();
    for (const note of this.stoppedInBackground.splice(0)) this.sink.note(note);
    const run = new CellRun(count);
    this.running = run;
    let runNumber = 0;
    try {
      const verdict = await Promise.race([this.types.check(source), run.interrupted]);
      if (verdict.note) this.sink.note(`${verdict.note}\n`);
      if (verdict.diagnostics.length) return { status: "error", error: typeErrorContent(verdict.diagnostics, count) };
      this.types.commit();
      runNumber = ++this.runCount;
      this.cells.set(runNumber, { compiled, count, source });
      const script = new vm.Script(compiled.code, { filename: cellFileName(runNumber) });
      const completion = withinRun(run, () => runScriptGuarded(script)) as Promise<unknown>;
      const value = await Promise.race([completion, run.interrupted]);
      // A value's own display method is cell code too.
      const shown = compiled.displaysLastValue && value !== undefined ? withinRun(run, () => guarded(() => toMimeBundle(value, this.engine))) : null;
      return { status: "ok", value: shown };
    } catch (error) {
      if (error instanceof KeyboardInterrupt || isScriptInterruption(error) || run.cancelled) {
        this.interrupt();
        return { status: "error", error: interruptContent(count) };
      }
      return { status: "error", error: errorContent(error, count, this.cells) };
    } finally {
      this.running = null;
      // Only a function of this cell could put it in a later traceback: else its record can go,
      // and if not, only its source stays (a session of many cells keeps little more than its text).
      if (!compiled.definesFunctions) this.cells.delete(runNumber);
      else if (runNumber > 0) this.cells.set(runNumber, new KeptCell(source, count));
    }
  }
}
