/**
 * The hardware reference for WebAssembly matrix products: the float32 multiply-add rate a
 * WebAssembly SIMD loop reaches on this machine, on every kernel thread at once. No WebAssembly
 * matmul can beat it (128-bit vectors, 4 lanes), which is what a ratio against numpy (OpenBLAS,
 * with AVX-512's 16 lanes here) has to be read against.
 *
 * The loop keeps 12 independent vector accumulators in flight (enough to cover the multiply-add
 * latency on two ports, few enough to stay in x64's 16 vector registers), each step
 * `acc = acc · b + c`, fused (relaxed SIMD) where the engine's matmul fuses too.
 */
import { Worker } from "node:worker_threads";
import initWabt from "wabt";
import * as backend from "../engine/backend";
import { isMeasured, type BenchRow } from "./figures";
import { engineThreads } from "./machine";

const ACCUMULATORS = 12;
const FLOPS_PER_STEP = ACCUMULATORS * 4 * 2;

function peakModuleText(fused: boolean): string {
  const names = Array.from({ length: ACCUMULATORS }, (_, i) => `$a${i}`);
  const step = (name: string) => fused
    ? `(local.set ${name} (f32x4.relaxed_madd (local.get ${name}) (local.get $b) (local.get $c)))`
    : `(local.set ${name} (f32x4.add (f32x4.mul (local.get ${name}) (local.get $b)) (local.get $c)))`;
  const total = names.slice(1).reduce((sum, name) => `(f32x4.add ${sum} (local.get ${name}))`, `(local.get ${names[0]})`);
  return `(module
  (func (export "run") (param $steps i32) (result f32)
    (local $b v128) (local $c v128) ${names.map((name) => `(local ${name} v128)`).join(" ")}
    (local.set $b (f32x4.splat (f32.const 0.999)))
    (local.set $c (f32x4.splat (f32.const 0.001)))
    ${names.map((name, i) => `(local.set ${name} (f32x4.splat (f32.const ${1 + i / 16})))`).join("\n    ")}
    (loop $next
      ${names.map(step).join("\n      ")}
      (br_if $next (local.tee $steps (i32.sub (local.get $steps) (i32.const 1)))))
    (f32x4.extract_lane 0 ${total})))`;
}

export async function peakModule(fused: boolean): Promise<Uint8Array<ArrayBuffer>> {
  const wabt = await initWabt();
  const parsed = wabt.parseWat("simd-peak.wat", peakModuleText(fused), { simd: true, relaxed_simd: true });
  try {
    return new Uint8Array(parsed.toBinary({}).buffer);
  } finally {
    parsed.destroy();
  }
}

// Each thread compiles the module, warms it up until the optimising tier runs it, waits for the
// shared start signal, then runs `steps` steps; the main thread times from the signal to the last
// thread's end.
const THREAD_SOURCE = `
const { parentPort, workerData } = require("node:worker_threads");
const { bytes, steps, signal } = workerData;
const run = new WebAssembly.Instance(new WebAssembly.Module(bytes)).exports.run;
for (let i = 0; i < 20; i++) run(steps / 20);
const flag = new Int32Array(signal);
Atomics.add(flag, 1, 1);
Atomics.wait(flag, 0, 0);
parentPort.postMessage(run(steps));
`;

export interface SimdPeak {
  gflops: number;
  threads: number;
  fused: boolean;
}

/** The multiply-add peak on `threads` threads at once, GFLOP/s (best of `repeats`). */
export async function measureSimdPeak(threads: number, fused: boolean, repeats = 3): Promise<SimdPeak> {
  const bytes = await peakModule(fused);
  const steps = 100_000_000;
  let best = 0;
  for (let repeat = 0; repeat < repeats; repeat++) {
    const signal = new SharedArrayBuffer(8);
    const flag = new Int32Array(signal);
    const workers = Array.from({ length: threads }, () => new Worker(THREAD_SOURCE, { eval: true, workerData: { bytes, steps, signal } }));
    try {
      const finished = workers.map((worker) => new Promise<void>((resolve, reject) => {
        worker.once("message", () => resolve());
        worker.once("error", reject);
      }));
      while (Atomics.load(flag, 1) < threads) await new Promise((resolve) => setTimeout(resolve, 5));
      const start = performance.now();
      Atomics.store(flag, 0, 1);
      Atomics.notify(flag, 0);
      await Promise.all(finished);
      const seconds = (performance.now() - start) / 1000;
      best = Math.max(best, (threads * steps * FLOPS_PER_STEP) / seconds / 1e9);
    } finally {
      await Promise.all(workers.map((worker) => worker.terminate()));
    }
  }
  return { gflops: best, threads, fused };
}

/**
 * The matmul group's reference row: the peak on the engine's kernel threads, with how much of it
 * the largest measured matmul reaches.
 */
export async function simdPeakRow(rows: BenchRow[], log: (line: string) => void): Promise<BenchRow> {
  const name = "WebAssembly SIMD peak (multiply-add loop)";
  const threads = engineThreads();
  const fused = backend.matmulVariant() === "fused";
  const peak = await measureSimdPeak(threads, fused);
  log(`engine: ${name}: ${peak.gflops.toPrecision(3)} GFLOP/s on ${threads} thread${threads === 1 ? "" : "s"}`);
  const best = rows.filter((row) => row.group === "matmul" && isMeasured(row.ours)).sort((a, b) => b.ours - a.ours)[0];
  const share = best ? `; ${best.name} reaches ${Math.round((100 * best.ours) / peak.gflops)} % of it` : "";
  return {
    group: "matmul", name, unit: "GFLOP/s", higherIsBetter: true, ours: peak.gflops, peers: {},
    note: `the ceiling of any WebAssembly matmul here: 4 float32 lanes, ${fused ? "fused" : "separate"} multiply-adds, ${threads} thread${threads === 1 ? "" : "s"}${share}; numpy's OpenBLAS uses AVX-512 (16 lanes)`,
  };
}
