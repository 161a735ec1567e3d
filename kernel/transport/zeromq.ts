/**
 * The ZeroMQ transport: the five Jupyter sockets of a connection file, bound only to the address
 * the file names. Shell, control and stdin are ROUTERs, iopub a PUB, heartbeat a REP that echoes
 * on this (transport) thread, so a cell that spins never looks dead. Messages are signed and
 * verified per jupyter-wire.ts; a message that fails is logged in one line and dropped.
 */
import { readFile } from "node:fs/promises";
import { Publisher, Reply, Router, type Socket, type Writable } from "zeromq";
import type { Channel, WireMessage } from "../messages";
import type { AdapterFactory, TransportAdapter } from "./adapter";
import { WireCodec, WireError, hashForScheme } from "./jupyter-wire";

export interface ConnectionInfo {
  transport: "tcp" | "ipc";
  ip: string;
  key: string;
  signature_scheme: string;
  shell_port: number;
  control_port: number;
  iopub_port: number;
  stdin_port: number;
  hb_port: number;
}

type SocketName = Channel | "hb";
const SOCKET_NAMES: SocketName[] = ["shell", "control", "stdin", "iopub", "hb"];
/** Requests whose replies are still due, so a lost reply cannot grow the map without bound. */
const MAX_PENDING_REQUESTS = 10_000;

/** Reads and checks a connection file; every problem is one line naming the file. */
export async function readConnectionFile(file: string): Promise<ConnectionInfo> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const why = code === "ENOENT" ? "does not exist" : code === "EACCES" ? "cannot be read (permission denied)" : code === "EISDIR" ? "is a folder" : `cannot be read (${code ?? (error as Error).message})`;
    throw new Error(`connection file ${file} ${why}`);
  }
  let info: Record<string, unknown>;
  try {
    info = JSON.parse(text);
  } catch (error) {
    throw new Error(`connection file ${file} is not valid JSON (${(error as Error).message})`);
  }
  if (typeof info !== "object" || info === null || Array.isArray(info)) throw new Error(`connection file ${file} is not a JSON object`);
  const problem = (field: string, expected: string) => new Error(`connection file ${file}: "${field}" must be ${expected}, not ${JSON.stringify(info[field]) ?? "missing"}`);
  const transport = info.transport ?? "tcp";
  if (transport !== "tcp" && transport !== "ipc") throw problem("transport", '"tcp" or "ipc"');
  if (typeof info.ip !== "string" || info.ip === "") throw problem("ip", "an address such as \"127.0.0.1\"");
  if (typeof (info.key ?? "") !== "string") throw problem("key", "a string");
  const scheme = info.signature_scheme ?? "hmac-sha256";
  try {
    hashForScheme(String(scheme));
  } catch (error) {
    throw new Error(`connection file ${file}: ${(error as Error).message}`);
  }
  for (const name of SOCKET_NAMES) {
    const port = info[`${name}_port`];
    if (!Number.isInteger(port) || (port as number) < 1 || (port as number) > 65535) throw problem(`${name}_port`, "a port number from 1 to 65535");
  }
  return { ...(info as unknown as ConnectionInfo), transport, key: String(info.key ?? ""), signature_scheme: String(scheme) };
}

/** The endpoint of one socket, spelled as Jupyter spells it. */
export function endpoint(info: ConnectionInfo, name: SocketName): string {
  const port = info[`${name}_port`];
  return info.transport === "ipc" ? `ipc://${info.ip}-${port}` : `tcp://${info.ip}:${port}`;
}

/** Sends one multipart message at a time, as a zeromq socket requires, in order. */
export class Outbox {
  private readonly queue: Buffer[][] = [];
  private draining = false;

  constructor(private readonly socket: Writable, private readonly log: (line: string) => void) {}

  push(frames: Buffer[]): void {
    this.queue.push(frames);
    if (!this.draining) void this.drain();
  }

  private async drain(): Promise<void> {
    this.draining = true;
    while (this.queue.length) {
      try {
        await this.socket.send(this.queue.shift()!);
      } catch (error) {
        if ((this.socket as unknown as Socket).closed) break;
        this.log(`zeromq: could not send a message: ${(error as Error).message}`);
      }
    }
    this.draining = false;
  }
}

class ZeroMQAdapter implements TransportAdapter {
  private readonly sockets = { shell: new Router(), control: new Router(), stdin: new Router(), iopub: new Publisher(), hb: new Reply() };
  private readonly outboxes = new Map<Channel, Outbox>();
  /** Request msg_id → the requester's routing identities, until its reply goes out. */
  private readonly requesters = new Map<string, Buffer[]>();
  private codec: WireCodec | undefined;

  constructor(private readonly connectionFile: string, private readonly log: (line: string) => void) {
    for (const socket of Object.values(this.sockets)) socket.linger = 0;
  }

  async open(receive: (message: WireMessage) => void): Promise<void> {
    const info = await readConnectionFile(this.connectionFile);
    this.codec = new WireCodec(info.key, info.signature_scheme);
    for (const name of SOCKET_NAMES) {
      const address = endpoint(info, name);
      try {
        await this.sockets[name].bind(address);
      } catch (error) {
        await this.close();
        const inUse = (error as NodeJS.ErrnoException).code === "EADDRINUSE" ? `port ${info[`${name}_port`]} is in use` : (error as Error).message;
        throw new Error(`cannot bind the ${name} socket to ${address} (from ${this.connectionFile}): ${inUse}`);
      }
    }
    for (const channel of ["shell", "control", "stdin"] as const) {
      this.outboxes.set(channel, new Outbox(this.sockets[channel], this.log));
      void this.listen(channel, receive);
    }
    this.outboxes.set("iopub", new Outbox(this.sockets.iopub, this.log));
    void this.echoHeartbeats();
  }

  send(message: WireMessage): void {
    const outbox = this.outboxes.get(message.channel);
    if (!outbox || !this.codec) {
      this.log(`zeromq: dropped an outgoing ${message.header?.msg_type} on unknown channel ${JSON.stringify(message.channel)}`);
      return;
    }
    try {
      outbox.push(this.codec.serialize(message, this.routeFor(message)));
    } catch (error) {
      this.log(`zeromq: dropped an outgoing ${message.header.msg_type}: ${(error as Error).message}`);
    }
  }

  async close(): Promise<void> {
    for (const socket of Object.values(this.sockets)) socket.close();
  }

  /** iopub carries a topic; replies and input requests go back to whoever sent the request. */
  private routeFor(message: WireMessage): Buffer[] {
    if (message.channel === "iopub") return [Buffer.from(`kernel.${message.header.msg_type}`)];
    const requestId = (message.parent_header as { msg_id?: string }).msg_id ?? "";
    const identities = this.requesters.get(requestId);
    if (!identities) throw new WireError(`no requester known for parent ${JSON.stringify(requestId)}`);
    if (message.header.msg_type.endsWith("_reply")) this.requesters.delete(requestId);
    return identities;
  }

  private async listen(channel: "shell" | "control" | "stdin", receive: (message: WireMessage) => void): Promise<void> {
    for await (const frames of this.sockets[channel]) {
      let decoded;
      try {
        decoded = this.codec!.deserialize(frames, channel);
      } catch (error) {
        this.log(`zeromq: dropped a message on ${channel}: ${(error as Error).message}`);
        continue;
      }
      if (channel !== "stdin") this.remember(decoded.message.header.msg_id, decoded.identities);
      try {
        receive(decoded.message);
      } catch (error) {
        this.log(`zeromq: handling a ${decoded.message.header.msg_type} failed: ${(error as Error).message}`);
      }
    }
  }

  private remember(msgId: string, identities: Buffer[]): void {
    if (this.requesters.size >= MAX_PENDING_REQUESTS) this.requesters.delete(this.requesters.keys().next().value!);
    this.requesters.set(msgId, identities);
  }

  private async echoHeartbeats(): Promise<void> {
    try {
      for await (const ping of this.sockets.hb) await this.sockets.hb.send(ping);
    } catch (error) {
      if (!this.sockets.hb.closed) this.log(`zeromq: heartbeat stopped: ${(error as Error).message}`);
    }
  }
}

export const createZeroMQAdapter: AdapterFactory = (options, log) => {
  if (options.kind !== "zeromq") throw new Error(`the ZeroMQ adapter cannot open a ${options.kind} transport`);
  return new ZeroMQAdapter(options.connectionFile, log);
};
