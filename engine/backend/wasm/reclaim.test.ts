/**
 * Reclaiming kernel memory inside synchronous loops: dropped results come back without the loop
 * yielding, live arrays are never taken, a large live set does not cost a collection per op, and
 * the V8 flags this needs stay out of sight of user code.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import vm from "node:vm";
import fc from "fast-check";
import * as tf from "../../core";
import { KernelMemory } from "./memory";
import { synchronousCollector } from "./reclaim";

// The engine's own kernel memory, found by watching what asks it for arrays, and what it answered.
const requests = { placed: 0, outside: 0 };
let engineMemory: KernelMemory | undefined;
const resident = KernelMemory.prototype.resident;
KernelMemory.prototype.resident = function (this: KernelMemory, length: number) {
  const array = resident.call(this, length);
  if (length >= 1e6) {
    engineMemory = this;
    requests[array ? "placed" : "outside"]++;
  }
  return array;
};

const MB = 2 ** 20;
const N = 1e6;
const seeded = (seed: number) => Float32Array.from({ length: N }, (_, i) => Math.sin(seed * 7919 + i));

test("V8 lends synchronous reclamation here, and user code and later contexts see neither gc nor cleanupSome", () => {
  assert.ok(synchronousCollector(), "this Node gives the collector");
  assert.equal(vm.runInNewContext("typeof gc"), "undefined");
  assert.equal(vm.runInNewContext("typeof FinalizationRegistry.prototype.cleanupSome"), "undefined");
  assert.equal(typeof (FinalizationRegistry.prototype as { cleanupSome?: unknown }).cleanupSome, "undefined");
  assert.equal(typeof (globalThis as { gc?: unknown }).gc, "undefined");
});

test("where V8 refuses the flags there is no collector, and a synchronous loop of adds still computes on the WebAssembly backend", () => {
  // A runtime whose setFlagsFromString does nothing stands for one without the flags.
  const refuseFlags = 'data:text/javascript,import v8 from "node:v8"; v8.setFlagsFromString = () => {};';
  const script = `
    const { synchronousCollector } = require("./engine/backend/wasm/reclaim.ts");
    const tf = require("./engine/core.ts");
    const x = tf.constant(new Float32Array(1e6).fill(1.5)), y = tf.constant(new Float32Array(1e6).fill(2));
    let sum;
    for (let i = 0; i < 100; i++) sum = tf.add(x, y);
    console.log(JSON.stringify({ collector: synchronousCollector(), backend: tf.getBackend(), value: sum.dataSync()[123456] }));`;
  const child = spawnSync(process.execPath, ["--import", refuseFlags, "--import", "tsx", "-e", script], { cwd: new URL("../../..", import.meta.url), encoding: "utf8" });
  assert.equal(child.status, 0, child.stderr);
  assert.deepEqual(JSON.parse(child.stdout), { collector: null, backend: "wasm", value: 3.5 });
});

test("a synchronous loop of 1e6-element adds reuses kernel memory: no result goes outside after warm-up, and memory stays within the budget's limit", async () => {
  assert.equal(await tf.setBackend("wasm"), true);
  const [a, b] = [seeded(1), seeded(2)];
  const [x, y] = [tf.constant(a), tf.constant(b)];
  let sum = tf.add(x, y);
  for (let i = 0; i < 500; i++) sum = tf.add(x, y);
  const memory = engineMemory!;
  const collections = memory.stats.forcedCollections;
  requests.placed = requests.outside = 0;
  for (let i = 0; i < 600; i++) sum = i % 2 ? tf.add(x, y) : tf.mul(x, y);
  assert.deepEqual(requests, { placed: 600, outside: 0 }, "every result was placed in kernel memory");
  // 2.4 GB of results came and went in a memory no larger than the budget's limit (at most 8 × 128 MB) and the two operands.
  const size = memory.memory.buffer.byteLength;
  assert.ok(size <= 1024 * MB + 16 * MB, `kernel memory is ${(size / MB).toFixed(0)} MB`);
  const forced = memory.stats.forcedCollections - collections;
  assert.ok(forced >= 1 && forced <= 600 / 16, `${forced} forced collections for 600 results of 4 MB`);
  const values = sum.dataSync();
  for (let i = 0; i < N; i += 997) assert.equal(values[i], Math.fround(a[i] + b[i]), `element ${i}`);
});

test("the same loop on the JavaScript backend gives the same sums", async () => {
  const [a, b] = [seeded(3), seeded(4)];
  const results: Float32Array[] = [];
  for (const backend of ["js", "wasm"] as const) {
    await tf.setBackend(backend);
    const [x, y] = [tf.constant(a), tf.constant(b)];
    let sum = tf.add(x, y);
    for (let i = 0; i < 100; i++) sum = tf.add(sum, y);
    results.push(sum.dataSync() as Float32Array);
  }
  assert.deepEqual(results[1], results[0]);
  await tf.setBackend("wasm");
});

test("live arrays are never reclaimed: random allocations, drops and reads under forced collections", () => {
  const memory = new KernelMemory(MB);
  type Step = { kind: "allocate"; length: number } | { kind: "drop" | "read"; pick: number };
  const step = fc.oneof(
    { weight: 3, arbitrary: fc.record({ kind: fc.constant("allocate" as const), length: fc.integer({ min: 1, max: 60_000 }) }) },
    { weight: 2, arbitrary: fc.record({ kind: fc.constant("drop" as const), pick: fc.nat() }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant("read" as const), pick: fc.nat() }) },
  );
  let stamp = 0;
  const intact = (array: Float32Array, value: number) => array[0] === value && array[array.length >> 1] === value && array[array.length - 1] === value;
  fc.assert(fc.property(fc.array(step, { minLength: 20, maxLength: 120 }), (steps: Step[]) => {
    const live: { array: Float32Array; value: number }[] = [];
    for (const s of steps) {
      if (s.kind === "allocate") {
        const array = memory.resident(s.length);
        if (array) live.push({ array: array.fill(++stamp), value: stamp });
      } else if (live.length > 0) {
        const at = s.pick % live.length;
        if (s.kind === "drop") live.splice(at, 1);
        else assert.ok(intact(live[at].array, live[at].value), `array ${at} of ${live.length} kept its values`);
      }
    }
    for (const { array, value } of live) assert.ok(intact(array, value), "every live array kept its values");
    const spans = live.map(({ array }) => [memory.offsetOf(array)!, memory.offsetOf(array)! + 4 * array.length]).sort((p, q) => p[0] - q[0]);
    for (let i = 1; i < spans.length; i++) assert.ok(spans[i][0] >= spans[i - 1][1], "no two live arrays share memory");
  }), { numRuns: 150 });
  assert.ok(memory.stats.forcedCollections > 0 && memory.stats.reclaimedBytes > 0, "collections were forced and gave memory back");
});

test("a live set larger than the budget does not cost a collection per op: at the budget's limit, fruitless collections wait twice as long", () => {
  const budget = 8 * MB, length = 16_000; // blocks of 64 kB: 128 fill the budget
  const memory = new KernelMemory(budget, { budgetLimit: budget });
  const held: Float32Array[] = [];
  for (let array = memory.resident(length); array; array = memory.resident(length)) held.push(array);
  const before = memory.stats.forcedCollections;
  let outside = 0;
  for (let i = 0; i < 4000; i++) if (!memory.resident(length)) outside++;
  const forced = memory.stats.forcedCollections - before;
  assert.equal(outside, 4000, "the live set kept the budget full");
  // 4000 requests of 64 kB are 31 budgets; the one that filled it collected, then after 1, 3, 7, 15 and 31 more.
  assert.equal(forced, 5, `${forced} forced collections for 4000 requests`);
  assert.equal(memory.residentBudget, budget, "fruitless collections do not raise the budget");
  assert.equal(held.length, 128);
});

test("live arrays filling most of the budget make it grow, so that results made and dropped beside them stay in kernel memory", () => {
  const budget = 64 * MB, length = 250_000; // blocks of 1 MB
  const memory = new KernelMemory(budget, { budgetLimit: 4 * budget });
  const held = Array.from({ length: 56 }, () => memory.resident(length)!.fill(5)); // 56 MB of the 64
  let outside = 0;
  for (let i = 0; i < 600; i++) if (!memory.resident(length)) outside++;
  assert.ok(memory.residentBudget >= 2 * budget, "the crowded collection doubled the budget");
  assert.ok(outside <= 8, `${outside} of 600 results were made outside kernel memory`);
  assert.ok(held.every((array) => array[0] === 5 && array[length - 1] === 5), "the live arrays kept their values");
});
