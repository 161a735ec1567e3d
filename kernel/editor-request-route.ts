/**
 * On the transport thread: completion, inspect, signature and diagnostics requests go straight
 * to the type checker's thread, never into the queue behind a running cell. Where types cannot
 * say (members of `any`, such as a parsed JSON object), the main thread's live values are asked
 * too, for as long as `RUNTIME_WAIT_MS`: a cell that spins gets the typed answer alone.
 */
import type { MessagePort } from "node:worker_threads";
import type { MessageType, OutgoingMessage, WireMessage } from "./messages";
import type { IntelligenceRequest, IntelligenceResponse } from "./intelligence-channel";

/** How long the live values may take to answer (the main thread may be running a cell). */
const RUNTIME_WAIT_MS = 250;
/** A checker that has not answered by then (it died, or is still loading a huge package) is passed over. */
const TYPED_WAIT_MS = 20_000;

export type EditorRequestKind = IntelligenceRequest["kind"];
export type RuntimeAsk = (id: number, kind: EditorRequestKind, code: string, cursorPos: number) => void;

const ROUTED: Record<string, { kind: EditorRequestKind; reply: string }> = {
  complete_request: { kind: "complete", reply: "complete_reply" },
  inspect_request: { kind: "inspect", reply: "inspect_reply" },
  agnb_signature_request: { kind: "signature", reply: "agnb_signature_reply" },
  agnb_diagnostics_request: { kind: "diagnostics", reply: "agnb_diagnostics_reply" },
};

type Content = Record<string, unknown>;
interface Pending { message: WireMessage; request: IntelligenceRequest; typed: Content | null; timer: NodeJS.Timeout }

export class EditorRequestRoute {
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;

  constructor(private readonly checker: MessagePort, private readonly transmit: (message: OutgoingMessage) => void, private readonly askRuntime: RuntimeAsk) {
    checker.on("message", (response: IntelligenceResponse) => this.typedAnswered(response));
  }

  /** Takes the request if it is one of ours; the reply follows on the same channel. */
  takes(message: WireMessage): boolean {
    const routed = ROUTED[message.header.msg_type];
    if (!routed || (message.channel !== "shell" && message.channel !== "control")) return false;
    const request: IntelligenceRequest = { id: this.nextId++, kind: routed.kind, code: String(message.content?.code ?? ""), cursor_pos: Number(message.content?.cursor_pos ?? 0) };
    this.status(message, "busy");
    const timer = setTimeout(() => this.typedAnswered({ id: request.id, content: null, runtime: true }), TYPED_WAIT_MS);
    this.pending.set(request.id, { message, request, typed: null, timer });
    this.checker.postMessage(request);
    return true;
  }

  /** The main thread's answer from live values. */
  runtimeAnswered(id: number, content: Content | null): void {
    const pending = this.pending.get(id);
    if (pending) this.finish(pending, merge(pending.request, pending.typed, content));
  }

  private typedAnswered(response: IntelligenceResponse): void {
    const pending = this.pending.get(response.id);
    if (!pending) return;
    clearTimeout(pending.timer);
    if (!response.runtime) return this.finish(pending, response.content);
    pending.typed = response.content;
    pending.timer = setTimeout(() => this.finish(pending, merge(pending.request, pending.typed, null)), RUNTIME_WAIT_MS);
    this.askRuntime(response.id, pending.request.kind, pending.request.code, pending.request.cursor_pos);
  }

  private finish(pending: Pending, content: Content | null): void {
    clearTimeout(pending.timer);
    this.pending.delete(pending.request.id);
    const { message, request } = pending;
    this.transmit({ channel: message.channel, msg_type: ROUTED[message.header.msg_type].reply as MessageType, content: content ?? empty(request), parent_header: message.header, metadata: {} });
    this.status(message, "idle");
  }

  /** On shell, as any request; on control none, so a frontend's busy indicator follows the cells alone. */
  private status(message: WireMessage, state: "busy" | "idle"): void {
    if (message.channel !== "shell") return;
    this.transmit({ channel: "iopub", msg_type: "status", content: { execution_state: state }, parent_header: message.header, metadata: {} });
  }
}

/** Typed matches first, then what only the live values know; one entry per name. */
function merge(request: IntelligenceRequest, typed: Content | null, runtime: Content | null): Content | null {
  if (!typed || !runtime) return typed ?? runtime;
  if (request.kind === "inspect") return typed.found ? withValue(typed, runtime) : runtime;
  if (request.kind !== "complete") return typed;
  const typedMatches = typed.matches as string[];
  const known = new Set(typedMatches);
  const extraIndexes = (runtime.matches as string[]).flatMap((name, index) => (known.has(name) ? [] : [index]));
  const types = (content: Content) => ((content.metadata as Content)?._jupyter_types_experimental as unknown[] | undefined) ?? [];
  const runtimeTypes = types(runtime);
  return {
    ...typed,
    cursor_start: typedMatches.length ? typed.cursor_start : runtime.cursor_start,
    matches: [...typedMatches, ...extraIndexes.map((index) => (runtime.matches as string[])[index])],
    metadata: { _jupyter_types_experimental: [...types(typed), ...extraIndexes.map((index) => runtimeTypes[index]).filter(Boolean)] },
  };
}

/** The type and doc from types, then the live value's text. */
function withValue(typed: Content, runtime: Content): Content {
  const value = (runtime.metadata as Content | undefined)?.agnb_value;
  if (!runtime.found || typeof value !== "string") return typed;
  const data = typed.data as Record<string, string>;
  return { ...typed, data: { "text/plain": `${data["text/plain"]}\n\n${value}`, "text/markdown": `${data["text/markdown"]}\n\n\`\`\`\n${value}\n\`\`\`` } };
}

function empty(request: IntelligenceRequest): Content {
  switch (request.kind) {
    case "complete": return { status: "ok", matches: [], cursor_start: request.cursor_pos, cursor_end: request.cursor_pos, metadata: {} };
    case "inspect": return { status: "ok", found: false, data: {}, metadata: {} };
    case "signature": return { status: "ok", signatures: [], activeSignature: 0, activeParameter: 0 };
    case "diagnostics": return { status: "ok", agnb_problems: [] };
  }
}
