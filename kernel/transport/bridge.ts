/**
 * The main thread's side of the transport thread (thread.ts): starts it, hands it outgoing
 * messages (it fills in the headers and encodes them), passes incoming ones to the kernel core,
 * and offers what must work while the main thread cannot return to its event loop: a flush that
 * waits for output to be written, and a blocking wait for a frontend's input reply.
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { MessageChannel, Worker, receiveMessageOnPort, type MessagePort } from "node:worker_threads";
import { KeyboardInterrupt } from "../errors";
import type { OutgoingMessage, WireMessage } from "../messages";
import type { TransportOptions } from "./adapter";
import { takeTransportPort } from "../intelligence-channel";
import { INPUT, SLOT, SLOT_COUNT, type FromThread, type InputRequest, type ThreadSetup, type ToThread } from "./shared-state";

/** Taken at load, before any cell can replace them. */
const { load, store, exchange, wait } = Atomics;
const waitAsync = (Atomics as unknown as { waitAsync: (a: Int32Array, i: number, v: number) => { async: boolean; value: Promise<unknown> | string } }).waitAsync;
const now = performance.now.bind(performance);

/** The transport bundle sits next to the kernel bundle; from source, in dist/. */
export function transportScript(): string {
  const beside = join(__dirname, "kernel-transport.cjs");
  return existsSync(beside) ? beside : join(__dirname, "..", "..", "dist", "kernel-transport.cjs");
}

// Read as the kernel's code loads, long before the transport thread runs.
const PARENT_AT_LOAD = process.ppid;

export interface BridgeHandlers {
  /** `arrival` numbers requests in their order of arrival on the transport thread. */
  message(message: WireMessage, arrival: number): void;
  /** An interrupt_request for the cell that is running now. */
  interrupt(): void;
  shutdown(restart: boolean): void;
  exit(code: number, reason: string): void;
  /** An editor request types could not answer, from the live values (never running a getter). */
  introspect?(kind: string, code: string, cursorPos: number): Record<string, unknown> | null;
}

export class TransportBridge {
  private readonly worker: Worker;
  private readonly post: (message: ToThread) => void;
  private readonly state = new Int32Array(new SharedArrayBuffer(4 * SLOT_COUNT));
  private readonly inputPort: MessagePort;
  private flushCount = 0;
  private threadAlive = true;
  /** Interrupts requested before the running cell started are not for it. */
  private cellStartInterrupt = 0;

  constructor(options: TransportOptions, kernelInfo: Record<string, unknown>, interruptFlag: Int32Array, private readonly handlers: BridgeHandlers) {
    const { port1, port2 } = new MessageChannel();
    this.inputPort = port1;
    const editorPort = takeTransportPort();
    const setup: ThreadSetup = { options, kernelInfo, state: this.state.buffer as SharedArrayBuffer, interruptFlag: interruptFlag.buffer as SharedArrayBuffer, inputPort: port2, editorPort, parentPid: PARENT_AT_LOAD };
    this.worker = new Worker(transportScript(), { workerData: setup, transferList: editorPort ? [port2, editorPort] : [port2] });
    this.post = this.worker.postMessage.bind(this.worker);
    this.worker.on("message", (message: FromThread) => this.receive(message));
    this.worker.on("error", (error) => handlers.exit(1, `kernel: the transport thread failed: ${error.message}`));
    this.worker.on("exit", (code) => {
      this.threadAlive = false;
      handlers.exit(code || 1, "kernel: the transport thread ended");
    });
  }

  /** Sends a message; content that cannot cross to the thread is replaced by a note, never thrown. */
  send(message: OutgoingMessage): void {
    try {
      this.post({ kind: "send", message });
      return;
    } catch {
      // Functions, symbols or host objects in the content: fall through to a copy without them.
    }
    try {
      this.post({ kind: "send", message: { ...message, content: cloneable(message.content, new Map()) } });
    } catch (error) {
      const note = `(cannot send this output: ${String((error as Error)?.message ?? error)})`;
      this.post({ kind: "send", message: { ...message, content: { name: "stderr", text: `${note}\n`, data: { "text/plain": note }, metadata: {} } } });
    }
  }

  /** How many requests have arrived on the transport thread so far, delivered here or not. */
  arrivals(): number {
    return load(this.state, SLOT.arrivals);
  }

  /** Marks the start of a cell: interrupts requested before now do not stop it. */
  cellStarted(): void {
    this.cellStartInterrupt = load(this.state, SLOT.interruptRequested);
  }

  /**
   * Waits, blocking this thread, until everything sent so far has been written (with `close`,
   * until the transport is closed), or `timeoutMs` has passed. For exit paths, where the event
   * loop will not run again.
   */
  flushSync({ close = false, timeoutMs = 2000 } = {}): boolean {
    if (!this.threadAlive) return false;
    const id = ++this.flushCount;
    this.post({ kind: "flush", id, close });
    const deadline = now() + timeoutMs;
    for (let seen = load(this.state, SLOT.flushed); seen < id; seen = load(this.state, SLOT.flushed)) {
      const left = deadline - now();
      if (left <= 0) return false;
      wait(this.state, SLOT.flushed, seen, left);
    }
    return true;
  }

  /** Asks the frontend for input and blocks until the reply; an interrupt throws KeyboardInterrupt. */
  requestInput(request: InputRequest): string | null {
    this.beginInput(request);
    while (load(this.state, SLOT.input) === INPUT.waiting) wait(this.state, SLOT.input, INPUT.waiting, 1000);
    return this.takeInput();
  }

  async requestInputAsync(request: InputRequest): Promise<string | null> {
    this.beginInput(request);
    while (load(this.state, SLOT.input) === INPUT.waiting) {
      const waiting = waitAsync(this.state, SLOT.input, INPUT.waiting);
      if (waiting.async) await waiting.value;
    }
    return this.takeInput();
  }

  private beginInput(request: InputRequest): void {
    if (load(this.state, SLOT.input) !== INPUT.idle) throw new Error("another input request is still waiting for its reply");
    store(this.state, SLOT.input, INPUT.waiting);
    this.post({ kind: "input", request });
  }

  private takeInput(): string | null {
    const outcome = exchange(this.state, SLOT.input, INPUT.idle);
    if (outcome === INPUT.interrupted) throw new KeyboardInterrupt();
    const received = receiveMessageOnPort(this.inputPort);
    return typeof received?.message === "string" ? received.message : null;
  }

  private receive(message: FromThread): void {
    switch (message.kind) {
      case "message":
        this.handlers.message(message.message, message.arrival);
        return;
      case "interrupt": {
        const stale = message.seq <= this.cellStartInterrupt || message.seq <= load(this.state, SLOT.interruptHandled);
        store(this.state, SLOT.interruptHandled, Math.max(message.seq, load(this.state, SLOT.interruptHandled)));
        if (!stale) this.handlers.interrupt();
        return;
      }
      case "introspect": {
        let content: Record<string, unknown> | null = null;
        try {
          content = this.handlers.introspect?.(message.request, message.code, message.cursorPos) ?? null;
        } finally {
          this.post({ kind: "introspected", id: message.id, content });
        }
        return;
      }
      case "shutdown":
        this.handlers.shutdown(message.restart);
        return;
      case "exit":
        this.handlers.exit(message.code, message.reason);
    }
  }
}

/** A copy that structured clone accepts: functions and symbols become text. */
function cloneable(value: unknown, seen: Map<object, unknown>): unknown {
  if (typeof value === "function") return `[function ${value.name || "(anonymous)"}]`;
  if (typeof value === "symbol") return value.toString();
  if (typeof value !== "object" || value === null) return value;
  if (seen.has(value)) return seen.get(value);
  if (Array.isArray(value)) {
    const copy: unknown[] = [];
    seen.set(value, copy);
    for (const item of value) copy.push(cloneable(item, seen));
    return copy;
  }
  const copy: Record<string, unknown> = {};
  seen.set(value, copy);
  for (const key of Object.keys(value)) copy[key] = cloneable((value as Record<string, unknown>)[key], seen);
  return copy;
}
