/**
 * The main thread's side of thread-signals.ts: what the transport thread counted, and the waits
 * for a flush or an input reply. With SharedArrayBuffer it reads shared memory and blocks on it;
 * without, it learns what was posted when its event loop turns, waits for input asynchronously
 * only, and reads flush completions (exit paths alone wait for them) and interrupts (for loop
 * checks) from a port synchronously.
 */
import { receiveMessageOnPort, type MessagePort } from "node:worker_threads";
import { KeyboardInterrupt, StdinNotImplementedError } from "../errors";
import { INPUT, SHARED_MEMORY, SLOT, SLOT_COUNT, type PortSignal, type SharedSlots, type ToThread } from "./shared-state";

export interface MainSignals {
  /** What the transport thread is given to reach this side; null without shared memory. */
  readonly slots: SharedSlots | null;
  /** Requests that have arrived on the transport thread so far; with shared memory also those not delivered here yet. */
  arrivals(): number;
  /** A request with this arrival number was delivered here. */
  delivered(arrival: number): void;
  /**
   * Interrupts requested so far, delivered here or not. Without shared memory the thread is
   * asked, and its answer comes after every interrupt message it counts.
   */
  interruptsRequested(): number | Promise<number>;
  /** The thread's answer to that question (posted signals). */
  interruptsCounted(count: number): void;
  /** This thread has acted on interrupt `seq` (or judged it stale), which may spare the cell a SIGINT. */
  tookInterrupt(seq: number): void;
  /** Blocks until flush `id` is done; false after `timeoutMs`. */
  waitFlushed(id: number, timeoutMs: number): boolean;
  /** Marks the start of a wait for input; throws if another one still waits, or if `blocking` cannot be done here. */
  beginInput(blocking: boolean): void;
  /** Blocks until the reply; KeyboardInterrupt if interrupted meanwhile. */
  waitInput(): string | null;
  waitInputAsync(): Promise<string | null>;
  /** A posted input reply, or the interrupt that ended the wait. */
  inputArrived(value: string | null, interrupted: boolean): void;
  /** The newest interrupt the port brought since last asked, or 0 (without shared memory, for loop checks). */
  postedInterrupt(): number;
}

const { exchange, load, store, wait } = Atomics;
const waitAsync = (Atomics as unknown as { waitAsync: (a: Int32Array, i: number, v: number) => { async: boolean; value: Promise<unknown> | string } }).waitAsync;
const now = performance.now.bind(performance);
const ANOTHER_INPUT = "another input request is still waiting for its reply";

/** Why prompt() cannot work without shared memory. */
export const NO_BLOCKING_INPUT = "prompt() cannot wait for the reply in this runtime: it has no shared memory (SharedArrayBuffer) to block on while the transport thread receives it; use `await input(question)`";

class SharedMainSignals implements MainSignals {
  private readonly state = new Int32Array(new SharedArrayBuffer(4 * SLOT_COUNT));
  readonly slots: SharedSlots;

  constructor(interruptFlag: Int32Array, private readonly syncPort: MessagePort) {
    this.slots = { state: this.state.buffer as SharedArrayBuffer, interruptFlag: interruptFlag.buffer as SharedArrayBuffer };
  }

  arrivals(): number {
    return load(this.state, SLOT.arrivals);
  }

  delivered(): void {
    // The thread counts arrivals in shared memory.
  }

  interruptsRequested(): number {
    return load(this.state, SLOT.interruptRequested);
  }

  interruptsCounted(): void {
    // Read from shared memory instead.
  }

  tookInterrupt(seq: number): void {
    store(this.state, SLOT.interruptHandled, Math.max(seq, load(this.state, SLOT.interruptHandled)));
  }

  waitFlushed(id: number, timeoutMs: number): boolean {
    const deadline = now() + timeoutMs;
    for (let seen = load(this.state, SLOT.flushed); seen < id; seen = load(this.state, SLOT.flushed)) {
      const left = deadline - now();
      if (left <= 0) return false;
      wait(this.state, SLOT.flushed, seen, left);
    }
    return true;
  }

  beginInput(_blocking: boolean): void {
    if (load(this.state, SLOT.input) !== INPUT.idle) throw new Error(ANOTHER_INPUT);
    store(this.state, SLOT.input, INPUT.waiting);
  }

  waitInput(): string | null {
    while (load(this.state, SLOT.input) === INPUT.waiting) wait(this.state, SLOT.input, INPUT.waiting, 1000);
    return this.takeInput();
  }

  async waitInputAsync(): Promise<string | null> {
    while (load(this.state, SLOT.input) === INPUT.waiting) {
      const waiting = waitAsync(this.state, SLOT.input, INPUT.waiting);
      if (waiting.async) await waiting.value;
    }
    return this.takeInput();
  }

  inputArrived(): void {
    // Replies come through shared memory and the sync port.
  }

  postedInterrupt(): number {
    // Loops read the shared flag instead.
    return 0;
  }

  private takeInput(): string | null {
    const outcome = exchange(this.state, SLOT.input, INPUT.idle);
    if (outcome === INPUT.interrupted) throw new KeyboardInterrupt();
    const received = receiveMessageOnPort(this.syncPort);
    return typeof received?.message === "string" ? received.message : null;
  }
}

export class PostedMainSignals implements MainSignals {
  readonly slots = null;
  private deliveredUpTo = 0;
  private countWaiters: Array<(count: number) => void> = [];
  private flushedUpTo = 0;
  private interruptOnPort = 0;
  private pendingInput: { promise: Promise<string | null>; resolve(value: string | null): void; reject(error: Error): void } | null = null;

  constructor(private readonly syncPort: MessagePort, private readonly post: (message: ToThread) => void) {}

  arrivals(): number {
    return this.deliveredUpTo;
  }

  delivered(arrival: number): void {
    this.deliveredUpTo = Math.max(this.deliveredUpTo, arrival);
  }

  interruptsRequested(): Promise<number> {
    return new Promise((resolve) => {
      if (this.countWaiters.push(resolve) === 1) this.post({ kind: "countInterrupts" });
    });
  }

  interruptsCounted(count: number): void {
    for (const resolve of this.countWaiters.splice(0)) resolve(count);
  }

  tookInterrupt(seq: number): void {
    this.post({ kind: "interruptTaken", seq });
  }

  /** Spins on the port: without shared memory nothing else blocks, and only exit paths wait so (milliseconds). */
  waitFlushed(id: number, timeoutMs: number): boolean {
    const deadline = now() + timeoutMs;
    while (this.readPort() || this.flushedUpTo < id) {
      if (now() >= deadline) return false;
    }
    return true;
  }

  postedInterrupt(): number {
    while (this.readPort());
    const seq = this.interruptOnPort;
    this.interruptOnPort = 0;
    return seq;
  }

  /** Takes one signal off the port; false when there was none. */
  private readPort(): boolean {
    const signal = receiveMessageOnPort(this.syncPort)?.message as PortSignal | undefined;
    if (!signal) return false;
    if ("flushed" in signal) this.flushedUpTo = Math.max(this.flushedUpTo, signal.flushed);
    else this.interruptOnPort = Math.max(this.interruptOnPort, signal.interrupt);
    return true;
  }

  beginInput(blocking: boolean): void {
    if (blocking) throw new StdinNotImplementedError(NO_BLOCKING_INPUT);
    if (this.pendingInput) throw new Error(ANOTHER_INPUT);
    let settle!: Pick<NonNullable<PostedMainSignals["pendingInput"]>, "resolve" | "reject">;
    const promise = new Promise<string | null>((resolve, reject) => { settle = { resolve, reject }; });
    this.pendingInput = { promise, ...settle };
  }

  waitInput(): never {
    throw new StdinNotImplementedError(NO_BLOCKING_INPUT);
  }

  waitInputAsync(): Promise<string | null> {
    return this.pendingInput?.promise ?? Promise.reject(new Error("no input request is waiting"));
  }

  inputArrived(value: string | null, interrupted: boolean): void {
    const pending = this.pendingInput;
    this.pendingInput = null;
    if (!pending) return;
    if (interrupted) pending.reject(new KeyboardInterrupt());
    else pending.resolve(value);
  }
}

export function mainSignals(interruptFlag: Int32Array, syncPort: MessagePort, post: (message: ToThread) => void): MainSignals {
  return SHARED_MEMORY ? new SharedMainSignals(interruptFlag, syncPort) : new PostedMainSignals(syncPort, post);
}
