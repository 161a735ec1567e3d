/**
 * The one-pass gradient step, out = a + scale·b with the product rounded first: the WebAssembly
 * kernel (streamed, in kernel memory, split across the threads) and the JavaScript one against
 * the product and the sum computed one after the other (fround(a + fround(s·b))), bit for bit,
 * over lengths, scales and special values (fast-check).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { jsBackend } from "./js";
import { createWasmBackend } from "./wasm";
import { PARALLEL_MIN } from "./wasm/parallel";

const wasm = createWasmBackend({ minElements: 1, residentMinElements: 1, residentBudget: 2 ** 26 });
/** The default thresholds: operands in ordinary memory stream through staging blocks. */
const wasmDefault = createWasmBackend({ minElements: 256, residentMinElements: 16384, residentBudget: 2 ** 27 });
const SPECIAL = [0, -0, Infinity, -Infinity, NaN, 1.4e-45, -1.4e-45, 1.17e-38, 3.4e38, -3.4e38, 1, -1, 0.1, 88.7];

function assertSameValues(actual: ArrayLike<number>, expected: ArrayLike<number>, what: string): void {
  for (let i = 0; i < expected.length; i++) {
    if (!Object.is(actual[i], expected[i])) assert.fail(`${what}[${i}]: ${actual[i]} vs ${expected[i]}`);
  }
}

/** The product, then the sum, each rounded to float32: what mul followed by add computes. */
const mulThenAdd = (a: Float32Array, b: Float32Array, scale: number) => Float32Array.from(a, (x, i) => Math.fround(x + Math.fround(scale * b[i])));

function resident(x: Float32Array): Float32Array {
  const copy = wasm.allocateOutput("float32", x.length) as Float32Array;
  assert.ok(copy.buffer instanceof SharedArrayBuffer, "placed in the kernels' shared memory");
  copy.set(x);
  return copy;
}

const valuesArb = (length: number) => fc.array(fc.oneof(fc.float(), fc.float({ min: -4, max: 4 }), fc.constantFrom(...SPECIAL)), { minLength: length, maxLength: length });
const scaleArb = fc.oneof(fc.float(), fc.constantFrom(...SPECIAL, -0.01));

test("addScaled on both backends equals the rounded product followed by the sum, bit for bit", () => {
  const caseArb = fc.integer({ min: 1, max: 600 }).chain((n) => fc.tuple(valuesArb(n), valuesArb(n), scaleArb));
  fc.assert(fc.property(caseArb, ([av, bv, scale]) => {
    const a = Float32Array.from(av), b = Float32Array.from(bv);
    const expected = mulThenAdd(a, b, Math.fround(scale));
    for (const [name, backend] of [["js", jsBackend], ["wasm", wasm], ["wasm with default thresholds", wasmDefault]] as const) {
      const out = new Float32Array(a.length);
      backend.addScaled(a, b, Math.fround(scale), out);
      assertSameValues(out, expected, `${name}, ${a.length} elements, scale ${scale}`);
    }
    const inPlace = resident(new Float32Array(a.length));
    wasm.addScaled(resident(a), resident(b), Math.fround(scale), inPlace);
    assertSameValues(inPlace, expected, "operands and result in kernel memory");
  }), { numRuns: 300 });
});

test("long arrays: streamed in chunks, and split across the threads when they live in kernel memory", () => {
  for (const n of [40_000, PARALLEL_MIN + 13]) {
    const a = Float32Array.from({ length: n }, (_, i) => (i % 97 === 0 ? SPECIAL[i % SPECIAL.length] : Math.sin(i) * 3));
    const b = Float32Array.from({ length: n }, (_, i) => Math.cos(i * 0.7) * 5);
    for (const scale of [-0.1, 3, -0]) {
      const s = Math.fround(scale), expected = mulThenAdd(a, b, s);
      const streamed = new Float32Array(n);
      wasmDefault.addScaled(a, b, s, streamed);
      assertSameValues(streamed, expected, `${n} streamed, scale ${scale}`);
      const out = resident(new Float32Array(n));
      wasm.addScaled(resident(a), resident(b), s, out);
      assertSameValues(out, expected, `${n} in kernel memory, scale ${scale}`);
    }
  }
});

test("float64 arrays take the JavaScript path: a + s·b in double precision", () => {
  const a = Float64Array.of(1, 0.1, -2, 1e300), b = Float64Array.of(3, 0.2, 0.5, 1e300), out = new Float64Array(4);
  wasm.addScaled(a, b, -0.3, out);
  assert.deepEqual([...out], [1 + -0.3 * 3, 0.1 + -0.3 * 0.2, -2 + -0.3 * 0.5, 1e300 + -0.3 * 1e300]);
});
