/**
 * Every WebAssembly kernel against the JavaScript backend (float64 Math.* rounded to float32):
 * fast-check over shapes, broadcasting patterns and values, NaN, ±Inf, ±0 and subnormals
 * included. The wasm backend here takes every array, however small.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { jsBackend } from "./js";
import { createWasmBackend, wasmSimdSupported } from "./wasm";
import { UNARY_KERNELS, type BinaryKernelName, type Reducer } from "./types";

const wasm = createWasmBackend({ minElements: 1, residentMinElements: 1, residentBudget: 2 ** 26 });
const BINARY: BinaryKernelName[] = ["add", "sub", "mul", "div", "maximum", "minimum"];
const EXACT_UNARY = new Set(["sqrt", "neg", "abs", "square", "relu", "reciprocal", "step"]);
const SPECIAL = [0, -0, Infinity, -Infinity, NaN, 1.4e-45, -1.4e-45, 1.17e-38, 3.4e38, -3.4e38, 1, -1, 88.7, -103.9, 0.55, -0.55];

/** Position of a float32 in the ordered line of all float32s, so that ulp distances are differences. */
function ordinal(v: number): number {
  const bits = new Int32Array(Float32Array.of(v).buffer)[0];
  return bits < 0 ? -(bits & 0x7fffffff) : bits;
}

function assertUlps(actual: Float32Array, expected: Float32Array, ulps: number, what: string) {
  for (let i = 0; i < expected.length; i++) {
    const a = actual[i], e = expected[i];
    if (Number.isNaN(e) || Number.isNaN(a)) { assert.ok(Number.isNaN(a) && Number.isNaN(e), `${what}[${i}]: ${a} vs ${e}`); continue; }
    if (ulps === 0) assert.ok(Object.is(a, e), `${what}[${i}]: ${a} vs ${e}`);
    else assert.ok(Math.abs(ordinal(a) - ordinal(e)) <= ulps, `${what}[${i}]: ${a} vs ${e} (${ordinal(a) - ordinal(e)} ulp)`);
  }
}

/** Float64 sums in different orders agree to float32 rounding plus float64's error on Σ|x|. */
function assertSumsClose(actual: Float32Array, expected: Float32Array, x: Float32Array, inner: number) {
  expected.forEach((e, row) => {
    const a = actual[row];
    if (!Number.isFinite(e) || !Number.isFinite(a)) return assert.ok(Object.is(a, e) || (Number.isNaN(a) && Number.isNaN(e)), `sum rows[${row}]: ${a} vs ${e}`);
    const magnitude = x.subarray(row * inner, (row + 1) * inner).reduce((s, v) => s + Math.abs(v), 0);
    assert.ok(Math.abs(ordinal(a) - ordinal(e)) <= 1 || Math.abs(a - e) <= 1e-15 * inner * magnitude, `sum rows[${row}]: ${a} vs ${e}`);
  });
}

/** A copy of `x` made by the wasm backend, which places it in kernel memory. */
function resident(x: Float32Array): Float32Array {
  const copy = wasm.allocateOutput("float32", x.length) as Float32Array;
  assert.ok(copy.buffer instanceof SharedArrayBuffer, "placed in the kernels' shared memory");
  copy.set(x);
  return copy;
}

const sizeOf = (shape: number[]) => shape.reduce((n, d) => n * d, 1);
const filled = (shape: number[], pool: number[], shift: number) =>
  Float32Array.from({ length: sizeOf(shape) }, (_, i) => pool[(i * 7 + shift) % pool.length]);

test("the WebAssembly SIMD module validates on this runtime", () => {
  assert.equal(wasmSimdSupported(), true);
});

test("binary kernels equal the JavaScript backend exactly, for every broadcasting pattern", () => {
  const shape = fc.array(fc.integer({ min: 1, max: 40 }), { minLength: 1, maxLength: 3 });
  const pattern = fc.constantFrom("same", "aScalar", "bScalar", "aRow", "bRow", "general");
  const pool = fc.array(fc.oneof(fc.float(), fc.constantFrom(...SPECIAL)), { minLength: 1, maxLength: 50 });
  fc.assert(fc.property(shape, pattern, pool, fc.constantFrom(...BINARY), fc.boolean(), (outShape, kind, values, op, flip) => {
    const cols = outShape[outShape.length - 1];
    const partial = outShape.map((d, i) => (flip === (i % 2 === 0) ? d : 1));
    const shapes: Record<string, [number[], number[]]> = {
      same: [outShape, outShape], aScalar: [[], outShape], bScalar: [outShape, [1]],
      aRow: [[cols], outShape], bRow: [outShape, [1, cols]], general: [outShape, partial],
    };
    const [aShape, bShape] = shapes[kind];
    const a = filled(aShape, values, 0), b = filled(bShape, values, 3);
    const expected = new Float32Array(sizeOf(outShape)), actual = new Float32Array(expected.length);
    const inKernelMemory = [resident(a), resident(b), resident(actual)];
    jsBackend.binary(op, a, aShape, b, bShape, expected, outShape);
    wasm.binary(op, a, aShape, b, bShape, actual, outShape);
    assertUlps(actual, expected, 0, `${op} ${kind} [${aShape}]·[${bShape}]`);
    // The same with operands and result living in kernel memory, read and written in place.
    wasm.binary(op, inKernelMemory[0], aShape, inKernelMemory[1], bShape, inKernelMemory[2], outShape);
    assertUlps(inKernelMemory[2], expected, 0, `${op} ${kind} in kernel memory`);
  }), { numRuns: 400 });
});

test("unary kernels: exp, log, tanh, sigmoid and softplus within 2 ulp of float64 Math, the rest exact", () => {
  const pool = fc.array(fc.oneof(fc.float(), fc.float({ min: -120, max: 120 }), fc.constantFrom(...SPECIAL)), { minLength: 1, maxLength: 300 });
  fc.assert(fc.property(pool, fc.constantFrom(...UNARY_KERNELS), (values, op) => {
    const x = Float32Array.from(values);
    const expected = new Float32Array(x.length), actual = new Float32Array(x.length);
    jsBackend.unary(op, x, expected);
    wasm.unary(op, x, actual);
    assertUlps(actual, expected, EXACT_UNARY.has(op) ? 0 : 2, op);
    const inPlace = resident(new Float32Array(x.length));
    wasm.unary(op, resident(x), inPlace);
    assertUlps(inPlace, expected, EXACT_UNARY.has(op) ? 0 : 2, `${op} in kernel memory`);
  }), { numRuns: 300 });
});

test("unary kernels over a sweep of magnitudes from subnormals to overflow, both signs", () => {
  const magnitudes = Array.from({ length: 2000 }, (_, i) => Math.fround(2 ** (-149 + (i * 277) / 2000)));
  const x = Float32Array.from([...magnitudes, ...magnitudes.map((v) => -v), ...SPECIAL]);
  for (const op of UNARY_KERNELS) {
    const expected = new Float32Array(x.length), actual = new Float32Array(x.length);
    jsBackend.unary(op, x, expected);
    wasm.unary(op, x, actual);
    assertUlps(actual, expected, EXACT_UNARY.has(op) ? 0 : 2, `${op} sweep`);
  }
});

test("reductions along rows and middle axes match the JavaScript backend", () => {
  const dims = fc.tuple(fc.integer({ min: 1, max: 6 }), fc.integer({ min: 1, max: 70 }), fc.integer({ min: 1, max: 40 }));
  const pool = fc.array(fc.oneof(fc.float({ min: -1e6, max: 1e6 }), fc.constantFrom(...SPECIAL)), { minLength: 1, maxLength: 80 });
  fc.assert(fc.property(dims, pool, fc.constantFrom<Reducer>("sum", "max", "min"), ([outer, mid, inner], values, kind) => {
    const x = filled([outer, mid, inner], values, 1);
    const rowsExpected = new Float32Array(outer * mid), rowsActual = new Float32Array(outer * mid);
    jsBackend.reduceRows(x, outer * mid, inner, kind, rowsExpected);
    wasm.reduceRows(x, outer * mid, inner, kind, rowsActual);
    // Sums are float64 in both, in different orders; max and min may differ only in the sign of a zero.
    if (kind === "sum") assertSumsClose(rowsActual, rowsExpected, x, inner);
    else rowsExpected.forEach((e, i) => assert.ok(e === rowsActual[i] || (Number.isNaN(e) && Number.isNaN(rowsActual[i])), `${kind} rows[${i}]`));
    const middleExpected = new Float32Array(outer * inner), middleActual = new Float32Array(outer * inner);
    jsBackend.reduceMiddle(x, outer, mid, inner, kind as "sum", middleExpected);
    wasm.reduceMiddle(x, outer, mid, inner, kind as "sum", middleActual);
    assertUlps(middleActual, middleExpected, 0, `${kind} middle`);
  }), { numRuns: 200 });
});

test("matmul on the WebAssembly gemm matches the plain loops", () => {
  const dims = fc.tuple(fc.integer({ min: 1, max: 70 }), fc.integer({ min: 1, max: 70 }), fc.integer({ min: 1, max: 70 }));
  fc.assert(fc.property(dims, fc.array(fc.float({ min: -2, max: 2, noNaN: true }), { minLength: 1, maxLength: 40 }), ([m, k, n], values) => {
    const a = filled([m, k], values, 0), b = filled([k, n], values, 5);
    const expected = new Float32Array(m * n), actual = new Float32Array(m * n);
    jsBackend.matmul(a, 0, b, 0, expected, 0, m, k, n);
    wasm.matmul(a, 0, b, 0, actual, 0, m, k, n);
    const scale = 4 * k;
    expected.forEach((e, i) => assert.ok(Math.abs(e - actual[i]) <= 1e-5 * scale, `${m}×${k}×${n}[${i}]: ${actual[i]} vs ${e}`));
  }), { numRuns: 60 });
});

test("other dtypes take the JavaScript path on the wasm backend", () => {
  const a = Int32Array.of(7, -3, 2 ** 30), b = Int32Array.of(2, 2, 4), out = new Int32Array(3);
  wasm.binary("mul", a, [3], b, [3], out, [3]);
  assert.deepEqual([...out], [14, -6, 0]);
  const bools = Uint8Array.of(1, 0, 1, 1), any = new Uint8Array(2);
  wasm.reduceRows(bools, 2, 2, "max", any);
  assert.deepEqual([...any], [1, 1]);
});
