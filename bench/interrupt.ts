/**
 * Reliability figures: time from an interrupt to the kernel's reply for a spinning loop, an
 * awaiting cell, a busy loop inside a timer callback, a busy loop inside a `then` callback and a
 * running `fit`; how long KernelClient
 * takes to notice a kernel killed with SIGKILL; how long a kernel takes to end after its parent
 * was killed with SIGKILL while a cell spins.
 */
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { KernelClient, type RequestResult } from "../kernel/client";
import { ROOT, buildKernelBundles } from "../kernel/bundles";
import type { BenchRow, BenchTarget } from "./table";

const GROUP = "reliability";
const REPEATS = 5;
const TARGET_MS = 1000;

const median = (values: number[]) => [...values].sort((a, b) => a - b)[values.length >> 1];
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function waitFor(condition: () => boolean, timeoutMs = 20_000): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!condition()) {
    if (performance.now() > deadline) throw new Error("timed out waiting");
    await sleep(2);
  }
}

/** Runs `code` (or `code` then `next`, interrupting while `next` waits), interrupts after a while, returns ms to the reply. */
async function interruptToReply(client: KernelClient, code: string, next?: string): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < REPEATS; i++) {
    let running: Promise<RequestResult> = client.execute(code);
    if (next) {
      await running;
      await sleep(150); // the timer (50 ms) spins before `next` arrives
      running = client.execute(next);
    }
    // A timer that spins keeps the kernel from even starting `next`: no busy to wait for.
    if (!next) await waitFor(() => client.executionState === "busy");
    await sleep(300);
    const start = performance.now();
    client.interrupt();
    await running;
    times.push(performance.now() - start);
  }
  return median(times);
}

function exited(pid: number): boolean {
  try {
    // A process that ended but is not yet reaped (a zombie) counts as ended.
    return /^State:\s+Z/m.test(readFileSync(`/proc/${pid}/status`, "utf8"));
  } catch {
    return true;
  }
}

/** A parent process that starts a kernel, spins a cell, and prints the kernel's pid. */
const PARENT = `
const { KernelClient } = require(${JSON.stringify(`${ROOT}/kernel/client.ts`)});
const client = new KernelClient({ kernelScript: process.argv[1] });
client.start().then(() => { client.execute("while (true) {}"); setTimeout(() => console.log(client.pid), 200); });
`;

async function deadParentMs(kernelScript: string): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < REPEATS; i++) {
    const parent = spawn(process.execPath, ["--import", "tsx", "-e", PARENT, kernelScript], { cwd: ROOT, stdio: ["ignore", "pipe", "inherit"] });
    const pid = Number(await new Promise<string>((resolve) => parent.stdout!.once("data", (chunk) => resolve(String(chunk)))));
    const start = performance.now();
    parent.kill("SIGKILL");
    await waitFor(() => exited(pid), 30_000);
    times.push(performance.now() - start);
  }
  return median(times);
}

export async function runInterruptBench(): Promise<BenchRow[]> {
  const { kernel } = await buildKernelBundles();
  const client = new KernelClient({ kernelScript: kernel, cwd: ROOT });
  await client.start();
  await client.execute("const sleepFor = (ms: number) => new Promise((r) => setTimeout(r, ms));\n" +
    "const fitXs = tf.constant([[1], [2], [3], [4]]); const fitYs = tf.constant([[3], [5], [7], [9]]);\n" +
    "const fitModel = new tf.keras.Sequential([new tf.keras.layers.Dense(1, { inputShape: [1] })]);\nfitModel.compile({ optimizer: 'sgd', loss: 'mean_squared_error' });");
  const spin = await interruptToReply(client, "while (true) {}");
  const awaiting = await interruptToReply(client, "await sleepFor(60_000);");
  const timer = await interruptToReply(client, "setTimeout(() => { while (true) {} }, 50);", "'next cell'");
  const thenLoop = await interruptToReply(client, "await Promise.resolve().then(() => { while (true) {} });");
  const fit = await interruptToReply(client, "await fitModel.fit(fitXs, fitYs, { epochs: 10_000_000, verbose: 0 });");

  const deaths: number[] = [];
  for (let i = 0; i < REPEATS; i++) {
    const doomed = new KernelClient({ kernelScript: kernel, cwd: ROOT });
    await doomed.start();
    const noticed = new Promise<number>((resolve) => doomed.once("exit", () => resolve(performance.now())));
    const start = performance.now();
    process.kill(doomed.pid!, "SIGKILL");
    deaths.push((await noticed) - start);
  }
  const parent = await deadParentMs(kernel);
  await client.shutdown();

  const note = `median of ${REPEATS}, KernelClient.interrupt() → the cell's reply and idle`;
  return [
    { group: GROUP, name: "interrupt to idle: while (true) {}", unit: "ms", ours: spin, peers: {}, note },
    { group: GROUP, name: "interrupt to idle: awaiting cell", unit: "ms", ours: awaiting, peers: {}, note },
    { group: GROUP, name: "interrupt to idle: busy loop in a timer", unit: "ms", ours: timer, peers: {}, note: `${note} (the next cell's, which the timer blocked)` },
    { group: GROUP, name: "interrupt to idle: busy loop in a then callback", unit: "ms", ours: thenLoop, peers: {}, note },
    { group: GROUP, name: "interrupt to idle: model.fit", unit: "ms", ours: fit, peers: {}, note },
    { group: GROUP, name: "dead kernel noticed", unit: "ms", ours: median(deaths), peers: {}, note: `median of ${REPEATS}: kill -9 of the kernel → KernelClient "exit"` },
    { group: GROUP, name: "dead parent noticed", unit: "ms", ours: parent, peers: {}, note: `median of ${REPEATS}: kill -9 of the parent while a cell spins → the kernel process gone` },
  ];
}

export const INTERRUPT_TARGETS: BenchTarget[] = [
  { description: `interrupt, dead kernel and dead parent each ≤ ${TARGET_MS} ms`, check: (rows) => {
    const ours = rows.filter((r) => r.group === GROUP);
    return ours.length ? ours.every((r) => r.ours <= TARGET_MS) : undefined;
  } },
];
