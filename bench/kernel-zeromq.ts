/**
 * The kernel over ZeroMQ (`agnb kernel --connection-file`, driven by a small client on the
 * kernel's own wire codec) beside the same kernel over the local transport: cold start to idle,
 * a trivial cell's round trip and a tape cell's round trip. Runs alternate between the two so
 * that a busy machine slows both alike. Target: ZeroMQ within 1.5× of local.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { KernelClient } from "../kernel/client";
import { ROOT, buildKernelBundles } from "../kernel/bundles";
import { ZeroMQClient, writeConnectionFile } from "../test/jupyter/zeromq-client";
import { median } from "./measure";
import type { BenchRow, BenchTarget } from "./table";

const GROUP = "kernel over zeromq";
const LOCAL = "local transport";
const COLD_STARTS = 7;
const TRIVIAL_CELLS = 300;
const TAPE_CELLS = 100;
const WARM_UP_CELLS = 10;
const TAPE_CELL = `const zw = new tf.Variable([1.0, -2.0]);
const zTape = new tf.GradientTape();
const zLoss = zTape.record(() => tf.reduceSum(tf.tanh(tf.mul(zw, zw))));
zTape.gradient(zLoss, zw);
zTape`;

interface Driver {
  /** Starts a kernel and resolves once it answers (kernel_info) and its iopub is seen. */
  start(): Promise<void>;
  execute(code: string): Promise<void>;
  stop(): Promise<void>;
}

function localDriver(kernelScript: string): Driver {
  let client: KernelClient;
  return {
    async start() {
      client = new KernelClient({ kernelScript, cwd: ROOT });
      await client.start();
    },
    async execute(code) { await client.execute(code); },
    async stop() { await client.shutdown(); },
  };
}

function zeromqDriver(kernelScript: string, folder: string): Driver {
  let client: ZeroMQClient;
  let kernel: ChildProcess;
  return {
    async start() {
      const { file, info } = await writeConnectionFile(folder);
      kernel = spawn(process.execPath, [join(ROOT, "bin", "agnb.cjs"), "kernel", "--connection-file", file], {
        cwd: ROOT, stdio: ["ignore", "ignore", "inherit"], env: { ...process.env, AGNB_KERNEL: kernelScript },
      });
      client = new ZeroMQClient(info);
      await client.waitForReady();
    },
    async execute(code) { await client.execute(code); },
    async stop() {
      const exited = new Promise((resolve) => kernel.once("exit", resolve));
      await client.request("control", "shutdown_request", { restart: false });
      await exited;
      client.close();
    },
  };
}

async function coldStart(driver: Driver): Promise<number> {
  const start = performance.now();
  await driver.start();
  const elapsed = performance.now() - start;
  await driver.stop();
  return elapsed;
}

/** Median round trip of `code` on each driver, one cell on each in turn, so load hits both alike. */
async function roundTrips(drivers: Driver[], code: string, count: number): Promise<number[]> {
  for (const driver of drivers) for (let i = 0; i < WARM_UP_CELLS; i++) await driver.execute(code); // JIT, esbuild, the checker's cache
  const times = drivers.map(() => [] as number[]);
  for (let i = 0; i < count; i++) {
    for (const [index, driver] of drivers.entries()) {
      const start = performance.now();
      await driver.execute(code);
      times[index].push(performance.now() - start);
    }
  }
  return times.map(median);
}

export async function runZeroMQBench(): Promise<BenchRow[]> {
  const shipped = join(ROOT, "dist", "kernel.cjs");
  const kernelScript = existsSync(shipped) ? shipped : (await buildKernelBundles()).kernel;
  const folder = mkdtempSync(join(tmpdir(), "agnb-bench-zeromq-"));
  try {
    const local = localDriver(kernelScript);
    const zeromq = zeromqDriver(kernelScript, folder);
    const starts = { local: [] as number[], zeromq: [] as number[] };
    for (let i = 0; i < COLD_STARTS; i++) {
      starts.local.push(await coldStart(local));
      starts.zeromq.push(await coldStart(zeromq));
    }
    await Promise.all([local.start(), zeromq.start()]);
    let trivial: number[];
    let tape: number[];
    try {
      trivial = await roundTrips([local, zeromq], "1", TRIVIAL_CELLS);
      tape = await roundTrips([local, zeromq], TAPE_CELL, TAPE_CELLS);
    } finally {
      await Promise.all([local.stop(), zeromq.stop()]);
    }
    const row = (name: string, ours: number, localFigure: number, note: string): BenchRow =>
      ({ group: GROUP, name, unit: "ms", ours, peers: { [LOCAL]: localFigure }, note });
    return [
      row("cold start to idle", median(starts.zeromq), median(starts.local), `median of ${COLD_STARTS}: spawn → kernel_info answered and iopub seen`),
      row("trivial cell round trip", trivial[1], trivial[0], `median of ${TRIVIAL_CELLS}, execute_request → reply and idle`),
      row("tape cell round trip", tape[1], tape[0], `median of ${TAPE_CELLS}: build a tape, take a gradient, display the tape`),
    ];
  } finally {
    rmSync(folder, { recursive: true, force: true });
  }
}

export const ZEROMQ_TARGETS: BenchTarget[] = ["cold start to idle", "trivial cell round trip", "tape cell round trip"].map((name) => ({
  description: `ZeroMQ ${name} within 1.5× of the local transport`,
  check: (rows) => {
    const found = rows.find((r) => r.group === GROUP && r.name === name);
    return found && found.peers[LOCAL] ? found.ours <= 1.5 * found.peers[LOCAL] : undefined;
  },
}));
