// Converts between the `.agnb` notebook (kernel/notebook-file.ts, nbformat 4.5) and the shape of
// VS Code's NotebookData. Plain objects on this side keep the conversion testable outside VS
// Code; serializer.ts wraps them in VS Code's classes. Everything VS Code has no place for (cell
// ids, unknown keys, output metadata) rides along in metadata, so a save writes it back as read.
import type { CellOutput, Notebook, NotebookCell } from "../kernel/notebook-file";
import { makeCell, newNotebook } from "../kernel/notebook-file";
import { MIME } from "../display/contract";

export const STDOUT_MIME = "application/vnd.code.notebook.stdout";
export const STDERR_MIME = "application/vnd.code.notebook.stderr";
export const ERROR_MIME = "application/vnd.code.notebook.error";
/**
 * The language of our code cells in the editor: TypeScript coloured by VS Code's own grammar,
 * under an id of its own, so that VS Code's TypeScript service (which sees each cell alone and
 * calls earlier cells' names `any`) leaves them to the kernel's. Files say "typescript" as
 * before: .agnb cells take their language from the notebook, and cells that say "typescript"
 * (as .ipynb cells do) are ours too.
 */
export const CELL_LANGUAGE = "agnb-typescript";
export const CELL_LANGUAGES: readonly string[] = [CELL_LANGUAGE, "typescript"];

export function isCellLanguage(languageId: string): boolean {
  return CELL_LANGUAGES.includes(languageId);
}

export interface PlainOutputItem { mime: string; data: Uint8Array }
export interface PlainOutput { items: PlainOutputItem[]; metadata: OutputMetadata }
export interface PlainCell {
  kind: "code" | "markup";
  value: string;
  languageId: string;
  outputs: PlainOutput[];
  metadata: CellMetadata;
  executionOrder?: number;
}
export interface PlainNotebook { cells: PlainCell[]; metadata: Record<string, unknown> }

/** What an output keeps besides its items, to be written back unchanged. */
export interface OutputMetadata {
  outputType: CellOutput["output_type"];
  /** The nbformat output's own keys other than its data (metadata, execution_count, ...). */
  fields?: Record<string, unknown>;
  /** The MIME types of the output's data in file order (items are ordered for display). */
  dataOrder?: string[];
  /** For display_data: the display id that update_display_data targets. */
  displayId?: string;
}

/** What a cell keeps besides its source and outputs. */
export interface CellMetadata {
  /** The nbformat cell id. */
  id?: string;
  cellType?: NotebookCell["cell_type"];
  /** The cell's nbformat metadata and any other keys it had. */
  fields?: Record<string, unknown>;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

export function toPlainNotebook(notebook: Notebook): PlainNotebook {
  // The notebook minus its cells, keys in file order, is the template it is written back from.
  return { cells: notebook.cells.map(toPlainCell), metadata: { ...notebook, cells: null } };
}

function toPlainCell(cell: NotebookCell): PlainCell {
  // The whole cell minus its source and outputs, keys in file order, is the template it is
  // written back from.
  const metadata: CellMetadata = { id: cell.id, cellType: cell.cell_type, fields: { ...cell, source: null, outputs: cell.outputs ? null : undefined } };
  if (cell.cell_type === "markdown") return { kind: "markup", value: cell.source, languageId: "markdown", outputs: [], metadata };
  return {
    kind: "code", value: cell.source, languageId: cell.cell_type === "raw" ? "raw" : CELL_LANGUAGE,
    outputs: (cell.outputs ?? []).map(toPlainOutput), metadata,
    ...(typeof cell.execution_count === "number" ? { executionOrder: cell.execution_count } : {}),
  };
}

/**
 * An nbformat output (or the matching iopub message content) as VS Code output items. The output
 * minus its bulky part is kept as the template it is written back from, in its key order.
 */
export function toPlainOutput(output: CellOutput): PlainOutput {
  if (output.output_type === "stream") {
    return { items: [{ mime: output.name === "stderr" ? STDERR_MIME : STDOUT_MIME, data: encoder.encode(String(output.text ?? "")) }], metadata: { outputType: "stream", fields: { ...output, text: null } } };
  }
  if (output.output_type === "error") {
    // Saved or sent without a traceback (or with odd types), an error still opens.
    const traceback = Array.isArray(output.traceback) ? output.traceback.map(String) : [];
    const error = { name: String(output.ename ?? "Error"), message: String(output.evalue ?? ""), stack: traceback.join("\n") };
    return { items: [{ mime: ERROR_MIME, data: encoder.encode(JSON.stringify(error)) }], metadata: { outputType: "error", fields: { ...output } } };
  }
  const { transient, ...kept } = output as CellOutput & { transient?: { display_id?: string } };
  const displayId = transient?.display_id;
  const dataOrder = Object.keys(output.data ?? {});
  const items = [...dataOrder].sort((a, b) => rank(a) - rank(b)).map((mime) => ({ mime, data: encodeData(mime, output.data[mime]) }));
  return { items, metadata: { outputType: output.output_type, fields: { ...kept, data: null }, dataOrder, ...(displayId ? { displayId } : {}) } };
}

// VS Code shows the first item it has a renderer for, among types it has no preference about.
// A Hessian is also a tensor; the most specific drawing goes first.
const RENDER_PREFERENCE: string[] = [MIME.jacobian, MIME.tape, MIME.plotly, MIME.tensor];
function rank(mime: string): number {
  const index = RENDER_PREFERENCE.indexOf(mime);
  return index === -1 ? RENDER_PREFERENCE.length : index;
}

function encodeData(mime: string, payload: unknown): Uint8Array {
  return encoder.encode(typeof payload === "string" && !isJsonMime(mime) ? payload : JSON.stringify(payload));
}

function isJsonMime(mime: string): boolean {
  return mime === "application/json" || mime.endsWith("+json");
}

export function fromPlainNotebook(plain: PlainNotebook): Notebook {
  const template = (plain.metadata?.nbformat === 4 ? plain.metadata : newNotebook()) as Notebook;
  return { ...template, cells: plain.cells.map(fromPlainCell) };
}

function fromPlainCell(plain: PlainCell): NotebookCell {
  const cellType: NotebookCell["cell_type"] = plain.kind === "markup" ? "markdown" : plain.languageId === "raw" ? "raw" : "code";
  // A cell made in the editor has no template yet; a cell whose type changed gets a fresh one.
  const known = plain.metadata?.fields && plain.metadata.cellType === cellType ? plain.metadata.fields : undefined;
  const template = (known ?? { ...makeCell(cellType, ""), ...(plain.metadata?.id ? { id: plain.metadata.id } : {}) }) as NotebookCell;
  const cell: NotebookCell = { ...template, cell_type: cellType, source: plain.value };
  if (cellType === "code") {
    cell.outputs = plain.outputs.map(fromPlainOutput);
    cell.execution_count = plain.executionOrder ?? null;
  } else {
    delete cell.outputs;
    delete cell.execution_count;
  }
  return cell;
}

export function fromPlainOutput(plain: PlainOutput): CellOutput {
  const meta = plain.metadata ?? { outputType: "display_data" };
  const fields = meta.fields ?? {};
  const text = (mime: string) => plain.items.filter((i) => i.mime === mime).map((i) => decoder.decode(i.data)).join("");
  const streamItem = plain.items.find((i) => i.mime === STDOUT_MIME || i.mime === STDERR_MIME);
  if (streamItem) {
    const name = streamItem.mime === STDERR_MIME ? "stderr" : "stdout";
    const template = meta.fields && meta.outputType === "stream" ? meta.fields : { output_type: "stream", name };
    return { ...template, name, text: text(streamItem.mime) } as CellOutput;
  }
  const errorItem = plain.items.find((i) => i.mime === ERROR_MIME);
  if (errorItem) {
    if (meta.outputType === "error" && "ename" in fields) return { ...fields } as CellOutput;
    const error = parseJson(decoder.decode(errorItem.data)) as { name?: string; message?: string; stack?: string } | null;
    if (!error || typeof error !== "object") return { output_type: "error", ename: "Error", evalue: decoder.decode(errorItem.data), traceback: [] };
    return { output_type: "error", ename: error.name ?? "Error", evalue: error.message ?? "", traceback: (error.stack ?? "").split("\n") };
  }
  // The file keeps the key order it was read with, whatever order the editor shows items in.
  const data: Record<string, unknown> = Object.fromEntries((meta.dataOrder ?? []).map((mime) => [mime, undefined]));
  for (const item of plain.items) {
    const raw = decoder.decode(item.data);
    data[item.mime] = isJsonMime(item.mime) ? parseJson(raw) ?? raw : raw;
  }
  const outputType = meta.outputType === "execute_result" ? "execute_result" : "display_data";
  const template = meta.fields && meta.outputType === outputType ? meta.fields
    : outputType === "execute_result" ? { output_type: outputType, data, metadata: {}, execution_count: null } : { output_type: outputType, data, metadata: {} };
  return { ...template, data } as CellOutput;
}

/** An item's JSON, or null when it is not JSON (kept as text rather than failing the save). */
function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}
