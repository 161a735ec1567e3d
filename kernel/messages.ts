/**
 * Jupyter messages (protocol 5.3) as they travel over the kernel's stdio: one JSON object per
 * line, each carrying its channel (see PROTOCOL.md).
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

export function encodeMessage(message: WireMessage): string {
  return JSON.stringify(message) + "\n";
}

/** Splits a byte stream into JSON-line messages; reports lines that are not messages. */
export class LineDecoder {
  private pending = "";

  constructor(private readonly onMessage: (m: WireMessage) => void, private readonly onBadLine: (line: string, problem: string) => void) {}

  push(chunk: string): void {
    this.pending += chunk;
    let newline = this.pending.indexOf("\n");
    while (newline !== -1) {
      const line = this.pending.slice(0, newline).trim();
      this.pending = this.pending.slice(newline + 1);
      if (line) this.decode(line);
      newline = this.pending.indexOf("\n");
    }
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
