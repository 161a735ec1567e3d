/**
 * The thread pool on a small WebAssembly module: parts really run at the same time on the
 * workers (a barrier that one thread alone could never pass), whether the worker is still
 * spinning from the call before or has gone to sleep, with workers that spin between calls and
 * workers that never do; requests a late worker missed are withdrawn without breaking later
 * calls or loads; more parts than threads are all done, a
 * trap comes back as an error and leaves the pool usable, and without shared memory or with one
 * thread the calling thread does every part.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import initWabt from "wabt";
import { createPool, SPIN_MS, threadCount, type ThreadPool } from "./threads";

const KERNEL = `(module
  (import "env" "memory" (memory 1 100 shared))
  ;; n floats from byte offset $at set to $value
  (func (export "fill") (param $at i32) (param $n i32) (param $value f32)
    (block $done (loop $next
      (br_if $done (i32.eqz (local.get $n)))
      (f32.store (local.get $at) (local.get $value))
      (local.set $at (i32.add (local.get $at) (i32.const 4)))
      (local.set $n (i32.sub (local.get $n) (i32.const 1)))
      (br $next))))
  ;; Counts itself in at $counter, then waits (spinning, a bounded time) until $expected threads
  ;; have; writes 1 at $result if they all met.
  (func $meet (export "meet") (param $counter i32) (param $expected i32) (param $result i32)
    (local $spins i32)
    (drop (i32.atomic.rmw.add (local.get $counter) (i32.const 1)))
    (block $met (loop $wait
      (br_if $met (i32.ge_u (i32.atomic.load (local.get $counter)) (local.get $expected)))
      (local.set $spins (i32.add (local.get $spins) (i32.const 1)))
      (br_if $wait (i32.lt_u (local.get $spins) (i32.const 2000000000)))))
    (i32.store (local.get $result) (i32.ge_u (i32.atomic.load (local.get $counter)) (local.get $expected))))
  ;; Meets like "meet", then writes at $result the number of the thread it ran on (the pool's last argument).
  (func (export "meetAndName") (param $counter i32) (param $expected i32) (param $result i32) (param $thread i32)
    (call $meet (local.get $counter) (local.get $expected) (local.get $result))
    (i32.store (local.get $result) (local.get $thread)))
  (func (export "trapIf") (param $trap i32)
    (if (local.get $trap) (then unreachable))))`;

async function compiled(): Promise<WebAssembly.Module> {
  const wabt = await initWabt();
  const module = wabt.parseWat("pool-test.wat", KERNEL, { threads: true });
  const { buffer } = module.toBinary({});
  module.destroy();
  return new WebAssembly.Module(buffer as Uint8Array<ArrayBuffer>);
}

const sharedMemory = () => new WebAssembly.Memory({ initial: 1, maximum: 100, shared: true });
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A call only both threads together can finish: each part waits in "meet" for the other. */
function assertBothMeet(pool: ThreadPool, kernel: number, memory: WebAssembly.Memory, what: string): void {
  const ints = new Int32Array(memory.buffer);
  ints.fill(0, 0, 4);
  pool.run(kernel, "meet", [[0, 2, 8], [0, 2, 12]]);
  assert.deepEqual([ints[0], ints[2], ints[3]], [2, 1, 1], `${what}: both parts met`);
}

test("parts run at once on the workers and each writes its share", async (t) => {
  if (threadCount() < 2) return t.diagnostic("one core: nothing runs in parallel here");
  const memory = sharedMemory();
  const pool = createPool(memory, 2);
  assert.equal(pool.threads, 2);
  const kernel = pool.load(await compiled());
  pool.run(kernel, "meet", [[0, 2, 8], [0, 2, 12]]);
  const ints = new Int32Array(memory.buffer);
  assert.deepEqual([ints[0], ints[2], ints[3]], [2, 1, 1], "both parts were inside the kernel at the same time");
  pool.run(kernel, "meetAndName", [[4, 2, 16], [4, 2, 20]]);
  assert.deepEqual([ints[4], ints[5]].sort(), [0, 1], "each part knows the thread it ran on: the caller is 0, the worker 1");
  pool.run(kernel, "fill", [[64, 10, 1.5], [104, 6, -2]]);
  assert.deepEqual([...new Float32Array(memory.buffer, 64, 16)], [...new Array(10).fill(1.5), ...new Array(6).fill(-2)]);
  // More parts than threads: whichever thread is free takes the next.
  const parts = Array.from({ length: 40 }, (_, i) => [1024 + i * 400, 100, i]);
  pool.run(kernel, "fill", parts);
  const floats = new Float32Array(memory.buffer, 1024, 4000);
  assert.ok(parts.every((_, i) => floats.subarray(i * 100, (i + 1) * 100).every((v) => v === i)));
});

/** Workers that spin between calls (as on a quiet machine) and workers that never do (a busy one). */
const SPINNING = [{ name: "spinning", busyLoad: Infinity }, { name: "never spinning", busyLoad: 0 }];

for (const { name, busyLoad } of SPINNING) test(`${name}, a worker joins calls that come back to back and calls after it went to sleep`, async (t) => {
  if (threadCount() < 2) return t.diagnostic("one core: nothing runs in parallel here");
  const memory = sharedMemory();
  const pool = createPool(memory, 2, { busyLoad });
  const kernel = pool.load(await compiled());
  // Gaps around the spin time: the wake must work whichever side of it the worker is on.
  const gaps = [0, 0, SPIN_MS / 2, SPIN_MS - 0.05, SPIN_MS, SPIN_MS + 0.05, 2 * SPIN_MS, 5 * SPIN_MS, 0, 0];
  for (const [i, gap] of gaps.entries()) {
    await sleep(gap);
    assertBothMeet(pool, kernel, memory, `call ${i}, ${gap} ms after the one before`);
  }
});

for (const { name, busyLoad } of SPINNING) test(`${name}, calls the caller finishes alone while the worker is slow to wake withdraw its request; later calls are served in full`, async (t) => {
  if (threadCount() < 2) return t.diagnostic("one core: no worker to wake");
  const memory = sharedMemory();
  const pool = createPool(memory, 2, { busyLoad });
  const kernel = pool.load(await compiled());
  const floats = new Float32Array(memory.buffer);
  for (let round = 0; round < 40; round++) {
    // Now and then long enough for the worker to fall asleep, so that it wakes while the caller already does its part.
    if (round % 8 === 0) await sleep(2 * SPIN_MS + 1);
    const parts = Array.from({ length: 2 + (round % 3) }, (_, part) => [4096 + part * 64, 16, round * 10 + part]);
    pool.run(kernel, "fill", parts);
    parts.forEach(([at, n, value]) => assert.ok(floats.subarray(at / 4, at / 4 + n).every((v) => v === value), `round ${round}: part at ${at} holds ${value}`));
    // The worker serves a call it must join whatever it missed before.
    assertBothMeet(pool, kernel, memory, `round ${round}`);
  }
});

for (const { name, busyLoad } of SPINNING) test(`${name}, a module loaded right after a call the worker missed is loaded on the worker too`, async (t) => {
  if (threadCount() < 2) return t.diagnostic("one core: no worker to load on");
  const memory = sharedMemory();
  const pool = createPool(memory, 2, { busyLoad });
  const first = pool.load(await compiled());
  for (let round = 0; round < 6; round++) {
    await sleep(2 * SPIN_MS + 1);
    // The worker sleeps: the caller does both tiny parts and withdraws the request before the worker wakes.
    pool.run(first, "fill", [[4096, 1, round], [4160, 1, round]]);
    assertBothMeet(pool, pool.load(await compiled()), memory, `round ${round}, the module loaded after the missed call`);
  }
});

test("pool.warm says a call would start on every thread at once: soon after a call with spinning workers, never with workers that do not spin", async (t) => {
  if (threadCount() < 2) return t.diagnostic("one core: no worker to spin");
  const memory = sharedMemory();
  const [spinning, resting] = [createPool(memory, 2, { busyLoad: Infinity }), createPool(memory, 2, { busyLoad: 0 })];
  for (const pool of [spinning, resting]) {
    assert.equal(pool.warm, false, "no worker before the first call");
    pool.run(pool.load(await compiled()), "fill", [[4096, 1, 1], [4160, 1, 2]]);
  }
  // A spinning worker may lose its core on a busy machine and rest a while: ask again until it spins.
  let warm = false;
  for (let tries = 0; tries < 200 && !warm; tries++) {
    spinning.run(0, "fill", [[4096, 1, 1], [4160, 1, 2]]);
    // The worker starts spinning a moment after it finishes its part: look for half a spin.
    const until = performance.now() + SPIN_MS / 2;
    while (!(warm = spinning.warm) && performance.now() < until);
    if (!warm) await sleep(5);
  }
  assert.ok(warm, "the spinning pool's worker was found spinning after a call");
  assert.equal(resting.warm, false, "a worker that does not spin is never warm");
});

test("a worker's trap is reported, and the pool serves the next call", async (t) => {
  if (threadCount() < 2) return t.diagnostic("one core: no worker to fail");
  const memory = sharedMemory();
  const pool = createPool(memory, 2);
  const kernel = pool.load(await compiled());
  // Whichever thread took the failing part, the caller hears of it: its own RuntimeError, or the worker's message.
  for (const parts of [[[0], [1]], [[1], [0]], [[1], [1]]]) {
    assert.throws(() => pool.run(kernel, "trapIf", parts), /^(RuntimeError|Error: thread pool: a worker failed): unreachable/);
  }
  pool.run(kernel, "trapIf", [[0], [0]]);
  pool.run(kernel, "fill", [[0, 4, 3], [16, 4, 4]]);
  assert.deepEqual([...new Float32Array(memory.buffer, 0, 8)], [3, 3, 3, 3, 4, 4, 4, 4]);
  assert.throws(() => pool.run(kernel, "nothing", [[]]), /kernel 0 has no function 'nothing'/);
  assert.throws(() => pool.run(kernel, "fill", [[0, 1, 0], [0, 1]]), /every part takes the same arguments/);
});

test("with one thread, or without shared memory, the calling thread does the work", async () => {
  const memory = sharedMemory();
  const single = createPool(memory, 1);
  assert.equal(single.threads, 1);
  const kernel = single.load(await compiled());
  single.run(kernel, "fill", [[0, 2, 7]]);
  (single.exports(kernel) as { fill(at: number, n: number, value: number): void }).fill(8, 2, 9);
  assert.deepEqual([...new Float32Array(memory.buffer, 0, 4)], [7, 7, 9, 9]);
  assert.equal(createPool(new WebAssembly.Memory({ initial: 1 }), 4).threads, 1);
});
