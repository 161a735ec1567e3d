import { test } from "node:test";
import assert from "node:assert/strict";
import { matmulVariant } from "../engine/backend";
import { measureSimdPeak, peakModule } from "./simd-peak";

// Accumulator i starts at 1 + i/16 and takes `steps` steps of a ← a·0.999 + 0.001 in float32.
function expectedSum(steps: number): number {
  let sum = 0;
  for (let i = 0; i < 12; i++) {
    let a = Math.fround(1 + i / 16);
    for (let s = 0; s < steps; s++) a = Math.fround(Math.fround(a * Math.fround(0.999)) + Math.fround(0.001));
    sum = Math.fround(sum + a);
  }
  return sum;
}

test("the peak loop computes what it claims: 12 accumulators of multiply-adds", async () => {
  const run = new WebAssembly.Instance(new WebAssembly.Module(await peakModule(false))).exports.run as (steps: number) => number;
  for (const steps of [1, 7, 1000]) assert.ok(Math.abs(run(steps) - expectedSum(steps)) < 1e-5, `after ${steps} steps: ${run(steps)} vs ${expectedSum(steps)}`);
  if (matmulVariant() === "fused") {
    const fused = new WebAssembly.Instance(new WebAssembly.Module(await peakModule(true))).exports.run as (steps: number) => number;
    assert.ok(Math.abs(fused(7) - expectedSum(7)) < 1e-5, "the fused loop agrees to float32 rounding");
  }
});

test("the peak is measured on the threads asked for", async () => {
  const peak = await measureSimdPeak(1, false, 1);
  assert.equal(peak.threads, 1);
  assert.ok(Number.isFinite(peak.gflops) && peak.gflops > 0.1, `${peak.gflops} GFLOP/s`);
});
