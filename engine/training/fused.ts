/**
 * A compiled training step for the common case: a chain of Dense layers with a built-in loss.
 * Forward and backward run as a few loops over flat float32 arrays instead of a dozen recorded
 * ops, which is what makes small models (seed 003's Dense(1)) train fast. The gradients are the
 * same as the tape's (the tests compare them); anything else goes through the tape.
 */
import * as tf from "../core";
import type { Dataset } from "./data";
import { Dense, type Layer } from "./layers";
import { EPSILON } from "./losses";
import { currentBackend } from "../backend";
import { matmulInto, matrix, transposed } from "../backend/gemm";
import type { CompiledState, Model } from "./model";

/** Writes dLoss/dPrediction into `grad` and returns the loss; undefined if the labels do not fit. */
type LossGradient = (p: Float32Array, y: ArrayLike<number>, rows: number, width: number, grad: Float32Array) => number | undefined;

const clip = (v: number) => Math.min(Math.max(v, EPSILON), 1 - EPSILON);
const inRange = (v: number) => v > EPSILON && v < 1 - EPSILON;

function elementwiseLoss(term: (p: number, y: number) => number, slope: (p: number, y: number) => number): LossGradient {
  return (p, y, rows, width, grad) => {
    if (y.length !== p.length) return undefined;
    const n = p.length;
    let total = 0;
    for (let i = 0; i < n; i++) {
      total += term(p[i], y[i]);
      grad[i] = slope(p[i], y[i]) / n;
    }
    return total / n;
  };
}

function crossentropy(p: Float32Array, y: ArrayLike<number>, rows: number, width: number, grad: Float32Array, sparse: boolean): number | undefined {
  if (sparse ? y.length !== rows : y.length !== p.length) return undefined;
  let total = 0;
  for (let r = 0; r < rows; r++) {
    const base = r * width;
    let sum = 0;
    for (let j = 0; j < width; j++) sum += p[base + j];
    // d(−Σ y log clip(p/sum))/dp, through the renormalisation Keras applies.
    let weighted = 0;
    for (let j = 0; j < width; j++) {
      const label = sparse ? (y[r] === j ? 1 : 0) : y[base + j];
      const q = p[base + j] / sum;
      if (label !== 0) total -= label * Math.log(clip(q));
      const dq = label !== 0 && inRange(q) ? -label / q / rows : 0;
      grad[base + j] = dq;
      weighted += dq * q;
    }
    for (let j = 0; j < width; j++) grad[base + j] = (grad[base + j] - weighted) / sum;
  }
  return total / rows;
}

const LOSS_GRADIENTS: Record<string, LossGradient> = {
  mean_squared_error: elementwiseLoss((p, y) => (p - y) ** 2, (p, y) => 2 * (p - y)),
  mean_absolute_error: elementwiseLoss((p, y) => Math.abs(p - y), (p, y) => Math.sign(p - y)),
  binary_crossentropy: elementwiseLoss(
    (p, y) => -(y * Math.log(clip(p)) + (1 - y) * Math.log(1 - clip(p))),
    (p, y) => (inRange(p) ? -(y / p - (1 - y) / (1 - p)) : 0),
  ),
  categorical_crossentropy: (p, y, rows, width, grad) => crossentropy(p, y, rows, width, grad, false),
  sparse_categorical_crossentropy: (p, y, rows, width, grad) => crossentropy(p, y, rows, width, grad, true),
};

const ACTIVATIONS = new Set(["linear", "relu", "sigmoid", "tanh", "softmax"]);

export interface FusedPlan {
  layers: Dense[];
  lossGradient: LossGradient;
}

/** The plan for a model's layers, or undefined when the general (tape) path must be used. */
export function planFusedStep(chain: Layer[] | undefined, compiled: CompiledState, lossIsBuiltIn: boolean): FusedPlan | undefined {
  const lossGradient = LOSS_GRADIENTS[compiled.lossName];
  if (!chain || chain.length === 0 || !lossIsBuiltIn || !lossGradient) return undefined;
  const supported = chain.every(
    (layer, i) =>
      // Exactly Dense: a subclass may compute something else in call().
      layer instanceof Dense && layer.constructor === Dense && layer.built && layer.trainable &&
      layer.activation.builtIn && ACTIVATIONS.has(layer.activation.name) &&
      (layer.activation.name !== "softmax" || i === chain.length - 1) &&
      layer.weights.every((w) => w.dtype === "float32" && w.trainable),
  );
  return supported ? { layers: chain as Dense[], lossGradient } : undefined;
}

/** Plans are made once per compile (Keras also asks for a new compile after changing `trainable`). */
const plans = new WeakMap<CompiledState, FusedPlan>();

export function fusedPlanFor(model: Model, compiled: CompiledState): FusedPlan | undefined {
  let plan = plans.get(compiled);
  if (!plan) {
    plan = planFusedStep(model.layerChain(), compiled, compiled.builtInLoss);
    if (plan) plans.set(compiled, plan);
  }
  return plan;
}

interface LayerTrace {
  input: Float32Array;
  output: Float32Array;
  kernel: Float32Array;
}

/** A variable's values as float32, read in place (no copy) when they already are. */
function float32Values(variable: tf.Variable): Float32Array {
  const values = variable.value().values;
  return values instanceof Float32Array ? values : Float32Array.from(values);
}

function forwardDense(layer: Dense, input: Float32Array, rows: number): LayerTrace {
  const kernel = float32Values(layer.kernel!);
  const units = layer.units, inputs = kernel.length / units;
  const out = new Float32Array(rows * units);
  if (layer.bias) {
    const bias = float32Values(layer.bias);
    for (let r = 0; r < rows; r++) out.set(bias, r * units);
  }
  matmulInto(matrix(input, rows, inputs), matrix(kernel, inputs, units), out, layer.bias !== undefined);
  activate(layer.activation.name, out, rows, units);
  return { input, output: out, kernel };
}

/** Applies the activation in place with the backend's kernels (softmax over each row of `units`). */
function activate(name: string, z: Float32Array, rows: number, units: number): void {
  const backend = currentBackend();
  if (name === "relu" || name === "sigmoid" || name === "tanh") backend.unary(name, z, z);
  else if (name === "softmax") backend.softmaxRows(z, rows, units, "softmax", z);
}

/** Turns dLoss/dOutput into dLoss/dPreactivation in place, from the activation's output `a`. */
function activationBackward(name: string, a: Float32Array, grad: Float32Array, rows: number, units: number): void {
  const n = a.length;
  if (name === "relu") for (let i = 0; i < n; i++) grad[i] = a[i] > 0 ? grad[i] : 0;
  else if (name === "sigmoid") for (let i = 0; i < n; i++) grad[i] *= a[i] * (1 - a[i]);
  else if (name === "tanh") for (let i = 0; i < n; i++) grad[i] *= 1 - a[i] * a[i];
  else if (name === "softmax") {
    for (let r = 0; r < rows; r++) {
      const base = r * units;
      let dot = 0;
      for (let j = 0; j < units; j++) dot += a[base + j] * grad[base + j];
      for (let j = 0; j < units; j++) grad[base + j] = a[base + j] * (grad[base + j] - dot);
    }
  }
}

export interface FusedResult {
  prediction: tf.Tensor;
  loss: number;
  /** Gradient arrays in the order of the layers' weights (kernel, bias, ...). */
  gradients: [Float32Array, tf.Variable][];
}

function forward(plan: FusedPlan, x: Dataset): LayerTrace[] {
  const rows = x.shape[0];
  let activations: Float32Array = x.values instanceof Float32Array ? x.values : Float32Array.from(x.values);
  return plan.layers.map((layer) => {
    const trace = forwardDense(layer, activations, rows);
    activations = trace.output;
    return trace;
  });
}

/** The model's output for `x` (predict without recording anything). */
export function fusedForward(plan: FusedPlan, x: Dataset): tf.Tensor {
  const traces = forward(plan, x);
  return new tf.Tensor(traces[traces.length - 1].output, [x.shape[0], plan.layers[plan.layers.length - 1].units], "float32");
}

/**
 * Loss and (unless `withGradients` is false) gradients of one batch, or undefined if the labels
 * do not fit (the tape path then reports why).
 */
export function fusedLossAndGradients(plan: FusedPlan, x: Dataset, y: Dataset, withGradients = true): FusedResult | undefined {
  const rows = x.shape[0];
  const traces = forward(plan, x);
  const activations = traces[traces.length - 1].output;
  const last = plan.layers[plan.layers.length - 1];
  let grad: Float32Array = new Float32Array(activations.length);
  const loss = plan.lossGradient(activations, y.values, rows, last.units, grad);
  if (loss === undefined) return undefined;
  const gradients: [Float32Array, tf.Variable][] = [];
  for (let l = withGradients ? plan.layers.length - 1 : -1; l >= 0; l--) {
    const layer = plan.layers[l], { input, output, kernel } = traces[l];
    const units = layer.units, inputs = kernel.length / units;
    activationBackward(layer.activation.name, output, grad, rows, units);
    const dKernel = new Float32Array(kernel.length);
    matmulInto(transposed(matrix(input, rows, inputs)), matrix(grad, rows, units), dKernel, false);
    let dInput: Float32Array | undefined;
    if (l > 0) matmulInto(matrix(grad, rows, units), transposed(matrix(kernel, inputs, units)), (dInput = new Float32Array(rows * inputs)), false);
    if (layer.bias) {
      const dBias = new Float32Array(units);
      for (let r = 0; r < rows; r++) for (let j = 0; j < units; j++) dBias[j] += grad[r * units + j];
      gradients.unshift([dBias, layer.bias]);
    }
    gradients.unshift([dKernel, layer.kernel!]);
    if (dInput) grad = dInput;
  }
  return { prediction: new tf.Tensor(activations, [rows, last.units], "float32"), loss, gradients };
}
