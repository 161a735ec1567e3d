/** tf.math's further functions and tf.nn's activations, through the shared per-op check. */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import * as tf from "../core";
import { Tensor } from "../core";
import { checkOps, close, type Case } from "./op-check";

const x23 = [[0.3, -1.2, 0.8], [1.5, 0.4, -0.6]];
const unit23 = [[0.3, -0.7, 0.8], [0.5, 0.1, -0.6]];
const above1 = [[1.3, 2.2, 1.8], [3.5, 1.4, 1.6]];
const y23 = [[-0.7, 0.9, 1.1], [0.2, -1.3, 0.5]];
const row3 = [0.5, -0.25, 1.5];
const ew = (f: (v: number) => number, a: number[][]) => a.map((r) => r.map(f));

// erf from an independent source (Abramowitz & Stegun 7.1.26 is too coarse): Simpson's rule on 2/√π e^{-t²}.
const erfReference = (x: number): number => {
  const n = 2000, h = x / n;
  let s = 0;
  for (let i = 0; i <= n; i++) s += (i === 0 || i === n ? 1 : i % 2 ? 4 : 2) * Math.exp(-((i * h) ** 2));
  return (2 / Math.sqrt(Math.PI)) * (h / 3) * s;
};
const sigmoid = (v: number) => 1 / (1 + Math.exp(-v));
const SELU = { alpha: 1.6732632423543772, scale: 1.0507009873554805 };

const cases: Case[] = [
  { name: "erf", f: (a) => tf.erf(a), inputs: [[[0.3, -1.2, 2.8], [1.5, 0.4, -3.1]]], expected: ew(erfReference, [[0.3, -1.2, 2.8], [1.5, 0.4, -3.1]]) },
  { name: "asin", f: (a) => tf.asin(a), inputs: [unit23], expected: ew(Math.asin, unit23) },
  { name: "acos", f: (a) => tf.acos(a), inputs: [unit23], expected: ew(Math.acos, unit23) },
  { name: "atan", f: (a) => tf.atan(a), inputs: [x23], expected: ew(Math.atan, x23) },
  { name: "sinh", f: (a) => tf.sinh(a), inputs: [x23], expected: ew(Math.sinh, x23) },
  { name: "cosh", f: (a) => tf.cosh(a), inputs: [x23], expected: ew(Math.cosh, x23) },
  { name: "asinh", f: (a) => tf.asinh(a), inputs: [x23], expected: ew(Math.asinh, x23) },
  { name: "acosh", f: (a) => tf.acosh(a), inputs: [above1], expected: ew(Math.acosh, above1) },
  { name: "atanh", f: (a) => tf.atanh(a), inputs: [unit23], expected: ew(Math.atanh, unit23) },
  { name: "atan2 (broadcast row)", f: (a, b) => tf.atan2(a, b), inputs: [x23, row3], expected: x23.map((r) => r.map((v, j) => Math.atan2(v, row3[j]))) },
  { name: "divNoNan", f: (a, b) => tf.divNoNan(a, b), inputs: [x23, y23], expected: x23.map((r, i) => r.map((v, j) => v / y23[i][j])) },
  { name: "addN", f: (a, b) => tf.addN([a, b, a]), inputs: [x23, y23], expected: x23.map((r, i) => r.map((v, j) => 2 * v + y23[i][j])) },
  { name: "leakyRelu (alpha 0.2)", f: (a) => tf.leakyRelu(a), inputs: [x23], expected: ew((v) => (v > 0 ? v : 0.2 * v), x23) },
  { name: "leakyRelu (alpha 0.01)", f: (a) => tf.nn.leakyRelu(a, 0.01), inputs: [x23], expected: ew((v) => (v > 0 ? v : 0.01 * v), x23) },
  { name: "relu6", f: (a) => tf.relu6(tf.mul(a, 5)), inputs: [x23], expected: ew((v) => Math.min(Math.max(5 * v, 0), 6), x23) },
  { name: "elu", f: (a) => tf.elu(a), inputs: [x23], expected: ew((v) => (v > 0 ? v : Math.expm1(v)), x23) },
  { name: "selu", f: (a) => tf.selu(a), inputs: [x23], expected: ew((v) => SELU.scale * (v > 0 ? v : SELU.alpha * Math.expm1(v)), x23) },
  { name: "gelu (exact)", f: (a) => tf.gelu(a), inputs: [x23], expected: ew((v) => 0.5 * v * (1 + erfReference(v / Math.SQRT2)), x23) },
  { name: "gelu (tanh approximation)", f: (a) => tf.gelu(a, true), inputs: [x23],
    expected: ew((v) => 0.5 * v * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (v + 0.044715 * v ** 3))), x23) },
  { name: "logSigmoid", f: (a) => tf.logSigmoid(a), inputs: [x23], expected: ew((v) => Math.log(sigmoid(v)), x23) },
  { name: "softsign", f: (a) => tf.softsign(a), inputs: [x23], expected: ew((v) => v / (1 + Math.abs(v)), x23) },
  { name: "moments (mean, axis 1)", f: (a) => tf.moments(a, 1)[0], inputs: [x23], expected: x23.map((r) => r.reduce((s, v) => s + v) / 3) },
  { name: "moments (variance, axes [0, 1], keepDims)", f: (a) => tf.moments(a, [0, 1], true)[1], inputs: [x23],
    expected: (() => { const all = x23.flat(), m = all.reduce((s, v) => s + v) / 6; return [[all.reduce((s, v) => s + (v - m) ** 2, 0) / 6]]; })() },
];

checkOps("maths and activations", cases);

describe("maths and activations: TF's edge values", () => {
  test("erf at large |x| saturates and erf(-x) = -erf(x)", () => {
    const v = tf.erf(tf.constant([-6, -1, 0, 1, 6], undefined, "float64")).numpy() as number[];
    close(v, [-1, -erfReference(1), 0, erfReference(1), 1], 1e-14);
  });

  test("divNoNan gives 0 and a zero gradient wherever the divisor is 0", () => {
    const x = tf.constant([1, 0, 3]), y = tf.constant([0, 0, 2]);
    assert.deepEqual(tf.divNoNan(x, y).numpy(), [0, 0, 1.5]);
    const tape = new tf.GradientTape();
    const out = tape.record(() => { tape.watch([x, y]); return tf.reduceSum(tf.divNoNan(x, y)); });
    const [gx, gy] = tape.gradient(out, [x, y]) as Tensor[];
    assert.deepEqual(gx.numpy(), [0, 0, 0.5]);
    assert.deepEqual(gy.numpy(), [0, 0, -0.75]);
  });

  test("relu6 and leakyRelu gradients at the kinks follow TF (relu6: 0 at 0 and 6; leakyRelu: alpha at 0)", () => {
    const g6 = tf.grad((x: Tensor) => tf.reduceSum(tf.relu6(x)))(tf.constant([0, 3, 6, 7])) as Tensor;
    assert.deepEqual(g6.numpy(), [0, 1, 0, 0]);
    const gl = tf.grad((x: Tensor) => tf.reduceSum(tf.leakyRelu(x)))(tf.constant([0, 1, -1])) as Tensor;
    assert.deepEqual(gl.numpy(), [0.2, 1, 0.2].map(Math.fround));
  });

  test("logSigmoid stays finite for large |x|; gelu(0) = 0 with slope 1/2", () => {
    assert.deepEqual(tf.logSigmoid(tf.constant([-1000, 1000])).numpy(), [-1000, -0]);
    assert.equal((tf.grad((x: Tensor) => tf.gelu(x))(tf.constant(0)) as Tensor).item(), 0.5);
  });

  test("moments returns [mean, variance] as tf.nn.moments; addN refuses shapes that differ", () => {
    const [mean, variance] = tf.nn.moments([[1, 2], [3, 6]], [0]);
    assert.deepEqual(mean.numpy(), [2, 4]);
    assert.deepEqual(variance.numpy(), [1, 4]);
    assert.throws(() => tf.addN([[1, 2], [1, 2, 3]]), /addN: all inputs must have the same shape and dtype, got \[2\] float32, \[3\] float32/);
  });

  test("chainable methods", () => {
    const x = tf.constant([0.5, -0.5]);
    assert.deepEqual(x.erf().numpy(), tf.erf(x).numpy());
    assert.deepEqual(x.atan2(1).numpy(), tf.atan2(x, 1).numpy());
    assert.deepEqual(x.gelu(true).numpy(), tf.gelu(x, true).numpy());
    assert.deepEqual(x.addN([x, x]).numpy(), tf.mul(x, 3).numpy());
  });
});
