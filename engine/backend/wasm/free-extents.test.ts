/** Free extents against a plain list of the blocks in use: any order of takes and gives, blocks of any size. */
import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { FreeExtents } from "./free-extents";

const KB = 1024;

type Block = { offset: number; bytes: number };

/** Takes `bytes` as kernel memory does: from a free extent, else from the top. */
function allocate(extents: FreeExtents, bytes: number): number {
  const reused = extents.take(bytes);
  if (reused !== null) return reused;
  const offset = extents.top;
  extents.top += bytes;
  return offset;
}

/** The gaps between blocks in use, below the highest one's end. */
function gaps(used: readonly Block[]): number[] {
  const sorted = [...used].sort((p, q) => p.offset - q.offset);
  const found: number[] = [];
  let end = 0;
  for (const { offset, bytes } of sorted) {
    if (offset > end) found.push(offset - end);
    end = offset + bytes;
  }
  return found;
}

test("blocks taken never overlap; a take fails only when no gap fits; what is given back merges, and the top falls to the highest block in use", () => {
  type Step = { kind: "take"; bytes: number } | { kind: "give"; pick: number };
  // Mostly the size classes kernel memory asks for, sometimes any multiple of a kilobyte.
  const size = fc.oneof(
    fc.constantFrom(4 * KB, 5 * KB, 64 * KB, 80 * KB, 800 * KB, 896 * KB, 4 * KB * KB),
    fc.integer({ min: 1, max: 2048 }).map((k) => k * KB),
  );
  const step = fc.oneof(
    { weight: 3, arbitrary: fc.record({ kind: fc.constant("take" as const), bytes: size }) },
    { weight: 2, arbitrary: fc.record({ kind: fc.constant("give" as const), pick: fc.nat() }) },
  );
  fc.assert(fc.property(fc.array(step, { minLength: 1, maxLength: 200 }), (steps: Step[]) => {
    const extents = new FreeExtents();
    const used: Block[] = [];
    for (const s of steps) {
      if (s.kind === "take") {
        const fits = gaps(used).some((gap) => gap >= s.bytes);
        const reused = extents.take(s.bytes);
        assert.equal(reused !== null, fits, `a take of ${s.bytes} bytes ${fits ? "failed though a gap fits" : "succeeded with no gap that fits"}`);
        const offset = reused ?? extents.top;
        if (reused === null) extents.top += s.bytes;
        used.push({ offset, bytes: s.bytes });
      } else if (used.length > 0) {
        const [block] = used.splice(s.pick % used.length, 1);
        extents.give(block.offset, block.bytes);
      }
      const sorted = [...used].sort((p, q) => p.offset - q.offset);
      for (let i = 1; i < sorted.length; i++) assert.ok(sorted[i].offset >= sorted[i - 1].offset + sorted[i - 1].bytes, "two blocks in use overlap");
      const highest = sorted.length ? Math.max(...sorted.map((b) => b.offset + b.bytes)) : 0;
      assert.equal(extents.top, highest, "the top is the end of the highest block in use");
      assert.equal(extents.freeBytes, highest - used.reduce((total, b) => total + b.bytes, 0), "every byte below the top is in use or free");
    }
  }), { numRuns: 300 });
});

test("blocks of one size given back serve blocks of another without raising the top", () => {
  const extents = new FreeExtents();
  const large = Array.from({ length: 100 }, () => allocate(extents, 4 * KB * KB));
  const top = extents.top;
  for (const offset of large) extents.give(offset, 4 * KB * KB);
  assert.equal(extents.top, 0, "all given back: the top falls to the start");
  const held = [allocate(extents, 4 * KB * KB)];
  for (let i = 0; i < 400; i++) held.push(allocate(extents, 800 * KB));
  assert.ok(extents.top <= top, `the top rose from ${top} to ${extents.top}`);
  // With one large block held at the start, given-back small blocks merge and a large one fits between them again.
  for (const offset of held.slice(1, 7)) extents.give(offset, 800 * KB);
  assert.equal(extents.take(4 * KB * KB), held[1], "six adjacent 800 kB blocks given back make room for 4 MB where they were");
});

test("the most recently given-back block of a size is taken first", () => {
  const extents = new FreeExtents();
  const blocks = Array.from({ length: 8 }, () => allocate(extents, 64 * KB));
  // Every other block, so that none merges with another.
  for (const i of [0, 2, 4]) extents.give(blocks[i], 64 * KB);
  assert.deepEqual([extents.take(64 * KB), extents.take(64 * KB), extents.take(64 * KB), extents.take(64 * KB)], [blocks[4], blocks[2], blocks[0], null]);
});

test("fragmentation stays bounded: with 64 MB in use at most, blocks of 64 kB to 8 MB made and freed at random never need twice that", () => {
  const MB = KB * KB;
  const sizeClass = (bytes: number) => { const step = 2 ** (Math.floor(Math.log2(bytes)) - 2); return Math.ceil(bytes / step) * step; };
  // Sizes spread evenly on a log scale, and which block in use goes when room is needed.
  const request = fc.noBias(fc.tuple(fc.integer({ min: 0, max: 7000 }).map((milli) => milli / 1000), fc.nat()));
  fc.assert(fc.property(fc.array(request, { minLength: 20_000, maxLength: 20_000 }), (requests: [number, number][]) => {
    const extents = new FreeExtents();
    const used: Block[] = [];
    let usedBytes = 0, highest = 0;
    for (const [scale, pick] of requests) {
      const bytes = sizeClass(Math.floor(64 * KB * 2 ** scale));
      // Whatever is in use when the next block would pass 64 MB is freed at random until it fits.
      for (let i = pick; usedBytes + bytes > 64 * MB; i = (i * 31 + 7) % 1_000_003) {
        const [block] = used.splice(i % used.length, 1);
        extents.give(block.offset, block.bytes);
        usedBytes -= block.bytes;
      }
      used.push({ offset: allocate(extents, bytes), bytes });
      usedBytes += bytes;
      highest = Math.max(highest, extents.top);
    }
    assert.ok(highest <= 128 * MB, `the top reached ${(highest / MB).toFixed(0)} MB`);
  }), { numRuns: 3, endOnFailure: true });
});
