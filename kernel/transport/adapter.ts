/**
 * The contract between the kernel's transport thread (thread.ts) and each transport: the local
 * JSON-lines pipe on fd 3 (local.ts) and ZeroMQ with a connection file (zeromq.ts).
 */
import type { WireMessage } from "../messages";

/** A transport: runs on the transport thread; knows sockets, not kernels. */
export interface TransportAdapter {
  /** Opens the transport. `receive` is called for each incoming message as soon as it arrives
   * (already verified/decoded). Rejects with an Error whose message is one clear line naming the
   * file, address or port that failed. */
  open(receive: (message: WireMessage) => void): Promise<void>;
  /** Sends one complete message (header filled in) on the channel named by `message.channel`. */
  send(message: WireMessage): void;
  close(): Promise<void>;
}

export type TransportOptions =
  | { kind: "local" }                                  // fd 3
  | { kind: "zeromq"; connectionFile: string };

/** How the thread makes an adapter; `log` writes a diagnostic line to stderr (never secrets). */
export type AdapterFactory = (options: TransportOptions, log: (line: string) => void) => TransportAdapter;
