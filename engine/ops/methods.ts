/**
 * Chainable methods: `W.mul(x)` ≡ `tf.mul(W, x)`, on tensors and variables alike. One table
 * defines them; the types below derive from it.
 */
import * as elementwise from "./elementwise";
import * as reduce from "./reduce";
import * as shapeOps from "./shape";
import * as nn from "./nn";
import { biasAdd, conv1d, conv2d, conv2dTranspose, depthwiseConv2d } from "./conv";
import { avgPool, maxPool } from "./pool";
import { matmul, matrixTranspose } from "./linalg";
import * as maths from "./math";
import * as norms from "./norms";
import * as scans from "./scan";
import * as indexing from "./indexing";
import * as strided from "./strided";
import * as structure from "./linalg-structure";
import * as decompositions from "./linalg-decompositions";
import { einsum, outerProduct, tensordot } from "./einsum";
import { eigh, eigvalsh } from "./linalg-eigen";
import type { TensorLike } from "./convert";
import { Tensor } from "../storage/tensor";
import { Variable } from "../autodiff/variable";

const e = elementwise, r = reduce, s = shapeOps;

const methods = {
  add: e.add, sub: e.sub, mul: e.mul, div: e.div, pow: e.pow, neg: e.neg, square: e.square, sqrt: e.sqrt,
  rsqrt: e.rsqrt, reciprocal: e.reciprocal, exp: e.exp, expm1: e.expm1, log: e.log, log1p: e.log1p, abs: e.abs, sign: e.sign,
  sin: e.sin, cos: e.cos, tan: e.tan, tanh: e.tanh, sigmoid: e.sigmoid, relu: e.relu, elu: e.elu, softplus: e.softplus,
  maximum: e.maximum, minimum: e.minimum, greater: e.greater, greaterEqual: e.greaterEqual, less: e.less,
  lessEqual: e.lessEqual, equal: e.equal, notEqual: e.notEqual, logicalAnd: e.logicalAnd, logicalOr: e.logicalOr,
  logicalNot: e.logicalNot, floor: e.floor, ceil: e.ceil, round: e.round, mod: e.mod, floorDiv: e.floorDiv,
  squaredDifference: e.squaredDifference, isNaN: e.isNaN, isFinite: e.isFinite,
  cast: e.cast, clipByValue: e.clipByValue, identity: e.identity, stopGradient: e.stopGradient,
  matmul,
  transpose: s.transpose, reshape: s.reshape, expandDims: s.expandDims, squeeze: s.squeeze, slice: s.slice,
  gather: s.gather, broadcastTo: s.broadcastTo, tile: s.tile, pad: s.pad, unstack: s.unstack, split: s.split,
  concat: (x: TensorLike, others: TensorLike | TensorLike[], axis = 0): Tensor => s.concat([x, ...(Array.isArray(others) ? others : [others])], axis),
  reduceSum: r.reduceSum, reduceMean: r.reduceMean, reduceMax: r.reduceMax, reduceMin: r.reduceMin, reduceProd: r.reduceProd,
  reduceVariance: r.reduceVariance, reduceAny: r.reduceAny, reduceAll: r.reduceAll,
  sum: r.reduceSum, mean: r.reduceMean, max: r.reduceMax, min: r.reduceMin, prod: r.reduceProd,
  argMax: r.argMax, argMin: r.argMin, logSumExp: r.logSumExp,
  softmax: nn.softmax, logSoftmax: nn.logSoftmax,
  biasAdd, conv1d, conv2d, conv2dTranspose, depthwiseConv2d, maxPool, avgPool,
  erf: maths.erf, asin: maths.asin, acos: maths.acos, atan: maths.atan, atan2: maths.atan2, sinh: maths.sinh, cosh: maths.cosh,
  asinh: maths.asinh, acosh: maths.acosh, atanh: maths.atanh, divNoNan: maths.divNoNan,
  addN: (x: TensorLike, others: TensorLike[]): Tensor => maths.addN([x, ...others]),
  leakyRelu: nn.leakyRelu, relu6: nn.relu6, selu: nn.selu, gelu: nn.gelu, logSigmoid: nn.logSigmoid, softsign: nn.softsign,
  moments: nn.moments,
  norm: norms.norm, euclideanNorm: norms.euclideanNorm, clipByNorm: norms.clipByNorm, l2Normalize: norms.l2Normalize,
  cumsum: scans.cumsum, cumprod: scans.cumprod, reverse: scans.reverse,
  stridedSlice: strided.stridedSlice, at: strided.at, gatherND: indexing.gatherND, topk: indexing.topk,
  tensorScatterUpdate: indexing.tensorScatterUpdate,
  einsum: (x: TensorLike, equation: string, ...others: TensorLike[]): Tensor => einsum(equation, x, ...others),
  tensordot, outerProduct, matrixTranspose,
  diag: structure.diag, diagPart: structure.diagPart, trace: structure.trace, bandPart: structure.bandPart,
  solve: decompositions.solve, inv: decompositions.inv, det: decompositions.det, slogdet: decompositions.slogdet,
  cholesky: decompositions.cholesky, triangularSolve: decompositions.triangularSolve, qr: decompositions.qr, eigh, eigvalsh,
  flatten: (x: TensorLike): Tensor => s.reshape(x, [-1]),
  asType: e.cast,
};

type Rest<F> = F extends (x: never, ...rest: infer R) => infer O ? (...args: R) => O : never;
export type TensorMethods = { [K in keyof typeof methods]: Rest<(typeof methods)[K]> };

// Tensor and Variable each declare that they have these (an interface merged with the class).

export function installMethods(): void {
  for (const [name, fn] of Object.entries(methods)) {
    const method = function (this: Tensor | Variable, ...args: unknown[]) {
      return (fn as (...a: unknown[]) => unknown)(this, ...args);
    };
    Object.defineProperty(method, "name", { value: name });
    for (const proto of [Tensor.prototype, Variable.prototype]) {
      Object.defineProperty(proto, name, { value: method, writable: true, configurable: true });
    }
  }
}
