/**
 * Reading and writing `.agnb` notebooks: nbformat 4.5 JSON.
 *
 * In memory, multi-line texts (cell sources, stream text, text/* output data) are plain strings;
 * on disk they are arrays of lines, as Jupyter writes them, so that diffs stay line by line.
 * Everything else — unknown metadata, unknown keys, key order — passes through untouched.
 */
import { randomBytes } from "node:crypto";
import { open, readFile, rename, stat, unlink } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import {
  MAX_DEPTH, MAX_FILE_BYTES, checkAttachments, checkCellMetadata, checkMimeBundle, checkNotebookMetadata, escapeControl, isRecord, jsonDepth, shown,
  validCount, type Fail,
} from "./notebook-checks";

export const KERNEL_NAME = "agnb-typescript";

export type CellType = "code" | "markdown" | "raw";

export interface StreamOutput { output_type: "stream"; name: "stdout" | "stderr"; text: string; [key: string]: unknown }
export interface DataOutput {
  output_type: "display_data" | "execute_result";
  data: Record<string, unknown>;
  metadata: Record<string, unknown>;
  execution_count?: number | null;
  [key: string]: unknown;
}
export interface ErrorOutput { output_type: "error"; ename: string; evalue: string; traceback: string[]; [key: string]: unknown }
export type CellOutput = StreamOutput | DataOutput | ErrorOutput;

export interface NotebookCell {
  cell_type: CellType;
  id: string;
  metadata: Record<string, unknown>;
  source: string;
  /** Code cells only. */
  outputs?: CellOutput[];
  /** Code cells only. */
  execution_count?: number | null;
  [key: string]: unknown;
}

export interface Notebook {
  cells: NotebookCell[];
  metadata: Record<string, unknown>;
  nbformat: 4;
  nbformat_minor: number;
  [key: string]: unknown;
}

/** A notebook that cannot be read: names the file and what is wrong with it (control characters escaped). */
export class NotebookFormatError extends Error {
  constructor(readonly file: string, readonly problem: string) {
    super(escapeControl(`${file}: ${problem}`.replace(/\s*\n\s*/g, " ")));
    this.name = "NotebookFormatError";
  }
}

const CELL_ID = /^[a-zA-Z0-9-_]{1,64}$/;
const OUTPUT_TYPES = new Set(["stream", "display_data", "execute_result", "error"]);

export function newCellId(): string {
  return randomBytes(6).toString("hex");
}

export function defaultMetadata(): Record<string, unknown> {
  return {
    kernelspec: { name: KERNEL_NAME, display_name: "TypeScript (Autograd)", language: "typescript" },
    language_info: { name: "typescript", file_extension: ".ts", mimetype: "text/typescript" },
  };
}

export function newNotebook(cells: Array<Pick<NotebookCell, "cell_type" | "source">> = []): Notebook {
  return {
    cells: cells.map((c) => makeCell(c.cell_type, c.source)),
    metadata: defaultMetadata(),
    nbformat: 4,
    nbformat_minor: 5,
  };
}

export function makeCell(cellType: CellType, source: string): NotebookCell {
  const cell: NotebookCell = { cell_type: cellType, id: newCellId(), metadata: {}, source };
  if (cellType === "code") {
    cell.execution_count = null;
    cell.outputs = [];
  }
  return cell;
}

/** Parses notebook text (or bytes). `file` names the notebook in error messages. */
export function parseNotebook(input: string | Uint8Array, file = "<notebook>"): Notebook {
  const text = typeof input === "string" ? input : new TextDecoder("utf-8", { fatal: false }).decode(input);
  const fail = (problem: string): never => { throw new NotebookFormatError(file, problem); };
  if (text.trim() === "") fail("the file is empty (expected nbformat 4 JSON)");
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    fail(`not valid JSON: ${describeJsonError(text, error as Error)}`);
  }
  if (!isRecord(raw)) return fail("expected a JSON object at the top level");
  if (jsonDepth(raw) > MAX_DEPTH) fail(`nested more than ${MAX_DEPTH} levels deep; no notebook is, so this file is not read`);
  if (raw.nbformat !== 4) {
    fail(`unsupported nbformat ${JSON.stringify(raw.nbformat)} (only nbformat 4 notebooks can be read)`);
  }
  if (!Array.isArray(raw.cells)) fail('missing "cells" array');
  if (raw.metadata !== undefined && !isRecord(raw.metadata)) fail('"metadata" must be an object');
  if (isRecord(raw.metadata)) checkNotebookMetadata(raw.metadata, fail);

  const seenIds = new Set<string>();
  const cells = (raw.cells as unknown[]).map((cell, index) => parseCell(cell, `cells[${index}]`, seenIds, fail));
  const minor = validCount(raw.nbformat_minor) ?? 0;
  return {
    ...raw,
    cells,
    metadata: (raw.metadata as Record<string, unknown> | undefined) ?? defaultMetadata(),
    nbformat: 4,
    // Cell ids (required from 4.5 on) are filled in above, so the notebook is 4.5 from now on.
    nbformat_minor: Math.max(minor, 5),
  };
}

function parseCell(value: unknown, where: string, seenIds: Set<string>, fail: Fail): NotebookCell {
  if (!isRecord(value)) fail(`${where} must be an object`);
  const cell = value as Record<string, unknown>;
  const type = cell.cell_type;
  if (type !== "code" && type !== "markdown" && type !== "raw") {
    fail(`${where}.cell_type must be "code", "markdown" or "raw", not ${shown(type)}`);
  }
  let id = cell.id;
  if (id === undefined) {
    id = newCellId();
  } else if (typeof id !== "string" || !CELL_ID.test(id)) {
    fail(`${where}.id ${shown(id)} is not a valid cell id (1-64 letters, digits, "-" or "_")`);
  }
  while (seenIds.has(id as string)) {
    id = newCellId();
  }
  seenIds.add(id as string);
  if (cell.metadata !== undefined && !isRecord(cell.metadata)) fail(`${where}.metadata must be an object`);
  if (isRecord(cell.metadata)) checkCellMetadata(cell.metadata, `${where}.metadata`, fail);
  if (type !== "code") checkAttachments(cell.attachments, `${where}.attachments`, fail);
  const parsed: NotebookCell = {
    ...cell,
    cell_type: type as CellType,
    id: id as string,
    metadata: (cell.metadata as Record<string, unknown>) ?? {},
    source: joinText(cell.source, `${where}.source`, fail),
  };
  if (type === "code") {
    if (cell.outputs !== undefined && !Array.isArray(cell.outputs)) fail(`${where}.outputs must be an array`);
    parsed.outputs = ((cell.outputs as unknown[]) ?? []).map((o, i) => parseOutput(o, `${where}.outputs[${i}]`, fail));
    parsed.execution_count = validCount(cell.execution_count);
  }
  return parsed;
}

function parseOutput(value: unknown, where: string, fail: Fail): CellOutput {
  if (!isRecord(value)) fail(`${where} must be an object`);
  const output = value as Record<string, unknown>;
  const type = output.output_type as string;
  if (!OUTPUT_TYPES.has(type)) {
    fail(`${where}.output_type must be one of ${[...OUTPUT_TYPES].join(", ")}, not ${shown(type)}`);
  }
  if (type === "stream") {
    if (typeof output.name !== "string") fail(`${where}.name must be the stream's name ("stdout" or "stderr"), not ${shown(output.name)}`);
    return { ...output, text: joinText(output.text, `${where}.text`, fail) } as StreamOutput;
  }
  if (type === "error") {
    for (const key of ["ename", "evalue"]) {
      if (output[key] !== undefined && typeof output[key] !== "string") fail(`${where}.${key} must be a string, not ${shown(output[key])}`);
    }
    const traceback = output.traceback ?? [];
    if (!Array.isArray(traceback) || !traceback.every((line) => typeof line === "string")) fail(`${where}.traceback must be a list of strings, not ${shown(traceback)}`);
    // An error saved without its message or traceback is still shown, with what it has.
    return { ...output, ename: output.ename ?? "Error", evalue: output.evalue ?? "", traceback } as ErrorOutput;
  }
  checkMimeBundle(output.data, `${where}.data`, fail);
  if (output.metadata !== undefined && !isRecord(output.metadata)) fail(`${where}.metadata must be an object, not ${shown(output.metadata)}`);
  const data: Record<string, unknown> = {};
  for (const [mime, payload] of Object.entries(output.data as Record<string, unknown>)) {
    data[mime] = isLineSplitMime(mime) && Array.isArray(payload) ? joinText(payload, `${where}.data["${mime}"]`, fail) : payload;
  }
  const parsed = { ...output, data, metadata: isRecord(output.metadata) ? output.metadata : {} } as DataOutput;
  if (type === "execute_result") parsed.execution_count = validCount(output.execution_count);
  return parsed;
}

/** The on-disk text: one-space indent, multi-line texts as line arrays, trailing newline. */
export function serializeNotebook(notebook: Notebook): string {
  const onDisk = { ...notebook, cells: notebook.cells.map(cellForDisk) };
  return JSON.stringify(onDisk, null, 1) + "\n";
}

function cellForDisk(cell: NotebookCell): Record<string, unknown> {
  const out: Record<string, unknown> = { ...cell, source: splitLines(cell.source) };
  if (cell.cell_type === "code") {
    out.outputs = (cell.outputs ?? []).map(outputForDisk);
    out.execution_count = cell.execution_count ?? null;
  }
  return out;
}

function outputForDisk(output: CellOutput): Record<string, unknown> {
  if (output.output_type === "stream") return { ...output, text: splitLines(output.text) };
  if (output.output_type === "error") return { ...output };
  const data: Record<string, unknown> = {};
  for (const [mime, payload] of Object.entries(output.data)) {
    data[mime] = isLineSplitMime(mime) && typeof payload === "string" ? splitLines(payload) : payload;
  }
  return { ...output, data };
}

export async function readNotebookFile(path: string): Promise<Notebook> {
  let bytes: Buffer;
  try {
    const info = await stat(path);
    if (info.isDirectory()) throw new NotebookFormatError(path, "is a folder, not a notebook file");
    if (!info.isFile()) throw new NotebookFormatError(path, "is not a regular file (a device, pipe or socket), so it is not read as a notebook");
    if (info.size > MAX_FILE_BYTES) throw new NotebookFormatError(path, `is ${(info.size / 1e6).toFixed(0)} MB; notebooks larger than ${MAX_FILE_BYTES / 1024 / 1024} MB are not read`);
    bytes = await readFile(path);
  } catch (error) {
    if (error instanceof NotebookFormatError) throw error;
    throw new NotebookFormatError(path, `cannot be read: ${describeFileError(error as NodeJS.ErrnoException)}`);
  }
  return parseNotebook(bytes, path);
}

function describeFileError(error: NodeJS.ErrnoException): string {
  switch (error.code) {
    case "ENOENT": return "it does not exist";
    case "EACCES": case "EPERM": return "permission denied";
    case "ELOOP": return "it is a loop of symbolic links";
    case "ENOTDIR": return "a part of its path is not a folder";
    default: return error.message;
  }
}

/**
 * Writes atomically: the text goes to a temporary file beside the target, which is flushed and
 * then renamed over it, so a failure leaves the previous file whole.
 */
export async function writeNotebookFile(path: string, notebook: Notebook): Promise<void> {
  await writeFileAtomically(path, serializeNotebook(notebook));
}

export async function writeFileAtomically(path: string, text: string): Promise<void> {
  const temporary = join(dirname(path), `.${basename(path)}.${process.pid}.${newCellId()}.tmp`);
  try {
    const handle = await open(temporary, "wx");
    try {
      await handle.writeFile(text, "utf8");
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temporary, path);
  } catch (error) {
    await unlink(temporary).catch(() => undefined);
    throw error;
  }
}

/** Jupyter stores text/*, and other non-JSON text payloads, as line arrays. */
function isLineSplitMime(mime: string): boolean {
  return !mime.endsWith("json") && (mime.startsWith("text/") || mime === "image/svg+xml" || mime.startsWith("application/javascript"));
}

function joinText(value: unknown, where: string, fail: Fail): string {
  if (value === undefined) return "";
  if (typeof value === "string") return value;
  if (Array.isArray(value) && value.every((line) => typeof line === "string")) return value.join("");
  return fail(`${where} must be a string or an array of strings`);
}

function splitLines(text: string): string[] {
  return text === "" ? [] : text.match(/[^\n]*\n|[^\n]+$/g)!;
}

function describeJsonError(text: string, error: Error): string {
  const position = /position (\d+)/.exec(error.message);
  const truncated = /end of JSON input/.test(error.message);
  if (!position && !truncated) return error.message;
  const offset = position ? Number(position[1]) : text.length;
  const before = text.slice(0, offset).split("\n");
  const reason = error.message.replace(/ in JSON at position \d+.*$/s, "");
  return `${reason} at line ${before.length}, column ${before[before.length - 1].length + 1}`;
}
