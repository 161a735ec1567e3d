/**
 * Interrupt stops a cell for good, through the real kernel process: awaiting cells, async
 * functions and timers they started, busy loops in timer callbacks, and work that never loops
 * (a catastrophic regex). After each, nothing of the interrupted cell prints again and the
 * kernel's variables are kept.
 */
import { after, before, describe, test, type TestContext } from "node:test";
import assert from "node:assert/strict";
import type { KernelClient, RequestResult } from "../kernel/client";
import { assertInterrupted, interruptAfter, resultText, sleep, startKernel, streamText, waitFor } from "./interrupt-helpers";

/**
 * Runs `timerCell`, whose timer then blocks the kernel; sends `nextCell`, interrupts while it
 * waits behind the timer, and returns its result, which must say the timer was stopped.
 */
async function interruptBehindTimer(kernel: KernelClient, timerCell: string, nextCell: string, t: TestContext): Promise<RequestResult> {
  assert.equal((await kernel.execute(timerCell)).reply.content.status, "ok");
  await sleep(300); // the timer (100 ms) spins now
  const next = kernel.execute(nextCell);
  await sleep(200);
  const interruptedAt = performance.now();
  kernel.interrupt();
  const result = await next;
  t.diagnostic(`interrupt to reply: ${(performance.now() - interruptedAt).toFixed(0)} ms`);
  assert.match(streamText(result, "stderr"), /KeyboardInterrupt: stopped background work .* of In\[\d+\]/);
  return result;
}

describe("interrupt stops a cell for good", { timeout: 120_000 }, () => {
  let kernel: KernelClient;

  before(async () => { kernel = await startKernel("agnb-interrupt-"); });
  after(() => kernel.shutdown());

  test("an awaiting loop stops counting", async (t) => {
    assertInterrupted(await interruptAfter(kernel, "let laps = 0;\nfor (;;) { await new Promise((r) => setTimeout(r, 20)); laps++; }", 300, t));
    const first = await kernel.execute("laps");
    await sleep(200);
    const second = await kernel.execute("[laps, kept + 1]");
    assert.ok(Number(resultText(first)) > 3, `the loop ran before the interrupt (${resultText(first)} laps)`);
    assert.equal(resultText(second), `[ ${resultText(first)}, 42 ]`);
  });

  test("an awaited sleep does not print into the next cell", async (t) => {
    assertInterrupted(await interruptAfter(kernel, "await sleep(1500);\nconsole.log('late');", 200, t));
    const next = await kernel.execute("await sleep(1800);\nconsole.log('next');\nkept");
    assert.equal(streamText(next), "next\n");
    assert.equal(resultText(next), "41");
  });

  test("async functions, intervals and promise callbacks the cell started stop with it", async (t) => {
    const code = [
      "let ticks = 0, intervals = 0;",
      "async function ticker() { for (;;) { await sleep(20); ticks++; console.log('tick'); } }",
      "void ticker();",
      "setInterval(() => { intervals++; console.log('interval'); }, 20);",
      "import('node:timers/promises').then((timers) => timers.setTimeout(600)).then(() => console.log('late callback'));",
      "await sleep(60_000);",
    ].join("\n");
    const result = await interruptAfter(kernel, code, 300, t);
    assertInterrupted(result);
    assert.match(streamText(result), /tick/, "the ticker ran before the interrupt");
    const before = await kernel.execute("[ticks, intervals]");
    const next = await kernel.execute("await sleep(900);\n[ticks, intervals]");
    assert.equal(resultText(next), resultText(before));
    assert.equal(streamText(next), "", "nothing of the interrupted cell printed");
  });

  test("a busy loop in a timer callback is broken, and the next cell says so", async (t) => {
    const result = await interruptBehindTimer(kernel, "setTimeout(() => { while (true) {} }, 100);", "kept + 1", t);
    assert.equal(resultText(result), "42");
  });

  test("a catastrophic regex after an await stops", async (t) => {
    const result = await interruptAfter(kernel, "await sleep(10);\nconst slow = /(a+)+$/.test('a'.repeat(40) + 'b');\nconsole.log('finished', slow);", 300, t);
    assertInterrupted(result);
    await sleep(100);
    const next = await kernel.execute("kept");
    assert.equal(resultText(next), "41");
    assert.equal(streamText(next), "");
  });

  test("a catastrophic regex in a timer callback stops", async (t) => {
    const result = await interruptBehindTimer(kernel, "setTimeout(() => { /(a+)+$/.test('a'.repeat(40) + 'b'); console.log('regex done'); }, 100);", "kept", t);
    assert.equal(resultText(result), "41");
    assert.doesNotMatch(streamText(result), /regex done/);
  });

  test("a cell's finally blocks run, so an interrupted tape.record stops recording", async (t) => {
    const code = "const tape = new tf.GradientTape();\nlet cleaned = false;\n" +
      "await tape.record(async () => { try { await sleep(60_000); } finally { cleaned = true; } });";
    assertInterrupted(await interruptAfter(kernel, code, 200, t));
    const after = await kernel.execute("const probe = new tf.Variable(3);\nconst y = tf.square(probe);\n[cleaned, tape.gradient(y, probe)]");
    // Still recording, the tape would give 6 (the derivative of probe² at 3).
    assert.equal(resultText(after), "[ true, null ]");
  });

  test("a burst of SIGINTs, while async steps run and while idle, never ends the kernel", async () => {
    await kernel.execute("let steps = 0;");
    let started = false;
    const running = kernel.execute("console.log('started');\nfor (;;) { await null; steps++; }", { onIopub: (message) => { if (message.header.msg_type === "stream") started = true; } });
    await waitFor(() => started);
    await sleep(100);
    for (let i = 0; i < 40; i++) {
      process.kill(kernel.pid!, "SIGINT");
      await sleep(2);
    }
    assertInterrupted(await running);
    for (let i = 0; i < 40; i++) {
      process.kill(kernel.pid!, "SIGINT");
      await sleep(2);
    }
    await sleep(100);
    assert.ok(kernel.alive);
    // On a busy machine a keeper thread may see the last signals of the burst late, when this
    // cell already runs (it then ends with KeyboardInterrupt); the kernel and its state live on.
    await kernel.execute("await sleep(300);");
    const after = await kernel.execute("steps > 0 && kept === 41");
    assert.equal(resultText(after), "true", JSON.stringify(after.iopub.map((m) => m.content)));
  });
});
