/**
 * The kernel's side of cell type checking: sends each cell to the checker thread and waits for
 * its verdict. Where TypeScript or the declarations are missing, cells run unchecked and the
 * first one says why.
 */
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { Worker, type MessagePort } from "node:worker_threads";
import type { CellDiagnostic, TypeCheckerSetup } from "./type-checker";
import type { TypeCheckRequest, TypeCheckResponse, TypeCheckWorkerData } from "./type-check-worker";
import { takeCheckerPort, type IntelligenceRequest, type IntelligenceResponse } from "./intelligence-channel";

/** A cell's type errors, and a note for the user when the cell could not be checked. */
export interface TypeCheckVerdict { diagnostics: CellDiagnostic[]; note?: string }

/** The worker bundle and the declarations sit next to the kernel bundle; from source, in dist/. */
const DIST = existsSync(join(__dirname, "types")) ? __dirname : join(__dirname, "..", "dist");

/** What the checker reads: the built declarations and the installed TypeScript and Node types. */
export function checkerSetup(folder: string): TypeCheckerSetup {
  const setup: TypeCheckerSetup = {
    folder,
    cellGlobals: join(DIST, "types", "cell-globals.d.ts"),
    typeRoot: dirname(dirname(require.resolve("@types/node/package.json"))),
  };
  for (const file of [setup.cellGlobals, join(DIST, "types", "engine", "index.d.ts")]) {
    if (!existsSync(file)) throw new Error(`${file} is missing (run npm run build)`);
  }
  require.resolve("typescript");
  return setup;
}

/** The checker thread started ahead of the kernel (startCheckerThread), until CellTypeCheck adopts it. */
let early: { folder: string; worker?: Worker; failure?: string } | undefined;

/**
 * Starts the checker thread before the rest of the kernel loads, so that TypeScript and the
 * libraries load meanwhile: the first completion after opening a notebook waits on them. The
 * CellTypeCheck made for the same folder, in the same synchronous run, takes the thread over.
 */
export function startCheckerThread(folder: string, enabled = process.env.AGNB_TYPECHECK !== "off"): void {
  if (early || !enabled) return;
  early = { folder };
  const editorPort = takeCheckerPort();
  try {
    early.worker = spawnChecker(folder, editorPort);
  } catch (error) {
    if (editorPort) answerWithoutTypes(editorPort);
    early.failure = (error as Error).message;
  }
}

function spawnChecker(folder: string, editorPort: MessagePort | undefined): Worker {
  const setup = checkerSetup(folder);
  const workerData: TypeCheckWorkerData = { setup, editorPort };
  const worker = new Worker(join(DIST, "type-check-worker.cjs"), { workerData, transferList: editorPort ? [editorPort] : [] });
  // The thread must not keep a finished `agnb run` alive.
  worker.unref();
  return worker;
}

export class CellTypeCheck {
  private worker: Worker | null = null;
  private readonly pending = new Map<number, (verdict: TypeCheckVerdict) => void>();
  private nextId = 1;
  private offReason: string | null = null;
  private offReported = false;

  constructor(folder: string, enabled = process.env.AGNB_TYPECHECK !== "off") {
    const started = early;
    early = undefined;
    if (started && started.folder === folder && enabled) {
      if (started.worker) this.worker = this.listen(started.worker);
      else this.turnOff(started.failure!);
      return;
    }
    // Started for another folder, or checking turned off since: its editor end went with it.
    void started?.worker?.terminate();
    const editorPort = takeCheckerPort();
    if (!enabled) {
      this.offReported = true;
      if (editorPort) answerWithoutTypes(editorPort);
      return;
    }
    try {
      this.worker = this.listen(spawnChecker(folder, editorPort));
    } catch (error) {
      if (editorPort) answerWithoutTypes(editorPort);
      this.turnOff((error as Error).message);
    }
  }

  /** The cell's type errors; resolves at once when checking is off. */
  check(source: string): Promise<TypeCheckVerdict> {
    if (!this.worker) return Promise.resolve(this.offVerdict());
    const id = this.nextId++;
    return new Promise((resolve) => {
      this.pending.set(id, resolve);
      this.worker!.postMessage({ kind: "check", id, source } satisfies TypeCheckRequest);
    });
  }

  /** The cell last checked runs: later cells see its declarations. */
  commit(): void {
    this.worker?.postMessage({ kind: "commit" } satisfies TypeCheckRequest);
  }

  /** Ends the checker thread; a process that keeps running without the kernel calls it. */
  close(): void {
    void this.worker?.terminate();
    this.worker = null;
  }

  private listen(worker: Worker): Worker {
    worker.on("message", (response: TypeCheckResponse) => {
      const resolve = this.pending.get(response.id);
      this.pending.delete(response.id);
      if ("failure" in response) {
        resolve?.({ diagnostics: [], note: `this cell was not type-checked: the checker failed with ${response.failure.split("\n")[0]}` });
      } else {
        resolve?.({ diagnostics: response.diagnostics });
      }
    });
    worker.on("error", (error) => this.turnOff(`the checker stopped: ${error.message}`));
    return worker;
  }

  private turnOff(reason: string): void {
    this.offReason = reason;
    void this.worker?.terminate();
    this.worker = null;
    for (const resolve of this.pending.values()) resolve(this.offVerdict());
    this.pending.clear();
  }

  /** Cells run unchecked; the first one says why. */
  private offVerdict(): TypeCheckVerdict {
    if (this.offReported) return { diagnostics: [] };
    this.offReported = true;
    return { diagnostics: [], note: `type checking is off: ${this.offReason}` };
  }
}

/** Without a checker, editor requests are answered from the live values alone. */
function answerWithoutTypes(port: MessagePort): void {
  port.on("message", (request: IntelligenceRequest) => port.postMessage({ id: request.id, content: null, runtime: true } satisfies IntelligenceResponse));
  port.unref();
}
