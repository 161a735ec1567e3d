/**
 * Turns what a cell threw into Jupyter error content, with stack frames that point into the
 * cells' TypeScript rather than the generated JavaScript.
 */
import { inspect } from "node:util";
import type { CellLocation, ErrorContent } from "./messages";
import { CellSyntaxError, GENERATOR_SUFFIX, type CompiledCell } from "./transform";
import { GUARD_FILE } from "./interrupt-guard";
import type { CellDiagnostic } from "./type-checker";

/** The file name under which the n-th cell run runs, as it appears in stack traces. */
export const cellFileName = (run: number) => `agnb-cell-${run}`;

/** A cell that ran: its compiled form and its execution count (the "In[n]" users see). */
export interface RunCell { compiled: CompiledCell; count: number; source: string }
const CELL_FRAME = /agnb-cell-(\d+):(\d+):(\d+)/;
/** Frames of the kernel, of Node, and of the steps that drive a cell's async functions. */
const KERNEL_FRAME = new RegExp(String.raw`\(node:|at node:|kernel\.cjs|\/kernel\/[\w-]+\.ts|node_modules\/tsx|${GUARD_FILE}:|\.(?:next|throw) \(<anonymous>\)`);

export class KeyboardInterrupt extends Error {
  constructor(message = "the cell was interrupted; variables defined so far are kept") {
    super(message);
    this.name = "KeyboardInterrupt";
  }
}

/** What a cell that asks for input gets when it cannot be answered (as ipykernel's). */
export class StdinNotImplementedError extends Error {
  constructor(message = "this frontend does not support input requests") {
    super(message);
    this.name = "StdinNotImplementedError";
  }
}

export const cellLabel = (count: number) => `Cell In[${count}]`;

/** The line of the cell's source an error points at, with a caret under the column. */
function pointerLines(lineText: string | undefined, column: number): string[] {
  return lineText?.trim() ? [`    ${lineText}`, `    ${" ".repeat(Math.max(0, column - 1))}^`] : [];
}

export function syntaxErrorContent(error: CellSyntaxError, count: number): ErrorContent {
  const pointer = pointerLines(error.lineText, error.column);
  return {
    ename: "SyntaxError",
    evalue: error.message,
    traceback: [`${cellLabel(count)}, line ${error.line}, column ${error.column}`, ...pointer, `SyntaxError: ${error.message}`],
    agnb_location: { cell: count, line: error.line, column: error.column },
  };
}

/** A cell TypeScript refuses: every error with its line, column and TS number; the cell did not run. */
export function typeErrorContent(diagnostics: CellDiagnostic[], count: number): ErrorContent {
  const [first] = diagnostics;
  const more = diagnostics.length > 1 ? ` (and ${diagnostics.length - 1} more)` : "";
  return {
    ename: "TypeScriptError",
    evalue: `${first.message} (TS${first.code})${more}`,
    traceback: diagnostics.flatMap((d) => [
      `${cellLabel(count)}, line ${d.line}, column ${d.column}`,
      ...pointerLines(d.lineText, d.column),
      `TS${d.code}: ${d.message}`,
    ]),
    agnb_location: { cell: count, line: first.line, column: first.column },
    agnb_problems: diagnostics.map(({ lineText, ...problem }) => problem),
  };
}

export function errorContent(thrown: unknown, count: number, cells: Map<number, RunCell>): ErrorContent {
  if (!(thrown instanceof Error) && !looksLikeError(thrown)) {
    const shown = inspect(thrown, { depth: 2, breakLength: 100 });
    return {
      ename: "Uncaught",
      evalue: `a value that is not an Error was thrown: ${shown}`,
      traceback: [`${cellLabel(count)}`, `Uncaught ${shown} (throw an Error to get a stack trace)`],
    };
  }
  const error = thrown as Error;
  const ename = error.name || error.constructor?.name || "Error";
  const frames: string[] = [];
  let location: CellLocation | undefined;
  let locationSource = "";
  let belowLoweredBody = false;
  for (const line of String(error.stack ?? "").split("\n").slice(1)) {
    const match = CELL_FRAME.exec(line);
    if (!match) {
      // Frames inside the kernel and Node itself say nothing about the user's code.
      if (/^\s*at /.test(line) && !KERNEL_FRAME.test(line)) frames.push(line);
      continue;
    }
    // A lowered async function's body is called by the function itself, which would show twice.
    const wrapper = belowLoweredBody;
    belowLoweredBody = line.includes(`${GENERATOR_SUFFIX} (`) || line.includes(`${GENERATOR_SUFFIX}.next (`);
    if (wrapper) continue;
    const ran = cells.get(Number(match[1]));
    const mapped = ran?.compiled.toCellPosition(Number(match[2]), Number(match[3]) - 1);
    // The wrapper that makes a cell async has no place in the cell's own text.
    if (!ran || !mapped) continue;
    const cell = ran.count;
    const where = `${cellLabel(cell)}, line ${mapped.line}, column ${mapped.column}`;
    if (!location || (location.cell !== count && cell === count)) {
      location = { cell, ...mapped };
      locationSource = ran.source;
    }
    const functionName = /^\s*at (?:async )?([^\s(]+) \(/.exec(line)?.[1]?.replace(/^Generator\./, "").replace(new RegExp(`${GENERATOR_SUFFIX}(?:\\.next)?$`), "");
    frames.push(functionName && !functionName.startsWith("agnb-cell") ? `    at ${functionName} (${where})` : `    at ${where}`);
  }
  const heading = location ? `${cellLabel(location.cell)}, line ${location.line}, column ${location.column}` : cellLabel(count);
  return {
    ename,
    evalue: error.message,
    traceback: [heading, ...pointerLines(location && locationSource.split("\n")[location.line - 1], location?.column ?? 0), `${ename}: ${error.message}`, ...frames],
    ...(location ? { agnb_location: location } : {}),
  };
}

function looksLikeError(value: unknown): boolean {
  return typeof value === "object" && value !== null && typeof (value as Error).message === "string" && typeof (value as Error).stack === "string";
}

export function interruptContent(count: number): ErrorContent {
  const error = new KeyboardInterrupt();
  return { ename: error.name, evalue: error.message, traceback: [cellLabel(count), `${error.name}: ${error.message}`] };
}
