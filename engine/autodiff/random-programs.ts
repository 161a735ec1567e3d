/**
 * Random small programs for the property-based gradient tests: a chain of steps over a value
 * `h`, each an op of the engine (unary, binary with broadcasting, reduction, shape op, matmul,
 * linear algebra) with the same program written for TF.js where it has the op. Each binary step's
 * other operand is a source of its own, so gradients reach broadcast operands too. Domains are
 * kept away from singularities (logs of h² + ½, inverse trigonometry of 0.9·tanh h), and every
 * step's result gets small distinct offsets, so no two elements tie and no plateau value (relu's
 * zeros, an exclusive scan's first element) is exact: programs stay off the points where max,
 * topk or a norm have no derivative.
 */
import type * as TFJS from "@tensorflow/tfjs";
import * as tf from "../core";
import type { Tensor } from "../core";
import { Random } from "../ops/random";

type Ours = typeof tf;
type Theirs = typeof TFJS;
type Their = TFJS.Tensor;

export interface Step { op: string; p: number }
export interface Program { shape: number[]; steps: Step[]; seed: number }

interface StepKind {
  /** False when the step does not apply to a value of this shape (it is then skipped). */
  applies?: (shape: number[], p: number) => boolean;
  /** The shape of the step's own operand, if it takes one. */
  operand?: (shape: number[], p: number) => number[];
  ours: (h: Tensor, y: Tensor | undefined, p: number, t: Ours) => Tensor;
  /** The same step in TF.js; absent where TF.js lacks the op or its gradient. */
  theirs?: (h: Their, y: Their | undefined, p: number, t: Theirs) => Their;
}

const axisOf = (s: number[], p: number) => p % s.length;
const keep = (p: number) => ((p >> 3) & 1) === 1;
const atLeast = (r: number) => (s: number[]) => s.length >= r;
/** A shape that broadcasts against `s`: itself, its last axis, its first axis set to 1, or a scalar. */
const broadcastable = (s: number[], p: number): number[] => {
  const variant = s.length === 0 ? 0 : p % 4;
  return variant === 0 ? s.slice() : variant === 1 ? [s[s.length - 1]] : variant === 2 ? [1, ...s.slice(1)] : [];
};
const same = (s: number[]) => s.slice();
const squareOf = (s: number[]) => [s[s.length - 2], s[s.length - 2]];

function unary(ours: StepKind["ours"], theirs?: StepKind["theirs"]): StepKind {
  return { ours, theirs };
}

/** Steps whose ops TF.js also has, written once for each engine. */
const kinds: Record<string, StepKind> = {
  neg: unary((h, _, __, t) => t.neg(h), (h, _, __, t) => t.neg(h)),
  square: unary((h, _, __, t) => t.square(h), (h, _, __, t) => t.square(h)),
  sin: unary((h, _, __, t) => t.sin(h), (h, _, __, t) => t.sin(h)),
  cos: unary((h, _, __, t) => t.cos(h), (h, _, __, t) => t.cos(h)),
  tanh: unary((h, _, __, t) => t.tanh(h), (h, _, __, t) => t.tanh(h)),
  sigmoid: unary((h, _, __, t) => t.sigmoid(h), (h, _, __, t) => t.sigmoid(h)),
  softplus: unary((h, _, __, t) => t.softplus(h), (h, _, __, t) => t.softplus(h)),
  "exp(tanh)": unary((h, _, __, t) => t.exp(t.tanh(h)), (h, _, __, t) => t.exp(t.tanh(h))),
  "expm1(tanh)": unary((h, _, __, t) => t.expm1(t.tanh(h)), (h, _, __, t) => t.expm1(t.tanh(h))),
  "log(h²+½)": unary((h, _, __, t) => t.log(t.add(t.square(h), 0.5)), (h, _, __, t) => t.log(t.add(t.square(h), 0.5))),
  "log1p(h²)": unary((h, _, __, t) => t.log1p(t.square(h)), (h, _, __, t) => t.log1p(t.square(h))),
  "sqrt(h²+½)": unary((h, _, __, t) => t.sqrt(t.add(t.square(h), 0.5)), (h, _, __, t) => t.sqrt(t.add(t.square(h), 0.5))),
  "rsqrt(h²+½)": unary((h, _, __, t) => t.rsqrt(t.add(t.square(h), 0.5)), (h, _, __, t) => t.rsqrt(t.add(t.square(h), 0.5))),
  abs: unary((h, _, __, t) => t.abs(h), (h, _, __, t) => t.abs(h)),
  relu: unary((h, _, __, t) => t.relu(h), (h, _, __, t) => t.relu(h)),
  relu6: unary((h, _, __, t) => t.relu6(t.mul(h, 4)), (h, _, __, t) => t.relu6(t.mul(h, 4))),
  elu: unary((h, _, __, t) => t.elu(h), (h, _, __, t) => t.elu(h)),
  selu: unary((h, _, __, t) => t.selu(h), (h, _, __, t) => t.selu(h)),
  leakyRelu: unary((h, _, __, t) => t.leakyRelu(h, 0.2), (h, _, __, t) => t.leakyRelu(h, 0.2)),
  // TF.js 4.22's logSigmoid gradient throws inside its custom gradient, so it is compared with differences only.
  logSigmoid: unary((h, _, __, t) => t.logSigmoid(h)),
  erf: unary((h, _, __, t) => t.erf(h), (h, _, __, t) => t.erf(h)),
  atan: unary((h, _, __, t) => t.atan(h), (h, _, __, t) => t.atan(h)),
  asinh: unary((h, _, __, t) => t.asinh(h), (h, _, __, t) => t.asinh(h)),
  "sinh(tanh)": unary((h, _, __, t) => t.sinh(t.tanh(h)), (h, _, __, t) => t.sinh(t.tanh(h))),
  "cosh(tanh)": unary((h, _, __, t) => t.cosh(t.tanh(h)), (h, _, __, t) => t.cosh(t.tanh(h))),
  "asin(0.9·tanh)": unary((h, _, __, t) => t.asin(t.mul(t.tanh(h), 0.9)), (h, _, __, t) => t.asin(t.mul(t.tanh(h), 0.9))),
  "acos(0.9·tanh)": unary((h, _, __, t) => t.acos(t.mul(t.tanh(h), 0.9)), (h, _, __, t) => t.acos(t.mul(t.tanh(h), 0.9))),
  "atanh(0.9·tanh)": unary((h, _, __, t) => t.atanh(t.mul(t.tanh(h), 0.9)), (h, _, __, t) => t.atanh(t.mul(t.tanh(h), 0.9))),
  "acosh(h²+1.5)": unary((h, _, __, t) => t.acosh(t.add(t.square(h), 1.5)), (h, _, __, t) => t.acosh(t.add(t.square(h), 1.5))),
  "mod 0.7": unary((h, _, __, t) => t.mod(h, 0.7), (h, _, __, t) => t.mod(h, 0.7)),
  gelu: unary((h, _, p, t) => t.gelu(h, p % 2 === 1)),
  softsign: unary((h, _, __, t) => t.softsign(h)),

  add: { operand: broadcastable, ours: (h, y, _, t) => t.add(h, y!), theirs: (h, y, _, t) => t.add(h, y!) },
  sub: { operand: broadcastable, ours: (h, y, _, t) => t.sub(h, y!), theirs: (h, y, _, t) => t.sub(h, y!) },
  mul: { operand: broadcastable, ours: (h, y, _, t) => t.mul(h, y!), theirs: (h, y, _, t) => t.mul(h, y!) },
  "div(y²+½)": { operand: broadcastable, ours: (h, y, _, t) => t.div(h, t.add(t.square(y!), 0.5)), theirs: (h, y, _, t) => t.div(h, t.add(t.square(y!), 0.5)) },
  // TF.js 4.22 cannot differentiate divNoNan (no gradient for the Equal inside it).
  "divNoNan(y²+½)": { operand: broadcastable, ours: (h, y, _, t) => t.divNoNan(h, t.add(t.square(y!), 0.5)) },
  maximum: { operand: same, ours: (h, y, _, t) => t.maximum(h, y!), theirs: (h, y, _, t) => t.maximum(h, y!) },
  "maximum (broadcast)": { operand: broadcastable, ours: (h, y, _, t) => t.maximum(h, y!) },
  minimum: { operand: same, ours: (h, y, _, t) => t.minimum(h, y!), theirs: (h, y, _, t) => t.minimum(h, y!) },
  "minimum (broadcast)": { operand: broadcastable, ours: (h, y, _, t) => t.minimum(h, y!) },
  "pow(h²+½, y)": { operand: broadcastable, ours: (h, y, _, t) => t.pow(t.add(t.square(h), 0.5), y!), theirs: (h, y, _, t) => t.pow(t.add(t.square(h), 0.5), y!) },
  "atan2(h, y²+½)": { operand: broadcastable, ours: (h, y, _, t) => t.atan2(h, t.add(t.square(y!), 0.5)), theirs: (h, y, _, t) => t.atan2(h, t.add(t.square(y!), 0.5)) },
  // TF.js 4.22's Maximum, Minimum and SquaredDifference gradients do not undo broadcasting (a shape
  // error), so they are compared with TF.js on equal shapes and with differences when broadcast.
  squaredDifference: { operand: same, ours: (h, y, _, t) => t.squaredDifference(h, y!), theirs: (h, y, _, t) => t.squaredDifference(h, y!) },
  "squaredDifference (broadcast)": { operand: broadcastable, ours: (h, y, _, t) => t.squaredDifference(h, y!) },
  "addN(h, y, h)": { operand: same, ours: (h, y, _, t) => t.addN([h, y!, h]), theirs: (h, y, _, t) => t.addN([h, y!, h]) },

  reduceSum: { applies: atLeast(1), ours: (h, _, p, t) => t.reduceSum(h, axisOf(h.shape, p), keep(p)), theirs: (h, _, p, t) => t.sum(h, axisOf(h.shape, p), keep(p)) },
  reduceMean: { applies: atLeast(1), ours: (h, _, p, t) => t.reduceMean(h, axisOf(h.shape, p), keep(p)), theirs: (h, _, p, t) => t.mean(h, axisOf(h.shape, p), keep(p)) },
  reduceMax: { applies: atLeast(1), ours: (h, _, p, t) => t.reduceMax(h, axisOf(h.shape, p), keep(p)), theirs: (h, _, p, t) => t.max(h, axisOf(h.shape, p), keep(p)) },
  reduceMin: { applies: atLeast(1), ours: (h, _, p, t) => t.reduceMin(h, axisOf(h.shape, p), keep(p)), theirs: (h, _, p, t) => t.min(h, axisOf(h.shape, p), keep(p)) },
  reduceProd: { applies: atLeast(1), ours: (h, _, p, t) => t.reduceProd(h, axisOf(h.shape, p), keep(p)), theirs: (h, _, p, t) => t.prod(h, axisOf(h.shape, p), keep(p)) },
  "reduceSum (all)": { ours: (h, _, __, t) => t.reduceSum(h), theirs: (h, _, __, t) => t.sum(h) },
  logSumExp: { applies: atLeast(1), ours: (h, _, p, t) => t.logSumExp(h, axisOf(h.shape, p), keep(p)), theirs: (h, _, p, t) => t.logSumExp(h, axisOf(h.shape, p), keep(p)) },
  softmax: { applies: atLeast(1), ours: (h, _, __, t) => t.softmax(h), theirs: (h, _, __, t) => t.softmax(h) },
  logSoftmax: { applies: atLeast(1), ours: (h, _, __, t) => t.logSoftmax(h), theirs: (h, _, __, t) => t.logSoftmax(h) },
  euclideanNorm: { applies: atLeast(1), ours: (h, _, p, t) => t.euclideanNorm(h, axisOf(h.shape, p), keep(p)), theirs: (h, _, p, t) => t.euclideanNorm(h, axisOf(h.shape, p), keep(p)) },
  "norm (ord 1)": { applies: atLeast(1), ours: (h, _, p, t) => t.norm(h, 1, axisOf(h.shape, p)), theirs: (h, _, p, t) => t.norm(h, 1, axisOf(h.shape, p)) },
  "moments (variance)": { applies: atLeast(1), ours: (h, _, p, t) => t.moments(h, axisOf(h.shape, p))[1], theirs: (h, _, p, t) => t.moments(h, axisOf(h.shape, p)).variance },

  transpose: { ours: (h, _, __, t) => t.transpose(h), theirs: (h, _, __, t) => t.transpose(h) },
  "reshape [-1]": { ours: (h, _, __, t) => t.reshape(h, [-1]), theirs: (h, _, __, t) => t.reshape(h, [-1]) },
  expandDims: { ours: (h, _, __, t) => t.expandDims(h, 0), theirs: (h, _, __, t) => t.expandDims(h, 0) },
  "slice (first row on)": { applies: atLeast(1), ours: (h, _, __, t) => t.slice(h, 0, Math.ceil(h.shape[0] / 2)), theirs: (h, _, __, t) => t.slice(h, 0, Math.ceil(h.shape[0] / 2)) },
  concat: { applies: atLeast(1), operand: same, ours: (h, y, p, t) => t.concat([h, y!], axisOf(h.shape, p)), theirs: (h, y, p, t) => t.concat([h, y!], axisOf(h.shape, p)) },
  reverse: { applies: atLeast(1), ours: (h, _, p, t) => t.reverse(h, axisOf(h.shape, p)), theirs: (h, _, p, t) => t.reverse(h, axisOf(h.shape, p)) },
  // TF.js 4.22's Cumsum gradient has the wrong shape except along the last axis.
  "cumsum (last axis)": { applies: atLeast(1), ours: (h, _, p, t) => t.cumsum(h, -1, (p & 8) > 0, (p & 16) > 0), theirs: (h, _, p, t) => t.cumsum(h, h.rank - 1, (p & 8) > 0, (p & 16) > 0) },
  cumsum: { applies: atLeast(1), ours: (h, _, p, t) => t.cumsum(h, axisOf(h.shape, p), (p & 8) > 0, (p & 16) > 0) },
  cumprod: { applies: atLeast(1), ours: (h, _, p, t) => t.cumprod(h, axisOf(h.shape, p), (p & 8) > 0, (p & 16) > 0) },
  // TF.js 4.22 has no StridedSlice gradient.
  "at ::-1 / 1: / ::2": { applies: (s, p) => s.length >= 1 && (p % 3 !== 1 || s[0] >= 2), ours: (h, _, p, t) => t.at(h, ["::-1", "1:", "::2"][p % 3]) },
  "gather [last, 0]": { applies: atLeast(1), ours: (h, _, __, t) => t.gather(h, t.constant([h.shape[0] - 1, 0], [2], "int32")), theirs: (h, _, __, t) => t.gather(h, t.tensor1d([h.shape[0] - 1, 0], "int32")) },
  "topk values": { applies: atLeast(1), ours: (h, _, __, t) => t.topk(h, 1).values },

  matmul: {
    applies: (s) => s.length === 1 || s.length === 2,
    operand: (s) => [s[s.length - 1], 2],
    ours: (h, y, _, t) => t.matmul(h.rank === 1 ? t.reshape(h, [1, -1]) : h, y!),
    theirs: (h, y, _, t) => t.matMul(h.rank === 1 ? t.reshape(h, [1, -1]) : h, y!),
  },
  // TF.js 4.22's batched matmul gradient does not undo the broadcast of a matrix operand.
  "matmul (batch × matrix)": { applies: atLeast(3), operand: (s) => [s[s.length - 1], 2], ours: (h, y, _, t) => t.matmul(h, y!) },
  "einsum ...ij,kj->...ik": { applies: atLeast(2), operand: (s) => [2, s[s.length - 1]], ours: (h, y, _, t) => t.einsum("...ij,kj->...ik", h, y!) },
  "solve(y + 3I, h)": { applies: atLeast(2), operand: squareOf, ours: (h, y, _, t) => t.linalg.solve(t.add(y!, t.cast(t.eye(y!.shape[0]), h.dtype).mul(3)), h) },
  "inv(y + 3I)·h": { applies: atLeast(2), operand: squareOf, ours: (h, y, _, t) => t.matmul(t.linalg.inv(t.add(y!, t.cast(t.eye(y!.shape[0]), h.dtype).mul(3))), h) },
  "det(y + 3I)·h": { operand: () => [2, 2], ours: (h, y, _, t) => t.mul(t.linalg.det(t.add(y!, t.cast(t.eye(2), h.dtype).mul(3))), h) },
  "cholesky(y yᵀ + I)·h": {
    applies: atLeast(2), operand: squareOf,
    ours: (h, y, _, t) => t.matmul(t.linalg.cholesky(t.add(t.matmul(y!, y!, false, true), t.cast(t.eye(y!.shape[0]), h.dtype))), h),
  },
  "qr(h + 2I)·R": {
    applies: (s) => s.length === 2 && s[0] >= s[1],
    ours: (h, _, __, t) => t.linalg.qr(t.add(h, t.cast(t.eye(h.shape[0], h.shape[1]), h.dtype).mul(2)))[1],
  },
  "triangularSolve(y + 3I, h)": { applies: atLeast(2), operand: squareOf, ours: (h, y, p, t) => t.linalg.triangularSolve(t.add(y!, t.cast(t.eye(y!.shape[0]), h.dtype).mul(3)), h, p % 2 === 0, (p & 2) > 0) },
  "gatherND [[last], [0]]": { applies: atLeast(1), ours: (h, _, __, t) => t.gatherND(h, t.constant([[h.shape[0] - 1], [0]], [2, 1], "int32")) },
  "tensorScatterUpdate row 0 ← y": {
    applies: atLeast(1), operand: (s) => [1, ...s.slice(1)],
    ours: (h, y, _, t) => t.tensorScatterUpdate(h, t.constant([[0]], [1, 1], "int32"), y!),
  },
  "scatterND into [n + 1, ...]": { applies: atLeast(1), ours: (h, _, __, t) => t.scatterND(t.reshape(t.range(h.shape[0], 0, -1), [-1, 1]), h, [h.shape[0] + 1, ...h.shape.slice(1)]) },
  "diagPart": { applies: atLeast(2), ours: (h, _, __, t) => t.linalg.diagPart(h) },
  "diag": { applies: atLeast(1), ours: (h, _, __, t) => t.linalg.diag(h) },
  "trace": { applies: atLeast(2), ours: (h, _, __, t) => t.linalg.trace(h) },
  "bandPart (1, 0)": { applies: (s) => s.length >= 2 && s[s.length - 2] >= 1, ours: (h, _, __, t) => t.linalg.bandPart(h, 1, 0) },
  outerProduct: { operand: () => [2], ours: (h, y, _, t) => t.outerProduct(h, y!) },
  "tensordot (1 axis)": { applies: atLeast(1), operand: (s) => [s[s.length - 1], 2], ours: (h, y, _, t) => t.tensordot(h, y!, 1) },
  "slogdet(y + 3I)·h": { operand: () => [3, 3], ours: (h, y, _, t) => t.mul(t.linalg.slogdet(t.add(y!, t.cast(t.eye(3), h.dtype).mul(3)))[1], h) },
  "norm (2, matrix)": { applies: atLeast(2), ours: (h, _, p, t) => t.norm(h, 2, [-2, -1], keep(p)) },
  "eigvalsh(y yᵀ + I)·h": { operand: () => [3, 3], ours: (h, y, p, t) => t.mul(t.at(t.linalg.eigvalsh(t.add(t.matmul(y!, y!, false, true), t.cast(t.eye(3), h.dtype))), p % 3), h) },
  "norm (Infinity, matrix)": { applies: atLeast(2), ours: (h, _, p, t) => t.norm(h, Infinity, [-2, -1], keep(p)) },
  "clipByGlobalNorm([h, y], 1)": { operand: broadcastable, ours: (h, y, p, t) => t.clipByGlobalNorm([h, y!], 1)[0][p % 2]! },
  "stridedSlice (shrink first, reverse rest)": {
    applies: atLeast(2),
    ours: (h, _, __, t) => t.stridedSlice(h, [0, -1], [1, 0], [1, -1], { endMask: 2, shrinkAxisMask: 1 }),
  },
  "clipByNorm 1": { ours: (h, _, __, t) => t.clipByNorm(h, 1) },
  "l2Normalize": { applies: atLeast(1), ours: (h, _, p, t) => t.l2Normalize(h, axisOf(h.shape, p)) },
};

export const stepNames = Object.keys(kinds);

export interface Built {
  /** x and then each step's operand, as float64 tensors. */
  leaves: Tensor[];
  ours: (...leaves: Tensor[]) => Tensor;
  /** The program in TF.js, or undefined when a step has no TF.js counterpart. */
  theirs?: (t: Theirs, ...leaves: Their[]) => Their;
  /** The steps that applied, for the description. */
  applied: { step: Step; operand?: number[] }[];
}

/** Offsets in [1e-4, 1.1e-3], different for every element. */
function offsets(shape: number[]): Float64Array {
  const n = shape.reduce((a, b) => a * b, 1);
  return Float64Array.from({ length: n }, (_, i) => 1e-3 * (((i + 1) * 0.7548776662466927) % 1 + 0.1));
}
const offsetOurs = (v: Tensor): Tensor => tf.add(v, tf.constant(offsets(v.shape), v.shape, "float64"));
const offsetTheirs = (t: Theirs, v: Their): Their => t.add(v, t.tensor(Float32Array.from(offsets(v.shape)), v.shape));

function values(rng: Random, shape: number[], low: number, high: number): Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  return tf.constant(Float64Array.from({ length: n }, () => low + (high - low) * rng.next()), shape, "float64");
}

/** Runs the program once to learn its operands' shapes, then returns it as functions of its leaves. */
export function build(program: Program): Built {
  const rng = new Random(program.seed);
  const x = values(rng, program.shape, -1.5, 1.5);
  const leaves = [x];
  const applied: Built["applied"] = [];
  let h = x;
  for (const step of program.steps) {
    const kind = kinds[step.op];
    if (kind.applies && !kind.applies(h.shape, step.p)) continue;
    const operandShape = kind.operand?.(h.shape, step.p);
    const y = operandShape && values(rng, operandShape, -1, 1);
    if (y) leaves.push(y);
    h = offsetOurs(kind.ours(h, y, step.p, tf));
    applied.push({ step, operand: operandShape });
  }
  const ours = (...ls: Tensor[]): Tensor => {
    let v = ls[0], k = 1;
    for (const { step, operand } of applied) v = offsetOurs(kinds[step.op].ours(v, operand ? ls[k++] : undefined, step.p, tf));
    return v;
  };
  const portable = applied.every(({ step }) => kinds[step.op].theirs);
  const theirs = portable ? (t: Theirs, ...ls: Their[]): Their => {
    let v = ls[0], k = 1;
    for (const { step, operand } of applied) v = offsetTheirs(t, kinds[step.op].theirs!(v, operand ? ls[k++] : undefined, step.p, t));
    return v;
  } : undefined;
  return { leaves, ours, theirs, applied };
}

/** The program as a reader would write it: `x [2,3] → tanh → add(y1 [3]) → reduceSum(p=9)`. */
export function describeProgram(program: Program): string {
  let built: Built | undefined;
  try { built = build(program); } catch { /* described from the raw steps below */ }
  const steps = built ? built.applied : program.steps.map((step) => ({ step, operand: undefined }));
  let k = 0;
  const parts = steps.map(({ step, operand }) => `${step.op}(${operand ? `y${++k} [${operand}], ` : ""}p=${step.p})`);
  return [`x [${program.shape}]`, ...parts].join(" → ") + ` (seed ${program.seed})`;
}
