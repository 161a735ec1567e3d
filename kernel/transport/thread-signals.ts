/**
 * What the transport thread tells the main thread besides messages, for a main thread that is
 * busy or blocked: how many requests and interrupts arrived, whether an interrupt was taken, a
 * cell's wait for input, finished flushes. In shared memory where the runtime has
 * SharedArrayBuffer; posted otherwise, to be read when the main thread's event loop turns
 * (main-signals.ts is the other side).
 */
import type { MessagePort } from "node:worker_threads";
import { INPUT, SLOT, type FromThread, type PortSignal, type SharedSlots, type ThreadSetup } from "./shared-state";

export interface ThreadSignals {
  /** Numbers the next request handed to the main thread. */
  nextArrival(): number;
  /** Counts an interrupt, ends a cell's wait for input and tells the loops in cells (a flag, or a port they poll). Returns its number. */
  interrupt(): number;
  /** How many interrupts have been requested so far. */
  interruptCount(): number;
  /** Whether interrupt `seq` has been taken, by the main thread or a loop check. */
  interruptTaken(seq: number): boolean;
  /** The main thread says it took interrupt `seq` (posted signals). */
  mainTookInterrupt(seq: number): void;
  /** The main thread has asked the frontend for input: its cell waits from now. */
  inputRequested(): void;
  inputWaiting(): boolean;
  answerInput(value: string | null): void;
  flushed(id: number): void;
}

const { add, compareExchange, load, notify, store } = Atomics;

class SharedThreadSignals implements ThreadSignals {
  private readonly state: Int32Array;
  private readonly interruptFlag: Int32Array;

  constructor(slots: SharedSlots, private readonly syncPort: MessagePort) {
    this.state = new Int32Array(slots.state);
    this.interruptFlag = new Int32Array(slots.interruptFlag);
  }

  nextArrival(): number {
    return add(this.state, SLOT.arrivals, 1) + 1;
  }

  interrupt(): number {
    const seq = add(this.state, SLOT.interruptRequested, 1) + 1;
    store(this.interruptFlag, 0, 1);
    if (compareExchange(this.state, SLOT.input, INPUT.waiting, INPUT.interrupted) === INPUT.waiting) notify(this.state, SLOT.input);
    return seq;
  }

  interruptCount(): number {
    return load(this.state, SLOT.interruptRequested);
  }

  interruptTaken(seq: number): boolean {
    return load(this.state, SLOT.interruptHandled) >= seq || load(this.interruptFlag, 0) === 0;
  }

  mainTookInterrupt(): void {
    // The main thread writes SLOT.interruptHandled itself.
  }

  inputRequested(): void {
    // The main thread marked SLOT.input before it asked.
  }

  inputWaiting(): boolean {
    return load(this.state, SLOT.input) === INPUT.waiting;
  }

  answerInput(value: string | null): void {
    this.syncPort.postMessage(value);
    store(this.state, SLOT.input, INPUT.answered);
    notify(this.state, SLOT.input);
  }

  flushed(id: number): void {
    store(this.state, SLOT.flushed, id);
    notify(this.state, SLOT.flushed);
  }
}

class PostedThreadSignals implements ThreadSignals {
  private arrivals = 0;
  private interrupts = 0;
  private taken = 0;
  private waiting = false;

  constructor(private readonly postToMain: (message: FromThread) => void, private readonly syncPort: MessagePort) {}

  nextArrival(): number {
    return ++this.arrivals;
  }

  interrupt(): number {
    // Posted before the interrupt itself, so the main thread ends the wait first, as with shared memory.
    if (this.waiting) this.postToMain({ kind: "input", value: null, interrupted: true });
    this.waiting = false;
    const seq = ++this.interrupts;
    // Also where a spinning main thread's loop checks poll for it.
    this.syncPort.postMessage({ interrupt: seq } satisfies PortSignal);
    return seq;
  }

  interruptCount(): number {
    return this.interrupts;
  }

  interruptTaken(seq: number): boolean {
    return this.taken >= seq;
  }

  mainTookInterrupt(seq: number): void {
    this.taken = Math.max(this.taken, seq);
  }

  inputRequested(): void {
    this.waiting = true;
  }

  inputWaiting(): boolean {
    return this.waiting;
  }

  answerInput(value: string | null): void {
    this.waiting = false;
    this.postToMain({ kind: "input", value, interrupted: false });
  }

  flushed(id: number): void {
    // The main thread may be blocked in an exit handler: it reads this port synchronously.
    this.syncPort.postMessage({ flushed: id } satisfies PortSignal);
  }
}

export function threadSignals(setup: ThreadSetup, postToMain: (message: FromThread) => void): ThreadSignals {
  return setup.shared ? new SharedThreadSignals(setup.shared, setup.syncPort) : new PostedThreadSignals(postToMain, setup.syncPort);
}
