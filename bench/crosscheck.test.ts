import { test } from "node:test";
import assert from "node:assert/strict";
import { assertSameResults, firstMismatch, ResultMismatchError } from "./crosscheck";

const tight = { relative: 1e-6, absolute: 0 };

test("values within tolerance agree, the first one beyond it is reported", () => {
  assert.equal(firstMismatch([1, 2, 3], Float32Array.of(1, 2.000001, 3), tight), undefined);
  assert.deepEqual(firstMismatch([1, 2.1, 3.5], [1, 2, 3], { relative: 0.01, absolute: 0.01 }), {
    index: 1, actual: 2.1, expected: 2, allowed: 0.03,
  });
});

test("NaN matches only NaN, and a NaN where a number is expected is a mismatch", () => {
  assert.equal(firstMismatch([Number.NaN], [Number.NaN], tight), undefined);
  assert.equal(firstMismatch([Number.NaN], [1], tight)?.index, 0);
  assert.equal(firstMismatch([1], [Number.NaN], tight)?.index, 0);
  assert.equal(firstMismatch([Infinity], [Infinity], tight), undefined);
});

test("a result of the wrong length is a mismatch", () => {
  assert.deepEqual(firstMismatch([1, 2], [1, 2, 3], tight), { index: -1, actual: 2, expected: 3, allowed: 0 });
});

test("the error names the workload, both engines, the element and both values", () => {
  assert.throws(
    () => assertSameResults("matmul 64", { actual: "tfjs-cpu", expected: "ours" }, [0, 5], [0, 4], tight),
    (error: Error) => {
      assert.ok(error instanceof ResultMismatchError);
      assert.match(error.message, /^matmul 64: results differ: element 1 of 2 is 5 from tfjs-cpu but 4 from ours/);
      assert.match(error.message, /Benchmark aborted/);
      return true;
    },
  );
  assert.throws(
    () => assertSameResults("sum 1e6", { actual: "tfjs-wasm", expected: "ours" }, [1, 2], [3], tight),
    /sum 1e6: results differ: tfjs-wasm returned 2 numbers, ours 1/,
  );
  assert.doesNotThrow(() => assertSameResults("add", { actual: "a", expected: "b" }, [1], [1], tight));
});
