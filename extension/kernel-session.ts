// One notebook's kernel process. It starts on the first execute (so opening a notebook costs
// nothing), runs in VS Code's own runtime as plain Node (ELECTRON_RUN_AS_NODE), and reports
// its state and an unexpected exit to the controller.
import { KernelClient, type KernelExit } from "../kernel/client";
import type { IopubMessage } from "./cell-output-writer";

export type KernelState = "not started" | "starting" | "idle" | "busy" | "dead";

export interface KernelSessionOptions {
  script: string;
  cwd?: string;
  /** Added to the kernel's environment (the extension's settings, such as AGNB_STATIC_PICTURES). */
  env?: NodeJS.ProcessEnv;
  onState(state: KernelState): void;
  onUnexpectedExit(reason: string): void;
  /** Diagnostics: the kernel's stderr and lifecycle events. */
  log(line: string): void;
}

export interface ExecuteOutcome { status: "ok" | "error" | "aborted"; executionCount: number | null }

export class KernelSession {
  private client: KernelClient | null = null;
  private starting: Promise<KernelClient> | null = null;
  state: KernelState = "not started";

  constructor(private readonly options: KernelSessionOptions) {}

  async execute(code: string, onMessage: (message: IopubMessage) => void): Promise<ExecuteOutcome> {
    const client = await this.started();
    const { reply } = await client.execute(code, { onIopub: (message) => onMessage(message as unknown as IopubMessage) });
    const content = reply.content as { status: ExecuteOutcome["status"]; execution_count?: number };
    return { status: content.status, executionCount: typeof content.execution_count === "number" ? content.execution_count : null };
  }

  /** A request on control (editor requests: answered while a cell runs); starts the kernel if needed. */
  async request(msgType: string, content: Record<string, unknown>): Promise<Record<string, any>> {
    return (await (await this.started()).request("control", msgType as never, content)).reply.content;
  }

  interrupt(): void {
    this.options.log(`interrupt (kernel pid ${this.client?.pid ?? "none"})`);
    this.client?.interrupt();
  }

  async restart(): Promise<void> {
    const client = this.client;
    this.client = null;
    this.starting = null;
    if (client) {
      client.removeAllListeners("exit");
      await client.shutdown(true);
    }
    await this.started();
  }

  dispose(): void {
    const client = this.client;
    this.client = null;
    this.starting = null;
    if (!client) return;
    client.removeAllListeners("exit");
    void client.shutdown(false).catch(() => client.kill());
  }

  private started(): Promise<KernelClient> {
    this.starting ??= this.launch();
    return this.starting;
  }

  private async launch(): Promise<KernelClient> {
    const client = new KernelClient({
      kernelScript: this.options.script,
      nodePath: this.options.env?.AGNB_NODE || process.execPath,
      env: { ...process.env, ...this.options.env, ELECTRON_RUN_AS_NODE: "1" },
      cwd: this.options.cwd,
    });
    this.setState("starting");
    const settings = Object.entries(this.options.env ?? {}).map(([key, value]) => `${key}=${value}`).join(" ");
    this.options.log(`starting ${process.execPath} ${this.options.script} in ${this.options.cwd ?? process.cwd()}${settings ? ` with ${settings}` : ""}`);
    client.on("stderr", (text: string) => this.options.log(text.trimEnd()));
    client.on("status", (state: KernelState) => this.setState(state));
    client.on("exit", (exit: KernelExit) => {
      this.options.log(`kernel exited (code ${exit.code}, signal ${exit.signal}, expected ${exit.expected})`);
      if (this.client !== client) return;
      this.client = null;
      this.starting = null;
      this.setState("dead");
      if (!exit.expected) this.options.onUnexpectedExit(exit.signal ? `signal ${exit.signal}` : `exit code ${exit.code}`);
    });
    this.client = client;
    try {
      await client.start();
    } catch (error) {
      this.client = null;
      this.starting = null;
      this.setState("dead");
      throw new Error(`The Autograd kernel could not start: ${(error as Error).message}. Check the setting autogradNotebook.nodePath (empty, or a Node 20 or newer) and the "Autograd Notebook" output channel, then run the cell again.`);
    }
    return client;
  }

  private setState(state: KernelState): void {
    if (this.state === state) return;
    this.state = state;
    this.options.onState(state);
  }
}
