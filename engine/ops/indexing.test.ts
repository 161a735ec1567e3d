/** Scans, reverse, strided slicing (tf.stridedSlice masks and tf.at), gatherND/scatterND, topk. */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import * as tf from "../core";
import { Tensor } from "../core";
import { checkOps, type Case } from "./op-check";

const x23 = [[0.3, -1.2, 0.8], [1.5, 0.4, -0.6]];
const x234 = [0, 1].map((i) => [0, 1, 2].map((j) => [0, 1, 2, 3].map((k) => 0.1 * (i * 12 + j * 4 + k) - 1.1)));
const int = (v: unknown) => tf.constant(v as number[], undefined, "int32");

/** Running sums and products by the definition, for any axis, exclusive and reverse. */
function scanReference(rows: number[][], product: boolean, exclusive: boolean, reverse: boolean): number[][] {
  return rows.map((r) => {
    const order = reverse ? [...r].reverse() : r;
    let acc = product ? 1 : 0;
    const out = order.map((v) => {
      const before = acc;
      acc = product ? acc * v : acc + v;
      return exclusive ? before : acc;
    });
    return reverse ? out.reverse() : out;
  });
}
const transpose2 = (m: number[][]) => m[0].map((_, j) => m.map((r) => r[j]));

const cases: Case[] = [
  { name: "cumsum (axis 1)", f: (a) => tf.cumsum(a, 1), inputs: [x23], expected: scanReference(x23, false, false, false) },
  { name: "cumsum (axis 0, exclusive, reverse)", f: (a) => tf.cumsum(a, 0, true, true), inputs: [x23],
    expected: transpose2(scanReference(transpose2(x23), false, true, true)) },
  { name: "cumprod (axis 1)", f: (a) => tf.cumprod(a, 1), inputs: [x23], expected: scanReference(x23, true, false, false) },
  { name: "cumprod (axis -1, exclusive)", f: (a) => tf.cumprod(a, { axis: -1, exclusive: true }), inputs: [x23], expected: scanReference(x23, true, true, false) },
  { name: "cumprod (reverse)", f: (a) => tf.math.cumprod(a, 1, false, true), inputs: [x23], expected: scanReference(x23, true, false, true) },
  { name: "reverse (axes 0 and 1)", f: (a) => tf.reverse(a, [0, 1]), inputs: [x23], expected: [[-0.6, 0.4, 1.5], [0.8, -1.2, 0.3]] },
  { name: "reverse (axis -1 of rank 3)", f: (a) => tf.reverse(a, -1), inputs: [x234], expected: x234.map((p) => p.map((r) => [...r].reverse())) },
  { name: "stridedSlice (x[:, 0, ::2])", f: (a) => tf.stridedSlice(a, [0, 0, 0], [0, 0, 0], [1, 1, 2], { beginMask: 0b101, endMask: 0b101, shrinkAxisMask: 0b010 }),
    inputs: [x234], expected: x234.map((p) => [p[0][0], p[0][2]]) },
  { name: "stridedSlice (negative stride, x[1::-1, 2:0:-1])", f: (a) => tf.stridedSlice(a, [1, 2], [0, 0], [-1, -1], { endMask: 0b01 }), inputs: [x23],
    expected: [[x23[1][2], x23[1][1]], [x23[0][2], x23[0][1]]] },
  { name: "stridedSlice (ellipsis and new axis, x[..., None, 1])", f: (a) => tf.stridedSlice(a, [0, 0, 1], [0, 0, 2], [1, 1, 1], { ellipsisMask: 1, newAxisMask: 2, shrinkAxisMask: 4 }),
    inputs: [x234], expected: x234.map((p) => p.map((r) => [r[1]])) },
  { name: "at (':, 0, ::2')", f: (a) => tf.at(a, ":, 0, ::2"), inputs: [x234], expected: x234.map((p) => [p[0][0], p[0][2]]) },
  { name: "at (-1, '::-1') as a method", f: (a) => a.at(-1, "::-1"), inputs: [x23], expected: [...x23[1]].reverse() },
  { name: "at ('...', newaxis, '1:3')", f: (a) => tf.at(a, "...", tf.newaxis, "1:3"), inputs: [x234], expected: x234.map((p) => p.map((r) => [r.slice(1, 3)])) },
  { name: "gatherND (elements)", f: (a) => tf.gatherND(a, int([[1, 0], [0, 2], [1, 0]])), inputs: [x23], expected: [1.5, 0.8, 1.5] },
  { name: "gatherND (rows of rank 3, batched indices)", f: (a) => tf.gatherND(a, int([[[1, 2]], [[0, 0]]])), inputs: [x234], expected: [[x234[1][2]], [x234[0][0]]] },
  { name: "scatterND (repeated indices add up)", f: (u) => tf.scatterND(int([[1], [0], [1]]), u, [2, 3]), inputs: [x23.concat([[1, 2, 3]])],
    expected: [[1.5, 0.4, -0.6], [1.3, 0.8, 3.8]] },
  { name: "tensorScatterUpdate (the last repeat wins)", f: (t, u) => tf.tensorScatterUpdate(t, int([[0, 1], [1, 2], [0, 1]]), u), inputs: [x23, [7, 8, 9]],
    expected: [[0.3, 9, 0.8], [1.5, 0.4, 8]] },
  { name: "topk (values, k 2)", f: (a) => tf.topk(a, 2).values, inputs: [x23], expected: [[0.8, 0.3], [1.5, 0.4]] },
];

checkOps("scans and indexing", cases);

describe("scans and indexing: TF's semantics", () => {
  test("cumsum on TF's documented example", () => {
    assert.deepEqual(tf.cumsum([2, 4, 6, 8]).numpy(), [2, 6, 12, 20]);
    assert.deepEqual(tf.cumsum([2, 4, 6, 8], 0, true).numpy(), [0, 2, 6, 12]);
    assert.deepEqual(tf.cumsum([2, 4, 6, 8], 0, false, true).numpy(), [20, 18, 14, 8]);
    assert.deepEqual(tf.cumprod([2, 4, 6, 8], 0, true, true).numpy(), [192, 48, 8, 1]);
  });

  test("cumprod's gradient and tangent at a zero are the products of the other factors, not NaN", () => {
    const x = tf.constant([2, 0, 3], undefined, "float64");
    assert.deepEqual((tf.grad((v: Tensor) => tf.reduceSum(tf.cumprod(v)))(x) as Tensor).numpy(), [1, 8, 0]);
    assert.deepEqual((tf.grad((v: Tensor) => tf.reduceSum(tf.cumprod(v, 0, true, true)))(x) as Tensor).numpy(), [0, 3, 1]);
    const [, t] = tf.jvp((v: Tensor) => tf.cumprod(v), [x], [tf.constant([1, 1, 1], undefined, "float64")]);
    assert.deepEqual(t.numpy(), [1, 2, 6]);
    // The second derivatives of a product at a zero, through reduceProd's rule.
    assert.deepEqual((tf.hessian((v: Tensor) => tf.reduceProd(v))(x) as Tensor).numpy(), [[0, 3, 0], [3, 0, 2], [0, 2, 0]]);
  });

  test("topk returns indices (ties: lower index first) and sends the gradient to the chosen values", () => {
    const { values, indices } = tf.topk([[1, 3, 3, 2]], 3);
    assert.deepEqual(values.numpy(), [[3, 3, 2]]);
    assert.deepEqual(indices.numpy(), [[1, 2, 3]]);
    assert.equal(indices.dtype, "int32");
    const g = tf.grad((x: Tensor) => tf.reduceSum(tf.mul(tf.topk(x, 2).values, [10, 1])))(tf.constant([0.5, 2, 1])) as Tensor;
    assert.deepEqual(g.numpy(), [0, 10, 1]);
  });

  test("at and stridedSlice agree with Python's slicing rules (clamping, empty ranges)", () => {
    const r = tf.range(0, 10);
    assert.deepEqual(tf.at(r, "7:100").numpy(), [7, 8, 9]);
    assert.deepEqual(tf.at(r, "-3:").numpy(), [7, 8, 9]);
    assert.deepEqual(tf.at(r, "5:2").numpy(), []);
    assert.deepEqual(tf.at(r, "::-3").numpy(), [9, 6, 3, 0]);
    assert.deepEqual(tf.stridedSlice(r, [-2], [0], [-1]).numpy(), [8, 7, 6, 5, 4, 3, 2, 1]);
    assert.equal(tf.at(r, 4).item(), 4);
  });

  test("bad indices are named", () => {
    assert.throws(() => tf.at([[1, 2]], 0, 5), /at: index 5 is out of bounds for axis 1 of size 2 \(shape \[1,2\]\)/);
    assert.throws(() => tf.at([1, 2], "::0"), /at: slice step must be a non-zero integer/);
    assert.throws(() => tf.at([1, 2], "a:"), /at: 'a:' has start 'a', which is not an integer/);
    assert.throws(() => tf.at([1, 2], 0, 0), /at: too many indices \(2\) for a tensor of shape \[2\]/);
    assert.throws(() => tf.gatherND([[1, 2]], int([[0, 2]])), /gatherND: indices\[0\] = \[0, 2\] does not index into shape \[1,2\]/);
    assert.throws(() => tf.scatterND(int([[0]]), [1, 2], [3]), /scatterND: updates have shape \[2\], expected \[1\]/);
    assert.throws(() => tf.topk([1, 2], 3), /topk: k \(3\) must be an integer in \[0, 2\]/);
  });

  test("chainable methods", () => {
    const x = tf.constant([[1, 2], [3, 4]]);
    assert.deepEqual(x.cumsum(1).numpy(), [[1, 3], [3, 7]]);
    assert.deepEqual(x.reverse(0).numpy(), [[3, 4], [1, 2]]);
    assert.deepEqual(x.gatherND(int([[1, 1]])).numpy(), [4]);
    assert.deepEqual(x.topk(1).indices.numpy(), [[1], [1]]);
  });
});
