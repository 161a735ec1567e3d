/**
 * The WebAssembly row kernels against the JavaScript backend: softmax/logSoftmax/logSumExp rows,
 * products and middle-axis reductions, transposes of any permutation, broadcasting of any two
 * shapes, and long operands that stream through staging blocks (fast-check over shapes, axes
 * and values, with arrays placed in kernel memory and in ordinary memory).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { jsBackend } from "./js";
import { createWasmBackend } from "./wasm";
import { PARALLEL_MIN, WARM_PARALLEL_MIN } from "./wasm/parallel";
import { CHUNK } from "./wasm/placement";
import type { BinaryKernelName, MiddleReducer, SoftmaxKind } from "./types";

const wasm = createWasmBackend({ minElements: 1, residentMinElements: 1, residentBudget: 2 ** 26 });
const sizeOf = (shape: number[]) => shape.reduce((n, d) => n * d, 1);
const filled = (n: number, pool: number[], shift: number) => Float32Array.from({ length: n }, (_, i) => pool[(i * 7 + shift) % pool.length]);
const same = (a: number, e: number) => Object.is(a, e) || (Number.isNaN(a) && Number.isNaN(e)) || (a === 0 && e === 0);

function resident(x: Float32Array): Float32Array {
  const copy = wasm.allocateOutput("float32", x.length) as Float32Array;
  assert.ok(copy.buffer instanceof SharedArrayBuffer);
  copy.set(x);
  return copy;
}

const SPECIAL = [0, -0, Infinity, -Infinity, NaN, 1e-30, -1e-30, 1, -1, 88, -88, 1e4];

test("softmax, logSoftmax and logSumExp rows agree with the JavaScript backend to a few float32 ulp", () => {
  const dims = fc.tuple(fc.integer({ min: 1, max: 9 }), fc.integer({ min: 1, max: 70 }));
  const pool = fc.array(fc.oneof(fc.float({ min: -100, max: 100, noNaN: true }), fc.constantFrom(...SPECIAL)), { minLength: 1, maxLength: 90 });
  const kind = fc.constantFrom<SoftmaxKind>("softmax", "logSoftmax", "logSumExp");
  fc.assert(fc.property(dims, pool, kind, fc.boolean(), ([outer, inner], values, k, inKernelMemory) => {
    const x = filled(outer * inner, values, 2);
    const size = k === "logSumExp" ? outer : outer * inner;
    const expected = new Float32Array(size), actual = inKernelMemory ? resident(new Float32Array(size)) : new Float32Array(size);
    jsBackend.softmaxRows(x, outer, inner, k, expected);
    wasm.softmaxRows(inKernelMemory ? resident(x) : x, outer, inner, k, actual);
    for (let i = 0; i < size; i++) {
      const a = actual[i], e = expected[i];
      if (!Number.isFinite(e) || !Number.isFinite(a)) { assert.ok(same(a, e), `${k} [${outer}×${inner}][${i}]: ${a} vs ${e}`); continue; }
      // logSoftmax and logSumExp subtract terms of the row's scale: the error is relative to it.
      const row = x.subarray(Math.floor((k === "logSumExp" ? i : i / inner)) * inner).subarray(0, inner);
      const scale = k === "softmax" ? Math.abs(e) : Math.max(Math.abs(e), ...Array.from(row, (v) => (Number.isFinite(v) ? Math.abs(v) : 0)), 1);
      assert.ok(Math.abs(a - e) <= 8 * 2 ** -23 * scale + 1e-37, `${k} [${outer}×${inner}][${i}]: ${a} vs ${e}`);
    }
  }), { numRuns: 300 });
});

test("softmax rows sum to one and keep their order; a row of huge logits stays finite", () => {
  const x = Float32Array.from([1000, 1001, 1002, -5, 0, 5, 1, 1, 1]);
  const out = new Float32Array(9);
  wasm.softmaxRows(x, 3, 3, "softmax", out);
  for (let r = 0; r < 3; r++) assert.ok(Math.abs(out[3 * r] + out[3 * r + 1] + out[3 * r + 2] - 1) < 1e-6);
  assert.ok(out[0] < out[1] && out[1] < out[2] && Number.isFinite(out[2]));
  assert.ok(Math.abs(out[7] - 1 / 3) < 1e-7);
});

test("products along rows and every middle-axis reduction match the JavaScript backend", () => {
  const dims = fc.tuple(fc.integer({ min: 1, max: 5 }), fc.integer({ min: 1, max: 30 }), fc.integer({ min: 1, max: 37 }));
  // Magnitudes that neither underflow nor overflow a float64 product of a row, whatever the order.
  const magnitude = fc.oneof(fc.float({ min: 0.25, max: 2, noNaN: true }), fc.float({ min: -2, max: -0.25, noNaN: true }));
  const pool = fc.array(fc.oneof(magnitude, fc.constantFrom(0, -0, 1, -1, Infinity, -Infinity, NaN)), { minLength: 1, maxLength: 60 });
  fc.assert(fc.property(dims, pool, fc.constantFrom<MiddleReducer>("sum", "max", "min", "prod"), ([outer, mid, inner], values, kind) => {
    const x = filled(outer * mid * inner, values, 1);
    const middleExpected = new Float32Array(outer * inner), middleActual = new Float32Array(outer * inner);
    jsBackend.reduceMiddle(x, outer, mid, inner, kind, middleExpected);
    wasm.reduceMiddle(x, outer, mid, inner, kind, middleActual);
    middleExpected.forEach((e, i) => assert.ok(same(middleActual[i], e), `${kind} middle [${outer},${mid},${inner}][${i}]: ${middleActual[i]} vs ${e}`));
    const rowsExpected = new Float32Array(outer * mid), rowsActual = new Float32Array(outer * mid);
    jsBackend.reduceRows(x, outer * mid, inner, "prod", rowsExpected);
    wasm.reduceRows(x, outer * mid, inner, "prod", rowsActual);
    // Float64 products in another order: equal after rounding to float32 but for a last-bit tie.
    rowsExpected.forEach((e, i) => assert.ok(same(rowsActual[i], e) || Math.abs(rowsActual[i] - e) <= 2 ** -23 * Math.abs(e), `prod rows[${i}]: ${rowsActual[i]} vs ${e}`));
  }), { numRuns: 300 });
});

test("transposes of any permutation equal the JavaScript backend's exactly", () => {
  const shape = fc.array(fc.integer({ min: 1, max: 9 }), { minLength: 1, maxLength: 5 });
  fc.assert(fc.property(shape, fc.integer(), fc.boolean(), (dims, seed, inKernelMemory) => {
    const perm = dims.map((_, i) => i);
    for (let i = perm.length - 1, s = Math.abs(seed); i > 0; i--, s = Math.floor(s / 7) + i) {
      const j = s % (i + 1);
      [perm[i], perm[j]] = [perm[j], perm[i]];
    }
    const x = Float32Array.from({ length: sizeOf(dims) }, (_, i) => i + 0.5);
    const expected = new Float32Array(x.length), actual = inKernelMemory ? resident(new Float32Array(x.length)) : new Float32Array(x.length);
    jsBackend.transpose(x, dims, perm, expected);
    wasm.transpose(inKernelMemory ? resident(x) : x, dims, perm, actual);
    assert.deepEqual(actual, expected, `transpose [${dims}] by [${perm}]`);
  }), { numRuns: 400 });
});

test("binary kernels broadcast any two shapes against each other ([a,1,c]+[1,b,1] and the like) exactly", () => {
  const shape = fc.array(fc.integer({ min: 1, max: 24 }), { minLength: 1, maxLength: 4 });
  const masks = fc.tuple(fc.array(fc.boolean(), { minLength: 4, maxLength: 4 }), fc.array(fc.boolean(), { minLength: 4, maxLength: 4 }));
  const ops: BinaryKernelName[] = ["add", "sub", "mul", "div", "maximum", "minimum"];
  fc.assert(fc.property(shape, masks, fc.constantFrom(...ops), fc.integer({ min: 0, max: 3 }), (outShape, [keepA, keepB], op, dropA) => {
    const aShape = outShape.map((d, i) => (keepA[i] ? d : 1)).slice(Math.min(dropA, outShape.length - 1));
    const bShape = outShape.map((d, i) => (keepB[i] || !keepA[i] ? d : 1));
    const fullShape = outShape.map((d, i) => (i < outShape.length - aShape.length ? bShape[i] : Math.max(aShape[i - (outShape.length - aShape.length)], bShape[i])));
    const a = filled(sizeOf(aShape), [0.5, -2, 3.25, 0, -0, 7], 0), b = filled(sizeOf(bShape), [1.5, -1, 4, 2, Infinity], 1);
    const expected = new Float32Array(sizeOf(fullShape)), actual = new Float32Array(expected.length);
    jsBackend.binary(op, a, aShape, b, bShape, expected, fullShape);
    wasm.binary(op, resident(a), aShape, b, bShape, actual, fullShape);
    expected.forEach((e, i) => assert.ok(Object.is(actual[i], e) || (Number.isNaN(e) && Number.isNaN(actual[i])), `${op} [${aShape}]·[${bShape}] → [${fullShape}] [${i}]`));
  }), { numRuns: 400 });
});

test("long operands stream through the staging blocks: ordinary, resident and scalar operands in every mix", () => {
  const n = 3 * CHUNK + 5;
  const a = Float32Array.from({ length: n }, (_, i) => Math.sin(i)), b = Float32Array.from({ length: n }, (_, i) => Math.cos(i) + 2);
  const expected = new Float32Array(n);
  jsBackend.binary("div", a, [n], b, [n], expected, [n]);
  for (const [left, right, out] of [[a, b, new Float32Array(n)], [resident(a), b, new Float32Array(n)], [a, resident(b), resident(new Float32Array(n))], [resident(a), resident(b), resident(new Float32Array(n))]]) {
    wasm.binary("div", left, [n], right, [n], out, [n]);
    assert.deepEqual(out, expected);
  }
  const scaled = new Float32Array(n), scaledExpected = new Float32Array(n), three = Float32Array.of(3);
  wasm.binary("mul", three, [], a, [n], scaled, [n]);
  jsBackend.binary("mul", three, [], a, [n], scaledExpected, [n]);
  assert.deepEqual(scaled, scaledExpected);
  const exps = new Float32Array(n), expsExpected = new Float32Array(n);
  wasm.unary("exp", a, exps);
  jsBackend.unary("exp", a, expsExpected);
  expsExpected.forEach((e, i) => assert.ok(Math.abs(exps[i] - e) <= 2 * 2 ** -23 * e, `exp[${i}]`));
});

test("calls past PARALLEL_MIN elements split across the worker threads and give the same numbers", () => {
  const n = 2 * PARALLEL_MIN + 7;
  const a = Float32Array.from({ length: n }, (_, i) => Math.sin(i) * 50), b = Float32Array.from({ length: n }, (_, i) => Math.cos(i));
  const sums = resident(new Float32Array(n)), sumsExpected = new Float32Array(n);
  wasm.binary("add", resident(a), [n], resident(b), [n], sums, [n]);
  jsBackend.binary("add", a, [n], b, [n], sumsExpected, [n]);
  assert.deepEqual(sums, sumsExpected);
  const scaled = new Float32Array(n), scaledExpected = new Float32Array(n);
  wasm.binary("mul", resident(a), [n], Float32Array.of(0.5), [], scaled, [n]);
  jsBackend.binary("mul", a, [n], Float32Array.of(0.5), [], scaledExpected, [n]);
  assert.deepEqual(scaled, scaledExpected);
  const tanhs = new Float32Array(n), tanhsExpected = new Float32Array(n);
  wasm.unary("tanh", a, tanhs);
  jsBackend.unary("tanh", a, tanhsExpected);
  tanhsExpected.forEach((e, i) => assert.ok(Math.abs(tanhs[i] - e) <= 2 * 2 ** -23 * Math.abs(e), `tanh[${i}]: ${tanhs[i]} vs ${e}`));
});

test("calls from WARM_PARALLEL_MIN elements made while the workers still spin from a call just before split too, and give the same numbers", () => {
  const big = resident(new Float32Array(PARALLEL_MIN));
  fc.assert(fc.property(fc.integer({ min: WARM_PARALLEL_MIN, max: PARALLEL_MIN - 1 }), fc.constantFrom<BinaryKernelName>("add", "sub", "mul"), (n, op) => {
    const a = Float32Array.from({ length: n }, (_, i) => Math.sin(i) * 50), b = Float32Array.from({ length: n }, (_, i) => Math.cos(i) + 2);
    const [ra, rb] = [resident(a), resident(b)];
    const results = resident(new Float32Array(n)), expected = new Float32Array(n);
    // A split call first, so that the workers are spinning when the measured ones start.
    wasm.binary("add", big, [big.length], big, [big.length], big, [big.length]);
    wasm.binary(op, ra, [n], rb, [n], results, [n]);
    jsBackend.binary(op, a, [n], b, [n], expected, [n]);
    assert.deepEqual(results, expected);
    const exps = resident(new Float32Array(n)), expsExpected = new Float32Array(n);
    wasm.unary("exp", rb, exps);
    jsBackend.unary("exp", b, expsExpected);
    expsExpected.forEach((e, i) => assert.ok(Math.abs(exps[i] - e) <= 2 * 2 ** -23 * e, `exp[${i}] of ${n}`));
    const sum = new Float32Array(1), sumExpected = new Float32Array(1);
    wasm.reduceRows(ra, 1, n, "sum", sum);
    jsBackend.reduceRows(a, 1, n, "sum", sumExpected);
    assert.ok(Math.abs(sum[0] - sumExpected[0]) <= 1e-6 * n * 50, `sum of ${n}: ${sum[0]} vs ${sumExpected[0]}`);
  }), { numRuns: 25 });
});

test("broadcast rows split across the threads (a bias over a batch, a column over a matrix) give the JavaScript backend's numbers", () => {
  const big = resident(new Float32Array(PARALLEL_MIN));
  const cases: [number[], number[], number[]][] = [
    [[64, 256], [256], [64, 256]], [[512, 256], [1, 256], [512, 256]], [[700, 400], [700, 1], [700, 400]],
    [[3, 96, 128], [3, 1, 128], [3, 96, 128]], [[300, 1], [1, 1024], [300, 1024]], [[64, 250], [250], [64, 250]],
  ];
  for (const warm of [true, false]) {
    for (const [aShape, bShape, outShape] of cases) {
      const a = Float32Array.from({ length: sizeOf(aShape) }, (_, i) => Math.sin(i) * 9), b = Float32Array.from({ length: sizeOf(bShape) }, (_, i) => Math.cos(i) - 0.5);
      for (const op of ["add", "mul", "maximum"] as BinaryKernelName[]) {
        const expected = new Float32Array(sizeOf(outShape)), actual = resident(new Float32Array(expected.length));
        jsBackend.binary(op, a, aShape, b, bShape, expected, outShape);
        // A split call first, so that the workers are spinning when the measured one starts.
        if (warm) wasm.binary("add", big, [big.length], big, [big.length], big, [big.length]);
        wasm.binary(op, resident(a), aShape, b, bShape, actual, outShape);
        assert.deepEqual(actual, expected, `${op} [${aShape}]·[${bShape}]${warm ? " with the workers spinning" : ""}`);
      }
    }
  }
});

test("long sums add float64 pieces (threads for arrays in kernel memory, chunks otherwise) to the JavaScript backend's float32", () => {
  for (const n of [CHUNK, 3 * CHUNK + 1, 2 * PARALLEL_MIN + 3]) {
    const x = Float32Array.from({ length: n }, (_, i) => Math.sin(i) * 1000 + 1e-3 * i);
    const expected = new Float32Array(1);
    jsBackend.reduceRows(x, 1, n, "sum", expected);
    for (const input of [x, resident(x)]) {
      const actual = new Float32Array(1);
      wasm.reduceRows(input, 1, n, "sum", actual);
      assert.ok(Math.abs(actual[0] - expected[0]) <= 2 ** -23 * Math.abs(expected[0]) + 1e-9 * n * 1000, `sum of ${n}: ${actual[0]} vs ${expected[0]}`);
    }
  }
});
