/**
 * Tensors too large for kernel memory: past the pool's budget or WebAssembly's 4 GB, values are
 * ordinary JavaScript arrays (and kernels copy them in and out, or the JavaScript backend
 * computes); past what a JavaScript array holds, making the tensor fails with one line saying why.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import * as tf from "../../core";
import { currentBackend } from "../index";
import { createWasmBackend } from "../wasm";

const inKernelMemory = (values: ArrayLike<number>) => (values as Float32Array).buffer instanceof SharedArrayBuffer;

test("an output WebAssembly's 4 GB cannot hold is an ordinary array (reserved, not touched, so no gigabytes are used)", async () => {
  assert.equal(await tf.setBackend("wasm"), true);
  const length = 2 ** 30 + 16; // 4 GB and 64 bytes of float32
  const out = currentBackend().allocateOutput("float32", length);
  assert.equal(out.length, length);
  assert.ok(out instanceof Float32Array && !inKernelMemory(out), "outside kernel memory");
  const fits = currentBackend().allocateOutput("float32", 20_000);
  assert.ok(inKernelMemory(fits), "a result of ordinary size still lives in kernel memory");
});

test("past the pool's budget, outputs are ordinary arrays and the kernels still compute them", () => {
  const backend = createWasmBackend({ minElements: 1024, residentMinElements: 16384, residentBudget: 2 ** 20 });
  const a = backend.allocateOutput("float32", 200_000) as Float32Array; // 800 kB: fits the 1 MB budget
  const b = backend.allocateOutput("float32", 200_000) as Float32Array; // would pass it
  assert.deepEqual([inKernelMemory(a), inKernelMemory(b)], [true, false]);
  for (let i = 0; i < a.length; i++) a[i] = i % 1000;
  backend.unary("exp", a.subarray(0, 4), new Float32Array(4)); // a small call first: nothing carried over
  backend.binary("mul", a, [a.length], a, [a.length], b, [b.length]);
  for (const i of [0, 1, 999, 123_456, 199_999]) assert.equal(b[i], (i % 1000) ** 2, `element ${i}`);
});

test("a tensor just above the budget is made in JavaScript memory and computes as on the JavaScript backend", async () => {
  assert.equal(await tf.setBackend("wasm"), true);
  const size = 34_000_000; // 136 MB of float32, above the 128 MB that may live in kernel memory
  const x = tf.random.uniform([size], { minval: -1, maxval: 1, seed: 3 });
  const onWasm = [tf.add(x, 1), tf.mul(x, x), tf.exp(x)];
  assert.ok(onWasm.every((t) => !inKernelMemory(t.dataSync())), "the results live outside kernel memory");
  const wasmSum = tf.reduceSum(onWasm[0]).item();
  await tf.setBackend("js");
  try {
    const onJs = [tf.add(x, 1), tf.mul(x, x), tf.exp(x)];
    for (const [k, name] of ["add", "mul", "exp"].entries()) {
      const [fast, reference] = [onWasm[k].dataSync(), onJs[k].dataSync()];
      for (let i = 0; i < size; i += 9973) {
        const allowed = name === "exp" ? 2 ** -22 * Math.abs(reference[i]) : 0;
        assert.ok(Math.abs(fast[i] - reference[i]) <= allowed, `${name} element ${i}: ${fast[i]} vs ${reference[i]}`);
      }
    }
    assert.ok(Math.abs(wasmSum - tf.reduceSum(onJs[0]).item()) <= 1e-4 * size, "sums agree to float32 rounding");
  } finally {
    await tf.setBackend("wasm");
  }
});

test("a tensor past what a JavaScript array holds is refused with one line naming its size and why", () => {
  const refusal = /^RangeError: cannot make a float32 tensor of 8589934592 elements \(34\.4 GB\): more elements than a JavaScript typed array holds \(2\^32\), and past WebAssembly memory's 4 GB$/;
  const message = (make: () => unknown) => {
    try {
      make();
    } catch (error) {
      return String(error);
    }
    return "made";
  };
  assert.match(message(() => tf.zeros([2 ** 17, 2 ** 16])), refusal);
  // An op's result broadcast to that size, from small operands.
  assert.match(message(() => tf.add(tf.zeros([2 ** 17, 1]), tf.zeros([1, 2 ** 16]))), refusal);
});
