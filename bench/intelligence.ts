/**
 * Editor figures, through the kernel process as the VS Code extension asks (on control):
 * completion after `w.` (the first once a notebook opens, as a user typing at once sees it, and
 * the median warm), hover, and diagnostics after a keystroke; and where the first one's time goes
 * (the kernel's start, then the checker thread's: TypeScript, the libraries, the language service).
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { KernelClient } from "../kernel/client";
import { ROOT, buildKernelBundles } from "../kernel/bundles";
import type { MessageType } from "../kernel/messages";
import type { BenchRow, BenchTarget } from "./table";

const GROUP = "intelligence";
const FRESH_KERNELS = 3;
const WARM_REQUESTS = 200;
const CELL = "const w = new tf.Variable(5);";

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

async function timed(client: KernelClient, msgType: string, code: string, cursor = [...code].length): Promise<number> {
  const start = performance.now();
  const { reply } = await client.request("control", msgType as MessageType, { code, cursor_pos: cursor });
  const elapsed = performance.now() - start;
  if (reply.content.status !== "ok") throw new Error(`${msgType} failed: ${JSON.stringify(reply.content)}`);
  return elapsed;
}

async function freshKernel(kernelScript: string): Promise<KernelClient> {
  const client = new KernelClient({ kernelScript, cwd: ROOT });
  await client.start();
  return client;
}

export async function runIntelligenceBench(): Promise<BenchRow[]> {
  const shipped = join(ROOT, "dist", "kernel.cjs");
  const kernelScript = existsSync(shipped) ? shipped : (await buildKernelBundles()).kernel;
  const started: number[] = [];
  const afterStart: number[] = [];
  const fromOpening: number[] = [];
  for (let i = 0; i < FRESH_KERNELS; i++) {
    const spawned = performance.now();
    const unwarmed = await freshKernel(kernelScript);
    started.push(performance.now() - spawned);
    afterStart.push(await timed(unwarmed, "complete_request", `${CELL}\nw.`));
    await unwarmed.shutdown();
    // What opening a notebook does: the extension starts the kernel and asks once (`tf.`) to
    // load the language service; the user types `w.` at once.
    const opened = performance.now();
    const client = await freshKernel(kernelScript);
    const warming = timed(client, "complete_request", "tf.");
    await timed(client, "complete_request", `${CELL}\nw.`);
    fromOpening.push(performance.now() - opened);
    await warming;
    await client.shutdown();
  }

  const client = await freshKernel(kernelScript);
  await client.execute(CELL);
  await timed(client, "complete_request", "w.");
  const completions: number[] = [];
  const hovers: number[] = [];
  const diagnostics: number[] = [];
  for (let i = 0; i < WARM_REQUESTS; i++) {
    // As typing: the line grows by a character each time.
    const typed = `const step${i % 10} = ${"1".repeat(1 + (i % 7))};\nw.`;
    completions.push(await timed(client, "complete_request", typed));
    hovers.push(await timed(client, "inspect_request", `w.assign(${i})`, 1));
    diagnostics.push(await timed(client, "agnb_diagnostics_request", `const rate: number = ${i};\nconst label: string = rate${i % 2 ? "" : " + 1"};`));
  }
  await client.shutdown();

  const first = `median of ${FRESH_KERNELS}`;
  return [
    { group: GROUP, name: "completion after w., first after opening", unit: "ms", ours: median(fromOpening), peers: {}, note: `${first}: from starting the kernel, warmed as the extension does, w. asked at once` },
    { group: GROUP, name: "kernel start", unit: "ms", ours: median(started), peers: {}, note: `${first}: process and transport up, the first request can be sent` },
    { group: GROUP, name: "completion after w., first once started", unit: "ms", ours: median(afterStart), peers: {}, note: `${first}: after the start, nothing warmed (TypeScript, the libraries, the language service)` },
    { group: GROUP, name: "completion after w., warm", unit: "ms", ours: median(completions), peers: {}, note: `median of ${WARM_REQUESTS}, the cell's text changing each time` },
    { group: GROUP, name: "hover", unit: "ms", ours: median(hovers), peers: {}, note: `median of ${WARM_REQUESTS}: type, doc and the live value of w` },
    { group: GROUP, name: "diagnostics after a keystroke", unit: "ms", ours: median(diagnostics), peers: {}, note: `median of ${WARM_REQUESTS}: a new text each time, checked as a run would be` },
  ];
}

const row = (rows: BenchRow[], name: string) => rows.find((r) => r.group === GROUP && r.name === name);

export const INTELLIGENCE_TARGETS: BenchTarget[] = [
  { description: "warm completion ≤ 50 ms (median)", check: (rows) => { const r = row(rows, "completion after w., warm"); return r ? r.ours <= 50 : undefined; } },
  { description: "first completion after opening ≤ 1 s", check: (rows) => { const r = row(rows, "completion after w., first after opening"); return r ? r.ours <= 1000 : undefined; } },
];
