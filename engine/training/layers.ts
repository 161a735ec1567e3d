/**
 * Layers and the symbolic tensors of the functional API: `Input()` and `layer.apply(symbolic)`
 * describe a graph without computing; `layer.apply(tensor)` computes.
 */
import * as tf from "../core";
import { getActivation, type Activation, type ResolvedActivation } from "./activations";
import { getInitializer, type Initializer, type InitializerSpec } from "./initializers";
import { formatShape, shapeText, uniqueName } from "./names";

/** A shape with `null` for the batch dimension, as Keras's `(None, 1)`. */
export type SymbolicShape = (number | null)[];

/** A placeholder in a functional model's graph: the output of `layer` applied to `inputs`. */
export class SymbolicTensor {
  constructor(
    readonly shape: SymbolicShape,
    readonly layer: Layer,
    readonly inputs: SymbolicTensor[],
    readonly name: string,
  ) {}

  toString(): string {
    return `<SymbolicTensor shape=${formatShape(this.shape)}, name=${this.name}>`;
  }

  [Symbol.for("Jupyter.display")](): Record<string, unknown> {
    return { "text/plain": this.toString() };
  }
}

/** Keras's `layer(x, training=True)`. */
export interface ApplyOptions {
  training?: boolean;
}

export interface LayerOptions {
  name?: string;
  trainable?: boolean;
  /** Shape of one sample, for the first layer of a Sequential model. */
  inputShape?: number[];
}

export abstract class Layer {
  readonly name: string;
  trainable: boolean;
  built = false;
  /** Set by `inputShape` or by the first input the layer sees. */
  batchInputShape?: SymbolicShape;
  protected variables: tf.Variable[] = [];

  constructor(options: LayerOptions, defaultPrefix: string) {
    this.name = options.name ?? uniqueName(defaultPrefix);
    this.trainable = options.trainable ?? true;
    if (options.inputShape) this.batchInputShape = [null, ...checkSampleShape(options.inputShape, `${this.name}: inputShape`)];
  }

  /** Keras's class name, shown in summaries. */
  abstract get className(): string;

  /** Creates the weights once the input shape is known. */
  build(_inputShape: SymbolicShape): void {
    this.built = true;
  }

  abstract computeOutputShape(inputShape: SymbolicShape): SymbolicShape;

  /**
   * The computation on real tensors. `training` is true inside `fit` (and when passed to
   * `apply`): Dropout drops and BatchNormalization uses batch statistics only then, as in Keras.
   */
  abstract call(input: tf.Tensor, training?: boolean): tf.Tensor;

  apply(input: SymbolicTensor): SymbolicTensor;
  apply(input: tf.Tensor | number[] | number[][], options?: ApplyOptions): tf.Tensor;
  apply(input: SymbolicTensor | tf.Tensor | number[] | number[][], options: ApplyOptions = {}): SymbolicTensor | tf.Tensor {
    if (input instanceof SymbolicTensor) {
      this.ensureBuilt(input.shape);
      return new SymbolicTensor(this.computeOutputShape(input.shape), this, [input], this.name);
    }
    const tensor = input instanceof tf.Tensor ? input : tf.constant(input as number[][]);
    this.ensureBuilt([null, ...tensor.shape.slice(1)]);
    return this.call(tensor, options.training ?? false);
  }

  /** Builds the layer for inputs of this shape, unless it is built already. */
  ensureBuilt(inputShape: SymbolicShape): void {
    if (!this.built) {
      this.batchInputShape ??= inputShape;
      this.build(inputShape);
      this.built = true;
    }
  }

  protected addWeight(name: string, shape: number[], initializer: Initializer, trainable = true): tf.Variable {
    const variable = new tf.Variable(initializer(shape), { name: `${this.name}/${name}`, trainable });
    this.variables.push(variable);
    return variable;
  }

  get weights(): tf.Variable[] {
    return this.variables.slice();
  }

  get trainableWeights(): tf.Variable[] {
    return this.trainable ? this.variables.filter((v) => v.trainable) : [];
  }

  get trainableVariables(): tf.Variable[] {
    return this.trainableWeights;
  }

  /** Snapshots of the current weight values (kernel, then bias for Dense). */
  getWeights(): tf.Tensor[] {
    return this.variables.map((v) => tf.constant(v.dataSync(), v.shape.slice(), v.dtype));
  }

  /** Replaces every weight; checks all shapes before changing any, so a bad call changes nothing. */
  setWeights(values: (tf.Tensor | number[] | number[][] | number)[]): void {
    if (!Array.isArray(values) || values.length !== this.variables.length) {
      throw new Error(
        `${this.name}.setWeights: expected ${this.variables.length} arrays (${this.variables.map((v) => shapeText(v.shape)).join(", ")}), got ${Array.isArray(values) ? values.length : typeof values}`,
      );
    }
    const tensors = values.map((value, i) => {
      const tensor = value instanceof tf.Tensor ? value : tf.constant(value as number[]);
      const expected = this.variables[i].shape;
      if (tensor.shape.length !== expected.length || tensor.shape.some((d, k) => d !== expected[k])) {
        throw new Error(`${this.name}.setWeights: weight ${i} (${this.variables[i].name}) has shape ${shapeText(expected)}, got ${shapeText(tensor.shape)}`);
      }
      return tensor;
    });
    tensors.forEach((tensor, i) => this.variables[i].assign(tensor));
  }

  countParams(): number {
    return this.variables.reduce((sum, v) => sum + v.shape.reduce((a, b) => a * b, 1), 0);
  }

  toString(): string {
    return `<${this.className} name=${this.name}, built=${this.built}>`;
  }

  [Symbol.for("Jupyter.display")](): Record<string, unknown> {
    return { "text/plain": this.toString() };
  }
}

function checkSampleShape(shape: unknown, what: string): number[] {
  if (!Array.isArray(shape) || shape.some((d) => !Number.isInteger(d) || d <= 0)) {
    throw new Error(`${what} must be an array of positive integers (one sample's shape, e.g. [1]), got ${JSON.stringify(shape)}`);
  }
  return shape.slice();
}

export class InputLayer extends Layer {
  readonly output: SymbolicTensor;

  constructor(options: { shape: number[]; name?: string }) {
    super({ name: options.name }, "input_layer");
    this.batchInputShape = [null, ...checkSampleShape(options.shape, "Input: shape")];
    this.built = true;
    this.output = new SymbolicTensor(this.batchInputShape, this, [], this.name);
  }

  get className() {
    return "InputLayer";
  }

  computeOutputShape(inputShape: SymbolicShape): SymbolicShape {
    return inputShape;
  }

  call(input: tf.Tensor): tf.Tensor {
    return input;
  }
}

/** `tf.keras.Input({shape: [1], name: 'X'})`: the symbolic input of a functional model. */
export function Input(options: { shape: number[]; name?: string }): SymbolicTensor {
  if (!options || typeof options !== "object") throw new Error("Input: pass {shape}, e.g. tf.keras.Input({shape: [1]})");
  return new InputLayer(options).output;
}

export interface DenseOptions extends LayerOptions {
  activation?: string | Activation;
  useBias?: boolean;
  kernelInitializer?: string | InitializerSpec | Initializer;
  biasInitializer?: string | InitializerSpec | Initializer;
  /** Seed for the default kernel initializer, for reproducible weights. */
  seed?: number;
}

/** `activation(x · kernel + bias)` on the last axis. */
export class Dense extends Layer {
  readonly units: number;
  readonly activation: ResolvedActivation;
  readonly useBias: boolean;
  kernel?: tf.Variable;
  bias?: tf.Variable;
  private readonly kernelInitializer: Initializer;
  private readonly biasInitializer: Initializer;

  constructor(units: number, options: DenseOptions = {}) {
    super(options, "dense");
    if (!Number.isInteger(units) || units <= 0) throw new Error(`Dense: units must be a positive integer, got ${String(units)}`);
    this.units = units;
    this.activation = getActivation(options.activation);
    this.useBias = options.useBias ?? true;
    this.kernelInitializer = getInitializer(options.kernelInitializer ?? "glorot_uniform", options.seed);
    this.biasInitializer = getInitializer(options.biasInitializer ?? "zeros");
    if (this.batchInputShape) this.ensureBuilt(this.batchInputShape);
  }

  get className() {
    return "Dense";
  }

  override build(inputShape: SymbolicShape): void {
    const inputDim = inputShape[inputShape.length - 1];
    if (inputShape.length < 2 || inputDim === null) {
      throw new Error(`Dense '${this.name}': needs inputs of shape (batch, features), got ${formatShape(inputShape)}`);
    }
    this.kernel = this.addWeight("kernel", [inputDim, this.units], this.kernelInitializer);
    if (this.useBias) this.bias = this.addWeight("bias", [this.units], this.biasInitializer);
    this.built = true;
  }

  computeOutputShape(inputShape: SymbolicShape): SymbolicShape {
    this.checkInputShape(inputShape);
    return [...inputShape.slice(0, -1), this.units];
  }

  private checkInputShape(shape: readonly (number | null)[]): void {
    const expected = this.kernel!.shape[0];
    if (shape.length < 2 || shape[shape.length - 1] !== expected) {
      throw new Error(`Dense '${this.name}': expected inputs whose last dimension is ${expected}, got shape ${shapeText(shape)}`);
    }
  }

  call(input: tf.Tensor): tf.Tensor {
    this.checkInputShape(input.shape);
    const flat = input.shape.length === 2 ? input : tf.reshape(input, [input.size / input.shape[input.shape.length - 1], input.shape[input.shape.length - 1]]);
    let output = tf.matmul(flat, this.kernel!);
    if (this.bias) output = tf.add(output, this.bias);
    output = this.activation.fn(output);
    return input.shape.length === 2 ? output : tf.reshape(output, [...input.shape.slice(0, -1), this.units]);
  }

  override toString(): string {
    return `<Dense name=${this.name}, units=${this.units}, activation=${this.activation.name}>`;
  }
}
