import { test } from "node:test";
import assert from "node:assert/strict";
import { setTimeout as sleep } from "node:timers/promises";
import { measure, measureInterleaved, median } from "./measure";

test("median of odd and even counts, unaffected by an outlier", () => {
  assert.equal(median([5, 1, 3]), 3);
  assert.equal(median([4, 1, 3, 2]), 2.5);
  assert.equal(median([1, 1, 1, 1000]), 1);
  assert.throws(() => median([]), /median of no values/);
});

test("fast calls are batched so each sample lasts at least minSampleMs", async () => {
  let calls = 0;
  const result = await measure(() => { calls++; }, { warmupCalls: 3, minSampleMs: 5, minTimeMs: 5, minSamples: 3 });
  assert.ok(result.batch > 1, `batch ${result.batch}`);
  assert.ok(result.samples >= 3);
  assert.ok(calls >= result.batch * result.samples, "every timed call ran");
  assert.ok(result.medianMs > 0 && result.minMs <= result.medianMs);
});

test("async workloads are awaited: the time per call includes the wait", async () => {
  const result = await measure(() => sleep(3), { warmupCalls: 1, minSampleMs: 1, minTimeMs: 10, minSamples: 5 });
  assert.equal(result.batch, 1);
  assert.ok(result.medianMs >= 2.5, `median ${result.medianMs} ms for a 3 ms wait`);
});

test("a slow workload stops at the budget once it has three samples", async () => {
  let calls = 0;
  // Three 50 ms calls pass the 120 ms budget; the warm-up call stays well under it even on a busy machine.
  const slow = async () => { calls++; await sleep(50); };
  const result = await measure(slow, { warmupCalls: 1, minSampleMs: 1, minTimeMs: 10_000, minSamples: 10, budgetMs: 120 });
  assert.equal(result.samples, 3);
  assert.equal(calls, 1 + 3, "one warm-up call, no batching, three samples");
});

test("a call longer than the whole budget is timed once after its warm-up", async () => {
  let calls = 0;
  const slowCall = async () => { calls++; await sleep(25); };
  const result = await measure(slowCall, { warmupCalls: 3, minTimeMs: 10, minSamples: 10, budgetMs: 20 });
  assert.equal(result.samples, 1);
  assert.equal(calls, 2, "one warm-up call (a call slower than minTimeMs needs no more), one sample");
  assert.ok(result.medianMs >= 20);
});

test("a workload already warm that takes longer than the budget is timed on its first call alone", async () => {
  let calls = 0;
  const slowCall = async () => { calls++; await sleep(25); };
  const warm = await measure(slowCall, { warmedUp: true, minTimeMs: 10, minSamples: 10, budgetMs: 20 });
  assert.deepEqual([calls, warm.samples, warm.batch], [1, 1, 1]);
  assert.ok(warm.medianMs >= 20, `${warm.medianMs} ms for a 25 ms wait`);
  calls = 0;
  // Under the budget, a warm workload is sampled as any other: its first call stays untimed.
  const quick = await measure(slowCall, { warmedUp: true, warmupCalls: 1, minSampleMs: 1, minTimeMs: 10, minSamples: 3, budgetMs: 10_000 });
  assert.equal(quick.samples, 3);
  assert.equal(calls, 1 + 3);
});

test("warmupMs keeps calling until a workload that speeds up over its first calls is in its steady state", async () => {
  // Like a training step whose memory pools are still growing: its first 20 calls are slow.
  const speedingUp = () => {
    let calls = 0;
    return { run: () => (++calls <= 20 ? sleep(3) : undefined), calls: () => calls };
  };
  const options = { warmupCalls: 1, minSampleMs: 0, minTimeMs: 5, minSamples: 5, maxSamples: 5 };
  const cold = await measure(speedingUp().run, options);
  assert.ok(cold.medianMs >= 2.5, `without warmupMs the slow calls are timed: median ${cold.medianMs} ms`);
  const workload = speedingUp();
  const warm = await measure(workload.run, { ...options, warmupMs: 150 });
  assert.ok(workload.calls() > 20 + warm.samples, `${workload.calls()} calls`);
  assert.ok(warm.medianMs < 1, `after warmupMs the steady calls are timed: median ${warm.medianMs} ms`);
});

test("interleaved rounds alternate the contenders, entering each before its turn", async () => {
  const turns: string[] = [];
  let current = "";
  const contender = (name: string, waitMs: number) => ({
    enter: async () => { current = name; turns.push(name); },
    run: async () => {
      assert.equal(current, name, `${name} ran while ${current} was entered`);
      await sleep(waitMs);
    },
  });
  const options = { warmupCalls: 1, minSampleMs: 1, minTimeMs: 6, minSamples: 3 };
  const [fast, slow] = await measureInterleaved([contender("fast", 1), contender("slow", 8)], options, 3);
  assert.deepEqual(turns, ["fast", "slow", "fast", "slow", "fast", "slow", "fast", "slow"], "warm-ups, then three rounds");
  assert.ok(fast.samples >= 3 && slow.samples >= 3);
  assert.ok(slow.medianMs > fast.medianMs, `slow ${slow.medianMs} ms, fast ${fast.medianMs} ms`);
});
