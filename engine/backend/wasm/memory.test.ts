/** Kernel memory: blocks of collected arrays are reused, the budget and the 4 GB limit hold, with and without synchronous reclamation. */
import { test } from "node:test";
import assert from "node:assert/strict";
import v8 from "node:v8";
import vm from "node:vm";
import { KernelMemory } from "./memory";

v8.setFlagsFromString("--expose-gc");
const collectGarbage = vm.runInNewContext("gc") as () => void;
const settle = async () => {
  for (let i = 0; i < 3; i++) { collectGarbage(); await new Promise((resolve) => setTimeout(resolve, 5)); }
};

test("arrays dropped and collected give their blocks back: memory stays flat over many rounds", async () => {
  const memory = new KernelMemory(2 ** 30);
  let kept: Float32Array | null = null;
  const round = () => {
    for (let i = 0; i < 20; i++) {
      const array = memory.resident(50_000)!;
      array.fill(i);
      kept = array;
    }
  };
  round();
  await settle();
  round();
  await settle();
  const size = memory.memory.buffer.byteLength;
  for (let r = 0; r < 30; r++) { round(); await settle(); }
  assert.equal(memory.memory.buffer.byteLength, size, "no growth once blocks are reused");
  assert.equal(kept![0], 19);
});

/** Asks for `attempts` arrays of 240 kB (blocks of 256 kB) and returns those placed. */
const fillBudget = (memory: KernelMemory, attempts: number) => {
  const held: Float32Array[] = [];
  for (let i = 0; i < attempts; i++) { const array = memory.resident(60_000); if (array) held.push(array); }
  return held;
};

test("without synchronous reclamation (a runtime without the V8 hooks), past the budget no array is placed until collected ones come back between tasks", async () => {
  const memory = new KernelMemory(1 << 20, { synchronous: false });
  let held = fillBudget(memory, 8);
  assert.equal(held.length, 4, "four blocks of 240 kB fit in 1 MB");
  assert.equal(memory.resident(60_000), null);
  held = [];
  collectGarbage();
  assert.equal(memory.resident(60_000), null, "collected, but the finalizers wait for the next task");
  await settle();
  assert.ok(memory.resident(60_000) instanceof Float32Array);
  assert.equal(memory.stats.forcedCollections, 0);
});

test("with synchronous reclamation, dropped arrays' blocks come back without yielding, and held ones are kept", () => {
  const memory = new KernelMemory(1 << 20);
  let held = fillBudget(memory, 4);
  assert.equal(held.length, 4);
  const kept = held.splice(0, 1)[0].fill(7);
  held = [];
  const again = [memory.resident(60_000), memory.resident(60_000), memory.resident(60_000)];
  assert.ok(again.every((array) => array instanceof Float32Array), "three blocks came back in the same task");
  assert.equal(memory.resident(60_000), null, "the kept array still holds the fourth");
  assert.ok(kept.every((value) => value === 7));
  assert.deepEqual([memory.stats.forcedCollections, memory.stats.reclaimedBytes], [1, 3 * 2 ** 18], "one collection gave back three blocks");
  assert.equal(held.length, 0);
});

test("an array beyond WebAssembly's 4 GB cannot be placed, and nothing grows trying", () => {
  const memory = new KernelMemory(Infinity);
  const before = memory.memory.buffer.byteLength;
  assert.equal(memory.resident(2 ** 30), null);
  assert.equal(memory.memory.buffer.byteLength, before);
});

test("a view made before the memory grew still reads its values", () => {
  const memory = new KernelMemory(2 ** 30);
  const early = memory.resident(1000)!;
  early.fill(3);
  memory.resident(4_000_000);
  assert.ok(memory.memory.buffer.byteLength > 16e6);
  assert.equal(early[999], 3);
  assert.equal(memory.offsetOf(early), 0);
});

test("blocks given back in one size serve arrays of another: 4 MB results, then 800 kB ones, in no more memory", () => {
  const memory = new KernelMemory(64 * 2 ** 20, { budgetLimit: 64 * 2 ** 20 });
  for (let i = 0; i < 100; i++) memory.resident(1_000_000)!.fill(i);
  const size = memory.memory.buffer.byteLength;
  let placed = 0;
  for (let i = 0; i < 1000; i++) if (memory.resident(200_000)?.fill(i)) placed++;
  assert.equal(placed, 1000, "every 800 kB result was placed in kernel memory");
  assert.equal(memory.memory.buffer.byteLength, size, `kernel memory grew from ${size / 2 ** 20} MB to ${memory.memory.buffer.byteLength / 2 ** 20} MB`);
  assert.ok(memory.stats.forcedCollections >= 2);
});

test("where memory is already as large as a doubled budget, one costly collection doubles it (no fresh pages to pay for)", () => {
  const MB = 2 ** 20;
  const memory = new KernelMemory(32 * MB, { budgetLimit: 128 * MB });
  // A large temporary block, given back, leaves the memory at 256 MB and nothing in it.
  const block = memory.temporary(64 * MB)!;
  memory.release(block.offset, block.bytes);
  assert.ok(memory.memory.buffer.byteLength >= 256 * MB);
  // Results made and dropped with nothing else done: collections take most of the time.
  const budgets: number[] = [];
  for (let i = 0; i < 8000 && memory.stats.forcedCollections < 3; i++) {
    const before = memory.stats.forcedCollections;
    memory.resident(16_000)!.fill(i);
    if (memory.stats.forcedCollections > before) budgets.push(memory.residentBudget / MB);
  }
  assert.deepEqual(budgets, [64, 128, 128], "budgets after each forced collection, in MB");
});
