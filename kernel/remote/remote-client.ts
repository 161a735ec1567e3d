/**
 * A kernel on a Jupyter server, driven through @jupyterlab/services (REST to start, interrupt,
 * restart and shut it down; a websocket for its messages) behind the same surface as the local
 * `KernelClient` (see ../executing-kernel.ts), so `agnb run` and the extension use either.
 *
 * A dropped websocket is retried by the library, on the same kernel and session, so a server
 * that buffered the kernel's messages meanwhile replays them; `connection` events say so at
 * once. A connection not back within `reconnectTimeoutMs`, or a kernel that died on the server,
 * ends the kernel for its user: pending requests fail with a message naming the server, and
 * `exit` is emitted ({expected: false}), as when a local process dies.
 */
import { EventEmitter } from "node:events";
import { KernelAPI, KernelConnection, KernelMessage, type Kernel } from "@jupyterlab/services";
import type { RequestResult } from "../client";
import type { ExecuteOptions, ExecutingKernel } from "../executing-kernel";
import type { MessageType, WireMessage } from "../messages";
import { REMOTE_KERNEL_NAME, RemoteServerError, checkServer, describeServer, networkReason, serverSettings, type RemoteServer } from "./server";

export interface RemoteKernelOptions {
  server: RemoteServer;
  kernelName?: string;
  /**
   * How long a dropped connection may take to come back before the kernel counts as lost. The
   * library retries at once, then (once the server did not answer) every 10 to 30 s, so the
   * default outlasts one such wait.
   */
  reconnectTimeoutMs?: number;
  startTimeoutMs?: number;
}

const DEFAULT_RECONNECT_TIMEOUT_MS = 45_000;

/** The library's messages are the wire format already; only the type differs. */
const toWire = (message: KernelMessage.IMessage): WireMessage => message as unknown as WireMessage;

/** kernel_info skips the library's send queue, so it waits for the websocket itself. */
function connected(kernel: KernelConnection): Promise<void> {
  if (kernel.connectionStatus === "connected") return Promise.resolve();
  return new Promise((resolve, reject) => {
    const onChange = (_: unknown, status: Kernel.ConnectionStatus) => {
      if (status === "connecting") return;
      kernel.connectionStatusChanged.disconnect(onChange);
      if (status === "connected") resolve(); else reject(new Error("the kernel's websocket closed"));
    };
    kernel.connectionStatusChanged.connect(onChange);
  });
}

export class RemoteKernelClient extends EventEmitter implements ExecutingKernel {
  private kernel: KernelConnection | null = null;
  private readonly failures = new Set<(error: Error) => void>();
  private expectingExit = false;
  private lostTimer: NodeJS.Timeout | null = null;
  executionState: "starting" | "idle" | "busy" | "dead" = "dead";

  constructor(private readonly options: RemoteKernelOptions) {
    super();
  }

  /** The server as messages name it (never with its token). */
  get where(): string {
    return describeServer(this.options.server);
  }

  get alive(): boolean {
    return this.kernel !== null && !this.kernel.isDisposed && this.kernel.status !== "dead";
  }

  /** The kernel's id on the server (for its REST API), once started. */
  get id(): string | undefined {
    return this.kernel?.id;
  }

  async start(): Promise<WireMessage> {
    if (this.alive) throw new Error("the kernel is already running");
    const name = this.options.kernelName ?? REMOTE_KERNEL_NAME;
    await checkServer(this.options.server, name);
    const settings = serverSettings(this.options.server);
    this.expectingExit = false;
    this.executionState = "starting";
    let model: Kernel.IModel;
    try {
      model = await KernelAPI.startNew({ name }, settings);
    } catch (error) {
      this.executionState = "dead";
      throw new RemoteServerError(`the Jupyter server at ${this.where} could not start a ${name} kernel: ${networkReason(error)}`);
    }
    const kernel = new KernelConnection({ model, serverSettings: settings });
    this.attach(kernel);
    const timeoutMs = this.options.startTimeoutMs ?? 60_000;
    let timer: NodeJS.Timeout | undefined;
    try {
      const info = await Promise.race([
        connected(kernel).then(() => kernel.requestKernelInfo()),
        new Promise<never>((_, reject) => { timer = setTimeout(() => reject(new RemoteServerError(`the ${name} kernel on ${this.where} did not answer within ${timeoutMs / 1000} s`)), timeoutMs); }),
      ]);
      if (!info) throw new RemoteServerError(`the ${name} kernel on ${this.where} did not answer kernel_info`);
      return toWire(info);
    } catch (error) {
      this.kill();
      throw error;
    } finally {
      clearTimeout(timer);
    }
  }

  execute(code: string, options: ExecuteOptions = {}): Promise<RequestResult> {
    const kernel = this.kernel;
    if (!kernel || !this.alive) return Promise.reject(new Error(`cannot send execute_request: the kernel on ${this.where} is not running`));
    const silent = options.silent ?? false;
    const future = kernel.requestExecute({
      code, silent, store_history: !silent, user_expressions: {},
      allow_stdin: options.allowStdin ?? false, stop_on_error: options.stopOnError ?? true,
    }, true);
    const iopub: WireMessage[] = [];
    future.onIOPub = (message) => {
      if (message.header.msg_type === "status") return;
      iopub.push(toWire(message));
      options.onIopub?.(toWire(message));
    };
    return new Promise<RequestResult>((resolve, reject) => {
      const fail = (error: Error) => reject(error);
      this.failures.add(fail);
      future.done.then(
        (reply) => resolve({ reply: toWire(reply), iopub }),
        (error: Error) => reject(this.kernel === kernel && this.alive ? error : new RemoteServerError(`the kernel on ${this.where} stopped before the cell finished (${error.message})`)),
      ).finally(() => this.failures.delete(fail));
    });
  }

  /**
   * Any request on shell or control, such as the editor requests of ../PROTOCOL.md (the server
   * forwards every message type). Resolves with the reply: on control our kernel sends no
   * busy/idle for these, so the library's `done`, which waits for idle, is not used.
   */
  request(channel: "shell" | "control", msgType: MessageType, content: unknown): Promise<RequestResult> {
    const kernel = this.kernel;
    if (!kernel || !this.alive) return Promise.reject(new Error(`cannot send ${msgType}: the kernel on ${this.where} is not running`));
    // The library's types know Jupyter's own message types only; ours (agnb_*) travel the same way.
    const message = KernelMessage.createMessage({
      channel: "shell", msgType: msgType as "complete_request", session: kernel.clientId, username: kernel.username, content: content as never,
    }) as KernelMessage.IShellControlMessage;
    message.channel = channel;
    const future = (channel === "control" ? kernel.sendControlMessage(message as KernelMessage.IControlMessage, true, false)
      : kernel.sendShellMessage(message as KernelMessage.IShellMessage, true, false)) as Kernel.IFuture<KernelMessage.IShellControlMessage, KernelMessage.IShellControlMessage>;
    return new Promise<RequestResult>((resolve, reject) => {
      const fail = (error: Error) => {
        future.dispose();
        reject(error);
      };
      this.failures.add(fail);
      future.onReply = (reply) => {
        this.failures.delete(fail);
        future.dispose();
        resolve({ reply: toWire(reply), iopub: [] });
      };
    });
  }

  /** Through the server's REST API, which reaches the kernel however busy it is. */
  interrupt(): void {
    if (!this.alive) return;
    this.kernel!.interrupt().catch((error: Error) => this.emit("stderr", `interrupting the kernel on ${this.where} failed: ${networkReason(error)}\n`));
  }

  async restart(): Promise<WireMessage> {
    const kernel = this.kernel;
    if (!kernel || !this.alive) return this.start();
    this.expectingExit = true;
    try {
      await kernel.restart();
    } finally {
      this.expectingExit = false;
    }
    await connected(kernel);
    const info = await kernel.requestKernelInfo();
    return toWire(info!);
  }

  async shutdown(): Promise<void> {
    const kernel = this.kernel;
    if (!kernel) return;
    this.expectingExit = true;
    await kernel.shutdown().catch(() => undefined);
    this.end(kernel, null);
  }

  kill(): void {
    const kernel = this.kernel;
    if (!kernel) return;
    this.expectingExit = true;
    void kernel.shutdown().catch(() => undefined);
    this.end(kernel, null);
  }

  private attach(kernel: KernelConnection): void {
    this.kernel = kernel;
    kernel.statusChanged.connect((_, status) => {
      if (this.kernel !== kernel) return;
      if (status === "idle" || status === "busy" || status === "starting") {
        this.executionState = status;
        this.emit("status", status);
      } else if ((status === "dead" || status === "autorestarting") && !this.expectingExit) {
        // The server restarts a kernel whose process died; its variables are gone either way.
        kernel.shutdown().catch(() => undefined);
        this.end(kernel, new RemoteServerError(`the kernel on ${this.where} died${status === "autorestarting" ? " (the server is restarting it)" : ""}`));
      }
    });
    kernel.iopubMessage.connect((_, message) => {
      if (this.kernel === kernel) this.emit("iopub", toWire(message));
    });
    kernel.connectionStatusChanged.connect((_, status) => {
      if (this.kernel !== kernel) return;
      this.emit("connection", status);
      if (status === "connected" && this.lostTimer) {
        clearTimeout(this.lostTimer);
        this.lostTimer = null;
      } else if (status === "connecting" && !this.lostTimer) {
        this.lostTimer = setTimeout(() => this.connectionLost(kernel), this.options.reconnectTimeoutMs ?? DEFAULT_RECONNECT_TIMEOUT_MS);
      } else if (status === "disconnected" && !this.expectingExit) {
        this.connectionLost(kernel);
      }
    });
  }

  private connectionLost(kernel: KernelConnection): void {
    if (this.kernel !== kernel) return;
    this.end(kernel, new RemoteServerError(`the connection to the Jupyter server at ${this.where} was lost`));
  }

  /** Forgets the kernel; with `error`, fails what is pending and reports an unexpected exit. */
  private end(kernel: KernelConnection, error: Error | null): void {
    if (this.kernel !== kernel) return;
    this.kernel = null;
    if (this.lostTimer) clearTimeout(this.lostTimer);
    this.lostTimer = null;
    this.executionState = "dead";
    const expected = this.expectingExit;
    for (const fail of this.failures) fail(error ?? new Error(`the kernel on ${this.where} was shut down`));
    this.failures.clear();
    if (!kernel.isDisposed) kernel.dispose();
    this.emit("status", "dead");
    this.emit("exit", { code: null, signal: null, expected, reason: error?.message });
  }
}
