/** einsum and tf.linalg: values against float64 references written here, derivatives through the shared check. */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import * as tf from "../core";
import { Tensor } from "../core";
import { checkOps, close, type Case } from "./op-check";

type M = number[][];
const A: M = [[2, -0.5, 0.3], [0.4, 1.5, -0.2], [0.1, 0.6, 1.8]];
const A2: M = [[-1.1, 0.2, 0.5], [0.3, 0.9, 0.1], [-0.4, 0.2, 1.3]];
const B: M = [[0.3, -1.2], [0.8, 1.5], [0.4, -0.6]];
const x23: M = [[0.3, -1.2, 0.8], [1.5, 0.4, -0.6]];
const v3 = [0.5, -0.25, 1.5];

const mm = (a: M, b: M): M => a.map((r) => b[0].map((_, j) => r.reduce((s, v, k) => s + v * b[k][j], 0)));
const tr = (a: M): M => a[0].map((_, j) => a.map((r) => r[j]));
const minor = (a: M, i: number, j: number): M => a.filter((_, r) => r !== i).map((r) => r.filter((_, c) => c !== j));
/** Laplace expansion: independent of the LU factorisation the engine uses. */
const detRef = (a: M): number => (a.length === 1 ? a[0][0] : a[0].reduce((s, v, j) => s + (j % 2 ? -1 : 1) * v * detRef(minor(a, 0, j)), 0));
const invRef = (a: M): M => a.map((_, i) => a.map((__, j) => ((i + j) % 2 ? -1 : 1) * detRef(minor(a, j, i)) / detRef(a)));
const lower = (a: M): M => a.map((r, i) => r.map((v, j) => (j <= i ? v : 0)));
const upper = (a: M): M => a.map((r, i) => r.map((v, j) => (j >= i ? v : 0)));
/** Forward and back substitution by the definition. */
const lowerSolveRef = (l: M, b: M): M => {
  const x: M = b.map((r) => r.map(() => 0));
  for (let i = 0; i < l.length; i++) for (let j = 0; j < b[0].length; j++) {
    x[i][j] = (b[i][j] - l[i].slice(0, i).reduce((s, v, p) => s + v * x[p][j], 0)) / l[i][i];
  }
  return x;
};

const sym = (a: Tensor): Tensor => tf.add(tf.matmul(a, a, false, true), tf.cast(tf.eye(a.shape[0]), a.dtype));
const sum = (v: number[]) => v.reduce((s, x) => s + x, 0);

const cases: Case[] = [
  { name: "einsum ij,jk->ik", f: (a, b) => tf.einsum("ij,jk->ik", a, b), inputs: [A, B], expected: mm(A, B) },
  { name: "einsum implicit ij,jk (= ik)", f: (a, b) => tf.einsum("ij,jk", a, b), inputs: [A, B], expected: mm(A, B) },
  { name: "einsum ij->ji", f: (a) => tf.einsum("ij->ji", a), inputs: [x23], expected: tr(x23) },
  { name: "einsum ii-> (trace)", f: (a) => tf.einsum("ii->", a), inputs: [A], expected: 2 + 1.5 + 1.8 },
  { name: "einsum ii->i (diagonal)", f: (a) => tf.einsum("ii->i", a), inputs: [A], expected: [2, 1.5, 1.8] },
  { name: "einsum bij,bjk->bik", f: (a, b) => tf.einsum("bij,bjk->bik", a, b), inputs: [[A, A2], [B, tr(x23)]], expected: [mm(A, B), mm(A2, tr(x23))] },
  { name: "einsum ...ij,jk->...ik (broadcast batch)", f: (a, b) => tf.einsum("...ij,jk->...ik", a, b), inputs: [[A, A2], B], expected: [mm(A, B), mm(A2, B)] },
  { name: "einsum ...i,...i->... (size-1 broadcast)", f: (a, b) => tf.einsum("...i,...i->...", a, b), inputs: [x23, [v3]],
    expected: x23.map((r) => sum(r.map((v, j) => v * v3[j]))) },
  { name: "einsum i,j,ij-> (three operands)", f: (a, b, c) => tf.einsum("i,j,ij->", a, b, c), inputs: [[0.3, -0.7], v3, x23],
    expected: sum(x23.flatMap((r, i) => r.map((v, j) => [0.3, -0.7][i] * v3[j] * v))) },
  { name: "tensordot (axes 1)", f: (a, b) => tf.tensordot(a, b, 1), inputs: [x23, B], expected: mm(x23, B) },
  { name: "tensordot (axes [[0], [1]])", f: (a, b) => tf.tensordot(a, b, [[0], [1]]), inputs: [B, x23], expected: mm(tr(B), tr(x23)) },
  { name: "outerProduct", f: (a, b) => tf.outerProduct(a, b), inputs: [[0.3, -0.7], v3], expected: [0.3, -0.7].map((u) => v3.map((v) => u * v)) },
  { name: "diag", f: (a) => tf.linalg.diag(a), inputs: [v3], expected: v3.map((v, i) => v3.map((_, j) => (i === j ? v : 0))) },
  { name: "diagPart (non-square)", f: (a) => tf.linalg.diagPart(a), inputs: [x23], expected: [0.3, 0.4] },
  { name: "trace (batched)", f: (a) => tf.linalg.trace(a), inputs: [[A, A2]], expected: [2 + 1.5 + 1.8, -1.1 + 0.9 + 1.3] },
  { name: "bandPart (1 lower, 0 upper)", f: (a) => tf.linalg.bandPart(a, 1, 0), inputs: [A], expected: [[2, 0, 0], [0.4, 1.5, 0], [0, 0.6, 1.8]] },
  { name: "solve", f: (a, b) => tf.linalg.solve(a, b), inputs: [A, B], expected: mm(invRef(A), B) },
  { name: "solve (batched matrix, broadcast rhs)", f: (a, b) => tf.linalg.solve(a, b), inputs: [[A, A2], B], expected: [mm(invRef(A), B), mm(invRef(A2), B)] },
  { name: "solve (adjoint)", f: (a, b) => tf.linalg.solve(a, b, true), inputs: [A, B], expected: mm(invRef(tr(A)), B) },
  { name: "inv", f: (a) => tf.linalg.inv(a), inputs: [A], expected: invRef(A) },
  { name: "inv (batched)", f: (a) => tf.linalg.inv(a), inputs: [[A, A2]], expected: [invRef(A), invRef(A2)] },
  { name: "det (batched)", f: (a) => tf.linalg.det(a), inputs: [[A, A2]], expected: [detRef(A), detRef(A2)] },
  { name: "slogdet (log|det|, negative det)", f: (a) => tf.linalg.slogdet(a)[1], inputs: [[A, A2]], expected: [Math.log(detRef(A)), Math.log(-detRef(A2))] },
  { name: "cholesky (of X Xᵀ + I)", f: (a) => tf.linalg.cholesky(sym(a)), inputs: [A] },
  { name: "triangularSolve (lower)", f: (a, b) => tf.linalg.triangularSolve(a, b), inputs: [A, B], expected: lowerSolveRef(lower(A), B) },
  { name: "triangularSolve (upper, adjoint)", f: (a, b) => tf.linalg.triangularSolve(a, b, false, true), inputs: [A, B], expected: lowerSolveRef(tr(upper(A)), B) },
  { name: "qr: Q (3×2)", f: (a) => tf.linalg.qr(a)[0], inputs: [B] },
  { name: "qr: R (batched 3×3)", f: (a) => tf.linalg.qr(a)[1], inputs: [[A, A2]] },
  { name: "eigvalsh (of X Xᵀ + I, batched)", f: (a) => tf.linalg.eigvalsh(tf.stack([sym(a), sym(tf.transpose(a))])), inputs: [A] },
  { name: "eigh: eigenvectors (of X Xᵀ + I)", f: (a) => tf.linalg.eigh(sym(a))[1], inputs: [A] },
  // The lower triangle of [[2, ·], [1 + t, 2]] is read: eigenvalues 2 ∓ (1 + t).
  { name: "eigh: eigenvalues of [[2, ·], [1 + t, 2]]", f: (t) => tf.linalg.eigh(tf.add([[2, 1], [1, 2]], tf.mul(t, [[0, 0], [1, 0]])))[0], inputs: [0.5], expected: [0.5, 3.5] },
  { name: "qr: Q of a wide 2×3 matrix", f: (a) => tf.linalg.qr(a)[0], inputs: [x23] },
  { name: "qr: R of a wide 2×3 matrix", f: (a) => tf.linalg.qr(a, true)[1], inputs: [x23] },
];

checkOps("einsum and linear algebra", cases);

describe("linear algebra: properties and TF's errors", () => {
  const f64 = (v: unknown) => tf.constant(v as number[], undefined, "float64");

  test("cholesky gives the lower-triangular L with L Lᵀ = A and a positive diagonal", () => {
    const a = sym(f64(A));
    const l = tf.linalg.cholesky(a);
    close(tf.matmul(l, l, false, true).numpy(), a.numpy(), 1e-12);
    close(l.numpy(), lower(l.numpy() as M), 0);
    assert.ok((tf.linalg.diagPart(l).numpy() as number[]).every((d) => d > 0));
  });

  test("qr: Q has orthonormal columns, R is upper triangular, Q R = A", () => {
    for (const a of [B, A, x23]) {
      const [q, r] = tf.linalg.qr(f64(a));
      close(tf.matmul(q, r).numpy(), a, 1e-12);
      close(tf.matmul(q, q, true).numpy(), tf.eye(Math.min(a.length, a[0].length)).numpy(), 1e-12);
      close(r.numpy(), upper(r.numpy() as M), 0);
    }
  });

  test("eigh: A V = V diag(λ), V orthogonal, λ ascending; only the lower triangle is read", () => {
    const a = sym(f64(A));
    const [values, vectors] = tf.linalg.eigh(a);
    close(tf.matmul(a, vectors).numpy(), tf.mul(vectors, tf.expandDims(values, 0)).numpy(), 1e-12);
    close(tf.matmul(vectors, vectors, true).numpy(), tf.eye(3).numpy(), 1e-12);
    const l = values.numpy() as number[];
    assert.ok(l[0] <= l[1] && l[1] <= l[2]);
    close(tf.linalg.eigvalsh(tf.linalg.bandPart(a, -1, 0)).numpy(), l, 1e-12);
  });

  test("slogdet's sign and det agree; det of a singular matrix is 0", () => {
    const [sign, logAbs] = tf.linalg.slogdet(f64([A, A2]));
    close(tf.mul(sign, tf.exp(logAbs)).numpy(), [detRef(A), detRef(A2)], 1e-12);
    assert.equal(tf.linalg.det([[1, 2], [2, 4]]).item(), 0);
  });

  test("a singular matrix in solve or inv raises TF's InvalidArgumentError, naming the op", () => {
    const singular = [[1, 2], [2, 4]];
    assert.throws(() => tf.linalg.inv(singular), (e: Error) => e instanceof tf.errors.InvalidArgumentError && e.message === "inv: Input matrix is not invertible.");
    assert.throws(() => tf.linalg.solve(singular, [[1], [2]]), /^InvalidArgumentError: solve: Input matrix is not invertible\.$/);
    assert.throws(() => tf.linalg.triangularSolve([[0, 0], [1, 1]], [[1], [1]]), /triangularSolve: Input matrix is not invertible/);
    assert.throws(() => tf.linalg.cholesky([[1, 2], [2, 1]]), /InvalidArgumentError: cholesky: Cholesky decomposition was not successful/);
  });

  test("shape errors name the op and the shapes", () => {
    assert.throws(() => tf.linalg.inv([[1, 2, 3]]), /inv: expected a square matrix or a batch of them \(\[\.\.\., n, n\]\), got shape \[1,3\]/);
    assert.throws(() => tf.linalg.solve(A, [[1, 2]]), /solve: rhs must have shape \[\.\.\., 3, k\] to match matrix \[3,3\], got \[1,2\]/);
    assert.throws(() => tf.einsum("ij,jk->ik", A, x23), /einsum: label 'j' has size 3 in one input but 2 in input 1 \(shape \[2,3\]\)/);
    assert.throws(() => tf.einsum("ij->k", A), /einsum: output label 'k' in 'ij->k' appears in no input/);
    assert.throws(() => tf.einsum("ij", [1, 2]), /einsum: subscripts 'ij' name 2 axes but input 0 has shape \[2\]/);
    assert.throws(() => tf.linalg.qr(B, true), /qr: fullMatrices = true is supported only for matrices with no more rows than columns, got shape \[3,2\]/);
  });

  test("a Newton step with solve, and the Hessian of log det (−A⁻ᵀ ⊗ A⁻¹ pattern) through second order", () => {
    const a = f64(A);
    const g = tf.grad((m: Tensor) => tf.linalg.slogdet(m)[1])(a) as Tensor;
    close(g.numpy(), tr(invRef(A)), 1e-12);
    const h = tf.hessian((m: Tensor) => tf.linalg.slogdet(tf.reshape(m, [3, 3]))[1])(tf.reshape(a, [9])) as Tensor;
    const inv = invRef(A);
    // ∂²log|det A| / ∂A_ij ∂A_kl = −(A⁻¹)_jk (A⁻¹)_li
    const expected = [0, 1, 2].flatMap((i) => [0, 1, 2].map((j) => [0, 1, 2].flatMap((k) => [0, 1, 2].map((l) => -inv[j][k] * inv[l][i]))));
    close(h.numpy(), expected, 1e-10);
  });

  test("chainable methods", () => {
    const a = tf.constant(A);
    close(a.inv().matmul(a).numpy(), tf.eye(3).numpy(), 1e-6);
    close(a.det().item(), detRef(A), 1e-6);
    close(a.einsum("ij,jk->ik", B).numpy(), mm(A, B), 1e-6);
    close(a.trace().item(), 5.3, 1e-6);
  });
});
