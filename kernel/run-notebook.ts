/**
 * Runs a notebook top to bottom in a fresh kernel and records the outputs in its cells, the way
 * `jupyter nbconvert --execute` does. Stops at the first error or timeout; the cells after it
 * keep the outputs they had, as in Jupyter after a run-all stops.
 */
import { MIME } from "../display/contract";
import { normaliseBundle } from "./display";
import { KernelClient, type KernelClientOptions } from "./client";
import type { ExecutingKernel } from "./executing-kernel";
import type { CellLocation, WireMessage } from "./messages";
import type { CellOutput, DataOutput, Notebook, NotebookCell } from "./notebook-file";

export interface RunOptions extends Omit<KernelClientOptions, "cwd"> {
  /** The notebook's folder (the kernel's working directory). */
  folder: string;
  /** Per cell, as nbconvert's timeout. */
  timeoutSeconds?: number;
  /** Called as each output arrives and once per cell when it is done. */
  onCellStart?: (cellIndex: number, cell: NotebookCell) => void;
  onOutput?: (cellIndex: number, message: WireMessage) => void;
  onCellEnd?: (cellIndex: number, cell: NotebookCell) => void;
  /** Another kernel than a local process (a Jupyter server's, remote/remote-client.ts). */
  kernel?: () => ExecutingKernel;
}

export interface RunFailure {
  /** 0-based index among all the notebook's cells. */
  cellIndex: number;
  executionCount: number | null;
  kind: "error" | "timeout" | "kernel-died";
  message: string;
  location?: CellLocation;
}

export interface RunResult { notebook: Notebook; failure: RunFailure | null; seconds: number }

export async function runNotebook(source: Notebook, options: RunOptions): Promise<RunResult> {
  const started = performance.now();
  // Each cell's outputs are replaced when it runs; a cell that does not run keeps its own.
  const notebook: Notebook = { ...source, cells: source.cells.map((cell) => ({ ...cell })) };
  const client: ExecutingKernel = options.kernel?.() ?? new KernelClient({ ...options, cwd: options.folder });
  const stderr: string[] = [];
  client.on("stderr", (text: string) => stderr.push(text));
  let failure: RunFailure | null = null;
  let running = notebook.cells.findIndex((cell) => cell.cell_type === "code");
  try {
    await client.start();
    // A silent empty cell returns once the kernel has loaded its type checker, which belongs to
    // starting the kernel rather than to the first cell's time limit.
    await client.execute("", { silent: true });
    const displays = new DisplayTracker();
    for (const [cellIndex, cell] of notebook.cells.entries()) {
      if (cell.cell_type !== "code") continue;
      running = cellIndex;
      options.onCellStart?.(cellIndex, cell);
      failure = await runCell(client, cell, cellIndex, displays, options);
      options.onCellEnd?.(cellIndex, cell);
      if (failure) break;
    }
  } catch (error) {
    failure = { cellIndex: Math.max(running, 0), executionCount: null, kind: "kernel-died", message: `${(error as Error).message}${stderr.length ? `\n${stderr.join("").slice(-2000)}` : ""}` };
  } finally {
    if (client.alive) await client.shutdown();
  }
  return { notebook, failure, seconds: (performance.now() - started) / 1000 };
}

async function runCell(client: ExecutingKernel, cell: NotebookCell, cellIndex: number, displays: DisplayTracker, options: RunOptions): Promise<RunFailure | null> {
  const outputs: CellOutput[] = (cell.outputs = []);
  cell.execution_count = null;
  let clearPending = false;
  const onIopub = (message: WireMessage) => {
    options.onOutput?.(cellIndex, message);
    const type = message.header.msg_type;
    if (type === "clear_output") {
      if (message.content.wait) clearPending = true; else outputs.length = 0;
      return;
    }
    if (type === "update_display_data") {
      const updated = toOutput({ ...message, header: { ...message.header, msg_type: "display_data" } }) as DataOutput;
      displays.update(message.content.transient?.display_id, updated.data, updated.metadata);
      return;
    }
    const output = toOutput(message);
    if (!output) return;
    if (clearPending) {
      outputs.length = 0;
      clearPending = false;
    }
    appendOutput(outputs, output);
    if (output.output_type === "display_data" && message.content.transient?.display_id) displays.track(message.content.transient.display_id, output);
  };
  const timeoutMs = (options.timeoutSeconds ?? 0) * 1000;
  let timedOut = false;
  const timer = timeoutMs > 0 ? setTimeout(() => { timedOut = true; client.interrupt(); }, timeoutMs) : null;
  const killer = timeoutMs > 0 ? setTimeout(() => client.kill(), timeoutMs + 5000) : null;
  try {
    const reply = await client.execute(cell.source, { onIopub }).then((result) => result.reply, (error) => {
      if (timedOut) return null; // killed because the interrupt did not stop the cell
      throw error;
    });
    cell.execution_count = reply?.content.execution_count ?? null;
    if (timedOut || !reply) {
      outputs.push({ output_type: "error", ename: "TimeoutError", evalue: `the cell did not finish within ${options.timeoutSeconds} s`, traceback: [`TimeoutError: the cell did not finish within ${options.timeoutSeconds} s`] });
      return { cellIndex, executionCount: cell.execution_count ?? null, kind: "timeout", message: `timed out after ${options.timeoutSeconds} s` };
    }
    if (reply.content.status === "error") {
      return {
        cellIndex,
        executionCount: cell.execution_count ?? null,
        kind: "error",
        message: `${reply.content.ename}: ${reply.content.evalue}`,
        location: reply.content.agnb_location,
      };
    }
    return null;
  } finally {
    if (timer) clearTimeout(timer);
    if (killer) clearTimeout(killer);
  }
}

/** An iopub message as a saved output, in the shape nbformat requires whatever the kernel sent. */
function toOutput(message: WireMessage): CellOutput | null {
  const { content } = message;
  const text = (value: unknown) => typeof value === "string" ? value : value === undefined ? "" : String(value);
  const data = () => normaliseBundle(isRecord(content.data) ? content.data : {}, () => "");
  const metadata = () => isRecord(content.metadata) ? content.metadata : {};
  switch (message.header.msg_type) {
    case "stream":
      return { output_type: "stream", name: content.name === "stderr" ? "stderr" : "stdout", text: text(content.text) };
    case "display_data":
      return { output_type: "display_data", data: data(), metadata: metadata() };
    case "execute_result":
      return { output_type: "execute_result", execution_count: Number.isInteger(content.execution_count) ? content.execution_count : null, data: data(), metadata: metadata() };
    case "error":
      return { output_type: "error", ename: text(content.ename), evalue: text(content.evalue), traceback: Array.isArray(content.traceback) ? content.traceback.map(text) : [] };
    default:
      return null;
  }
}

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === "object" && value !== null && !Array.isArray(value);

/** Consecutive stream text of the same stream becomes one output, as Jupyter stores it. */
function appendOutput(outputs: CellOutput[], output: CellOutput): void {
  const last = outputs[outputs.length - 1];
  if (output.output_type === "stream" && last?.output_type === "stream" && last.name === output.name) {
    last.text += output.text;
    return;
  }
  outputs.push(output);
}

/** Outputs shown with a display id, so that later updates (even from other cells) replace them. */
class DisplayTracker {
  private readonly byId = new Map<string, DataOutput[]>();

  track(id: string, output: DataOutput): void {
    const list = this.byId.get(id) ?? [];
    list.push(output);
    this.byId.set(id, list);
  }

  update(id: string | undefined, data: Record<string, unknown>, metadata: Record<string, unknown> | undefined): void {
    for (const output of (id && this.byId.get(id)) || []) {
      output.data = data;
      output.metadata = metadata ?? {};
    }
  }
}

/** The text a terminal shows for an output. */
export function outputText(message: WireMessage): string | null {
  const { content } = message;
  switch (message.header.msg_type) {
    case "stream":
      return content.text;
    case "display_data":
    case "update_display_data":
    case "execute_result":
      return typeof content.data?.[MIME.text] === "string" ? `${content.data[MIME.text]}\n` : null;
    case "error":
      return `${Array.isArray(content.traceback) ? content.traceback.join("\n") : `${content.ename}: ${content.evalue}`}\n`;
    default:
      return null;
  }
}
