/**
 * The WebAssembly convolution and pooling kernels against the JavaScript reference, kernel by
 * kernel: fast-check over geometries (strides, dilations, 'same'/'valid' padding, channel
 * counts that are not multiples of four, multipliers, batches of one and more), with operands
 * in kernel memory and in ordinary memory, on the calling thread and split across the pool.
 * Copies, maxima and indices are exact; sums agree to float32 rounding of their terms.
 */
import { after, test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { windowGeometry } from "../ops/conv-geometry";
import { inputSize, outputSize, patchSize, type ConvGeometry, type FloatArray } from "./conv-types";
import { jsBackend } from "./js";
import { createWasmBackend } from "./wasm";
import { convSettings } from "./wasm/conv";
import { threadCount } from "./threads";

const wasm = createWasmBackend({ minElements: 1, residentMinElements: 1, residentBudget: 2 ** 27 });
const defaultParallelMinWork = convSettings.parallelMinWork;
after(() => void (convSettings.parallelMinWork = defaultParallelMinWork));

interface Case {
  batch: number; height: number; width: number; channels: number; multiplier: number;
  filter: [number, number]; strides: [number, number]; dilations: [number, number]; padding: "same" | "valid";
  /** Operands and results in kernel memory (else ordinary arrays, copied in and out). */
  resident: boolean;
  /** Every call split across the thread pool, however small. */
  split: boolean;
  seed: number;
}

const pair = (max: number) => fc.tuple(fc.integer({ min: 1, max }), fc.integer({ min: 1, max }));
const cases: fc.Arbitrary<Case> = fc
  .record({
    batch: fc.integer({ min: 1, max: 4 }), height: fc.integer({ min: 1, max: 9 }), width: fc.integer({ min: 1, max: 9 }),
    channels: fc.integer({ min: 1, max: 11 }), multiplier: fc.integer({ min: 1, max: 3 }),
    filter: pair(4), strides: pair(3), dilations: pair(3), padding: fc.constantFrom<"same" | "valid">("same", "valid"),
    resident: fc.boolean(), split: fc.boolean(), seed: fc.integer({ min: 1, max: 2 ** 30 }),
  })
  // TF's rule: strides and dilations above 1 do not go together.
  .map((c) => (c.strides.some((s) => s > 1) ? { ...c, dilations: [1, 1] as [number, number] } : c))
  .filter((c) => c.padding === "same" || (c.height >= (c.filter[0] - 1) * c.dilations[0] + 1 && c.width >= (c.filter[1] - 1) * c.dilations[1] + 1));

const geometryOf = (c: Case, outChannels: number, dilated = true): ConvGeometry =>
  windowGeometry("test", {
    image: [c.height, c.width, c.channels], filter: c.filter, outChannels, strides: c.strides, padding: c.padding,
    dilations: dilated ? c.dilations : 1,
  });

/** Seeded values in [-1, 1); `levels` > 0 rounds them to that many steps, so ties happen. */
function values(n: number, seed: number, levels = 0): Float32Array {
  let state = seed >>> 0;
  return Float32Array.from({ length: n }, () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    const v = state / 2 ** 31 - 1;
    return levels ? Math.round(v * levels) / levels : v;
  });
}

/** `x` in kernel memory (when the case says so) or a plain copy. */
function place(c: Case, x: Float32Array): Float32Array {
  const copy = c.resident ? (wasm.allocateOutput("float32", x.length) as Float32Array) : new Float32Array(x.length);
  if (c.resident) assert.ok(copy.buffer instanceof SharedArrayBuffer, "placed in the kernels' shared memory");
  copy.set(x);
  return copy;
}

/** Output arrays that start with garbage, as backends' outputs may. */
function output(c: Case, n: number): Float32Array {
  return place(c, new Float32Array(n).fill(Number.NaN));
}

/** Runs a kernel on both backends; the wasm run splits across threads when the case says so. */
function both(c: Case, n: number, run: (backend: Backend, out: Float32Array) => void): { actual: Float32Array; expected: Float32Array } {
  const expected = new Float32Array(n).fill(Number.NaN), actual = output(c, n);
  run(jsBackend, expected);
  convSettings.parallelMinWork = c.split ? 0 : defaultParallelMinWork;
  try {
    run(wasm, actual);
  } finally {
    convSettings.parallelMinWork = defaultParallelMinWork;
  }
  return { actual, expected };
}

function assertExact(actual: ArrayLike<number>, expected: ArrayLike<number>, what: string): void {
  assert.equal(actual.length, expected.length, `${what}: length`);
  for (let i = 0; i < expected.length; i++) {
    if (!Object.is(actual[i], expected[i])) assert.fail(`${what}[${i}]: ${actual[i]}, the JavaScript backend gives ${expected[i]}`);
  }
}

/**
 * Sums of the same terms in another order: within float32 rounding of the sum of the terms'
 * magnitudes, `magnitude` (the reference run on |operands|).
 */
function assertSums(actual: Float32Array, expected: Float32Array, magnitude: Float32Array, what: string): void {
  assert.equal(actual.length, expected.length, `${what}: length`);
  for (let i = 0; i < expected.length; i++) {
    const allowed = 2 ** -20 * magnitude[i];
    if (!(Math.abs(actual[i] - expected[i]) <= allowed)) {
      assert.fail(`${what}[${i}]: ${actual[i]}, the JavaScript backend gives ${expected[i]} (allowed ${allowed})`);
    }
  }
}

const abs = (x: Float32Array) => x.map(Math.abs);

type Backend = typeof jsBackend;
type KernelRun = (backend: Backend, inputs: Float32Array[], out: Float32Array) => void;

/** `kernel` on both backends, the wasm one reading its inputs placed as the case says. */
function onBoth(c: Case, n: number, inputs: Float32Array[], kernel: KernelRun) {
  return both(c, n, (backend, out) => kernel(backend, backend === wasm ? inputs.map((x) => place(c, x)) : inputs, out));
}

/** A kernel that sums products: both backends agree to float32 rounding of the terms' magnitudes. */
function assertKernelSums(c: Case, n: number, inputs: Float32Array[], kernel: KernelRun, what: string): void {
  const { actual, expected } = onBoth(c, n, inputs, kernel);
  const magnitude = new Float32Array(n);
  kernel(jsBackend, inputs.map(abs), magnitude);
  assertSums(actual, expected, magnitude, what);
}

/** A kernel that only moves or compares values: both backends agree exactly. */
function assertKernelExact(c: Case, n: number, inputs: Float32Array[], kernel: KernelRun, what: string): void {
  const { actual, expected } = onBoth(c, n, inputs, kernel);
  assertExact(actual, expected, what);
}
const describe = (c: Case, g: ConvGeometry) =>
  `batch ${c.batch}, ${c.height}×${c.width}×${c.channels}, filter ${c.filter}, strides ${c.strides}, dilations ${[g.dilationHeight, g.dilationWidth]}, ${c.padding}` +
  `${c.resident ? ", in kernel memory" : ""}${c.split ? ", split" : ""}`;

test("the thread pool has more than one thread here, so split calls run on several", () => {
  assert.ok(threadCount() > 1, `threadCount() is ${threadCount()}`);
});

test("im2col copies every tap exactly, zeros in the padding; col2im sums patches back onto the pixels", () => {
  fc.assert(fc.property(cases, (c) => {
    const g = geometryOf(c, 1);
    const x = values(c.batch * inputSize(g), c.seed);
    const rows = c.batch * g.outHeight * g.outWidth;
    assertKernelExact(c, rows * patchSize(g), [x], (k, [a], out) => k.im2col(a, g, out), `im2col, ${describe(c, g)}`);
    const cols = values(rows * patchSize(g), c.seed + 1);
    assertKernelSums(c, x.length, [cols], (k, [a], out) => k.col2im(a, g, out), `col2im, ${describe(c, g)}`);
  }), { numRuns: 150 });
});

test("depthwise convolution and both its gradients agree with the reference to float32 rounding", () => {
  fc.assert(fc.property(cases, (c) => {
    const g = geometryOf(c, c.channels * c.multiplier);
    const x = values(c.batch * inputSize(g), c.seed), w = values(c.filter[0] * c.filter[1] * g.outChannels, c.seed + 1);
    const dy = values(c.batch * outputSize(g), c.seed + 2);
    const checks: [string, KernelRun, Float32Array[], number][] = [
      ["depthwiseConv2d", (k, [a, b], out) => k.depthwiseConv2d(a, b, g, out), [x, w], dy.length],
      ["depthwiseBackpropInput", (k, [a, b], out) => k.depthwiseBackpropInput(a, b, g, out), [dy, w], x.length],
      ["depthwiseBackpropFilter", (k, [a, b], out) => k.depthwiseBackpropFilter(a, b, g, out), [x, dy], w.length],
    ];
    for (const [name, kernel, inputs, n] of checks) assertKernelSums(c, n, inputs, kernel, `${name}, multiplier ${c.multiplier}, ${describe(c, g)}`);
  }), { numRuns: 150 });
});

test("max pooling gives the reference's maxima and indices exactly: first on ties, NaN wins", () => {
  const special = fc.constantFrom(Number.NaN, Number.NEGATIVE_INFINITY, Number.POSITIVE_INFINITY, 0, -0);
  fc.assert(fc.property(cases, fc.array(fc.tuple(fc.nat(), special), { maxLength: 6 }), (c, specials) => {
    const g = geometryOf(c, c.channels, false);
    // Few levels: many ties.
    const x = values(c.batch * inputSize(g), c.seed, 3);
    for (const [at, value] of specials) x[at % x.length] = value;
    const n = c.batch * outputSize(g);
    const indices = { js: new Int32Array(n).fill(-7), wasm: new Int32Array(n).fill(-7) };
    const pooled = both(c, n, (backend, out) => backend.maxPool(backend === wasm ? place(c, x) : x, g, out, backend === wasm ? indices.wasm : indices.js));
    assertExact(pooled.actual, pooled.expected, `maxPool, ${describe(c, g)}`);
    assertExact(indices.wasm, indices.js, `maxPool argmax, ${describe(c, g)}`);
  }), { numRuns: 150 });
});

test("max pooling's gradient sends dy along the argmax, one slab or several; its adjoint reads it back", () => {
  fc.assert(fc.property(cases, fc.integer({ min: 1, max: 3 }), (c, slabs) => {
    const g = geometryOf(c, c.channels, false);
    const x = values(c.batch * inputSize(g), c.seed, 4), n = c.batch * outputSize(g);
    const argmax = new Int32Array(n);
    jsBackend.maxPool(x, g, new Float32Array(n), argmax);
    const dy = values(slabs * n, c.seed + 1), grad = values(slabs * x.length, c.seed + 2);
    assertKernelSums(c, slabs * x.length, [dy], (k, [a], out) => k.maxPoolBackprop(a, argmax, g, out), `maxPoolBackprop, ${slabs} slab(s), ${describe(c, g)}`);
    assertKernelExact(c, slabs * n, [grad], (k, [a], out) => k.maxPoolGradGrad(a, argmax, g, out), `maxPoolGradGrad, ${slabs} slab(s), ${describe(c, g)}`);
  }), { numRuns: 150 });
});

test("average pooling and its gradient agree with the reference to float32 rounding", () => {
  fc.assert(fc.property(cases, (c) => {
    const g = geometryOf(c, c.channels, false);
    const x = values(c.batch * inputSize(g), c.seed), dy = values(c.batch * outputSize(g), c.seed + 1);
    assertKernelSums(c, dy.length, [x], (k, [a], out) => k.avgPool(a, g, out), `avgPool, ${describe(c, g)}`);
    assertKernelSums(c, x.length, [dy], (k, [a], out) => k.avgPoolBackprop(a, g, out), `avgPoolBackprop, ${describe(c, g)}`);
  }), { numRuns: 150 });
});

test("a CNN-sized batch splits across the threads by default and gives the same results as one thread", () => {
  const c: Case = {
    batch: 16, height: 28, width: 28, channels: 16, multiplier: 1, filter: [3, 3], strides: [1, 1], dilations: [1, 1],
    padding: "same", resident: true, split: false, seed: 5,
  };
  const g = geometryOf(c, 16);
  assert.ok(c.batch * outputSize(g) * 9 >= convSettings.parallelMinWork, "large enough to split");
  const x = place(c, values(c.batch * inputSize(g), 3)), w = values(9 * 16, 4);
  const split = output(c, c.batch * outputSize(g)), single = output(c, split.length);
  wasm.depthwiseConv2d(x, w, g, split);
  convSettings.parallelMinWork = Infinity;
  try {
    wasm.depthwiseConv2d(x, w, g, single);
  } finally {
    convSettings.parallelMinWork = defaultParallelMinWork;
  }
  assertExact(split, single, "depthwiseConv2d split vs one thread");
});

test("float64 operands run the reference loops on the wasm backend", () => {
  const g = windowGeometry("test", { image: [5, 4, 3], filter: [2, 3], outChannels: 3, strides: 1, padding: "same" });
  const x = Float64Array.from(values(2 * inputSize(g), 9), (v) => v + 1e-12);
  const outputs = [new Float64Array(2 * outputSize(g)), new Float64Array(2 * outputSize(g))];
  const argmax = [new Int32Array(outputs[0].length), new Int32Array(outputs[0].length)];
  [jsBackend, wasm].forEach((backend, i) => backend.maxPool(x, g, outputs[i] as FloatArray, argmax[i]));
  assertExact(outputs[1], outputs[0], "float64 maxPool");
  assert.ok(outputs[1].some((v) => v !== Math.fround(v)), "values keep float64 precision");
});
