/**
 * The parent side of the kernel's local transport (PROTOCOL.md): spawns the kernel process,
 * sends requests on its fd 3, collects each request's iopub output, interrupts, restarts, and
 * notices when the process dies. What the process writes to its fd 1 and 2 outside the kernel's
 * capture (child processes, native code) becomes stream output of the request that runs.
 *
 * Events: `iopub` (every iopub message), `status` (execution_state), `stderr` (diagnostic text
 * from the process while no request runs), `input_request` (a cell asks for input; answer with
 * replyInput), `exit` ({code, signal, expected}) when the process ends.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { EventEmitter } from "node:events";
import { randomUUID } from "node:crypto";
import type { Socket } from "node:net";
import { LineDecoder, encodeMessage, makeHeader, makeMessage, type Channel, type Header, type MessageType, type WireMessage } from "./messages";

export interface KernelClientOptions {
  /** The kernel bundle (dist/kernel.cjs). */
  kernelScript: string;
  /** The Node executable; in VS Code, process.execPath with ELECTRON_RUN_AS_NODE=1 in env. */
  nodePath?: string;
  /** Node options before the script (default KERNEL_NODE_ARGS). */
  nodeArgs?: string[];
  env?: NodeJS.ProcessEnv;
  /** The notebook's folder: cells resolve packages from here. */
  cwd?: string;
  /** How long start() waits for the kernel to become idle. */
  startTimeoutMs?: number;
}

export interface KernelExit { code: number | null; signal: NodeJS.Signals | null; expected: boolean }

/** A request's reply together with the iopub messages it caused, in order. */
export interface RequestResult<C = any> {
  reply: WireMessage<C>;
  iopub: WireMessage[];
}

interface Pending {
  channel: Channel;
  header: Header;
  settling?: boolean;
  reply?: WireMessage;
  idle: boolean;
  iopub: WireMessage[];
  onIopub?: (message: WireMessage) => void;
  resolve: (result: RequestResult) => void;
  reject: (error: Error) => void;
}

/** After the kernel process exits, how long its last messages on fd 3 may take to be read. */
const EXIT_DRAIN_MS = 250;

export class KernelExitedError extends Error {
  constructor(readonly exit: KernelExit, stderr = "") {
    const how = exit.signal ? `signal ${exit.signal}` : `exit code ${exit.code}`;
    super(`the kernel process exited unexpectedly (${how})${stderr.trim() ? `:\n${stderr.trim()}` : ""}`);
    this.name = "KernelExitedError";
  }
}

/**
 * A tape keeps every recorded op alive until its gradient is taken; a larger young generation
 * lets those short-lived graphs die there instead of being copied and promoted (tape-heavy cells
 * run about twice as fast).
 */
export const KERNEL_NODE_ARGS = ["--max-semi-space-size=64"];

export class KernelClient extends EventEmitter {
  private child: ChildProcess | null = null;
  private protocol: Socket | null = null;
  /** Settles once the last process's exit has been handled (pending requests failed, `exit` emitted). */
  private exitHandled: Promise<void> = Promise.resolve();
  private readonly session = randomUUID();
  private readonly pending = new Map<string, Pending>();
  private expectingExit = false;
  private iopubWaiters: Array<(message: WireMessage | null) => void> = [];
  private iopubBacklog: WireMessage[] = [];
  private iterating = false;
  executionState: "starting" | "idle" | "busy" | "dead" = "dead";

  constructor(private readonly options: KernelClientOptions) {
    super();
  }

  get alive(): boolean {
    return this.child !== null && this.child.exitCode === null && this.child.signalCode === null;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** Spawns the kernel and resolves once it is idle and has answered kernel_info. */
  async start(): Promise<WireMessage> {
    if (this.alive) throw new Error("the kernel is already running");
    await this.exitHandled;
    // fd 3 carries the protocol both ways; fd 0 is empty, so a cell reading stdin ends at once.
    const child = spawn(this.options.nodePath ?? process.execPath, [...(this.options.nodeArgs ?? KERNEL_NODE_ARGS), this.options.kernelScript], {
      cwd: this.options.cwd,
      env: this.options.env ?? process.env,
      stdio: ["ignore", "pipe", "pipe", "pipe"],
    });
    const protocol = child.stdio[3] as Socket;
    this.child = child;
    this.protocol = protocol;
    this.expectingExit = false;
    this.executionState = "starting";
    const decoder = new LineDecoder((message) => this.receive(message), (line, problem) => this.emit("stderr", `unreadable line from the kernel (${problem}): ${line.slice(0, 200)}\n`));
    protocol.setEncoding("utf8").on("data", (chunk: string) => decoder.push(chunk));
    protocol.on("error", () => undefined); // a dead kernel is reported through "exit"
    let startupErrors = "";
    child.stdout!.setEncoding("utf8").on("data", (chunk: string) => this.outsideOutput("stdout", chunk));
    child.stderr!.setEncoding("utf8").on("data", (chunk: string) => {
      if (this.executionState === "starting") startupErrors = (startupErrors + chunk).slice(-4000);
      this.outsideOutput("stderr", chunk);
    });
    const started = new Promise<void>((resolve, reject) => {
      const timeout = setTimeout(() => reject(new Error(`the kernel did not start within ${this.options.startTimeoutMs ?? 20_000} ms`)), this.options.startTimeoutMs ?? 20_000);
      const onStatus = (state: string) => {
        if (state !== "idle") return;
        clearTimeout(timeout);
        this.off("status", onStatus);
        resolve();
      };
      this.on("status", onStatus);
      child.once("exit", (code, signal) => {
        clearTimeout(timeout);
        reject(new KernelExitedError({ code, signal, expected: false }, startupErrors));
      });
      child.once("error", (error) => { clearTimeout(timeout); reject(error); });
    });
    this.exitHandled = new Promise((resolve) => {
      child.once("exit", (code, signal) => {
        // Messages the kernel wrote just before it ended may still be on their way.
        const drained = new Promise((done) => {
          if (protocol.destroyed) return done(undefined);
          protocol.once("close", done);
          setTimeout(done, EXIT_DRAIN_MS);
        });
        drained.then(() => this.onExit(child, code, signal)).finally(resolve);
      });
    });
    await started;
    return (await this.request("shell", "kernel_info_request", {})).reply;
  }

  execute(code: string, options: { silent?: boolean; stopOnError?: boolean; allowStdin?: boolean; onIopub?: (message: WireMessage) => void } = {}): Promise<RequestResult> {
    return this.request("shell", "execute_request", {
      code,
      silent: options.silent ?? false,
      store_history: !(options.silent ?? false),
      user_expressions: {},
      allow_stdin: options.allowStdin ?? false,
      stop_on_error: options.stopOnError ?? true,
    }, options.onIopub);
  }

  complete(code: string, cursorPos = [...code].length): Promise<RequestResult> {
    return this.request("shell", "complete_request", { code, cursor_pos: cursorPos });
  }

  inspect(code: string, cursorPos = [...code].length, detailLevel = 0): Promise<RequestResult> {
    return this.request("shell", "inspect_request", { code, cursor_pos: cursorPos, detail_level: detailLevel });
  }

  isComplete(code: string): Promise<RequestResult> {
    return this.request("shell", "is_complete_request", { code });
  }

  /**
   * Stops the running cell; the kernel keeps its state. The kernel's transport thread answers
   * the interrupt_request even while the cell spins: it flags loops in cells, stops an awaiting
   * cell, and raises SIGINT in the process for code no loop check reaches.
   */
  interrupt(): void {
    if (!this.alive) return;
    this.request("control", "interrupt_request", {}).catch(() => undefined);
  }

  async shutdown(restart = false): Promise<void> {
    if (!this.alive) return;
    const child = this.child!;
    this.expectingExit = true;
    this.request("control", "shutdown_request", { restart }).catch(() => undefined);
    const timer = setTimeout(() => child.kill("SIGKILL"), 3000);
    await this.exitHandled;
    clearTimeout(timer);
  }

  /** A fresh kernel process: every variable is gone. */
  async restart(): Promise<WireMessage> {
    await this.shutdown(true);
    return this.start();
  }

  /** Ends the process at once (for a kernel that does not respond). */
  kill(): void {
    if (!this.alive) return;
    this.expectingExit = true;
    this.child!.kill("SIGKILL");
  }

  /** Sends a request; resolves with its reply once the kernel is idle again after it. */
  request(channel: Channel, msgType: MessageType, content: unknown, onIopub?: (message: WireMessage) => void): Promise<RequestResult> {
    if (!this.alive) return Promise.reject(new Error(`cannot send ${msgType}: the kernel is not running`));
    const message = makeMessage(channel, msgType, content, { session: this.session });
    return new Promise<RequestResult>((resolve, reject) => {
      this.pending.set(message.header.msg_id, { channel, header: message.header, idle: channel !== "shell", iopub: [], onIopub, resolve, reject });
      this.protocol!.write(encodeMessage(message));
    });
  }

  /** Every iopub message from the moment of this call on, until the kernel exits. */
  iopubMessages(): AsyncIterableIterator<WireMessage> {
    if (this.iterating) throw new Error("iopubMessages() is already being iterated");
    // Buffering starts now, not at the first next(), so nothing sent in between is missed.
    this.iterating = true;
    const finish = (): IteratorResult<WireMessage> => {
      this.iterating = false;
      this.iopubBacklog = [];
      return { done: true, value: undefined };
    };
    const iterator: AsyncIterableIterator<WireMessage> = {
      next: async () => {
        if (!this.iterating) return { done: true, value: undefined };
        const message = this.iopubBacklog.shift() ?? await new Promise<WireMessage | null>((resolve) => this.iopubWaiters.push(resolve));
        return message === null ? finish() : { done: false, value: message };
      },
      return: async () => finish(),
      [Symbol.asyncIterator]: () => iterator,
    };
    return iterator;
  }

  /** Answers an input_request (see the `input_request` event) with the text the user typed. */
  replyInput(request: WireMessage, value: string): void {
    if (!this.alive) return;
    this.protocol!.write(encodeMessage({ ...makeMessage("stdin", "input_reply", { value }, { session: this.session }), parent_header: request.header }));
  }

  private receive(message: WireMessage): void {
    if (message.channel === "stdin") {
      // The kernel asks for input for a cell whose execute_request allowed it.
      this.emit("input_request", message);
      return;
    }
    const parentId = (message.parent_header as { msg_id?: string }).msg_id;
    const pending = parentId ? this.pending.get(parentId) : undefined;
    if (message.channel === "iopub") {
      if (message.header.msg_type === "status") {
        this.executionState = message.content.execution_state;
        this.emit("status", message.content.execution_state);
      }
      this.emit("iopub", message);
      if (this.iterating) {
        const waiter = this.iopubWaiters.shift();
        if (waiter) waiter(message); else this.iopubBacklog.push(message);
      }
      if (pending) {
        if (message.header.msg_type === "status" && message.content.execution_state === "idle") pending.idle = true;
        else if (message.header.msg_type !== "status") {
          pending.iopub.push(message);
          pending.onIopub?.(message);
        }
      }
    } else if (pending) {
      pending.reply = message;
    }
    if (pending?.reply && pending.idle && !pending.settling) {
      pending.settling = true;
      // Text the cell's child processes wrote to fd 1/2 was written before the kernel's idle,
      // but travels on another pipe: one turn of the event loop lets it in.
      setImmediate(() => {
        this.pending.delete(parentId!);
        pending.resolve({ reply: pending.reply!, iopub: pending.iopub });
      });
    }
  }

  /** Text from the process's fd 1 or 2: output of the request that runs, or a diagnostic. */
  private outsideOutput(name: "stdout" | "stderr", text: string): void {
    const running = this.executionState === "starting" ? undefined : [...this.pending.values()].find((pending) => pending.channel === "shell");
    if (!running) {
      this.emit("stderr", text);
      return;
    }
    this.receive({ channel: "iopub", header: makeHeader("stream", this.session), parent_header: running.header, metadata: {}, content: { name, text } });
  }

  private onExit(child: ChildProcess, code: number | null, signal: NodeJS.Signals | null): void {
    if (child !== this.child) return;
    const exit: KernelExit = { code, signal, expected: this.expectingExit };
    this.executionState = "dead";
    for (const [id, pending] of this.pending) {
      if (pending.settling) continue; // answered in full; resolves on its own
      this.pending.delete(id);
      // A shutdown_request is answered by the exit itself.
      if (exit.expected && pending.channel === "control") pending.resolve({ reply: pending.reply!, iopub: pending.iopub });
      else pending.reject(new KernelExitedError(exit));
    }
    for (const waiter of this.iopubWaiters.splice(0)) waiter(null);
    this.emit("exit", exit);
  }
}
