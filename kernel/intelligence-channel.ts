/**
 * The channel between the transport thread and the type checker's thread, made once per kernel
 * process on the main thread: completion, hover, signature and diagnostics requests go straight
 * from one to the other, so they are answered while a cell runs.
 */
import { MessageChannel, type MessagePort } from "node:worker_threads";

let channel: MessageChannel | undefined;
const taken = { transport: false, checker: false };

function ports(): MessageChannel {
  channel ??= new MessageChannel();
  return channel;
}

/** The transport thread's end; undefined once taken (each end crosses to one thread). */
export function takeTransportPort(): MessagePort | undefined {
  if (taken.transport) return undefined;
  taken.transport = true;
  return ports().port1;
}

/** The checker thread's end; undefined once taken. */
export function takeCheckerPort(): MessagePort | undefined {
  if (taken.checker) return undefined;
  taken.checker = true;
  return ports().port2;
}

/** What the transport thread asks the checker thread. `cursor_pos` counts code points, as Jupyter. */
export interface IntelligenceRequest {
  id: number;
  kind: "complete" | "inspect" | "signature" | "diagnostics";
  code: string;
  cursor_pos: number;
}

/** The reply's content; `runtime` asks for the live values' answer too (types could not say). */
export interface IntelligenceResponse {
  id: number;
  content: Record<string, unknown> | null;
  runtime: boolean;
}
