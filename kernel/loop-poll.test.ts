/**
 * The loop checks' throttled poll, on a clock the test moves: it never polls more often than its
 * interval, polls soon after the interval has passed (within a bounded number of calls), and reads
 * the clock seldom when iterations are cheap.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { MAX_CALLS_PER_READ, throttledPoll } from "./loop-poll";

/** A loop of `steps` (each the time one iteration takes, in ms) with the poll as its loop check. */
function runLoop(steps: Iterable<number>, intervalMs: number) {
  let time = 0;
  let clockReads = 0;
  const polls: Array<{ time: number; call: number }> = [];
  let call = 0;
  const due = throttledPoll(() => { polls.push({ time, call }); return false; }, intervalMs, () => { clockReads += 1; return time; });
  for (const step of steps) {
    call += 1;
    due();
    time += step;
  }
  return { polls, clockReads, end: time };
}

function* evenSteps(step: number, count: number): Generator<number> {
  for (let i = 0; i < count; i++) yield step;
}

test("polls at most once per interval, at the latest one interval plus a bounded run of calls after it is due", () => {
  const iteration = fc.oneof(fc.constant(0.000_01), fc.double({ min: 0, max: 0.01, noNaN: true }), fc.double({ min: 0, max: 20, noNaN: true }));
  fc.assert(fc.property(fc.array(iteration, { minLength: 1, maxLength: 20_000 }), fc.integer({ min: 1, max: 20 }), (steps, intervalMs) => {
    const { polls } = runLoop(steps, intervalMs);
    let last = 0;
    for (const poll of polls) {
      assert.ok(poll.time - last >= intervalMs, `polled ${poll.time - last} ms after the last`);
      last = poll.time;
    }
    // Call k (from 1) runs at times[k - 1]; from the first call at which a poll is due, one clock read covers the rest.
    const times = [0];
    for (const step of steps) times.push(times[times.length - 1] + step);
    let previous = { time: 0, call: 0 };
    for (const poll of [...polls, { time: Infinity, call: steps.length }]) {
      let dueCall = previous.call + 1;
      while (dueCall <= steps.length && times[dueCall - 1] - previous.time < intervalMs) dueCall += 1;
      if (dueCall <= poll.call) assert.ok(poll.call - dueCall <= MAX_CALLS_PER_READ, `a poll due at call ${dueCall} came at call ${poll.call}`);
      previous = poll;
    }
  }), { seed: 12, numRuns: 200 });
});

test("in a loop of even iterations the gaps between polls stay under two intervals (or one iteration, when dearer)", () => {
  for (const step of [0.000_01, 0.001, 0.1, 1, 4, 10, 30]) {
    const { polls } = runLoop(evenSteps(step, Math.max(200 / step, 50)), 5);
    const gaps = polls.slice(5).map((poll, i) => poll.time - polls[i + 4].time);
    assert.ok(gaps.length > 3, `${gaps.length} gaps at ${step} ms an iteration`);
    assert.ok(Math.max(...gaps) < 2 * 5 + step, `at ${step} ms an iteration, gaps up to ${Math.max(...gaps)} ms`);
  }
});

test("cheap iterations read the clock once every few thousand calls; dear ones at each call", () => {
  const cheap = runLoop(evenSteps(0.000_01, 1_000_000), 5);
  assert.ok(cheap.clockReads < 1_000_000 / 1000, `${cheap.clockReads} clock reads in a million calls`);
  assert.equal(cheap.polls.length, Math.floor(cheap.end / 5));
  const dear = runLoop(evenSteps(10, 100), 5);
  assert.ok(dear.clockReads <= 101, `${dear.clockReads} clock reads in 100 calls`);
  assert.ok(dear.polls.length >= 97, `${dear.polls.length} polls in 100 calls of twice the interval each: all but the first few`);
});

test("what the poll finds is what the loop check gets", () => {
  let time = 0;
  let found = false;
  const due = throttledPoll(() => found, 1, () => time);
  time = 2;
  assert.equal(due(), false);
  time = 4;
  found = true;
  assert.equal(due(), true);
});
