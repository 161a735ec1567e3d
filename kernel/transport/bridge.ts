/**
 * The main thread's side of the transport thread (thread.ts): starts it, hands it outgoing
 * messages (it fills in the headers and encodes them), passes incoming ones to the kernel core,
 * and offers what must work while the main thread cannot return to its event loop: a flush that
 * waits for output to be written, and a blocking wait for a frontend's input reply (where the
 * runtime shares memory between threads: main-signals.ts).
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { MessageChannel, Worker } from "node:worker_threads";
import type { OutgoingMessage, WireMessage } from "../messages";
import type { TransportOptions } from "./adapter";
import { takeTransportPort } from "../intelligence-channel";
import { mainSignals, type MainSignals } from "./main-signals";
import type { FromThread, InputRequest, ThreadSetup, ToThread } from "./shared-state";

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
  private readonly signals: MainSignals;
  private flushCount = 0;
  private threadAlive = true;
  /** Interrupts requested before the running cell started are not for it. */
  private cellStartInterrupt = 0;
  /** The last interrupt this thread has acted on (or judged stale). */
  private interruptHandled = 0;

  constructor(options: TransportOptions, kernelInfo: Record<string, unknown>, interruptFlag: Int32Array, private readonly handlers: BridgeHandlers) {
    const { port1, port2 } = new MessageChannel();
    this.signals = mainSignals(interruptFlag, port1, (message) => this.post(message));
    const editorPort = takeTransportPort();
    const setup: ThreadSetup = { options, kernelInfo, shared: this.signals.slots, syncPort: port2, editorPort, parentPid: PARENT_AT_LOAD };
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
    return this.signals.arrivals();
  }

  /** Marks the start of a cell: interrupts requested before now do not stop it. */
  cellStarted(): void | Promise<void> {
    const counted = this.signals.interruptsRequested();
    if (typeof counted === "number") this.cellStartInterrupt = counted;
    else return counted.then((count) => { this.cellStartInterrupt = count; });
  }

  /** Without shared memory, for loop checks: whether an interrupt of the running cell has been posted; it is taken then. */
  pollInterrupt(): boolean {
    const seq = this.signals.postedInterrupt();
    if (seq <= this.cellStartInterrupt || seq <= this.interruptHandled) return false;
    this.interruptHandled = seq;
    this.signals.tookInterrupt(seq);
    return true;
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
    return this.signals.waitFlushed(id, timeoutMs);
  }

  /** Asks the frontend for input and blocks until the reply; an interrupt throws KeyboardInterrupt. */
  requestInput(request: InputRequest): string | null {
    this.beginInput(request, true);
    return this.signals.waitInput();
  }

  async requestInputAsync(request: InputRequest): Promise<string | null> {
    this.beginInput(request, false);
    return this.signals.waitInputAsync();
  }

  private beginInput(request: InputRequest, blocking: boolean): void {
    this.signals.beginInput(blocking);
    this.post({ kind: "input", request });
  }

  private receive(message: FromThread): void {
    switch (message.kind) {
      case "message":
        this.signals.delivered(message.arrival);
        this.handlers.message(message.message, message.arrival);
        return;
      case "interrupt": {
        const stale = message.seq <= this.cellStartInterrupt || message.seq <= this.interruptHandled;
        this.interruptHandled = Math.max(message.seq, this.interruptHandled);
        this.signals.tookInterrupt(message.seq);
        if (!stale) this.handlers.interrupt();
        return;
      }
      case "interruptsCounted":
        this.signals.interruptsCounted(message.count);
        return;
      case "input":
        this.signals.inputArrived(message.value, message.interrupted);
        return;
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
