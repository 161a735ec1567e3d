/** The tape's chunked arrays against a plain array: pushes, sets, letting go of old chunks. */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { Chunks } from "./op-list";

// Runs of entries long enough to cross several chunks of 1,024, many of them undefined.
const entries = fc.array(fc.tuple(fc.oneof(fc.constant(undefined), fc.nat(9)), fc.integer({ min: 1, max: 700 })), { maxLength: 12 })
  .map((runs) => runs.flatMap(([value, count]) => Array.from({ length: count }, (_, i) => (value === undefined ? undefined : { value, i }))));

describe("Chunks", () => {
  test("reads back what was pushed, and undefined below the first chunk kept after dropBefore (property)", () => {
    fc.assert(fc.property(entries, fc.nat(5000), (pushed, dropAt) => {
      const chunks = new Chunks<{ value: number; i: number } | undefined>();
      pushed.forEach((entry) => chunks.push(entry));
      assert.equal(chunks.length, pushed.length);
      pushed.forEach((entry, i) => assert.equal(chunks.get(i), entry, `entry ${i}`));
      const drop = Math.min(dropAt, pushed.length);
      chunks.dropBefore(drop);
      const firstKept = drop - (drop % 1024);
      pushed.forEach((entry, i) => assert.equal(chunks.get(i), i < firstKept ? undefined : entry, `entry ${i} after dropping before ${drop}`));
      chunks.clear();
      assert.equal(chunks.length, 0);
      assert.equal(chunks.get(0), undefined);
    }), { numRuns: 60 });
  });

  test("set within the capacity reads back, entries never set read undefined (property)", () => {
    fc.assert(fc.property(fc.integer({ min: 1, max: 5000 }), fc.array(fc.nat(), { maxLength: 300 }), (capacity, picks) => {
      const chunks = new Chunks<number | undefined>(capacity);
      const reference = new Map<number, number>();
      picks.forEach((pick, k) => {
        const i = pick % capacity;
        chunks.set(i, k);
        reference.set(i, k);
      });
      for (let i = 0; i < capacity; i++) assert.equal(chunks.get(i), reference.get(i));
    }), { numRuns: 60 });
  });
});
