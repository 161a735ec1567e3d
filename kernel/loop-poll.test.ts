/** The loop checks' throttled poll: never more often than its interval, and soon once it has passed, for cheap and dear iterations alike. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { throttledPoll } from "./loop-poll";

/** Runs `due` as a loop check for `ms`, each iteration also busy for `iterationMs`; returns the times it polled. */
function loopFor(ms: number, iterationMs: number, intervalMs: number): number[] {
  const polls: number[] = [];
  const due = throttledPoll(() => { polls.push(performance.now()); return false; }, intervalMs);
  const end = performance.now() + ms;
  for (let time = performance.now(); time < end; time = performance.now()) {
    due();
    while (performance.now() - time < iterationMs);
  }
  return polls;
}

for (const iterationMs of [0, 0.3, 3]) {
  test(`iterations of ${iterationMs} ms: polls at most once per interval, and within a few intervals of the last`, () => {
    const polls = loopFor(200, iterationMs, 5);
    const gaps = polls.slice(1).map((time, i) => time - polls[i]);
    assert.ok(polls.length >= 10, `${polls.length} polls in 200 ms`);
    assert.ok(gaps.every((gap) => gap >= 5), `gaps ${gaps.map((gap) => gap.toFixed(1)).join(" ")}`);
    const median = gaps.sort((a, b) => a - b)[gaps.length >> 1];
    assert.ok(median < 5 + 2 * iterationMs + 10, `median gap ${median.toFixed(1)} ms`);
  });
}

test("what the poll finds is what the loop check gets", () => {
  let found = false;
  const due = throttledPoll(() => found, 1);
  const end = performance.now() + 50;
  let seen = false;
  while (performance.now() < end && !seen) {
    found = performance.now() > end - 40;
    seen = due();
  }
  assert.equal(seen, true);
});
