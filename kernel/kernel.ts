/**
 * The kernel core: Jupyter requests in, replies and iopub messages out. It knows messages, not
 * sockets: a transport thread (transport/thread.ts) does the I/O, fills in headers and answers
 * what must be answered while a cell runs; `KernelLink` is this core's view of it.
 */
import { setTimeout as delay } from "node:timers/promises";
import type { MimeBundle } from "../display/contract";
import { plainText, toMimeBundle } from "./display";
import { StdinNotImplementedError } from "./errors";
import { Executor } from "./executor";
import { complete, inspectAt, isComplete, trustEngineNamespaces } from "./introspect";
import { PROTOCOL_VERSION, type Channel, type ErrorContent, type Header, type MessageType, type OutgoingMessage, type WireMessage } from "./messages";
import { StreamCapture } from "./streams";
import { VariableList } from "./variables";
import type { InputRequest } from "./transport/shared-state";

/** What the core needs of its transport (transport/bridge.ts in the kernel process). */
export interface KernelLink {
  send(message: OutgoingMessage): void;
  /** How many requests have arrived so far, including those not yet passed to `receive`. */
  arrivals(): number;
  /** A cell starts: interrupts requested before now are not for it (settled once the promise, if any, resolves). */
  cellStarted(): void | Promise<void>;
  /** Blocks until the frontend answers; throws KeyboardInterrupt if interrupted meanwhile. */
  requestInput(request: InputRequest): string | null;
  requestInputAsync(request: InputRequest): Promise<string | null>;
}

export interface KernelOptions {
  engine: Record<string, unknown>;
  engineVersion: string;
  folder: string;
  link: KernelLink;
  docs?: Record<string, string>;
  /** Shared memory the transport thread sets on an interrupt_request; loops in cells check it. */
  interruptFlag: Int32Array;
  /** Where the flag cannot be shared: loops in cells poll with this for an interrupt of the running cell. */
  pollInterrupt?: () => boolean;
}

/** How long after an error requests still arriving count as queued behind it. */
const ABORT_GRACE_MS = 5;

/** Background errors held for the next cell beyond this many are dropped (a timer failing in a loop). */
const MAX_HELD_ERRORS = 100;

interface Queued { message: WireMessage; arrival: number }

export class Kernel {
  private readonly executor: Executor;
  private readonly streams: StreamCapture;
  private readonly shellQueue: Queued[] = [];
  private executionCount = 0;
  private processing = false;
  /** The request whose outputs are being produced; late output (timers) is attributed to it. */
  private currentParent: Header | undefined;
  /** The execute_request whose cell runs now. */
  private runningCell: WireMessage | null = null;
  /** Execute requests that arrived up to this number are aborted (a cell failed with stop_on_error). */
  private abortArrivals = 0;
  /** Background errors raised while no cell ran, shown in the next cell that runs. */
  private backgroundErrors: string[] = [];
  private readonly variables: VariableList;

  constructor(private readonly options: KernelOptions) {
    this.streams = new StreamCapture((name, text) => this.iopub("stream", { name, text }));
    this.executor = new Executor(options.engine, options.folder, options.interruptFlag, {
      display: (data, displayId, update) => this.sendDisplay(data, displayId, update),
      clear: (wait) => { this.streams.flush(); this.iopub("clear_output", { wait }); },
      note: (text) => this.streams.write("stderr", text),
    }, options.pollInterrupt);
    const globals = globalThis as Record<string, unknown>;
    globals.prompt = (question?: unknown) => this.options.link.requestInput(this.inputRequest(question));
    globals.input = async (question?: unknown) => this.options.link.requestInputAsync(this.inputRequest(question));
    trustEngineNamespaces(options.engine);
    this.variables = new VariableList(options.engine as unknown as ConstructorParameters<typeof VariableList>[0]);
  }

  start(): void {
    this.streams.install();
    this.iopub("status", { execution_state: "starting" });
    this.iopub("status", { execution_state: "idle" });
  }

  /** A request from the transport, with its number in the order of arrival there. */
  receive(message: WireMessage, arrival: number): void {
    // Read whenever the main thread is free (between cells, or while one awaits), not queued.
    if (message.header.msg_type === ("agnb_variables_request" as MessageType)) {
      this.answerVariables(message);
    } else if (message.channel === "control") {
      this.handleControl(message);
    } else if (message.channel === "shell") {
      this.shellQueue.push({ message, arrival });
      this.processQueue();
    }
  }

  interrupt(): void {
    this.executor.interrupt();
  }

  /** Completion or inspect from the live values, for what types cannot say (editor-request-route.ts). */
  introspect(kind: string, code: string, cursorPos: number): Record<string, unknown> | null {
    if (kind === "complete") return { status: "ok", ...complete(code, cursorPos) };
    if (kind === "inspect") return { status: "ok", ...inspectAt(code, cursorPos, this.options.docs ?? {}) };
    return null;
  }

  /** `agnb_variables_request`: every user variable, or with `name`, that one's value as a bundle. */
  private answerVariables(message: WireMessage): void {
    const name = message.content?.name;
    // On control no status, as for the other editor requests (editor-request-route.ts).
    const status = (state: string) => { if (message.channel === "shell") this.iopubFor(message.header, "status", { execution_state: state }); };
    status("busy");
    try {
      if (typeof name !== "string") {
        this.reply(message, "agnb_variables_reply" as MessageType, { status: "ok", variables: this.variables.list() });
      } else {
        const { found, value } = this.variables.valueOf(name);
        const data = found ? toMimeBundle(value, this.options.engine) : undefined;
        this.reply(message, "agnb_variables_reply" as MessageType, found ? { status: "ok", name, data } : { status: "error", ename: "NameError", evalue: `${name} is not a variable of this notebook`, traceback: [] });
      }
    } catch (error) {
      this.reply(message, "agnb_variables_reply" as MessageType, { status: "error", ename: "KernelError", evalue: String((error as Error)?.message ?? error), traceback: [] });
    } finally {
      status("idle");
    }
  }

  /** Sends what cells printed and is still batched (before an exit). */
  flushOutput(): void {
    this.streams.flush();
  }

  /**
   * An error thrown by code that runs outside a cell's own flow (timers, promises nobody
   * awaited). It is shown in the cell that is running, or else in the next cell that runs, so
   * that a frontend waiting on a cell's output sees it.
   */
  reportBackgroundError(error: unknown): void {
    const text = `Uncaught (in background work): ${error instanceof Error ? error.stack ?? error.message : plainText(error)}\n`;
    if (!this.runningCell) {
      if (this.backgroundErrors.length < MAX_HELD_ERRORS) this.backgroundErrors.push(text);
      return;
    }
    this.streams.write("stderr", text);
    this.streams.flush();
  }

  private inputRequest(question: unknown): InputRequest {
    const cell = this.runningCell;
    if (!cell) throw new Error("input can only be asked for while a cell runs");
    if (cell.content.allow_stdin !== true) throw new StdinNotImplementedError();
    // What the cell printed before asking belongs above the question.
    this.streams.flush();
    return { prompt: question === undefined ? "" : String(question), password: false, parent_header: cell.header };
  }

  private handleControl(message: WireMessage): void {
    switch (message.header.msg_type) {
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
        const { message, arrival } = this.shellQueue.shift()!;
        if (message.header.msg_type === "execute_request" && arrival <= this.abortArrivals) this.abort(message);
        else await this.handleShell(message);
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
        case "is_complete_request":
          this.reply(message, "is_complete_reply", isComplete(String(content.code ?? "")));
          break;
        case "history_request":
          this.reply(message, "history_reply", { status: "ok", history: [] });
          break;
        case "comm_info_request":
          this.reply(message, "comm_info_reply", { status: "ok", comms: {} });
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
    for (const text of this.backgroundErrors.splice(0)) this.streams.write("stderr", text);
    this.runningCell = message;
    let outcome;
    try {
      await this.options.link.cellStarted();
      outcome = await this.executor.execute(code, count);
    } finally {
      this.runningCell = null;
    }
    this.streams.endCell();
    if (outcome.status === "ok") {
      if (outcome.value && !silent) this.iopub("execute_result", { execution_count: count, data: outcome.value, metadata: {} });
      this.reply(message, "execute_reply", { status: "ok", execution_count: count, user_expressions: {}, payload: [] });
      return;
    }
    this.iopub("error", outcome.error);
    if (message.content.stop_on_error !== false) {
      // After an error, the cells that arrived behind it (a run-all, however long) do not run,
      // as in Jupyter; those sent together with it may trail it by a moment. Counting arrivals
      // on the transport thread includes those the main thread has not been handed yet.
      await delay(ABORT_GRACE_MS);
      this.abortArrivals = this.options.link.arrivals();
    }
    this.reply(message, "execute_reply", { status: "error", execution_count: count, ...outcome.error });
  }

  /** A request that arrived before an error: it does not run, but gets its busy/idle pair. */
  private abort(queued: WireMessage): void {
    this.iopubFor(queued.header, "status", { execution_state: "busy" });
    this.reply(queued, "execute_reply", { status: "aborted", execution_count: null });
    this.iopubFor(queued.header, "status", { execution_state: "idle" });
  }

  private sendDisplay(data: MimeBundle, displayId: string, update: boolean): void {
    this.streams.flush();
    const content = { data, metadata: {}, transient: { display_id: displayId } };
    this.iopub(update ? "update_display_data" : "display_data", content);
  }

  private kernelInfo() {
    return kernelInfoContent(this.options.engineVersion);
  }

  private reply(request: WireMessage, msgType: MessageType, content: unknown): void {
    this.options.link.send({ channel: request.channel, msg_type: msgType, content, parent_header: request.header, metadata: {} });
  }

  private iopub(msgType: MessageType, content: unknown): void {
    this.iopubFor(this.currentParent, msgType, content);
  }

  private iopubFor(parent: Header | undefined, msgType: MessageType, content: unknown): void {
    this.options.link.send({ channel: "iopub" as Channel, msg_type: msgType, content, parent_header: parent ?? {}, metadata: {} });
  }
}

/** The kernel_info_reply content; the transport thread answers kernel_info on control with it. */
export function kernelInfoContent(engineVersion: string) {
  return {
    status: "ok",
    protocol_version: PROTOCOL_VERSION,
    implementation: "agnb",
    implementation_version: engineVersion,
    language_info: {
      name: "typescript",
      version: "5",
      mimetype: "text/typescript",
      file_extension: ".ts",
      codemirror_mode: "typescript",
      pygments_lexer: "typescript",
    },
    banner: `Autograd Notebook ${engineVersion}: TypeScript cells, \`tf\` and \`display\` predeclared`,
    help_links: [],
  };
}

function replyType(requestType: string): MessageType {
  return requestType.replace(/_request$/, "_reply") as MessageType;
}

export type { ErrorContent };
