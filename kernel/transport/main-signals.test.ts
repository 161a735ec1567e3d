/**
 * The main thread's side of the threads' signals without shared memory (PostedMainSignals): a
 * flush it waits for by polling its port while another thread finishes it, interrupts loop
 * checks poll for on the same port, input that only an awaiting cell can wait for, and the
 * interrupt count asked of the transport thread.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { MessageChannel, Worker } from "node:worker_threads";
import { KeyboardInterrupt, StdinNotImplementedError } from "../errors";
import { NO_BLOCKING_INPUT, PostedMainSignals } from "./main-signals";
import type { PortSignal, ToThread } from "./shared-state";

/** A thread that posts `signals` on the sync port after `afterMs`. */
function signalsWithThread(afterMs: number, signals: PortSignal[] = [{ flushed: 1 }]) {
  const { port1, port2 } = new MessageChannel();
  const posted: ToThread[] = [];
  const thread = new Worker(
    "const { workerData } = require('node:worker_threads'); setTimeout(() => { for (const signal of workerData.signals) workerData.port.postMessage(signal); }, workerData.after);",
    { eval: true, workerData: { port: port2, after: afterMs, signals }, transferList: [port2] },
  );
  return { signals: new PostedMainSignals(port1, (message) => posted.push(message)), posted, thread };
}

test("a flush is waited for, blocking, until another thread posts its completion, and no longer than asked", async () => {
  const { signals, thread } = signalsWithThread(100);
  try {
    await new Promise((resolve) => thread.once("online", resolve));
    let started = performance.now();
    assert.equal(signals.waitFlushed(1, 5000), true);
    const waited = performance.now() - started;
    assert.ok(waited >= 50 && waited < 4000, `waited ${waited.toFixed(0)} ms for a flush posted after 100 ms`);
    started = performance.now();
    assert.equal(signals.waitFlushed(2, 150), false, "flush 2 never completes");
    assert.ok(performance.now() - started >= 150);
  } finally {
    await thread.terminate();
  }
});

test("interrupts posted on the port reach a poll, newest first, also past a flush waited for; each once", async () => {
  const { signals, thread } = signalsWithThread(0, [{ interrupt: 1 }, { flushed: 1 }, { interrupt: 2 }]);
  try {
    await new Promise((resolve) => thread.once("exit", resolve));
    assert.equal(signals.waitFlushed(1, 2000), true);
    assert.equal(signals.postedInterrupt(), 2);
    assert.equal(signals.postedInterrupt(), 0);
  } finally {
    await thread.terminate();
  }
});

test("input: a blocking wait is refused with its reason; an awaiting one gets the reply, or KeyboardInterrupt", async () => {
  const { signals, thread } = signalsWithThread(0);
  try {
    assert.throws(() => signals.beginInput(true), (error: unknown) => error instanceof StdinNotImplementedError && error.message === NO_BLOCKING_INPUT);
    signals.beginInput(false);
    assert.throws(() => signals.beginInput(false), /^Error: another input request is still waiting for its reply$/);
    const answered = signals.waitInputAsync();
    signals.inputArrived("Ada", false);
    assert.equal(await answered, "Ada");
    signals.beginInput(false);
    const interrupted = signals.waitInputAsync();
    signals.inputArrived(null, true);
    await assert.rejects(interrupted, KeyboardInterrupt);
    // A reply nobody waits for is dropped; the next wait gets its own.
    signals.inputArrived("stray", false);
    signals.beginInput(false);
    const next = signals.waitInputAsync();
    signals.inputArrived("Grace", false);
    assert.equal(await next, "Grace");
  } finally {
    await thread.terminate();
  }
});

test("the interrupt count is asked of the transport thread once for everyone waiting, and taken interrupts are reported", async () => {
  const { signals, posted, thread } = signalsWithThread(0);
  try {
    const counts = [signals.interruptsRequested(), signals.interruptsRequested()];
    assert.deepEqual(posted, [{ kind: "countInterrupts" }]);
    signals.interruptsCounted(3);
    assert.deepEqual(await Promise.all(counts), [3, 3]);
    signals.tookInterrupt(3);
    assert.deepEqual(posted.at(-1), { kind: "interruptTaken", seq: 3 });
  } finally {
    await thread.terminate();
  }
});
