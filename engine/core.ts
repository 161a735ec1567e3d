/**
 * The engine's public API without the training stack (which builds on it): tensors, ops,
 * variables, tapes, forward mode and function transforms — DESIGN.md's contract.
 */
import { installTensorDisplay } from "./display/display";
import { installMethods } from "./ops/methods";
import * as random from "./ops/random";
import { gradCheck } from "./autodiff/gradcheck";
import * as elementwise from "./ops/elementwise";
import * as maths from "./ops/math";
import * as reduce from "./ops/reduce";
import * as shapeOps from "./ops/shape";
import * as nnOps from "./ops/nn";
import { nnConvolution } from "./ops/nn-convolution";
import * as norms from "./ops/norms";
import * as scans from "./ops/scan";
import * as indexing from "./ops/indexing";
import * as structure from "./ops/linalg-structure";
import * as decompositions from "./ops/linalg-decompositions";
import { eigh, eigvalsh } from "./ops/linalg-eigen";
import { einsum, tensordot } from "./ops/einsum";
import { matmul, matrixTranspose } from "./ops/linalg";
import { eye } from "./ops/creation";

installMethods();
installTensorDisplay();

export { Tensor } from "./storage/tensor";
export { Variable, type VariableOptions } from "./autodiff/variable";
export { GradientTape, type GradientOptions, type JacobianOptions, type Source } from "./autodiff/tape";
export { ForwardAccumulator } from "./autodiff/forward";
export type { DType } from "./storage/dtype";
export type { TensorLike } from "./ops/convert";
export type { TensorMethods } from "./ops/methods";

export * from "./ops/creation";
export * from "./ops/elementwise";
export * from "./ops/reduce";
export * from "./ops/shape";
export * from "./ops/nn";
export * from "./ops/conv";
export { maxPool, avgPool } from "./ops/pool";
export * from "./ops/math";
export * from "./ops/norms";
export * from "./ops/scan";
export * from "./ops/indexing";
export * from "./ops/strided";
export * from "./ops/einsum";
export * from "./ops/linalg-structure";
export * from "./ops/linalg-decompositions";
export * from "./ops/linalg-eigen";
export { matmul, matrixTranspose } from "./ops/linalg";
export { InvalidArgumentError, LookupError } from "./ops/errors";
export { setBackend, getBackend } from "./backend";
export {
  reduceSum as sum, reduceMean as mean, reduceMax as max, reduceMin as min, reduceProd as prod,
} from "./ops/reduce";
export { grad, grads, valueAndGrad, valueAndGrads, jacobian, hessian, jvp, vjp, customGradient, cond } from "./autodiff/transforms";
export { tensorBundle, structureBundle, isTensorStructure, tensorData } from "./display/display";
export { MIME, DISPLAY_SYMBOL } from "../display/contract";
export { random };

/** Python's `tf.newaxis` (None): as an entry of `tf.at`, a new axis of length 1. */
export const newaxis = null;

/** tf.UnconnectedGradients, beside the string forms 'none' and 'zero'. */
export const UnconnectedGradients = { NONE: "none", ZERO: "zero" } as const;

/** tf.errors: the error classes TF raises. */
export { errors } from "./ops/errors";

const e = elementwise, m = maths, r = reduce;

/** tf.math, with TF's placement (every op also stays at the top level). */
export const math = {
  abs: e.abs, acos: m.acos, acosh: m.acosh, add: e.add, addN: m.addN, asin: m.asin, asinh: m.asinh, atan: m.atan,
  atan2: m.atan2, atanh: m.atanh, ceil: e.ceil, cos: e.cos, cosh: m.cosh, cumprod: scans.cumprod, cumsum: scans.cumsum,
  divide: e.div, divNoNan: m.divNoNan, equal: e.equal, erf: m.erf, exp: e.exp, expm1: e.expm1, floor: e.floor,
  floorDiv: e.floorDiv, floorMod: e.mod, greater: e.greater, greaterEqual: e.greaterEqual, isFinite: e.isFinite,
  isNaN: e.isNaN, l2Normalize: norms.l2Normalize, less: e.less, lessEqual: e.lessEqual, log: e.log, log1p: e.log1p,
  logSigmoid: nnOps.logSigmoid, logicalAnd: e.logicalAnd, logicalNot: e.logicalNot, logicalOr: e.logicalOr,
  maximum: e.maximum, minimum: e.minimum, multiply: e.mul, negative: e.neg, notEqual: e.notEqual, pow: e.pow,
  reciprocal: e.reciprocal, reduceAll: r.reduceAll, reduceAny: r.reduceAny, reduceEuclideanNorm: norms.euclideanNorm,
  reduceLogSumExp: r.logSumExp, reduceMax: r.reduceMax, reduceMean: r.reduceMean, reduceMin: r.reduceMin,
  reduceProd: r.reduceProd, reduceSum: r.reduceSum, reduceVariance: r.reduceVariance, round: e.round, rsqrt: e.rsqrt,
  sigmoid: e.sigmoid, sign: e.sign, sin: e.sin, sinh: m.sinh, softmax: nnOps.softmax, softplus: e.softplus,
  softsign: nnOps.softsign, sqrt: e.sqrt, square: e.square, squaredDifference: e.squaredDifference, subtract: e.sub,
  tan: e.tan, tanh: e.tanh, topK: indexing.topk, argMax: r.argMax, argMin: r.argMin,
  unsortedSegmentSum: shapeOps.unsortedSegmentSum,
};

/** tf.nn: activations, softmax, moments and normalisation. */
export const nn = {
  relu: e.relu, relu6: nnOps.relu6, elu: e.elu, selu: nnOps.selu, gelu: nnOps.gelu, leakyRelu: nnOps.leakyRelu,
  sigmoid: e.sigmoid, tanh: e.tanh, softplus: e.softplus, softsign: nnOps.softsign, softmax: nnOps.softmax,
  logSoftmax: nnOps.logSoftmax, moments: nnOps.moments, l2Normalize: norms.l2Normalize,
  ...nnConvolution,
};

/** tf.linalg: products, solvers, decompositions and matrix structure. */
export const linalg = {
  matmul, matrixTranspose, einsum, tensordot, eye, norm: norms.norm, globalNorm: norms.globalNorm,
  l2Normalize: norms.l2Normalize, solve: decompositions.solve, inv: decompositions.inv, det: decompositions.det,
  slogdet: decompositions.slogdet, cholesky: decompositions.cholesky, triangularSolve: decompositions.triangularSolve,
  qr: decompositions.qr, eigh, eigvalsh, diag: structure.diag, diagPart: structure.diagPart, trace: structure.trace,
  bandPart: structure.bandPart,
};

/** tf.test: tools for checking derivatives from a notebook. */
export const test = { gradCheck };

/** tf.autodiff, as in TF: ForwardAccumulator lives there too. */
export { ForwardAccumulator as AutodiffForwardAccumulator } from "./autodiff/forward";
