/**
 * Jupyter messages (protocol 5.3): their types, headers, JSON text, and the JSON-lines framing of
 * the local transport (one object per line, each carrying its channel; see PROTOCOL.md).
 */
import type { KernelMessage } from "@jupyterlab/services";
import { randomUUID } from "node:crypto";

export const PROTOCOL_VERSION = "5.3";

export type Channel = KernelMessage.Channel;
export type MessageType = KernelMessage.MessageType;
export type Header = KernelMessage.IHeader;

/** A message on the wire. Content is typed loosely here; helpers below narrow it. */
export interface WireMessage<C = any> {
  channel: Channel;
  header: Header;
  parent_header: Header | Record<string, never>;
  metadata: Record<string, unknown>;
  content: C;
  buffers?: unknown[];
}

export function makeHeader(msgType: MessageType, session: string, username = "agnb"): Header {
  return { msg_id: randomUUID(), msg_type: msgType, session, username, date: new Date().toISOString(), version: PROTOCOL_VERSION };
}

export function makeMessage<C>(
  channel: Channel,
  msgType: MessageType,
  content: C,
  options: { session: string; parent?: Header; metadata?: Record<string, unknown> },
): WireMessage<C> {
  return {
    channel,
    header: makeHeader(msgType, options.session),
    parent_header: options.parent ?? {},
    metadata: options.metadata ?? {},
    content,
  };
}

/** A message as the kernel core hands it to the transport thread, which fills in the header. */
export interface OutgoingMessage<C = unknown> {
  channel: Channel;
  msg_type: MessageType;
  content: C;
  parent_header: Header | Record<string, never>;
  metadata: Record<string, unknown>;
}

/** The complete message for `outgoing`, with a fresh header of `session`. */
export function completeMessage<C>(outgoing: OutgoingMessage<C>, session: string): WireMessage<C> {
  return {
    channel: outgoing.channel,
    header: makeHeader(outgoing.msg_type, session),
    parent_header: outgoing.parent_header ?? {},
    metadata: outgoing.metadata ?? {},
    content: outgoing.content,
  };
}

/**
 * JSON text of a message or a part of one. Values JSON cannot carry (a BigInt, a cycle) become
 * text rather than failing the message: an output must never take the kernel's messaging down.
 */
export function toJsonText(value: unknown): string {
  try {
    return JSON.stringify(value) ?? "null";
  } catch {
    return JSON.stringify(value, tolerantReplacer()) ?? "null";
  }
}

function tolerantReplacer(): (this: unknown, key: string, value: unknown) => unknown {
  const ancestors: unknown[] = [];
  return function (this: unknown, _key: string, value: unknown) {
    if (typeof value === "bigint") return `${value}n`;
    if (typeof value !== "object" || value === null) return value;
    // `this` holds the current key: ancestors that are not on the path to it are done with.
    while (ancestors.length && ancestors[ancestors.length - 1] !== this) ancestors.pop();
    if (ancestors.includes(value)) return "[Circular]";
    ancestors.push(value);
    return value;
  };
}

export function encodeMessage(message: WireMessage): string {
  return toJsonText(message) + "\n";
}

/** Longest line the decoder accepts, in characters; a longer one is reported and skipped. */
export const MAX_LINE_LENGTH = 64 * 1024 * 1024;

/**
 * Splits a text stream into JSON-line messages; reports lines that are not messages. Each chunk
 * is scanned once and a line's pieces are joined once, so the cost is linear in the input.
 */
export class LineDecoder {
  private pieces: string[] = [];
  private pendingLength = 0;
  /** Inside a line that went over the limit: its remaining pieces are dropped. */
  private skipping = false;

  constructor(
    private readonly onMessage: (m: WireMessage) => void,
    private readonly onBadLine: (line: string, problem: string) => void,
    private readonly maxLineLength = MAX_LINE_LENGTH,
  ) {}

  push(chunk: string): void {
    let start = 0;
    for (let newline = chunk.indexOf("\n"); newline !== -1; newline = chunk.indexOf("\n", start)) {
      this.take(chunk.slice(start, newline), true);
      start = newline + 1;
    }
    if (start < chunk.length) this.take(start === 0 ? chunk : chunk.slice(start), false);
  }

  private take(piece: string, endsLine: boolean): void {
    if (!this.skipping && this.pendingLength + piece.length > this.maxLineLength) {
      const opening = (this.pieces[0] ?? piece).slice(0, 200);
      const limit = this.maxLineLength >= 1024 * 1024 ? `${Math.round(this.maxLineLength / 1024 / 1024)} MB` : `${this.maxLineLength} characters`;
      this.onBadLine(opening, `line too large (more than ${limit} without a newline), ignored`);
      this.skipping = true;
      this.pieces = [];
    }
    if (!this.skipping) {
      this.pieces.push(piece);
      this.pendingLength += piece.length;
    }
    if (!endsLine) return;
    const line = this.pieces.length === 1 ? this.pieces[0] : this.pieces.join("");
    const skipped = this.skipping;
    this.pieces = [];
    this.pendingLength = 0;
    this.skipping = false;
    if (!skipped && line.trim()) this.decode(line.trim());
  }

  private decode(line: string): void {
    let parsed: unknown;
    try {
      parsed = JSON.parse(line);
    } catch (error) {
      this.onBadLine(line, `not JSON (${(error as Error).message})`);
      return;
    }
    const message = parsed as Partial<WireMessage>;
    if (typeof message !== "object" || message === null || typeof message.header?.msg_type !== "string") {
      this.onBadLine(line, "not a Jupyter message (header.msg_type is missing)");
      return;
    }
    if (!["shell", "control", "iopub", "stdin"].includes(message.channel as string)) {
      this.onBadLine(line, `unknown channel ${JSON.stringify(message.channel)}`);
      return;
    }
    this.onMessage({ parent_header: {}, metadata: {}, content: {}, ...message } as WireMessage);
  }
}

/** Content of the iopub outputs a cell produces, as nbformat stores them. */
export type OutputContent =
  | KernelMessage.IStreamMsg["content"]
  | KernelMessage.IDisplayDataMsg["content"]
  | KernelMessage.IUpdateDisplayDataMsg["content"]
  | KernelMessage.IExecuteResultMsg["content"]
  | KernelMessage.IErrorMsg["content"];

export interface CellLocation { cell: number; line: number; column: number }

/** A type error's span in the cell (1-based lines and columns, end exclusive), for editors to underline. */
export interface CellProblem { line: number; column: number; endLine: number; endColumn: number; code: number; message: string }

/** The error content the kernel sends: the standard fields plus where in the cell it happened. */
export interface ErrorContent {
  ename: string;
  evalue: string;
  traceback: string[];
  agnb_location?: CellLocation;
  /** For a cell refused by the type checker: every error with its span. */
  agnb_problems?: CellProblem[];
}
