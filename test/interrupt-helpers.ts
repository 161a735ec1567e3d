/**
 * What the interrupt tests share: a kernel process of their own, and running a cell that is
 * interrupted once it has started.
 */
import assert from "node:assert/strict";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { TestContext } from "node:test";
import { KernelClient, type RequestResult } from "../kernel/client";
import { buildKernelBundles } from "../kernel/bundles";

/** Only catches a hang; the measured time goes to the test's diagnostics. */
export const HANG_MS = 5000;

export const ofType = (result: RequestResult, type: string) => result.iopub.filter((message) => message.header.msg_type === type);
export const resultText = (result: RequestResult): string | undefined => ofType(result, "execute_result")[0]?.content.data["text/plain"];
export const streamText = (result: RequestResult, name = "stdout") =>
  ofType(result, "stream").filter((m) => m.content.name === name).map((m) => m.content.text).join("");
export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export async function waitFor(condition: () => boolean): Promise<void> {
  while (!condition()) await sleep(5);
}

/** A kernel in a folder of its own, with `kept = 41` and a `sleep(ms)` defined. */
export async function startKernel(prefix: string): Promise<KernelClient> {
  const kernel = new KernelClient({ kernelScript: (await buildKernelBundles()).kernel, cwd: mkdtempSync(join(tmpdir(), prefix)) });
  await kernel.start();
  const setup = await kernel.execute("const kept = 41;\nconst sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));");
  assert.equal(setup.reply.content.status, "ok");
  return kernel;
}

/**
 * Runs `code`; once it has started (its type check can take a while), waits `afterMs` and
 * interrupts it. The reply must come within `withinMs` of the interrupt.
 */
export async function interruptAfter(kernel: KernelClient, code: string, afterMs: number, t: TestContext, withinMs = HANG_MS): Promise<RequestResult> {
  let started = false;
  const running = kernel.execute(`console.log('started');\n${code}`, {
    onIopub: (message) => { if (message.header.msg_type === "stream" && message.content.text.includes("started")) started = true; },
  });
  await waitFor(() => started);
  await sleep(afterMs);
  const interruptedAt = performance.now();
  kernel.interrupt();
  const result = await running;
  const ms = performance.now() - interruptedAt;
  t.diagnostic(`interrupt to reply: ${ms.toFixed(0)} ms`);
  assert.ok(ms < withinMs, `the interrupt took ${ms.toFixed(0)} ms`);
  return result;
}

export function assertInterrupted(result: RequestResult): void {
  assert.equal(result.reply.content.status, "error", JSON.stringify(result.reply.content).slice(0, 300));
  assert.equal(ofType(result, "error")[0]?.content.ename, "KeyboardInterrupt");
}
