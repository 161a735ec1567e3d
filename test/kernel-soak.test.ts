/**
 * Soak: 10,000 cells in one kernel process, errors and interrupts mixed in, with type checking
 * off and on. Every reply arrives, in the order the requests were sent, with the right status;
 * the kernel's settled memory stays flat.
 */
import { test, type TestContext } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { KERNEL_NODE_ARGS, KernelClient, type RequestResult } from "../kernel/client";
import { buildKernelBundles } from "../kernel/bundles";

const BATCH = 100;
/** Memory is read after each interrupt; these many readings per run. */
const READINGS = 10;

/**
 * The cells, by kind; a few distinct texts, so the type checker's cache serves most of them.
 * Cells that create functions are among them: their records stay for the tracebacks those
 * functions may raise later, which must cost little more than the cells' text.
 */
const KINDS = [
  { code: "counter += 1;", status: "ok" },
  { code: "counter * 2", status: "ok" },
  { code: "await null;\nconst half = counter / 2;", status: "ok" },
  { code: "console.log('printed', counter % 10);", status: "ok" },
  { code: "throw new Error('planned failure');", status: "error" },
  { code: "tf.square(tf.constant(counter % 7)).numpy()", status: "ok" },
  { code: "await Promise.resolve(counter).then((n) => n + 1).finally(() => undefined)", status: "ok" },
  { code: "await new Promise((resolve) => process.nextTick(resolve));\nnull", status: "ok" },
] as const;

/** Cells that never end by themselves, by the kind of code the interrupt must stop. */
const ENDLESS = [
  "await new Promise((r) => setTimeout(r, 60_000));",
  "while (true) {}",
  "await Promise.resolve().then(() => { for (;;) {} });",
].map((code) => `console.log('started');\n${code}\nconsole.log('never');`);

const settledMemory = "// @ts-nocheck\nlet least = Infinity;\nfor (let i = 0; i < 4; i++) {\n  gc();\n  await new Promise((r) => setTimeout(r, 10));\n" +
  "  const { heapUsed, arrayBuffers } = process.memoryUsage();\n  least = Math.min(least, heapUsed + arrayBuffers);\n}\nleast";

/** Runs `code`, interrupts it once it has printed that it started; nothing else of it may print. */
async function interruptOnceStarted(kernel: KernelClient, code: string): Promise<void> {
  let interrupted = false;
  const result = await kernel.execute(code, {
    onIopub: (message) => {
      if (!interrupted && message.header.msg_type === "stream") {
        interrupted = true;
        kernel.interrupt();
      }
    },
  });
  assert.equal(result.reply.content.ename, "KeyboardInterrupt", code);
  const printed = result.iopub.filter((m) => m.header.msg_type === "stream").map((m) => m.content.text).join("");
  assert.equal(printed, "started\n", code);
}


async function soak(t: TestContext, typeCheck: "on" | "off", cells: number): Promise<void> {
  const interruptEvery = cells / READINGS;
  const kernel = new KernelClient({
    kernelScript: (await buildKernelBundles()).kernel,
    cwd: mkdtempSync(join(tmpdir(), "agnb-soak-")),
    nodeArgs: [...KERNEL_NODE_ARGS, "--expose-gc"],
    env: { ...process.env, AGNB_TYPECHECK: typeCheck },
  });
  await kernel.start();
  t.after(() => kernel.kill());
  const measure = async () => Number((await kernel.execute(settledMemory)).iopub.find((m) => m.header.msg_type === "execute_result")!.content.data["text/plain"]);
  const setup = await kernel.execute("let counter = 0;");
  assert.equal(setup.reply.content.status, "ok");

  const started = performance.now();
  let sent = 0;
  let lastCount: number = setup.reply.content.execution_count;
  let interrupts = 0;
  const memory: Array<[number, number]> = [];
  while (sent < cells) {
    // A batch goes out at once, each request not waiting for the one before.
    const kinds = Array.from({ length: BATCH }, (_, i) => KINDS[(sent + i) % KINDS.length]);
    const arrived: number[] = [];
    const pending = kinds.map((kind, i) => kernel.execute(kind.code, { stopOnError: false }).then((result) => { arrived.push(i); return result; }));
    const results: RequestResult[] = await Promise.all(pending);
    sent += BATCH;
    assert.deepEqual(arrived, kinds.map((_, i) => i), "replies arrive in the order the requests were sent");
    results.forEach((result, i) => {
      assert.equal(result.reply.content.status, kinds[i].status, `${kinds[i].code}: ${JSON.stringify(result.reply.content).slice(0, 300)}`);
      assert.equal(result.reply.content.execution_count, ++lastCount, "execution counts go up by one");
    });
    if (sent % interruptEvery === 0) {
      await interruptOnceStarted(kernel, ENDLESS[interrupts % ENDLESS.length]);
      interrupts++;
      lastCount++;
      memory.push([sent, await measure()]);
      lastCount++;
    }
  }
  const seconds = (performance.now() - started) / 1000;
  const counter = (await kernel.execute("counter")).iopub.find((m) => m.header.msg_type === "execute_result")!.content.data["text/plain"];
  assert.equal(Number(counter), Math.ceil(cells / KINDS.length), "every counting cell ran once");
  t.diagnostic(`type checking ${typeCheck}: ${cells} cells and ${interrupts} interrupts in ${seconds.toFixed(1)} s; settled memory (MB) ${memory.map(([n, bytes]) => `${n}: ${(bytes / 1e6).toFixed(1)}`).join(", ")}`);
  // From the second reading on (the first includes warming up), growth must stay small: less
  // than 500 bytes a cell (4 MB over the 8,000 cells of the longer run).
  const [, base] = memory[1];
  const [, last] = memory[memory.length - 1];
  const grownOver = cells - memory[1][0];
  assert.ok(last - base < 500 * grownOver, `memory grew by ${((last - base) / 1e6).toFixed(1)} MB over ${grownOver} cells`);
  await kernel.shutdown();
}

test("10,000 cells with errors and interrupts, type checking off: every reply, in order; memory flat", { timeout: 180_000 }, (t) => soak(t, "off", 10_000));

// Checking takes a few milliseconds a cell on its own thread: 2,000 cells keep the run under a
// minute on two busy cores, and still pass each kind through the checker hundreds of times.
test("2,000 cells with errors and interrupts, type checking on: every reply, in order; memory flat", { timeout: 180_000 }, (t) => soak(t, "on", 2_000));
