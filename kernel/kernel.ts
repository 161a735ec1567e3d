/**
 * The kernel's message loop: Jupyter requests in, replies and iopub messages out, over the
 * JSON-lines transport of PROTOCOL.md.
 */
import { randomUUID } from "node:crypto";
import { MIME, type MimeBundle } from "../engine/mime";
import { plainText } from "./display";
import { Executor } from "./executor";
import { complete, inspectAt, isComplete } from "./introspect";
import {
  LineDecoder, PROTOCOL_VERSION, encodeMessage, makeMessage, type Channel, type ErrorContent, type Header, type MessageType, type WireMessage,
} from "./messages";
import { StreamCapture } from "./streams";

export interface KernelOptions {
  engine: Record<string, unknown>;
  engineVersion: string;
  folder: string;
  /** Writes one encoded line to the parent; must not be affected by user code's output. */
  writeLine: (line: string) => void;
  exit: (code: number) => void;
  docs?: Record<string, string>;
  /** Shared memory set by the stdin reader on an interrupt_request (see stdin-reader.ts). */
  interruptFlag?: Int32Array;
}

/** How long after an error requests still arriving count as queued behind it. */
const ABORT_GRACE_MS = 5;

export class Kernel {
  private readonly session = randomUUID();
  private readonly executor: Executor;
  private readonly streams: StreamCapture;
  private readonly shellQueue: WireMessage[] = [];
  private executionCount = 0;
  private processing = false;
  /** The request whose outputs are being produced; late output (timers) is attributed to it. */
  private currentParent: Header | undefined;
  private readonly decoder: LineDecoder;

  constructor(private readonly options: KernelOptions) {
    this.streams = new StreamCapture((name, text) => this.iopub("stream", { name, text }));
    this.executor = new Executor(options.engine, options.folder, options.interruptFlag ?? new Int32Array(new SharedArrayBuffer(4)), {
      display: (data, displayId, update) => this.sendDisplay(data, displayId, update),
      clear: (wait) => { this.streams.flush(); this.iopub("clear_output", { wait }); },
      note: (text) => this.streams.write("stderr", text),
    });
    this.decoder = new LineDecoder((message) => this.receive(message), (line, problem) => {
      this.iopub("stream", { name: "stderr", text: `kernel: ignored a line on stdin: ${problem}: ${line.slice(0, 200)}\n` });
    });
  }

  start(): void {
    this.streams.install();
    this.iopub("status", { execution_state: "starting" });
    this.iopub("status", { execution_state: "idle" });
  }

  /** Feeds bytes read from stdin. */
  feed(chunk: string): void {
    this.decoder.push(chunk);
    this.processQueue();
  }

  interrupt(): void {
    this.executor.interrupt();
  }

  /** Output from code that runs after its cell finished (timers, background promises). */
  reportBackgroundError(error: unknown): void {
    this.streams.write("stderr", `Uncaught (in background work): ${error instanceof Error ? error.stack ?? error.message : plainText(error)}\n`);
    this.streams.flush();
  }

  private receive(message: WireMessage): void {
    if (message.channel === "control") {
      this.handleControl(message);
    } else if (message.channel === "shell") {
      this.shellQueue.push(message);
    }
  }

  private handleControl(message: WireMessage): void {
    switch (message.header.msg_type) {
      case "interrupt_request":
        this.executor.interrupt();
        this.reply(message, "interrupt_reply", { status: "ok" });
        return;
      case "shutdown_request":
        this.shutdown(message);
        return;
      case "kernel_info_request":
        this.reply(message, "kernel_info_reply", this.kernelInfo());
        return;
      default:
        this.reply(message, replyType(message.header.msg_type), { status: "error", ename: "UnknownRequest", evalue: `unsupported on control: ${message.header.msg_type}`, traceback: [] });
    }
  }

  private async processQueue(): Promise<void> {
    if (this.processing) return;
    this.processing = true;
    try {
      while (this.shellQueue.length) {
        const message = this.shellQueue.shift()!;
        await this.handleShell(message);
      }
    } finally {
      this.processing = false;
    }
  }

  private async handleShell(message: WireMessage): Promise<void> {
    const { content } = message;
    this.currentParent = message.header;
    this.iopub("status", { execution_state: "busy" });
    try {
      switch (message.header.msg_type) {
        case "kernel_info_request":
          this.reply(message, "kernel_info_reply", this.kernelInfo());
          break;
        case "execute_request":
          await this.execute(message);
          break;
        case "complete_request":
          this.reply(message, "complete_reply", { status: "ok", ...complete(String(content.code ?? ""), Number(content.cursor_pos ?? 0)) });
          break;
        case "inspect_request":
          this.reply(message, "inspect_reply", { status: "ok", ...inspectAt(String(content.code ?? ""), Number(content.cursor_pos ?? 0), this.options.docs ?? {}) });
          break;
        case "is_complete_request":
          this.reply(message, "is_complete_reply", isComplete(String(content.code ?? "")));
          break;
        case "history_request":
          this.reply(message, "history_reply", { status: "ok", history: [] });
          break;
        case "comm_info_request":
          this.reply(message, "comm_info_reply", { status: "ok", comms: {} });
          break;
        case "shutdown_request":
          this.shutdown(message);
          break;
        default:
          this.reply(message, replyType(message.header.msg_type), {
            status: "error", ename: "UnknownRequest", evalue: `unsupported request: ${message.header.msg_type}`, traceback: [],
          });
      }
    } catch (error) {
      // A failure of the kernel itself (not of user code) must still answer the request.
      this.reply(message, replyType(message.header.msg_type), {
        status: "error", ename: "KernelError", evalue: String((error as Error)?.message ?? error), traceback: [String((error as Error)?.stack ?? error)],
      });
    } finally {
      this.streams.flush();
      this.iopub("status", { execution_state: "idle" });
    }
  }

  private async execute(message: WireMessage): Promise<void> {
    const code = String(message.content.code ?? "");
    const silent = Boolean(message.content.silent);
    const storeHistory = message.content.store_history ?? !silent;
    if (storeHistory) this.executionCount += 1;
    const count = this.executionCount;
    if (!silent) this.iopub("execute_input", { code, execution_count: count });
    this.streams.beginCell();
    const outcome = await this.executor.execute(code, count);
    this.streams.endCell();
    if (outcome.status === "ok") {
      if (outcome.value && !silent) this.iopub("execute_result", { execution_count: count, data: outcome.value, metadata: {} });
      this.reply(message, "execute_reply", { status: "ok", execution_count: count, user_expressions: {}, payload: [] });
      return;
    }
    this.iopub("error", outcome.error);
    if (message.content.stop_on_error !== false) {
      // Requests sent together with this one (a run-all) may still be in the pipe: let them in.
      await new Promise((resolve) => setTimeout(resolve, ABORT_GRACE_MS));
      this.abortQueuedExecutions();
    }
    this.reply(message, "execute_reply", { status: "error", execution_count: count, ...outcome.error });
  }

  /** After an error, the cells queued behind it (a run-all) do not run, as in Jupyter. */
  private abortQueuedExecutions(): void {
    const remaining = this.shellQueue.splice(0);
    for (const queued of remaining) {
      if (queued.header.msg_type !== "execute_request") {
        this.shellQueue.push(queued);
        continue;
      }
      // Each request still gets its busy/idle pair, so clients waiting for idle are released.
      this.iopubFor(queued.header, "status", { execution_state: "busy" });
      this.reply(queued, "execute_reply", { status: "aborted", execution_count: null });
      this.iopubFor(queued.header, "status", { execution_state: "idle" });
    }
  }

  private sendDisplay(data: MimeBundle, displayId: string, update: boolean): void {
    this.streams.flush();
    const content = { data, metadata: {}, transient: { display_id: displayId } };
    this.iopub(update ? "update_display_data" : "display_data", content);
  }

  private shutdown(message: WireMessage): void {
    const restart = Boolean(message.content.restart);
    this.streams.flush();
    this.reply(message, "shutdown_reply", { status: "ok", restart });
    this.iopub("shutdown_reply", { status: "ok", restart });
    this.options.exit(0);
  }

  private kernelInfo() {
    return {
      status: "ok",
      protocol_version: PROTOCOL_VERSION,
      implementation: "agnb",
      implementation_version: this.options.engineVersion,
      language_info: {
        name: "typescript",
        version: "5",
        mimetype: "text/typescript",
        file_extension: ".ts",
        codemirror_mode: "typescript",
        pygments_lexer: "typescript",
      },
      banner: `Autograd Notebook ${this.options.engineVersion}: TypeScript cells, \`tf\` and \`display\` predeclared`,
      help_links: [],
    };
  }

  private reply(request: WireMessage, msgType: MessageType, content: unknown): void {
    this.send(makeMessage(request.channel, msgType, content, { session: this.session, parent: request.header }));
  }

  private iopub(msgType: MessageType, content: unknown): void {
    this.iopubFor(this.currentParent, msgType, content);
  }

  private iopubFor(parent: Header | undefined, msgType: MessageType, content: unknown): void {
    this.send(makeMessage("iopub" as Channel, msgType, content, { session: this.session, parent }));
  }

  private send(message: WireMessage): void {
    let line: string;
    try {
      line = encodeMessage(message);
    } catch (error) {
      // A payload JSON cannot carry (a BigInt, a cycle) must not take the kernel down.
      const fallback = { ...message, content: { ...message.content, data: { [MIME.text]: `(cannot send this output: ${(error as Error).message})` } } };
      line = encodeMessage(fallback);
    }
    this.options.writeLine(line);
  }
}

function replyType(requestType: string): MessageType {
  return requestType.replace(/_request$/, "_reply") as MessageType;
}

export type { ErrorContent };
