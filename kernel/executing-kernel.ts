/**
 * What `agnb run` and the VS Code extension need of a kernel, whether it is a local process
 * (`KernelClient`, client.ts) or a kernel on a Jupyter server (`RemoteKernelClient`,
 * remote/remote-client.ts): both satisfy this, so their users do not know which they hold.
 *
 * Events: `status` (execution_state), `iopub` (every iopub message), `stderr` (diagnostic text),
 * `exit` ({code, signal, expected}) once the kernel is gone; a remote kernel also emits
 * `connection` ("connected" | "connecting" | "disconnected") as its websocket comes and goes.
 */
import type { RequestResult } from "./client";
import type { MessageType, WireMessage } from "./messages";

export interface ExecuteOptions {
  silent?: boolean;
  stopOnError?: boolean;
  allowStdin?: boolean;
  onIopub?: (message: WireMessage) => void;
}

export interface ExecutingKernel {
  readonly alive: boolean;
  readonly executionState: string;
  /** Resolves with the kernel_info reply once the kernel is idle. */
  start(): Promise<WireMessage>;
  execute(code: string, options?: ExecuteOptions): Promise<RequestResult>;
  /** A request other than execute (the editor requests of PROTOCOL.md), resolved with its reply. */
  request(channel: "shell" | "control", msgType: MessageType, content: unknown): Promise<RequestResult>;
  /** Stops the running cell; the kernel keeps its state. */
  interrupt(): void;
  /** A fresh kernel: every variable is gone. */
  restart(): Promise<WireMessage>;
  shutdown(restart?: boolean): Promise<void>;
  /** Ends the kernel at once, without waiting for it. */
  kill(): void;
  on(event: string, listener: (...args: any[]) => void): this;
  off(event: string, listener: (...args: any[]) => void): this;
  removeAllListeners(event?: string): this;
}
