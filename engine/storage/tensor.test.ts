/** Tensors: creation, dtypes, broadcasting, printing like TF, seeded randomness, memory. */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import v8 from "node:v8";
import vm from "node:vm";
import * as tf from "../core";

v8.setFlagsFromString("--expose-gc");
const collectGarbage = vm.runInNewContext("gc") as () => void;

describe("creating tensors", () => {
  test("constant infers shape and dtype; numpy(), item(), arraySync()", () => {
    const t = tf.constant([[1, 2], [3, 4]]);
    assert.deepEqual([t.shape, t.dtype], [[2, 2], "float32"]);
    assert.deepEqual(t.numpy(), [[1, 2], [3, 4]]);
    assert.equal(tf.constant(7).item(), 7);
    assert.deepEqual(tf.constant([true, false]).numpy(), [true, false]);
    assert.deepEqual(tf.constant(1, [2, 2]).numpy(), [[1, 1], [1, 1]]);
    assert.throws(() => tf.constant([[1, 2], [3]]), /ragged nested array/);
    assert.throws(() => tf.constant([1, 2, 3], [2, 2]), /3 values do not fill shape \[2,2\]/);
  });
  test("zeros, ones, eye, range, linspace", () => {
    assert.deepEqual(tf.zeros([2]).numpy(), [0, 0]);
    assert.deepEqual(tf.ones([1, 2], "int32").numpy(), [[1, 1]]);
    assert.deepEqual(tf.eye(2).numpy(), [[1, 0], [0, 1]]);
    assert.deepEqual(tf.range(5).numpy(), [0, 1, 2, 3, 4]);
    assert.equal(tf.range(5).dtype, "int32");
    assert.deepEqual(tf.range(0, 1, 0.25).numpy(), [0, 0.25, 0.5, 0.75]);
    assert.deepEqual(tf.linspace(0, 1, 5).numpy(), [0, 0.25, 0.5, 0.75, 1]);
  });
  test("plain numbers meet tensors in the tensor's dtype: tf.sub(1, x)", () => {
    const x = tf.constant([0.25], undefined, "float64");
    const y = tf.sub(1, x);
    assert.equal(y.dtype, "float64");
    assert.deepEqual(y.numpy(), [0.75]);
    assert.deepEqual(x.mul(2).add(1).numpy(), [1.5]);
  });
  test("x = x.add(1) on a Variable yields a Tensor", () => {
    const v = new tf.Variable(1.0);
    const x = v.add(1);
    assert.ok(x instanceof tf.Tensor);
    assert.ok(!(v instanceof tf.Tensor));
    v.assignAdd(2);
    v.assignSub(0.5);
    assert.equal(v.item(), 2.5);
  });
});

describe("broadcasting", () => {
  test("NumPy rules across ranks", () => {
    const a = tf.reshape(tf.range(6, undefined, 1, "float32"), [2, 1, 3]);
    const b = tf.constant([[10], [20]]);
    const c = tf.add(a, b);
    assert.deepEqual(c.shape, [2, 2, 3]);
    assert.deepEqual(c.numpy(), [[[10, 11, 12], [20, 21, 22]], [[13, 14, 15], [23, 24, 25]]]);
  });
});

describe("printing like TensorFlow", () => {
  test("scalars, vectors, matrices, variables", () => {
    assert.equal(String(tf.constant(10)), "tf.Tensor(10.0, shape=(), dtype=float32)");
    assert.equal(String(tf.constant(0.53687)), "tf.Tensor(0.53687, shape=(), dtype=float32)");
    assert.equal(String(tf.constant([1, 2, 3])), "tf.Tensor([1. 2. 3.], shape=(3,), dtype=float32)");
    assert.equal(String(tf.constant([[1, -2], [3, 4]])), "tf.Tensor(\n[[ 1. -2.]\n [ 3.  4.]], shape=(2, 2), dtype=float32)");
    assert.equal(String(tf.constant([1, 2], [2], "int32")), "tf.Tensor([1 2], shape=(2,), dtype=int32)");
    assert.equal(String(new tf.Variable([0.5], { name: "weight" })), "<tf.Variable 'weight:0' shape=(1,) dtype=float32, numpy=array([0.5], dtype=float32)>");
    assert.equal(String(new tf.Variable(5.0)), "<tf.Variable 'Variable:0' shape=() dtype=float32, numpy=5.0>");
  });
  test("large tensors are summarised", () => {
    const s = String(tf.zeros([2000]));
    assert.ok(s.includes("..."));
    assert.ok(s.length < 200);
  });
});

describe("seeded randomness", () => {
  test("setSeed makes sequences reproducible; an op seed repeats its values", () => {
    tf.random.setSeed(3);
    const a = tf.random.normal([4]).numpy();
    tf.random.setSeed(3);
    assert.deepEqual(tf.random.normal([4]).numpy(), a);
    const u1 = tf.random.uniform([3], { minval: 2, maxval: 4, seed: 9 }).numpy() as number[];
    assert.deepEqual(tf.random.uniform([3], { minval: 2, maxval: 4, seed: 9 }).numpy(), u1);
    assert.ok(u1.every((v) => v >= 2 && v < 4));
  });
  test("normal values have the requested mean and spread", () => {
    const n = tf.random.normal([20000], { mean: 3, stddev: 2, seed: 1 });
    assert.ok(Math.abs((tf.reduceMean(n).item() as number) - 3) < 0.05);
    assert.ok(Math.abs(Math.sqrt(tf.reduceVariance(n).item() as number) - 2) < 0.05);
  });
});

describe("memory", () => {
  test("stays flat over a long training loop with no tidy or dispose", async () => {
    const W = new tf.Variable(tf.random.normal([64, 64], { seed: 1, stddev: 0.1 }));
    const x = tf.random.normal([32, 64], { seed: 2 });
    const step = () => {
      const tape = new tf.GradientTape();
      const loss = tape.record(() => tf.reduceMean(tf.square(tf.tanh(tf.matmul(x, W)))));
      W.assignSub(tf.mul(tape.gradient(loss, W) as tf.Tensor, 0.01));
    };
    // The collector frees buffers' memory on its own schedule, so each reading takes the smallest
    // of a few collections, with the event loop let through in between.
    const settledMemory = async () => {
      let least = Infinity;
      for (let i = 0; i < 4; i++) {
        collectGarbage();
        await new Promise((resolve) => setTimeout(resolve, 10));
        const { heapUsed, arrayBuffers } = process.memoryUsage();
        least = Math.min(least, heapUsed + arrayBuffers);
      }
      return least;
    };
    const memoryAfter = async (steps: number) => {
      for (let i = 0; i < steps; i++) step();
      return settledMemory();
    };
    await memoryAfter(200);
    const base = await memoryAfter(200);
    const later = await memoryAfter(2000);
    // 2000 steps allocate ≈ 2000 × 40 KB; what stays must be a small fraction of that.
    assert.ok(later - base < 8e6, `memory grew by ${((later - base) / 1e6).toFixed(1)} MB`);
  });
});
