/**
 * What the kernel's main thread (bridge.ts) and its transport thread (thread.ts) share: the
 * messages they post each other and the slots of the shared memory through which the thread
 * reaches a main thread that is busy or blocked. Runtimes without SharedArrayBuffer post the
 * same facts instead (main-signals.ts, thread-signals.ts).
 */
import type { MessagePort } from "node:worker_threads";
import type { Header, OutgoingMessage, WireMessage } from "../messages";
import type { TransportOptions } from "./adapter";

/** Whether this runtime shares memory between threads; without it the two threads only post messages. */
export const SHARED_MEMORY = typeof SharedArrayBuffer === "function";

/** Slots of the shared Int32Array. */
export const SLOT = {
  /** Counts interrupt_requests; the thread adds one per request. */
  interruptRequested: 0,
  /** The last interrupt the main thread has acted on (or judged stale). */
  interruptHandled: 1,
  /** The last flush the thread has completed. */
  flushed: 2,
  /** State of a cell's request for input (INPUT). */
  input: 3,
  /** Counts the requests handed to the main thread; each carries its number. */
  arrivals: 4,
} as const;
export const SLOT_COUNT = 5;

export const INPUT = { idle: 0, waiting: 1, answered: 2, interrupted: 3 } as const;

export interface ThreadSetup {
  options: TransportOptions;
  /** The content of kernel_info_reply, which the thread sends on its own. */
  kernelInfo: Record<string, unknown>;
  /** Null where the runtime has no SharedArrayBuffer. */
  shared: SharedSlots | null;
  /**
   * What the main thread reads while it cannot return to its event loop: input replies (with
   * shared memory), or, without it, flush completions and interrupts (`PortSignal`).
   */
  syncPort: MessagePort;
  /** To the type checker's thread, which answers completion, inspect and diagnostics requests. */
  editorPort?: MessagePort;
  /** The parent's pid as the kernel process first saw it: a parent that dies while the kernel loads still counts as gone. */
  parentPid: number;
}

export interface SharedSlots {
  /** The slots (SLOT). */
  state: SharedArrayBuffer;
  /** The executor's interrupt flag, checked by loops in cells. */
  interruptFlag: SharedArrayBuffer;
}

/** Posted on the sync port without shared memory. */
export type PortSignal = { flushed: number } | { interrupt: number };

export interface InputRequest { prompt: string; password: boolean; parent_header: Header }

export type ToThread =
  | { kind: "send"; message: OutgoingMessage }
  | { kind: "flush"; id: number; close: boolean }
  | { kind: "input"; request: InputRequest }
  /** The live values' answer to an `introspect` (complete or inspect content, or null). */
  | { kind: "introspected"; id: number; content: Record<string, unknown> | null }
  /** Without shared memory: the main thread has acted on interrupt `seq` (or judged it stale). */
  | { kind: "interruptTaken"; seq: number }
  /** Without shared memory: how many interrupts have been requested so far? (a cell starts) */
  | { kind: "countInterrupts" };

export type FromThread =
  /** `arrival` numbers requests in the order they arrived on the thread. */
  | { kind: "message"; message: WireMessage; arrival: number }
  | { kind: "interrupt"; seq: number }
  /** Without shared memory: the answer to countInterrupts, after every interrupt it counts. */
  | { kind: "interruptsCounted"; count: number }
  /** Without shared memory: the frontend's input reply, or an interrupt that ended the wait for it. */
  | { kind: "input"; value: string | null; interrupted: boolean }
  /** Types could not answer an editor request: the live values are asked. */
  | { kind: "introspect"; id: number; request: "complete" | "inspect" | "signature" | "diagnostics"; code: string; cursorPos: number }
  | { kind: "shutdown"; restart: boolean }
  | { kind: "exit"; code: number; reason: string };
