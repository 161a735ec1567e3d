/**
 * Soak: 10,000 cells in one kernel process, errors and interrupts mixed in. Every reply arrives,
 * in the order the requests were sent, with the right status; the kernel's settled memory
 * stays flat.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { KERNEL_NODE_ARGS, KernelClient, type RequestResult } from "../kernel/client";
import { buildKernelBundles } from "../kernel/bundles";

const CELLS = 10_000;
const BATCH = 100;
const INTERRUPT_EVERY = 1_000;

/** The cells, by kind; a few distinct texts, so the type checker's cache serves most of them. */
const KINDS = [
  { code: "counter += 1;", status: "ok" },
  { code: "counter * 2", status: "ok" },
  { code: "await null;\nconst half = counter / 2;", status: "ok" },
  { code: "console.log('printed', counter % 10);", status: "ok" },
  { code: "throw new Error('planned failure');", status: "error" },
  { code: "tf.square(tf.constant(counter % 7)).numpy()", status: "ok" },
] as const;

const settledMemory = "// @ts-nocheck\nlet least = Infinity;\nfor (let i = 0; i < 4; i++) {\n  gc();\n  await new Promise((r) => setTimeout(r, 10));\n" +
  "  const { heapUsed, arrayBuffers } = process.memoryUsage();\n  least = Math.min(least, heapUsed + arrayBuffers);\n}\nleast";

test("10,000 cells with errors and interrupts: every reply, in order; memory flat", { timeout: 180_000 }, async (t) => {
  const kernel = new KernelClient({
    kernelScript: (await buildKernelBundles()).kernel,
    cwd: mkdtempSync(join(tmpdir(), "agnb-soak-")),
    nodeArgs: [...KERNEL_NODE_ARGS, "--expose-gc"],
    // The type checker (its own thread, a few ms a cell, tested on its own) would make this a
    // soak of the checker; here it is the kernel's execution that runs 10,000 times.
    env: { ...process.env, AGNB_TYPECHECK: "off" },
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
  while (sent < CELLS) {
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
    if (sent % INTERRUPT_EVERY === 0) {
      const waiting = kernel.execute("await new Promise((r) => setTimeout(r, 60_000));\nconsole.log('never');");
      await new Promise((resolve) => setTimeout(resolve, 20));
      kernel.interrupt();
      const interrupted = await waiting;
      assert.equal(interrupted.reply.content.ename, "KeyboardInterrupt");
      assert.ok(!interrupted.iopub.some((m) => m.header.msg_type === "stream"));
      interrupts++;
      lastCount++;
      memory.push([sent, await measure()]);
      lastCount++;
    }
  }
  const seconds = (performance.now() - started) / 1000;
  const counter = (await kernel.execute("counter")).iopub.find((m) => m.header.msg_type === "execute_result")!.content.data["text/plain"];
  assert.equal(Number(counter), Math.ceil(CELLS / KINDS.length), "every counting cell ran once");
  t.diagnostic(`${CELLS} cells and ${interrupts} interrupts in ${seconds.toFixed(1)} s; settled memory (MB) ${memory.map(([n, bytes]) => `${n}: ${(bytes / 1e6).toFixed(1)}`).join(", ")}`);
  // From the second reading on (the first includes warming up), growth must stay small: a cell
  // that kept even 500 bytes would add 4 MB over these 8,000 cells.
  const [, base] = memory[1];
  const [, last] = memory[memory.length - 1];
  assert.ok(last - base < 4e6, `memory grew by ${((last - base) / 1e6).toFixed(1)} MB over ${CELLS - memory[1][0]} cells`);
  await kernel.shutdown();
});
