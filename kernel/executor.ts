/**
 * Runs cells in this process's one JavaScript realm, against the engine the kernel was built
 * with. Declarations live on as globals; `display` and `tf` are predeclared.
 */
import { randomUUID } from "node:crypto";
import vm from "node:vm";
import { MIME, type MimeBundle } from "../engine/mime";
import { plainText, toMimeBundle } from "./display";
import {
  KeyboardInterrupt, cellFileName, type RunCell, errorContent, interruptContent, isScriptInterruption, syntaxErrorContent, typeErrorContent,
} from "./errors";
import { FitProgressDisplay, type FitObservable } from "./fit-progress";
import type { ErrorContent } from "./messages";
import { IMPORT_HELPER, LOOP_CHECK, CellSyntaxError, compileCell, type CompiledCell } from "./transform";
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
  const bundle = value as MimeBundle;
  return MIME.text in bundle ? bundle : { ...bundle, [MIME.text]: `(${Object.keys(bundle).join(", ")})` };
}

export interface DisplayHandle {
  readonly id: string;
  update(value: unknown): void;
  display(value: unknown): void;
}

export class Executor {
  /** Every cell run so far, by run number (silent runs share an execution count). */
  private readonly cells = new Map<number, RunCell>();
  private readonly loader: ModuleLoader;
  private readonly types: CellTypeCheck;
  private readonly fitProgress: FitProgressDisplay | null = null;
  private running: { interrupt: () => void } | null = null;

  constructor(
    private readonly engine: Record<string, unknown>,
    folder: string,
    private readonly interruptFlag: Int32Array,
    private readonly sink: OutputSink,
  ) {
    this.loader = new ModuleLoader(folder, engine);
    this.types = new CellTypeCheck(folder);
    const globals = globalThis as Record<string, unknown>;
    globals.tf = engine;
    globals.display = (value: unknown, options?: DisplayOptions) => this.display(value, options);
    globals.clearOutput = (wait = false) => this.sink.clear(wait);
    globals.require = this.loader.require;
    globals[IMPORT_HELPER] = (specifier: unknown) => this.loader.import(specifier);
    globals[LOOP_CHECK] = () => {
      // A plain read keeps the per-iteration cost tiny; the exchange happens only once set.
      if (this.interruptFlag[0] !== 0 && this.running && Atomics.exchange(this.interruptFlag, 0, 0) === 1) throw new KeyboardInterrupt();
    };
    const keras = engine.keras as { observeFit?: FitObservable } | undefined;
    if (typeof keras?.observeFit === "function") {
      this.fitProgress = new FitProgressDisplay(keras.observeFit, (value, id, update) => this.sink.display(value, id, update));
    }
  }

  /** Stops the running cell: a spinning one through SIGINT (vm), an awaiting one right here. */
  interrupt(): void {
    Atomics.store(this.interruptFlag, 0, 0);
    if (!this.running) return;
    this.fitProgress?.stop();
    this.running.interrupt();
  }

  display(value: unknown, options: DisplayOptions = {}): DisplayHandle {
    const id = options.id ?? randomUUID();
    const bundle = (shown: unknown) => options.raw ? rawBundle(shown) : toMimeBundle(shown, this.engine);
    this.sink.display(bundle(value), id, false);
    return {
      id,
      update: (next: unknown) => this.sink.display(bundle(next), id, true),
      display: (next: unknown) => this.sink.display(bundle(next), id, false),
    };
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
    let stop: (reason: unknown) => void = () => undefined;
    const interrupted = new Promise<never>((_, reject) => { stop = reject; });
    this.running = { interrupt: () => stop(new KeyboardInterrupt()) };
    try {
      const verdict = await Promise.race([this.types.check(source), interrupted]);
      if (verdict.note) this.sink.note(`${verdict.note}\n`);
      if (verdict.diagnostics.length) return { status: "error", error: typeErrorContent(verdict.diagnostics, count) };
      this.types.commit();
      const run = this.cells.size + 1;
      this.cells.set(run, { compiled, count, source });
      const completion = vm.runInThisContext(compiled.code, { filename: cellFileName(run), breakOnSigint: true }) as Promise<unknown>;
      const value = await Promise.race([completion, interrupted]);
      const shown = compiled.displaysLastValue && value !== undefined ? toMimeBundle(value, this.engine) : null;
      return { status: "ok", value: shown };
    } catch (error) {
      if (error instanceof KeyboardInterrupt || isScriptInterruption(error)) return { status: "error", error: interruptContent(count) };
      return { status: "error", error: errorContent(error, count, this.cells) };
    } finally {
      this.running = null;
    }
  }
}
