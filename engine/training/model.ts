/**
 * Models: the functional `Model({inputs, outputs})` and `Sequential`, with Keras's compile, fit,
 * evaluate, predict and summary.
 */
import * as tf from "../core";
import { fitModel, trainOnBatch, type FitOptions } from "./fit";
import type { History } from "./history";
import { getLoss, lossName, type LossFn } from "./losses";
import { resolveMetric, type ResolvedMetric } from "./metrics";
import { InputLayer, Layer, SymbolicTensor, type ApplyOptions, type SymbolicShape } from "./layers";
import { shapeText, uniqueName } from "./names";
import { Optimizer } from "./optimizer";
import { getOptimizer } from "./optimizers";
import { summarize } from "./summary";
import { addBatchMetrics, asDataset, evaluateDataset, RunningMeans, type DataInput, type Dataset } from "./data";
import { fusedForward, fusedPlanFor } from "./fused";

export interface CompileOptions {
  optimizer?: string | Optimizer;
  loss: string | LossFn;
  metrics?: string[];
}

export interface CompiledState {
  optimizer: Optimizer;
  loss: LossFn;
  lossName: string;
  /** True when the loss was given by name (so its gradient is known in closed form). */
  builtInLoss: boolean;
  metricNames: string[];
  metrics: ResolvedMetric[];
}

export interface ModelArgs {
  inputs?: SymbolicTensor | SymbolicTensor[];
  outputs?: SymbolicTensor | SymbolicTensor[];
  name?: string;
}

export class Model extends Layer {
  /** Set to true (e.g. from a callback) to end `fit` after the current batch. */
  stopTraining = false;
  compiled?: CompiledState;
  /** The History of the last completed fit, as Keras keeps it. */
  history?: History;
  protected graphInputs: SymbolicTensor[] = [];
  protected graphOutputs: SymbolicTensor[] = [];
  /** Functional models: layers in the order they run, inputs first. */
  protected graphLayers: Layer[] = [];

  constructor(args?: ModelArgs | SymbolicTensor, outputs?: SymbolicTensor) {
    // Keras also accepts Model(inputs, outputs) positionally.
    const spec = args instanceof SymbolicTensor ? { inputs: args, outputs } : args ?? {};
    super({ name: spec.name }, spec.inputs ? "functional" : "model");
    if (!spec.inputs && !spec.outputs) return;
    if (!spec.inputs || !spec.outputs) throw new Error("Model: pass both inputs and outputs, e.g. new tf.keras.Model({inputs: X, outputs: y})");
    const inputs = ([] as SymbolicTensor[]).concat(spec.inputs);
    const outs = ([] as SymbolicTensor[]).concat(spec.outputs);
    const notSymbolic = [...inputs, ...outs].some((t) => !(t instanceof SymbolicTensor));
    if (notSymbolic || inputs.length === 0 || outs.length === 0) {
      throw new Error("Model: inputs must come from tf.keras.Input() and outputs from layers applied to them");
    }
    if (inputs.length !== 1 || outs.length !== 1) throw new Error("Model: only one input and one output are supported");
    if (!(inputs[0].layer instanceof InputLayer)) throw new Error("Model: inputs must be created with tf.keras.Input()");
    this.graphInputs = inputs;
    this.graphOutputs = outs;
    this.graphLayers = orderLayers(outs[0], inputs[0]);
    this.batchInputShape = inputs[0].shape;
    this.built = true;
  }

  get className(): string {
    return this.graphInputs.length ? "Functional" : "Model";
  }

  /** The layers after the input when each one feeds the next (a plain stack), else undefined. */
  layerChain(): Layer[] | undefined {
    const chain: Layer[] = [];
    let node: SymbolicTensor | undefined = this.graphOutputs[0];
    while (node && !(node.layer instanceof InputLayer)) {
      if (node.inputs.length !== 1) return undefined;
      chain.unshift(node.layer);
      node = node.inputs[0];
    }
    return node === this.graphInputs[0] ? chain : undefined;
  }

  /** All layers; `layers[0]` is the InputLayer of a functional model, as in Keras. */
  get layers(): Layer[] {
    return this.graphLayers.slice();
  }

  get inputShape(): SymbolicShape | undefined {
    return this.batchInputShape;
  }

  get outputShape(): SymbolicShape | undefined {
    const input = this.inputShape;
    if (!input) return undefined;
    return this.layers.reduce<SymbolicShape>((shape, layer) => (layer instanceof InputLayer ? shape : layer.computeOutputShape(shape)), input);
  }

  computeOutputShape(inputShape: SymbolicShape): SymbolicShape {
    return this.layers.reduce<SymbolicShape>((shape, layer) => (layer instanceof InputLayer ? shape : layer.computeOutputShape(shape)), inputShape);
  }

  call(input: tf.Tensor, training = false): tf.Tensor {
    const computed = new Map<SymbolicTensor, tf.Tensor>([[this.graphInputs[0], input]]);
    const evaluate = (node: SymbolicTensor): tf.Tensor => {
      const known = computed.get(node);
      if (known) return known;
      const value = node.layer.apply(evaluate(node.inputs[0]), { training });
      computed.set(node, value);
      return value;
    };
    return evaluate(this.graphOutputs[0]);
  }

  override get weights(): tf.Variable[] {
    return unique(this.layers.flatMap((layer) => layer.weights));
  }

  override get trainableWeights(): tf.Variable[] {
    return this.trainable ? unique(this.layers.flatMap((layer) => layer.trainableWeights)) : [];
  }

  override getWeights(): tf.Tensor[] {
    return this.layers.flatMap((layer) => layer.getWeights());
  }

  /** Replaces every layer's weights, in the order of getWeights(); checks all before changing any. */
  override setWeights(values: (tf.Tensor | number[] | number[][] | number)[]): void {
    const counts = this.layers.map((layer) => layer.weights.length);
    const total = counts.reduce((a, b) => a + b, 0);
    if (!Array.isArray(values) || values.length !== total) {
      throw new Error(`${this.name}.setWeights: expected ${total} arrays (one per weight, as getWeights() gives), got ${Array.isArray(values) ? values.length : typeof values}`);
    }
    let offset = 0;
    const parts = this.layers.map((layer, i) => [layer, values.slice(offset, (offset += counts[i]))] as const);
    parts.forEach(([layer, part]) => part.forEach((value, k) => {
      const expected = layer.weights[k].shape, shape = value instanceof tf.Tensor ? value.shape : tf.constant(value as number[]).shape;
      if (shape.length !== expected.length || shape.some((d, j) => d !== expected[j])) {
        throw new Error(`${this.name}.setWeights: weight ${layer.weights[k].name} has shape ${shapeText(expected)}, got ${shapeText(shape)}`);
      }
    }));
    parts.forEach(([layer, part]) => layer.setWeights(part));
  }

  override countParams(): number {
    return this.layers.reduce((sum, layer) => sum + layer.countParams(), 0);
  }

  compile(options: CompileOptions): void {
    if (!options || options.loss === undefined) {
      throw new Error("compile: pass {optimizer, loss}, e.g. model.compile({optimizer: 'sgd', loss: 'mean_squared_error'})");
    }
    const optimizer = getOptimizer(options.optimizer ?? "rmsprop");
    const loss = getLoss(options.loss);
    const name = lossName(options.loss);
    const metricNames = options.metrics ?? [];
    if (!Array.isArray(metricNames)) throw new TypeError(`compile: metrics must be an array of names such as ['accuracy']`);
    metricNames.forEach((metric) => resolveMetric(metric, name, 1));
    this.compiled = { optimizer, loss, lossName: name, builtInLoss: typeof options.loss === "string", metricNames, metrics: [] };
    this.resolveMetrics();
  }

  /** 'accuracy' depends on the output width, known once the model is built. */
  private resolveMetrics(): void {
    const compiled = this.compiled;
    const shape = this.outputShape;
    if (!compiled || !shape) return;
    const width = shape[shape.length - 1] ?? 1;
    compiled.metrics = compiled.metricNames.map((metric) => resolveMetric(metric, compiled.lossName, width));
  }

  /**
   * The compiled state, for `data` about to go through the model: a model built lazily (no input
   * shape yet) is built from the first sample first, so metrics know its output width.
   */
  compiledFor(what: string, data: Dataset): CompiledState {
    const compiled = this.requireCompiled(what);
    if (!this.outputShape && data.shape[0] > 0) {
      this.apply(tf.constant(data.values.subarray(0, data.values.length / data.shape[0]), [1, ...data.shape.slice(1)]));
      this.resolveMetrics();
    }
    return compiled;
  }

  get optimizer(): Optimizer | undefined {
    return this.compiled?.optimizer;
  }

  fit(x: DataInput, y: DataInput, options: FitOptions = {}): Promise<History> {
    return fitModel(this, x, y, options);
  }

  /** One optimizer step on exactly this batch; returns the loss before the step (and metrics, if any). */
  trainOnBatch(x: DataInput, y: DataInput): number | number[] {
    const inputs = this.adaptInput(asDataset(x, "trainOnBatch: x"), "trainOnBatch");
    const compiled = this.compiledFor("trainOnBatch", inputs);
    const labels = asDataset(y, "trainOnBatch: y");
    checkSameSamples(inputs.shape, labels.shape, "trainOnBatch");
    const { prediction, lossValue } = trainOnBatch(this, compiled, inputs, labels, { epoch: 0, batch: 0 });
    if (compiled.metrics.length === 0) return lossValue;
    const means = new RunningMeans();
    addBatchMetrics(means, compiled, labels, prediction, lossValue);
    const logs = means.means();
    return [lossValue, ...compiled.metrics.map((m) => logs[m.name])];
  }

  /** The model's output for every sample of `x` (as one tensor). */
  predict(x: DataInput): tf.Tensor {
    const data = this.adaptInput(asDataset(x, "predict: x"), "predict");
    const compiled = this.compiled;
    const plan = compiled && fusedPlanFor(this, compiled);
    return plan ? fusedForward(plan, data) : this.apply(tf.constant(data.values, data.shape));
  }

  /** The loss (and metrics, in compile order) on `x`, `y`: a number, or `[loss, ...metrics]`. */
  evaluate(x: DataInput, y: DataInput, options: { batchSize?: number } = {}): number | number[] {
    const inputs = this.adaptInput(asDataset(x, "evaluate: x"), "evaluate");
    const compiled = this.compiledFor("evaluate", inputs);
    const labels = asDataset(y, "evaluate: y");
    checkSameSamples(inputs.shape, labels.shape, "evaluate");
    const logs = evaluateDataset(this, compiled, inputs, labels, options.batchSize ?? 32);
    const values = [logs.loss, ...compiled.metrics.map((m) => logs[m.name])];
    return values.length === 1 ? values[0] : values;
  }

  /** Prints and returns a Keras-like table of layers, output shapes and parameter counts. */
  summary(): string {
    const text = summarize(this);
    console.log(text);
    return text;
  }

  requireCompiled(what: string): CompiledState {
    if (!this.compiled) throw new Error(`${what}: the model must be compiled first, e.g. model.compile({optimizer: 'sgd', loss: 'mean_squared_error'})`);
    return this.compiled;
  }

  /**
   * `x` as the model takes it: one number per sample becomes a column for a one-feature input,
   * as Keras does. Fails with both shapes when `x` cannot go into the model.
   */
  adaptInput(data: Dataset, what: string): Dataset {
    const expected = this.inputShape;
    if (!expected) return data;
    const shape = data.shape.length === 1 && expected.length === 2 && expected[1] === 1 ? [data.shape[0], 1] : data.shape;
    const ok = shape.length === expected.length && expected.every((d, i) => d === null || d === shape[i]);
    if (!ok) throw new Error(`${what}: x of shape ${shapeText(data.shape)} does not fit the model's input shape ${shapeText(expected)}`);
    return { values: data.values, shape };
  }

  override toString(): string {
    return summarize(this);
  }
}

export function checkSameSamples(xShape: readonly number[], yShape: readonly number[], what: string): void {
  if (xShape[0] !== yShape[0]) {
    throw new Error(`${what}: x of shape ${shapeText(xShape)} and y of shape ${shapeText(yShape)} have different numbers of samples (${xShape[0]} and ${yShape[0]})`);
  }
}

function unique<T>(items: T[]): T[] {
  return [...new Set(items)];
}

/** Layers from the input to `output`, each after the layers it reads from. */
function orderLayers(output: SymbolicTensor, input: SymbolicTensor): Layer[] {
  const order: Layer[] = [];
  const visit = (node: SymbolicTensor): void => {
    if (node.inputs.length === 0 && node !== input) {
      throw new Error(`Model: the outputs depend on an input ('${node.name}') that is not among the model's inputs`);
    }
    node.inputs.forEach(visit);
    if (!order.includes(node.layer)) order.push(node.layer);
  };
  visit(output);
  return order;
}

/** `new Sequential([layer, ...])`: each layer feeds the next. A leading `Input()` gives the input shape. */
export class Sequential extends Model {
  private readonly stack: Layer[] = [];

  constructor(layers: (Layer | SymbolicTensor)[] = [], options: { name?: string } = {}) {
    super({ name: options.name ?? uniqueName("sequential") });
    layers.forEach((layer) => this.add(layer));
  }

  override get className(): string {
    return "Sequential";
  }

  add(layer: Layer | SymbolicTensor): void {
    if (layer instanceof SymbolicTensor || layer instanceof InputLayer) {
      const input = layer instanceof SymbolicTensor ? layer.layer : layer;
      if (!(input instanceof InputLayer) || this.stack.length > 0) {
        throw new Error("Sequential: only an Input() may come before the first layer; add layers, not their outputs");
      }
      this.batchInputShape = input.batchInputShape;
      return;
    }
    if (!(layer instanceof Layer)) throw new TypeError(`Sequential.add: expected a layer, got ${String(layer)}`);
    // Checked before the layer joins, so a layer that does not fit leaves the model as it was.
    const previousOutput = this.stack.length === 0 && !this.batchInputShape ? layer.batchInputShape : this.outputShape;
    if (previousOutput) {
      layer.ensureBuilt(previousOutput);
      layer.computeOutputShape(previousOutput);
    }
    if (this.stack.length === 0 && !this.batchInputShape) this.batchInputShape = layer.batchInputShape;
    this.stack.push(layer);
    this.built = this.batchInputShape !== undefined;
  }

  override get layers(): Layer[] {
    return this.stack.slice();
  }

  override layerChain(): Layer[] | undefined {
    return this.stack.slice();
  }

  override call(input: tf.Tensor, training = false): tf.Tensor {
    if (this.stack.length === 0) throw new Error("Sequential: the model has no layers");
    return this.stack.reduce((x, layer) => layer.apply(x, { training }), input);
  }

  override apply(input: any, options?: ApplyOptions): any {
    if (!(input instanceof SymbolicTensor) && !this.batchInputShape && input instanceof tf.Tensor) {
      this.batchInputShape = [null, ...input.shape.slice(1)];
    }
    return super.apply(input, options);
  }
}
