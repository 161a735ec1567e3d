/**
 * Memory stays flat over a long training loop written without tidy or dispose: the 784-256-10
 * MLP's SGD step, 10,000 times, on the WebAssembly backend. Its large results live in kernel
 * memory and come back to the pool when collected (FinalizationRegistry), within a synchronous
 * loop too (the pool forces a collection when its budget is reached); results it cannot place are
 * ordinary arrays the collector takes back. Measured at intervals: the process's
 * resident memory, the JavaScript heap, the size of every WebAssembly memory, and how many
 * results the pool placed in kernel memory or had to leave outside it.
 * After a loop of large adds, a training loop takes the memory the adds left, whatever the sizes.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { setImmediate as nextTask } from "node:timers/promises";
import v8 from "node:v8";
import vm from "node:vm";
import * as tf from "../engine/core";
import { KernelMemory } from "../engine/backend/wasm/memory";
import { mlpTraining } from "../bench/ours";
import { MLP, mlpParameters } from "../bench/workloads";

v8.setFlagsFromString("--expose-gc");
const collectGarbage = vm.runInNewContext("gc") as () => void;

// The pools' own counters: every result the backend asks kernel memory for, placed there or not.
const pools = new Set<KernelMemory>();
const requests = { placed: 0, outside: 0 };
const resident = KernelMemory.prototype.resident;
KernelMemory.prototype.resident = function (this: KernelMemory, length: number) {
  pools.add(this);
  const array = resident.call(this, length);
  requests[array ? "placed" : "outside"]++;
  return array;
};

// Every WebAssembly memory the engine makes (kernel memory, the matrix kernels', threads'), to read their sizes.
const memories: WebAssembly.Memory[] = [];
WebAssembly.Memory = new Proxy(WebAssembly.Memory, {
  construct(target, args: [WebAssembly.MemoryDescriptor]) {
    const memory = new target(...args);
    memories.push(memory);
    return memory;
  },
});

const STEPS = 10_000;
const INTERVAL = 1000;
const WARM_UP = 2000;
const MB = 2 ** 20;

interface Sample {
  step: number;
  rss: number;
  heap: number;
  wasm: number;
  placed: number;
  outside: number;
  loss: number;
}

async function settle(): Promise<void> {
  for (let i = 0; i < 3; i++) {
    collectGarbage();
    await nextTask();
  }
}

async function sample(step: number, loss: number): Promise<Sample> {
  await settle();
  const { rss, heapUsed, arrayBuffers } = process.memoryUsage();
  const wasm = memories.reduce((total, memory) => total + memory.buffer.byteLength, 0);
  const taken = { step, rss, heap: heapUsed + arrayBuffers, wasm, placed: requests.placed, outside: requests.outside, loss };
  requests.placed = requests.outside = 0;
  return taken;
}

const describe = (s: Sample) =>
  `step ${s.step}: rss ${(s.rss / MB).toFixed(1)} MB, heap ${(s.heap / MB).toFixed(1)} MB, wasm ${(s.wasm / MB).toFixed(1)} MB, ` +
  `pool placed ${s.placed} / outside ${s.outside}, loss ${s.loss.toFixed(4)}`;

test(`memory stays flat over ${STEPS.toLocaleString("en-US")} SGD steps of the 784-256-10 MLP, without tidy or dispose`, { timeout: 600_000 }, async (t) => {
  assert.equal(await tf.setBackend("wasm"), true, "this machine runs the WebAssembly backend");
  const { step } = mlpTraining(tf, mlpParameters(MLP));
  const samples: Sample[] = [];
  let loss = Number.NaN;
  for (let i = 1; i <= STEPS; i++) {
    const lossTensor = step();
    // A training loop yields between steps (as fit does between batches): finalizers run there.
    if (i % 10 === 0) await nextTask();
    if (i % INTERVAL === 0) {
      loss = lossTensor.item();
      samples.push(await sample(i, loss));
      t.diagnostic(describe(samples.at(-1)!));
    }
  }
  assert.ok(pools.size > 0, "results were asked of kernel memory");
  assert.ok(samples[0].loss > samples.at(-1)!.loss, "the steps trained the model");

  const steady = samples.filter((s) => s.step > WARM_UP);
  const base = samples.find((s) => s.step === WARM_UP)!;
  const growth = (field: "rss" | "heap" | "wasm") => Math.max(...steady.map((s) => s[field])) - base[field];
  assert.ok(growth("wasm") <= 4 * MB, `WebAssembly memory grew by ${(growth("wasm") / MB).toFixed(1)} MB after warm-up`);
  assert.ok(growth("heap") <= 16 * MB, `the JavaScript heap grew by ${(growth("heap") / MB).toFixed(1)} MB after warm-up`);
  assert.ok(growth("rss") <= 48 * MB, `resident memory grew by ${(growth("rss") / MB).toFixed(1)} MB after warm-up`);
  // Blocks come back: were they kept, the 64 MB budget would run out within the first hundred
  // steps and every later result would go outside. How many come back in time depends on when
  // the collector runs, so the bound is loose for a single interval, firmer over all of them.
  for (const s of steady) {
    assert.ok(s.placed >= 0.2 * (s.placed + s.outside), `the pool placed only ${s.placed} of ${s.placed + s.outside} results by ${describe(s)}`);
  }
  const placed = steady.reduce((total, s) => total + s.placed, 0), outside = steady.reduce((total, s) => total + s.outside, 0);
  assert.ok(placed >= outside, `the pool placed ${placed} results after warm-up and left ${outside} outside`);
});

test("a loop that never yields keeps its results in kernel memory: the pool reclaims dropped ones itself, and memory stays bounded", { timeout: 300_000 }, async (t) => {
  assert.equal(await tf.setBackend("wasm"), true);
  const { step } = mlpTraining(tf, mlpParameters(MLP));
  const run = (steps: number) => {
    let loss = tf.constant(0);
    for (let i = 0; i < steps; i++) loss = step();
    return loss.item();
  };
  const collections = () => [...pools].reduce((total, pool) => total + pool.stats.forcedCollections, 0);
  await sample(0, run(500));
  const base = await sample(500, run(500));
  const forcedBefore = collections();
  const later = await sample(2000, run(1500));
  const forced = collections() - forcedBefore;
  for (const s of [base, later]) t.diagnostic(describe(s));
  t.diagnostic(`${forced} collections forced over 1500 steps`);
  assert.ok(later.placed > 0 && later.outside <= 0.01 * (later.placed + later.outside), `the pool left ${later.outside} of ${later.placed + later.outside} results outside`);
  assert.ok(forced <= 150, `${forced} forced collections: fewer than one every ten steps`);
  assert.ok(later.wasm - base.wasm <= 4 * MB, `WebAssembly memory grew by ${((later.wasm - base.wasm) / MB).toFixed(1)} MB`);
  assert.ok(later.rss - base.rss <= 48 * MB, `resident memory grew by ${((later.rss - base.rss) / MB).toFixed(1)} MB`);
});

test("a training loop after a loop of large adds reuses the memory the adds left, whatever its blocks' sizes", { timeout: 300_000 }, async (t) => {
  assert.equal(await tf.setBackend("wasm"), true);
  const [x, y] = [tf.constant(new Float32Array(1e6).fill(1.5)), tf.constant(new Float32Array(1e6).fill(2))];
  let sum = tf.add(x, y);
  for (let i = 0; i < 600; i++) sum = tf.add(sum, y);
  assert.equal(sum.dataSync()[999_999], 1.5 + 601 * 2);
  const { step } = mlpTraining(tf, mlpParameters(MLP));
  const before = await sample(0, Number.NaN);
  let loss = tf.constant(0);
  for (let i = 0; i < 600; i++) loss = step();
  const after = await sample(600, loss.item());
  for (const s of [before, after]) t.diagnostic(describe(s));
  // The adds left hundreds of megabytes of 4 MB blocks behind; the steps' 800 kB and 64 kB
  // results take them, so memory grows only where the budget lets more live at once than it held.
  const budget = Math.max(...[...pools].map((pool) => pool.residentBudget));
  const room = Math.max(0, budget - before.wasm);
  const growth = after.wasm - before.wasm;
  t.diagnostic(`budget ${(budget / MB).toFixed(0)} MB, memory grew by ${(growth / MB).toFixed(1)} MB`);
  assert.ok(growth <= room + 32 * MB, `WebAssembly memory grew by ${(growth / MB).toFixed(1)} MB, past the ${(room / MB).toFixed(0)} MB the budget leaves`);
  assert.ok(after.outside <= 0.01 * (after.placed + after.outside), `the pool left ${after.outside} of ${after.placed + after.outside} results outside`);
});
