/**
 * The parent side of the kernel's stdio transport (PROTOCOL.md): spawns the kernel process,
 * sends requests, collects each request's iopub output, interrupts, restarts, and notices
 * when the process dies.
 *
 * Events: `iopub` (every iopub message), `status` (execution_state), `stderr` (diagnostic text
 * from the process), `exit` ({code, signal, expected}) when the process ends.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { EventEmitter } from "node:events";
import { randomUUID } from "node:crypto";
import { LineDecoder, encodeMessage, makeMessage, type Channel, type MessageType, type WireMessage } from "./messages";

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
  reply?: WireMessage;
  idle: boolean;
  iopub: WireMessage[];
  onIopub?: (message: WireMessage) => void;
  resolve: (result: RequestResult) => void;
  reject: (error: Error) => void;
}

/** How long a cell may go on after SIGINT before the interrupt_request follows. */
const INTERRUPT_FOLLOW_UP_MS = 300;

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
    const child = spawn(this.options.nodePath ?? process.execPath, [...(this.options.nodeArgs ?? KERNEL_NODE_ARGS), this.options.kernelScript], {
      cwd: this.options.cwd,
      env: this.options.env ?? process.env,
      stdio: ["pipe", "pipe", "pipe"],
    });
    this.child = child;
    this.expectingExit = false;
    this.executionState = "starting";
    const decoder = new LineDecoder((message) => this.receive(message), (line, problem) => this.emit("stderr", `unreadable line from the kernel (${problem}): ${line}\n`));
    child.stdout!.setEncoding("utf8").on("data", (chunk: string) => decoder.push(chunk));
    let startupErrors = "";
    child.stderr!.setEncoding("utf8").on("data", (chunk: string) => {
      if (this.executionState === "starting") startupErrors = (startupErrors + chunk).slice(-4000);
      this.emit("stderr", chunk);
    });
    child.stdin!.on("error", () => undefined); // a dead kernel is reported through "exit"
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
    child.once("exit", (code, signal) => this.onExit(child, code, signal));
    await started;
    return (await this.request("shell", "kernel_info_request", {})).reply;
  }

  execute(code: string, options: { silent?: boolean; stopOnError?: boolean; onIopub?: (message: WireMessage) => void } = {}): Promise<RequestResult> {
    return this.request("shell", "execute_request", {
      code,
      silent: options.silent ?? false,
      store_history: !(options.silent ?? false),
      user_expressions: {},
      allow_stdin: false,
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
   * Stops the running cell; the kernel keeps its state. SIGINT breaks a spinning loop and stops
   * an awaiting cell. A loop that spins after an `await` cannot see the signal, so if the cell
   * is still running a moment later, an interrupt_request follows: the kernel's stdin thread
   * flags it to the loops of the cell.
   */
  interrupt(): void {
    if (!this.alive) return;
    if (process.platform === "win32") {
      // Windows has no SIGINT for child processes: kill("SIGINT") would end the kernel.
      this.request("control", "interrupt_request", {}).catch(() => undefined);
      return;
    }
    const running = [...this.pending.values()].filter((pending) => pending.channel === "shell");
    this.child!.kill("SIGINT");
    if (!running.length) return;
    setTimeout(() => {
      if (this.alive && running.some((pending) => [...this.pending.values()].includes(pending))) {
        this.request("control", "interrupt_request", {}).catch(() => undefined);
      }
    }, INTERRUPT_FOLLOW_UP_MS);
  }

  async shutdown(restart = false): Promise<void> {
    if (!this.alive) return;
    const child = this.child!;
    this.expectingExit = true;
    const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
    const reply = this.request("control", "shutdown_request", { restart }).catch(() => undefined);
    const timer = setTimeout(() => child.kill("SIGKILL"), 3000);
    await Promise.race([reply.then(() => exited), exited]);
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
      this.pending.set(message.header.msg_id, { channel, idle: channel !== "shell", iopub: [], onIopub, resolve, reject });
      this.child!.stdin!.write(encodeMessage(message));
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

  private receive(message: WireMessage): void {
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
    if (pending?.reply && pending.idle) {
      this.pending.delete(parentId!);
      pending.resolve({ reply: pending.reply, iopub: pending.iopub });
    }
  }

  private onExit(child: ChildProcess, code: number | null, signal: NodeJS.Signals | null): void {
    if (child !== this.child) return;
    const exit: KernelExit = { code, signal, expected: this.expectingExit };
    this.executionState = "dead";
    for (const [id, pending] of this.pending) {
      this.pending.delete(id);
      // A shutdown_request is answered by the exit itself.
      if (exit.expected && pending.channel === "control") pending.resolve({ reply: pending.reply!, iopub: pending.iopub });
      else pending.reject(new KernelExitedError(exit));
    }
    for (const waiter of this.iopubWaiters.splice(0)) waiter(null);
    this.emit("exit", exit);
  }
}
