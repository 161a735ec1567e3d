/** Norms and clipping: TF's values, gradients against finite differences, TF's gradients at zero. */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import * as tf from "../core";
import { Tensor } from "../core";
import { checkOps, close, type Case } from "./op-check";

const x23 = [[0.3, -1.2, 0.8], [1.5, 0.4, -0.6]];
const flat = x23.flat();
const sumAbs = (v: number[]) => v.reduce((s, a) => s + Math.abs(a), 0);
const l2 = (v: number[]) => Math.sqrt(v.reduce((s, a) => s + a * a, 0));
const cols = [0, 1, 2].map((j) => x23.map((r) => r[j]));
function largestSingularValue(m: number[][]): number {
  // Eigenvalues of the 2×2 matrix m mᵀ (m has two rows): (tr ± √(tr² − 4 det)) / 2.
  const [p, q] = m;
  const dot = (u: number[], v: number[]) => u.reduce((s, x, i) => s + x * v[i], 0);
  const a = dot(p, p), b = dot(p, q), d = dot(q, q);
  const tr = a + d, det = a * d - b * b;
  return Math.sqrt((tr + Math.sqrt(tr * tr - 4 * det)) / 2);
}

const cases: Case[] = [
  { name: "norm (euclidean, all elements)", f: (a) => tf.norm(a), inputs: [x23], expected: l2(flat) },
  { name: "norm (ord 1, axis 1)", f: (a) => tf.norm(a, 1, 1), inputs: [x23], expected: x23.map(sumAbs) },
  { name: "norm (ord 2, axis 0, keepDims)", f: (a) => tf.norm(a, 2, 0, true), inputs: [x23], expected: [cols.map(l2)] },
  { name: "norm (ord Infinity, axis -1)", f: (a) => tf.norm(a, Infinity, -1), inputs: [x23], expected: x23.map((r) => Math.max(...r.map(Math.abs))) },
  { name: "norm (ord 3, axis 1)", f: (a) => tf.norm(a, 3, 1), inputs: [x23], expected: x23.map((r) => r.reduce((s, v) => s + Math.abs(v) ** 3, 0) ** (1 / 3)) },
  { name: "norm (fro, matrix axes)", f: (a) => tf.norm(a, "fro", [0, 1]), inputs: [x23], expected: l2(flat) },
  { name: "norm (ord 1, matrix: largest column sum)", f: (a) => tf.norm(a, 1, [-2, -1]), inputs: [x23], expected: Math.max(...cols.map(sumAbs)) },
  { name: "norm (ord Infinity, matrix: largest row sum, keepDims)", f: (a) => tf.norm(a, Infinity, [0, 1], true), inputs: [x23], expected: [[Math.max(...x23.map(sumAbs))]] },
  // The largest singular value of [[a, b], [c, d]] from the closed form of the 2×2 Gram matrix's eigenvalues.
  { name: "norm (ord 2, matrix: largest singular value)", f: (a) => tf.norm(a, 2, [0, 1]), inputs: [x23], expected: largestSingularValue(x23) },
  { name: "norm (ord 2, matrix axes [2, 0] of rank 3, keepDims)", f: (a) => tf.norm(a, 2, [2, 0], true), inputs: [[[[0.3, 1], [-0.5, 2]], [[1.2, 0.1], [0.7, -0.4]]]],
    expected: [[[largestSingularValue([[0.3, 1.2], [1, 0.1]])], [largestSingularValue([[-0.5, 0.7], [2, -0.4]])]]] },
  { name: "euclideanNorm (axis 1)", f: (a) => tf.euclideanNorm(a, 1), inputs: [x23], expected: x23.map(l2) },
  { name: "clipByNorm (clipped)", f: (a) => tf.clipByNorm(a, 1), inputs: [x23], expected: x23.map((r) => r.map((v) => v / l2(flat))) },
  { name: "clipByNorm (per row, one row clipped)", f: (a) => tf.clipByNorm(a, 1.5, 1), inputs: [x23],
    expected: x23.map((r) => r.map((v) => (v * 1.5) / Math.max(l2(r), 1.5))) },
  { name: "clipByGlobalNorm (first tensor)", f: (a, b) => tf.clipByGlobalNorm([a, b], 1)[0][0]!, inputs: [x23, [0.5, 2]],
    expected: x23.map((r) => r.map((v) => v / l2([...flat, 0.5, 2]))) },
  { name: "clipByGlobalNorm (the global norm)", f: (a, b) => tf.clipByGlobalNorm([a, null, b], 1)[1], inputs: [x23, [0.5, 2]], expected: l2([...flat, 0.5, 2]) },
  { name: "l2Normalize (axis 1)", f: (a) => tf.l2Normalize(a, 1), inputs: [x23], expected: x23.map((r) => r.map((v) => v / l2(r))) },
];

checkOps("norms and clipping", cases);

describe("norms and clipping at zero, as TF", () => {
  const gradAtZero = (f: (x: Tensor) => Tensor) => (tf.grad(f)(tf.zeros([3])) as Tensor).numpy() as number[];
  test("clipByNorm and l2Normalize have finite gradients at 0 (TF's safe forms); clipping zeros gives zeros", () => {
    assert.deepEqual(gradAtZero((x) => tf.reduceSum(tf.clipByNorm(x, 1))), [1, 1, 1]);
    assert.ok(gradAtZero((x) => tf.reduceSum(tf.l2Normalize(x))).every((g) => g === Math.fround(1e6)));
    const [[clipped], norm] = tf.clipByGlobalNorm([tf.zeros([2])], 1);
    assert.deepEqual(clipped!.numpy(), [0, 0]);
    assert.equal(norm.item(), 0);
  });

  test("the 1-norm's gradient at 0 is 0 (sign), the euclidean norm's is NaN as TF's sqrt gives", () => {
    assert.deepEqual(gradAtZero((x) => tf.norm(x, 1)), [0, 0, 0]);
    assert.ok(gradAtZero((x) => tf.norm(x)).every(Number.isNaN));
  });

  test("clipByNorm leaves a small tensor alone; clipByGlobalNorm returns [list, norm] with null kept", () => {
    assert.deepEqual(tf.clipByNorm([0.3, 0.4], 1).numpy(), [0.3, 0.4].map(Math.fround));
    const [list, norm] = tf.clipByGlobalNorm([tf.constant([3, 0]), null, tf.constant([4])], 2.5);
    close(norm.item(), 5, 1e-7);
    assert.equal(list[1], null);
    close(list[0]!.numpy(), [1.5, 0], 1e-7);
    close(list[2]!.numpy(), [2], 1e-7);
  });

  test("bad ord or axis is named", () => {
    assert.throws(() => tf.norm([1, 2], "fro"), /norm: 'ord' must be a supported vector norm .* got fro/);
    assert.throws(() => tf.norm([[1, 2]], 3, [0, 1]), /norm: 'ord' must be a supported matrix norm in \['euclidean', 'fro', 1, 2, Infinity\], got 3/);
    assert.throws(() => tf.norm([[1, 2]], 1, [1, 1]), /norm: the two axes of a matrix norm must differ/);
  });

  test("chainable methods", () => {
    const x = tf.constant([[3, 4]]);
    assert.equal(x.norm().item(), 5);
    assert.deepEqual(x.l2Normalize(1).numpy(), [[0.6, 0.8].map(Math.fround)]);
    assert.deepEqual(x.clipByNorm(1).numpy(), [[0.6, 0.8].map(Math.fround)]);
  });
});
