/**
 * Every core differentiable op, checked the same way (op-check.ts): forward values against a
 * reference, first and second derivatives against float64 central differences, the forward-mode
 * JVP against a directional difference, and the vectorised Jacobian against one backward pass per row.
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import * as tf from "../core";
import { Tensor } from "../core";
import { checkOps, type Case } from "./op-check";

const x23 = [[0.3, -1.2, 0.8], [1.5, 0.4, -0.6]];
const y23 = [[-0.7, 0.9, 1.1], [0.2, -1.3, 0.5]];
const pos23 = [[0.3, 1.2, 0.8], [1.5, 0.4, 2.6]];
const row3 = [0.5, -0.25, 1.5];
const col2 = [[0.6], [-1.1]];

const ew = (f: (v: number) => number, a: number[][]) => a.map((r) => r.map(f));
const ew2 = (f: (u: number, v: number) => number, a: number[][], b: number[][]) => a.map((r, i) => r.map((v, j) => f(v, b[i][j])));

const cases: Case[] = [
  { name: "add (broadcast row)", f: (a, b) => tf.add(a, b), inputs: [x23, row3], expected: x23.map((r) => r.map((v, j) => v + row3[j])) },
  { name: "sub (broadcast column)", f: (a, b) => tf.sub(a, b), inputs: [x23, col2], expected: x23.map((r, i) => r.map((v) => v - col2[i][0])) },
  { name: "mul", f: (a, b) => tf.mul(a, b), inputs: [x23, y23], expected: ew2((u, v) => u * v, x23, y23) },
  { name: "mul (scalar)", f: (a) => tf.mul(a, 3), inputs: [x23], expected: ew((v) => v * 3, x23) },
  { name: "div", f: (a, b) => tf.div(a, b), inputs: [x23, pos23], expected: ew2((u, v) => u / v, x23, pos23) },
  { name: "pow", f: (a, b) => tf.pow(a, b), inputs: [pos23, y23], expected: ew2(Math.pow, pos23, y23) },
  { name: "neg", f: (a) => tf.neg(a), inputs: [x23], expected: ew((v) => -v, x23) },
  { name: "square", f: (a) => tf.square(a), inputs: [x23], expected: ew((v) => v * v, x23) },
  { name: "sqrt", f: (a) => tf.sqrt(a), inputs: [pos23], expected: ew(Math.sqrt, pos23) },
  { name: "exp", f: (a) => tf.exp(a), inputs: [x23], expected: ew(Math.exp, x23) },
  { name: "log", f: (a) => tf.log(a), inputs: [pos23], expected: ew(Math.log, pos23) },
  { name: "abs", f: (a) => tf.abs(a), inputs: [x23], expected: ew(Math.abs, x23) },
  { name: "sin", f: (a) => tf.sin(a), inputs: [x23], expected: ew(Math.sin, x23) },
  { name: "cos", f: (a) => tf.cos(a), inputs: [x23], expected: ew(Math.cos, x23) },
  { name: "tanh", f: (a) => tf.tanh(a), inputs: [x23], expected: ew(Math.tanh, x23) },
  { name: "sigmoid", f: (a) => tf.sigmoid(a), inputs: [x23], expected: ew((v) => 1 / (1 + Math.exp(-v)), x23) },
  { name: "relu", f: (a) => tf.relu(a), inputs: [x23], expected: ew((v) => Math.max(v, 0), x23) },
  { name: "softplus", f: (a) => tf.softplus(a), inputs: [x23], expected: ew((v) => Math.log(1 + Math.exp(v)), x23) },
  { name: "maximum", f: (a, b) => tf.maximum(a, b), inputs: [x23, y23], expected: ew2(Math.max, x23, y23) },
  { name: "minimum", f: (a, b) => tf.minimum(a, b), inputs: [x23, row3], expected: x23.map((r) => r.map((v, j) => Math.min(v, row3[j]))) },
  { name: "where", f: (a, b) => tf.where(tf.greater(a, b), a, b), inputs: [x23, y23], expected: ew2((u, v) => (u > v ? u : v), x23, y23) },
  { name: "clipByValue", f: (a) => tf.clipByValue(a, -0.5, 1.0), inputs: [x23], expected: ew((v) => Math.min(Math.max(v, -0.5), 1), x23) },
  { name: "identity", f: (a) => tf.identity(a), inputs: [x23], expected: x23 },
  { name: "matmul", f: (a, b) => tf.matmul(a, b), inputs: [x23, [[0.1, 0.2], [0.3, -0.4], [0.5, 0.6]]],
    expected: [[0.3 * 0.1 - 1.2 * 0.3 + 0.8 * 0.5, 0.3 * 0.2 + 1.2 * 0.4 + 0.8 * 0.6], [1.5 * 0.1 + 0.4 * 0.3 - 0.6 * 0.5, 1.5 * 0.2 - 0.4 * 0.4 - 0.6 * 0.6]] },
  { name: "matmul (transposeA, transposeB)", f: (a, b) => tf.matmul(a, b, true, true), inputs: [x23, [[0.1, 0.2], [0.3, -0.4]]] },
  { name: "matmul (matrix × batch of vectors)", f: (a, b) => tf.matmul(a, b), inputs: [x23, [[[0.1], [0.2], [0.3]], [[-0.4], [0.5], [0.6]]]],
    expected: [[[0.03 - 0.24 + 0.24], [0.15 + 0.08 - 0.18]], [[-0.12 - 0.6 + 0.48], [-0.6 + 0.2 - 0.36]]] },
  { name: "matmul (transposed matrix × batch of vectors)", f: (a, b) => tf.matmul(a, b, true), inputs: [x23, [[[0.1], [0.2]], [[-0.4], [0.5]]]],
    expected: [[[0.33], [-0.04], [-0.04]], [[0.63], [0.68], [-0.62]]] },
  { name: "matmul (batched, broadcast)", f: (a, b) => tf.matmul(a, b), inputs: [[x23, y23], [[0.1], [0.2], [-0.3]]] },
  { name: "transpose", f: (a) => tf.transpose(a), inputs: [x23], expected: [[0.3, 1.5], [-1.2, 0.4], [0.8, -0.6]] },
  { name: "reshape", f: (a) => tf.reshape(a, [3, -1]), inputs: [x23], expected: [[0.3, -1.2], [0.8, 1.5], [0.4, -0.6]] },
  { name: "expandDims", f: (a) => tf.expandDims(a, 1), inputs: [x23], expected: [[x23[0]], [x23[1]]] },
  { name: "squeeze", f: (a) => tf.squeeze(a), inputs: [col2], expected: [0.6, -1.1] },
  { name: "concat (axis 1)", f: (a, b) => tf.concat([a, b], 1), inputs: [x23, col2], expected: [[0.3, -1.2, 0.8, 0.6], [1.5, 0.4, -0.6, -1.1]] },
  { name: "stack", f: (a, b) => tf.stack([a, b], 1), inputs: [x23, y23], expected: [[x23[0], y23[0]], [x23[1], y23[1]]] },
  { name: "slice", f: (a) => tf.slice(a, [0, 1], [2, 2]), inputs: [x23], expected: [[-1.2, 0.8], [0.4, -0.6]] },
  { name: "pad", f: (a) => tf.pad(a, [[1, 0], [0, 2]]), inputs: [col2], expected: [[0, 0, 0], [0.6, 0, 0], [-1.1, 0, 0]] },
  { name: "gather (axis 1, repeated index)", f: (a) => tf.gather(a, tf.constant([2, 0, 2], [3], "int32"), 1), inputs: [x23], expected: [[0.8, 0.3, 0.8], [-0.6, 1.5, -0.6]] },
  { name: "broadcastTo", f: (a) => tf.broadcastTo(a, [2, 2, 3]), inputs: [row3], expected: [[row3, row3], [row3, row3]] },
  { name: "tile", f: (a) => tf.tile(a, [1, 2]), inputs: [col2], expected: [[0.6, 0.6], [-1.1, -1.1]] },
  { name: "reduceSum (all)", f: (a) => tf.reduceSum(a), inputs: [x23], expected: 1.2 },
  { name: "reduceSum (axis 0)", f: (a) => tf.reduceSum(a, 0), inputs: [x23], expected: [1.8, -0.8, 0.2] },
  { name: "reduceSum (axis 1, keepDims)", f: (a) => tf.reduceSum(a, 1, true), inputs: [x23], expected: [[-0.1], [1.3]] },
  { name: "reduceSum (axes 0 and 2 of rank 3)", f: (a) => tf.reduceSum(a, [0, 2]), inputs: [[x23, y23]], expected: [0.3 - 1.2 + 0.8 - 0.7 + 0.9 + 1.1, 1.5 + 0.4 - 0.6 + 0.2 - 1.3 + 0.5] },
  { name: "reduceMean (axis -1)", f: (a) => tf.reduceMean(a, -1), inputs: [x23], expected: [-0.1 / 3, 1.3 / 3] },
  { name: "reduceMax (axis 1)", f: (a) => tf.reduceMax(a, 1), inputs: [x23], expected: [0.8, 1.5] },
  { name: "reduceMin (all)", f: (a) => tf.reduceMin(a), inputs: [x23], expected: -1.2 },
  { name: "reduceProd (axis 0)", f: (a) => tf.reduceProd(a, 0), inputs: [pos23], expected: [0.45, 0.48, 2.08] },
  { name: "logSumExp (axis 1)", f: (a) => tf.logSumExp(a, 1), inputs: [x23], expected: x23.map((r) => Math.log(r.reduce((s, v) => s + Math.exp(v), 0))) },
  { name: "softmax", f: (a) => tf.softmax(a), inputs: [x23], expected: x23.map((r) => r.map((v) => Math.exp(v) / r.reduce((s, u) => s + Math.exp(u), 0))) },
  { name: "logSoftmax (axis 0)", f: (a) => tf.logSoftmax(a, 0), inputs: [x23],
    expected: x23.map((r, i) => r.map((v, j) => v - Math.log(Math.exp(x23[0][j]) + Math.exp(x23[1][j])))) },
  { name: "logSumExp (axes 0 and 2 of rank 3, keepDims)", f: (a) => tf.logSumExp(a, [0, 2], true), inputs: [[x23, y23]],
    expected: [[[Math.log([...x23[0], ...y23[0]].reduce((s, v) => s + Math.exp(v), 0))], [Math.log([...x23[1], ...y23[1]].reduce((s, v) => s + Math.exp(v), 0))]]] },
  { name: "softmax (axis 1 of rank 3)", f: (a) => tf.softmax(a, 1), inputs: [[x23, y23]],
    expected: [x23, y23].map((m) => m.map((r, i) => r.map((v, j) => Math.exp(v) / (Math.exp(m[0][j]) + Math.exp(m[1][j]))))) },
  { name: "logSoftmax (last axis, rank 3)", f: (a) => tf.logSoftmax(a), inputs: [[x23, y23]],
    expected: [x23, y23].map((m) => m.map((r) => r.map((v) => v - Math.log(r.reduce((s, u) => s + Math.exp(u), 0))))) },
  { name: "composite: tanh(W·x + b)", f: (w, x, b) => tf.tanh(tf.add(tf.matmul(w, x), b)), inputs: [x23, [[0.2], [-0.4], [0.7]], col2] },
];

checkOps("every op", cases);

describe("dtypes through gradients", () => {
  test("cast passes gradients between float dtypes and stops them at integers", () => {
    const x = tf.constant([0.5, 0.25]);
    const tape = new tf.GradientTape({ persistent: true });
    const [y, z] = tape.record(() => {
      tape.watch(x);
      return [tf.reduceSum(tf.square(tf.cast(x, "float64"))), tf.reduceSum(tf.cast(tf.cast(x, "int32"), "float32"))];
    });
    const g = tape.gradient(y, x) as Tensor;
    assert.equal(g.dtype, "float32");
    assert.deepEqual(g.numpy(), [1, 0.5]);
    assert.equal(tape.gradient(z, x), null);
  });
});

describe("numerical stability", () => {
  test("sigmoid, softplus, logSumExp and logSoftmax stay finite at large |x|", () => {
    const big = tf.constant([-1000, -50, 0, 50, 1000]);
    assert.deepEqual(tf.sigmoid(big).numpy(), [0, Math.fround(1 / (1 + Math.exp(50))), 0.5, 1, 1]);
    assert.deepEqual(tf.softplus(big).numpy(), [0, Math.fround(Math.log1p(Math.exp(-50))), Math.fround(Math.log(2)), 50, 1000]);
    assert.equal(tf.logSumExp(tf.constant([1000, 1000])).item(), Math.fround(1000 + Math.log(2)));
    const ls = tf.logSoftmax(tf.constant([1000, 0])).numpy() as number[];
    assert.equal(ls[0], 0);
    assert.equal(ls[1], -1000);
    const tape = new tf.GradientTape();
    const x = tf.constant([1000, -1000]);
    const y = tape.record(() => { tape.watch(x); return tf.reduceSum(tf.sigmoid(x)); });
    assert.deepEqual((tape.gradient(y, x) as Tensor).numpy(), [0, 0]);
  });
});

describe("gradient rules TF has and we once lacked", () => {
  const gradOf = (f: (x: Tensor) => Tensor, x: number[]) => (tf.grad(f)(tf.constant(x)) as Tensor).numpy();

  test("mod: d/dx = 1 and d/dy = -floor(x / y), in both modes", () => {
    assert.deepEqual(gradOf((x) => tf.reduceSum(tf.mod(x, 0.7)), [1, 2]), [1, 1]);
    const y = tf.constant([0.7, 0.6], undefined, "float64");
    const dy = (tf.grad((v: Tensor) => tf.reduceSum(tf.mod(tf.constant([1, 2], undefined, "float64"), v)))(y) as Tensor).numpy();
    assert.deepEqual(dy, [-1, -3]);
    const [, tangent] = tf.jvp((a: Tensor, b: Tensor) => tf.mod(a, b), [tf.constant([1, 2], undefined, "float64"), y], [tf.constant([1, 1], undefined, "float64"), tf.constant([1, 1], undefined, "float64")]);
    assert.deepEqual(tangent.numpy(), [1 - 1, 1 - 3]);
  });

  test("floorDiv has no tangent and no gradient (TF's None), instead of an error", () => {
    const x = tf.constant([1, 2]);
    const acc = new tf.ForwardAccumulator(x, tf.constant([1, 1]));
    const q = acc.record(() => tf.floorDiv(x, 0.7));
    assert.deepEqual(q.numpy(), [1, 2]);
    assert.equal(acc.jvp(q), null);
    const tape = new tf.GradientTape();
    const y = tape.record(() => { tape.watch(x); return tf.reduceSum(tf.floorDiv(x, 0.7)); });
    assert.equal(tape.gradient(y, x), null);
  });

  test("reduceProd's gradient is the product of the other elements, also at zeros", () => {
    assert.deepEqual(gradOf((x) => tf.reduceProd(x), [0, 2, 3]), [6, 0, 0]);
    assert.deepEqual(gradOf((x) => tf.reduceProd(x), [0, 2, 0]), [0, 0, 0]);
    const m = tf.constant([[0, 2, 3], [4, 0.5, 1]], undefined, "float64");
    const g = (tf.grad((x: Tensor) => tf.reduceSum(tf.reduceProd(x, 1)))(m) as Tensor).numpy();
    assert.deepEqual(g, [[6, 0, 0], [0.5, 4, 2]]);
    const gAxis0 = (tf.grad((x: Tensor) => tf.reduceSum(tf.reduceProd(x, 0)))(m) as Tensor).numpy();
    assert.deepEqual(gAxis0, [[4, 0.5, 1], [0, 2, 3]]);
  });

  test("round goes half to even, as TF", () => {
    assert.deepEqual(tf.round([0.5, 1.5, 2.5, -0.5, -1.5, -2.5, 2.4, 2.6]).numpy(), [0, 2, 2, -0, -2, -2, 2, 3]);
  });

  test("a float op with no gradient rule raises TF's LookupError naming it; integer results still give null", async () => {
    const { runOp } = await import("./op");
    const ruleless = { name: "Ruleless", forward: ([x]: Tensor[]) => new Tensor(x.values.slice(), x.shape, x.dtype) };
    const x = tf.constant([1, 2]);
    const tape = new tf.GradientTape({ persistent: true });
    const [y, n] = tape.record(() => {
      tape.watch(x);
      return [tf.reduceSum(runOp(ruleless, [x], undefined)), tf.reduceSum(tf.cast(tf.argMax(tf.stack([x, x]), 0), "float32"))];
    });
    assert.throws(() => tape.gradient(y, x), (e: Error) => e instanceof tf.LookupError && e.name === "LookupError" &&
      e.message.startsWith("No gradient defined for operation 'Ruleless' (op type: Ruleless)"));
    assert.equal(tape.gradient(n, x), null);
    assert.equal(tape.gradient(tf.stopGradient(y), x), null);
  });
});

describe("namespaces", () => {
  test("tf.math, tf.nn and tf.linalg hold TF's ops and are the top-level functions", () => {
    assert.equal(tf.math.erf, tf.erf);
    assert.equal(tf.math.floorMod, tf.mod);
    assert.equal(tf.nn.relu, tf.relu);
    assert.equal(tf.nn.gelu, tf.gelu);
    assert.equal(tf.linalg.inv, tf.inv);
    assert.equal(tf.linalg.matmul, tf.matmul);
  });

  test("tf.UnconnectedGradients.ZERO and NONE work where the strings do", () => {
    const x = tf.constant([1, 2]), z = tf.constant(3);
    const tape = new tf.GradientTape({ persistent: true });
    const y = tape.record(() => { tape.watch([x, z]); return tf.reduceSum(tf.square(x)); });
    assert.deepEqual((tape.gradient(y, z, { unconnectedGradients: tf.UnconnectedGradients.ZERO }) as Tensor).numpy(), 0);
    assert.equal(tape.gradient(y, z, { unconnectedGradients: tf.UnconnectedGradients.NONE }), null);
  });
});
