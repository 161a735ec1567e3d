/**
 * A small Jupyter client over ZeroMQ, built on the kernel's own wire codec, for tests and the
 * benchmark: connection files with free loopback ports, requests with their replies, executes
 * with their iopub outputs up to idle, raw frames (for forged messages) and heartbeats.
 */
import { randomUUID } from "node:crypto";
import { writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import { join } from "node:path";
import { Dealer, Request, Subscriber } from "zeromq";
import { makeMessage, type Channel, type MessageType, type WireMessage } from "../../kernel/messages";
import { WireCodec, WireError } from "../../kernel/transport/jupyter-wire";
import { Outbox, endpoint, type ConnectionInfo } from "../../kernel/transport/zeromq";

/** Ports that were free on 127.0.0.1 a moment ago (the OS does not hand them out again at once). */
export async function freePorts(count: number): Promise<number[]> {
  const servers = await Promise.all(Array.from({ length: count }, () => new Promise<ReturnType<typeof createServer>>((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve(server));
  })));
  const ports = servers.map((server) => (server.address() as { port: number }).port);
  await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
  return ports;
}

export async function writeConnectionFile(folder: string, overrides: Partial<ConnectionInfo> = {}): Promise<{ file: string; info: ConnectionInfo }> {
  const [shell_port, control_port, iopub_port, stdin_port, hb_port] = await freePorts(5);
  const info: ConnectionInfo = {
    transport: "tcp", ip: "127.0.0.1", key: randomUUID(), signature_scheme: "hmac-sha256",
    shell_port, control_port, iopub_port, stdin_port, hb_port, ...overrides,
  };
  const file = join(folder, `kernel-${randomUUID()}.json`);
  await writeFile(file, JSON.stringify(info));
  return { file, info };
}

type RequestChannel = "shell" | "control" | "stdin";

export class ZeroMQClient {
  readonly session = randomUUID();
  private readonly codec: WireCodec;
  private readonly sockets = { shell: new Dealer(), control: new Dealer(), stdin: new Dealer() };
  private readonly iopub = new Subscriber();
  private readonly outboxes: Record<RequestChannel, Outbox>;
  private readonly waiting = new Map<string, (reply: WireMessage) => void>();
  private readonly iopubListeners = new Set<(message: WireMessage) => void>();
  /** Called with each input_request; its result is sent back as the input_reply. */
  onInputRequest: (prompt: string) => string = () => "";

  constructor(private readonly info: ConnectionInfo, key = info.key) {
    this.codec = new WireCodec(key, info.signature_scheme);
    for (const socket of [...Object.values(this.sockets), this.iopub]) {
      socket.linger = 0;
      // A kernel still starting is retried every 10 ms rather than zeromq's default 100 ms.
      socket.reconnectInterval = 10;
    }
    // jupyter_client gives shell and stdin the same identity: input requests follow their execute.
    this.sockets.shell.routingId = this.sockets.stdin.routingId = this.session;
    const log = (line: string) => process.stderr.write(`zeromq client: ${line}\n`);
    this.outboxes = { shell: new Outbox(this.sockets.shell, log), control: new Outbox(this.sockets.control, log), stdin: new Outbox(this.sockets.stdin, log) };
    for (const channel of Object.keys(this.sockets) as RequestChannel[]) {
      this.sockets[channel].connect(endpoint(info, channel));
      void this.listen(channel);
    }
    this.iopub.connect(endpoint(info, "iopub"));
    this.iopub.subscribe();
    void this.listenIopub();
  }

  /** Sends a request and resolves with its reply. */
  request(channel: RequestChannel, msgType: MessageType, content: unknown): Promise<WireMessage> {
    const message = makeMessage(channel, msgType, content, { session: this.session });
    const reply = new Promise<WireMessage>((resolve) => this.waiting.set(message.header.msg_id, resolve));
    this.outboxes[channel].push(this.codec.serialize(message));
    return reply;
  }

  /** Runs a cell: resolves with its reply and every iopub message it caused, once the kernel is idle again. */
  async execute(code: string, options: { allowStdin?: boolean } = {}): Promise<{ reply: WireMessage; outputs: WireMessage[] }> {
    const outputs: WireMessage[] = [];
    let requestId = "";
    let idle!: () => void;
    const idleSeen = new Promise<void>((resolve) => { idle = resolve; });
    const listener = (message: WireMessage) => {
      if ((message.parent_header as { msg_id?: string }).msg_id !== requestId) return;
      if (message.header.msg_type === "status" && message.content.execution_state === "idle") idle();
      else outputs.push(message);
    };
    this.iopubListeners.add(listener);
    const content = { code, silent: false, store_history: true, user_expressions: {}, allow_stdin: options.allowStdin ?? false, stop_on_error: true };
    const message = makeMessage("shell", "execute_request", content, { session: this.session });
    requestId = message.header.msg_id;
    const reply = new Promise<WireMessage>((resolve) => this.waiting.set(requestId, resolve));
    this.outboxes.shell.push(this.codec.serialize(message));
    const [answer] = await Promise.all([reply, idleSeen]);
    this.iopubListeners.delete(listener);
    return { reply: answer, outputs };
  }

  /** Resolves once iopub is subscribed and the kernel answers kernel_info (as Jupyter clients wait). */
  async waitForReady(timeoutMs = 30_000): Promise<WireMessage> {
    const deadline = Date.now() + timeoutMs;
    let iopubSeen = false;
    const listener = () => { iopubSeen = true; };
    this.iopubListeners.add(listener);
    try {
      while (Date.now() < deadline) {
        const info = await Promise.race([this.request("shell", "kernel_info_request", {}), delay(250)]);
        if (info && iopubSeen) return info;
      }
      throw new Error(`no kernel_info_reply with iopub traffic within ${timeoutMs} ms`);
    } finally {
      this.iopubListeners.delete(listener);
    }
  }

  sendFrames(channel: RequestChannel, frames: Buffer[]): void {
    this.outboxes[channel].push(frames);
  }

  /** One heartbeat round trip on a fresh REQ socket; resolves with the echo, or null on timeout. */
  async heartbeat(payload: string, timeoutMs: number): Promise<string | null> {
    const socket = new Request({ linger: 0, receiveTimeout: timeoutMs });
    socket.connect(endpoint(this.info, "hb"));
    try {
      await socket.send(payload);
      const [echo] = await socket.receive();
      return echo.toString();
    } catch {
      return null;
    } finally {
      socket.close();
    }
  }

  close(): void {
    for (const socket of [...Object.values(this.sockets), this.iopub]) socket.close();
  }

  private async listen(channel: RequestChannel): Promise<void> {
    for await (const frames of this.sockets[channel]) {
      const message = this.decode(frames, channel);
      if (!message) continue;
      if (message.header.msg_type === "input_request") {
        const reply = makeMessage("stdin", "input_reply", { value: this.onInputRequest(String(message.content.prompt)) }, { session: this.session, parent: message.header });
        this.outboxes.stdin.push(this.codec.serialize(reply));
        continue;
      }
      const parentId = (message.parent_header as { msg_id?: string }).msg_id ?? "";
      this.waiting.get(parentId)?.(message);
      this.waiting.delete(parentId);
    }
  }

  /** A message this client cannot verify (it was given a wrong key, on purpose) is skipped. */
  private decode(frames: Buffer[], channel: Channel): WireMessage | undefined {
    try {
      return this.codec.deserialize(frames, channel).message;
    } catch (error) {
      if (error instanceof WireError) return undefined;
      throw error;
    }
  }

  private async listenIopub(): Promise<void> {
    for await (const frames of this.iopub) {
      const message = this.decode(frames, "iopub");
      if (!message) continue;
      for (const listener of this.iopubListeners) listener(message);
    }
  }
}

export const delay = (ms: number) => new Promise<undefined>((resolve) => setTimeout(resolve, ms));
