/**
 * Kernel figures: cold start to idle, the type checker ready, execute_request → idle round trips
 * for a trivial cell (re-run, and new each time) and for a cell that builds and displays a tape,
 * and `agnb run notebooks/` in total. They run the
 * shipped bundles (dist/, built by `npm run bench`), or bundles built here when dist/ is absent.
 */
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { KernelClient } from "../kernel/client";
import { ROOT, buildKernelBundles, type KernelBundles } from "../kernel/bundles";
import type { BenchRow, BenchTarget } from "./table";

const GROUP = "kernel";
const COLD_STARTS = 7;
const TRIVIAL_CELLS = 300;
const TAPE_CELLS = 100;
const NOTEBOOK_RUNS = 3;

const TAPE_CELL = `const benchW = new tf.Variable(3.0);
const benchTape = new tf.GradientTape();
const benchLoss = benchTape.record(() => tf.reduceSum(tf.square(tf.mul(benchW, tf.constant([1, 2, 3])))));
benchTape.gradient(benchLoss, benchW);
benchTape`;

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

async function bundles(): Promise<KernelBundles> {
  const shipped = { kernel: join(ROOT, "dist", "kernel.cjs"), cli: join(ROOT, "dist", "cli.cjs") };
  return existsSync(shipped.kernel) && existsSync(shipped.cli) ? shipped : buildKernelBundles();
}

async function roundTrips(client: KernelClient, code: (i: number) => string, count: number): Promise<number> {
  for (let i = 0; i < 10; i++) await client.execute(code(-1 - i)); // warm-up: JIT and esbuild's service
  const times: number[] = [];
  for (let i = 0; i < count; i++) {
    const start = performance.now();
    await client.execute(code(i));
    times.push(performance.now() - start);
  }
  return median(times);
}

export async function runKernelBench(): Promise<BenchRow[]> {
  const { kernel, cli } = await bundles();
  const coldStarts: number[] = [];
  const checkerReady: number[] = [];
  for (let i = 0; i < COLD_STARTS; i++) {
    const client = new KernelClient({ kernelScript: kernel, cwd: ROOT });
    const start = performance.now();
    await client.start();
    coldStarts.push(performance.now() - start);
    // An empty cell returns once the type checker has loaded TypeScript and the declarations.
    await client.execute("", { silent: true });
    checkerReady.push(performance.now() - start);
    await client.shutdown();
  }

  const client = new KernelClient({ kernelScript: kernel, cwd: ROOT });
  await client.start();
  const trivial = await roundTrips(client, () => "1", TRIVIAL_CELLS);
  const trivialNew = await roundTrips(client, (i) => `${i}`, TRIVIAL_CELLS);
  const tape = await roundTrips(client, () => TAPE_CELL, TAPE_CELLS);
  await client.shutdown();

  const notebookRuns: number[] = [];
  for (let i = 0; i < NOTEBOOK_RUNS; i++) {
    const start = performance.now();
    const run = spawnSync(process.execPath, [cli, "run", join(ROOT, "notebooks"), "--quiet"], { encoding: "utf8" });
    if (run.status !== 0) throw new Error(`agnb run notebooks/ failed:\n${run.stderr}`);
    notebookRuns.push((performance.now() - start) / 1000);
  }

  return [
    { group: GROUP, name: "cold start to idle", unit: "ms", ours: median(coldStarts), peers: {}, note: `median of ${COLD_STARTS} starts, spawn → idle + kernel_info` },
    { group: GROUP, name: "type checker ready after start", unit: "ms", ours: median(checkerReady), peers: {}, note: `median of ${COLD_STARTS}: spawn → an empty cell answered (loads TypeScript on its own thread)` },
    { group: GROUP, name: "trivial cell round trip", unit: "ms", ours: trivial, peers: {}, note: `median of ${TRIVIAL_CELLS}, execute_request → idle, the same cell re-run (its type check is reused)` },
    { group: GROUP, name: "trivial cell round trip, new text", unit: "ms", ours: trivialNew, peers: {}, note: `median of ${TRIVIAL_CELLS}, a different cell each time, type-checked afresh` },
    { group: GROUP, name: "tape cell round trip", unit: "ms", ours: tape, peers: {}, note: `median of ${TAPE_CELLS}: type-check, build a tape, take a gradient, display the tape` },
    { group: GROUP, name: "agnb run notebooks/", unit: "s", ours: median(notebookRuns), peers: {}, note: `median of ${NOTEBOOK_RUNS} runs of all seed notebooks, one fresh kernel each` },
  ];
}

const row = (rows: BenchRow[], name: string) => rows.find((r) => r.group === GROUP && r.name === name);

export const KERNEL_TARGETS: BenchTarget[] = [
  { description: "kernel trivial cell ≤ 5 ms (median)", check: (rows) => { const r = row(rows, "trivial cell round trip"); return r ? r.ours <= 5 : undefined; } },
  { description: "kernel cold start ≤ 500 ms", check: (rows) => { const r = row(rows, "cold start to idle"); return r ? r.ours <= 500 : undefined; } },
];
