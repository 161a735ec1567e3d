/**
 * One-element tensors held in shared slabs: what a scalar op allocates, and that a slab scalar
 * behaves exactly as a tensor with its own typed array does (values, dtypes, gradients).
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import * as tf from "../core";

type Unary = (x: tf.Tensor) => tf.Tensor;
type Binary = (a: tf.Tensor, b: tf.Tensor) => tf.Tensor;

const UNARY: Record<string, Unary> = {
  exp: tf.exp, log: tf.log, tanh: tf.tanh, sigmoid: tf.sigmoid, softplus: tf.softplus, sqrt: tf.sqrt, neg: tf.neg,
  abs: tf.abs, square: tf.square, relu: tf.relu, reciprocal: tf.reciprocal, sin: tf.sin, cos: tf.cos, rsqrt: tf.rsqrt,
  expm1: tf.expm1, log1p: tf.log1p, elu: tf.elu, floor: tf.floor, round: tf.round,
};
const BINARY: Record<string, Binary> = {
  add: tf.add, sub: tf.sub, mul: tf.mul, div: tf.div, pow: tf.pow, maximum: tf.maximum, minimum: tf.minimum, mod: tf.mod,
};

/** Bitwise equality of two numbers, NaN equal to NaN. */
const same = (a: number, b: number): boolean => Object.is(a, b) || (Number.isNaN(a) && Number.isNaN(b));

describe("scalars in shared slabs", () => {
  test("a chain of 1,000 scalar ops computes float32 values and keeps them in a few shared buffers", () => {
    let y = tf.constant(0.5);
    const scale = tf.constant(1.001);
    let expected = Math.fround(0.5);
    const results: tf.Tensor[] = [];
    for (let i = 0; i < 1000; i++) {
      if (i % 3 === 0) { y = tf.mul(y, scale); expected = Math.fround(expected * Math.fround(1.001)); }
      else if (i % 3 === 1) { y = tf.exp(y); expected = Math.fround(Math.exp(expected)); }
      else { y = tf.log(y); expected = Math.fround(Math.log(expected)); }
      results.push(y);
    }
    // Bit for bit on the JavaScript kernels; WebAssembly's polynomials (AGNB_WASM_MIN_ELEMENTS=1) round their own way.
    assert.ok(Math.abs(y.item() - expected) <= 1e-5 * expected, `y = ${y.item()}, float32 reference ${expected}`);
    const buffers = new Set(results.map((t) => t.values.buffer));
    assert.ok(buffers.size <= 20, `1,000 scalar results live in ${buffers.size} buffers`);
    for (const t of results) assert.equal(t.values.length, 1);
  });

  test("every scalar keeps its own value after its slab fills, and its values view reads that value alone", () => {
    const scalars = Array.from({ length: 700 }, (_, i) => tf.add(tf.constant(i), 0.25));
    scalars.forEach((t, i) => {
      assert.equal(t.item(), i + 0.25);
      assert.deepEqual([...t.values], [i + 0.25]);
      assert.deepEqual(t.dataSync(), new Float32Array([i + 0.25]));
      assert.equal(t.numpy(), i + 0.25);
      assert.equal(tf.stopGradient(t).item(), i + 0.25);
      assert.equal(tf.cast(t, "float32").item(), i + 0.25);
      assert.equal(tf.cast(t, "int32").item(), i);
    });
  });

  test("each dtype stores a scalar as its typed array does: float64 full precision, int32 integers, bool", () => {
    const f64 = tf.add(tf.constant(0.1, undefined, "float64"), tf.constant(0.2, undefined, "float64"));
    assert.deepEqual([f64.item(), f64.dtype], [0.1 + 0.2, "float64"]);
    assert.equal(tf.add(0.1, tf.constant(0.2)).item(), Math.fround(Math.fround(0.1) + Math.fround(0.2)));
    const int = tf.floorDiv(tf.constant(7, undefined, "int32"), tf.constant(2, undefined, "int32"));
    assert.deepEqual([int.item(), int.dtype], [3, "int32"]);
    const flag = tf.greater(tf.constant(2), 1);
    assert.deepEqual([flag.item(), flag.dtype, flag.numpy()], [true, "bool", true]);
    assert.equal(tf.logicalNot(flag).item(), false);
  });

  test("one-element tensors of rank 1 and 2 keep their shapes", () => {
    const a = tf.constant([3], [1]), b = tf.constant([[2]]);
    const y = tf.mul(a, b);
    assert.deepEqual([y.shape, y.numpy()], [[1, 1], [[6]]]);
    assert.deepEqual(tf.exp(a).shape, [1]);
    assert.deepEqual(tf.constant(4, [1, 1]).numpy(), [[4]]);
  });

  test("a scalar op gives the same bits and gradient as the same op on a two-element tensor (property)", () => {
    const names = [...Object.keys(UNARY), ...Object.keys(BINARY)];
    const value = fc.double({ min: -4, max: 4, noNaN: true }).map(Math.fround);
    fc.assert(fc.property(fc.constantFrom(...names), value, value, (name, u, v) => {
      const run = (x: tf.Tensor, y: tf.Tensor) => (name in UNARY ? UNARY[name](x) : BINARY[name](x, y));
      const [x1, y1] = [tf.constant(u), tf.constant(v)];
      const [x2, y2] = [tf.constant([u, u]), tf.constant([v, v])];
      const scalarResult = run(x1, y1).item(), pairResult = run(x2, y2).values[0];
      assert.ok(same(scalarResult, pairResult), `${name}(${u}, ${v}): scalar ${scalarResult}, pair ${pairResult}`);
      const gradients = (x: tf.Tensor, y: tf.Tensor) => {
        const tape = new tf.GradientTape({ persistent: true });
        const out = tape.record(() => {
          tape.watch([x, y]);
          return run(x, y);
        });
        return tape.gradient(out, [x, y]).map((g) => (g ? g.values[0] : null));
      };
      const [scalarGrads, pairGrads] = [gradients(x1, y1), gradients(x2, y2)];
      scalarGrads.forEach((g, i) => {
        const p = pairGrads[i];
        assert.ok(g === p || (g !== null && p !== null && same(g, p)), `d${name}/d input ${i} at (${u}, ${v}): scalar ${g}, pair ${p}`);
      });
    }), { numRuns: 300 });
  });

  test("the gradient of a long scalar chain matches forward-mode float64 arithmetic", () => {
    const x = tf.constant(0.5);
    const tape = new tf.GradientTape();
    let value = 0.5, derivative = 1;
    const y = tape.record(() => {
      tape.watch(x);
      let t = x;
      for (let i = 0; i < 3000; i++) {
        switch (i % 4) {
          case 0: t = tf.mul(t, 0.999); value *= 0.999; derivative *= 0.999; break;
          case 1: t = tf.exp(t); value = Math.exp(value); derivative *= value; break;
          case 2: derivative /= value; t = tf.log(t); value = Math.log(value); break;
          default: t = tf.add(t, 0.0001); value += 0.0001;
        }
      }
      return t;
    });
    const g = tape.gradient(y, x) as tf.Tensor;
    assert.ok(Math.abs(y.item() - value) < 1e-4, `y = ${y.item()}, float64 ${value}`);
    assert.ok(Math.abs(g.item() - derivative) < 1e-3 * Math.abs(derivative), `dy/dx = ${g.item()}, float64 ${derivative}`);
  });
});
