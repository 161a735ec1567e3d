/**
 * Keras layers that behave differently in training (Dropout, BatchNormalization), the other
 * normalisation (LayerNormalization), and Embedding.
 */
import * as tf from "../core";
import { getInitializer, type Initializer, type InitializerSpec } from "./initializers";
import { Layer, type LayerOptions, type SymbolicShape } from "./layers";
import { shapeText } from "./names";

/** A seed drawn from the engine's generator, so `tf.random.setSeed(n)` fixes it. */
const drawSeed = () => Math.floor(Number(tf.random.uniform([]).item()) * 2 ** 31);

export interface DropoutOptions extends LayerOptions {
  /** Seeds this layer's own stream of masks; by default drawn from the engine's generator. */
  seed?: number;
}

/** In training, zeroes each input with probability `rate` and scales the rest by 1 / (1 − rate); otherwise the identity. */
export class Dropout extends Layer {
  readonly rate: number;
  private readonly random: tf.random.Random;

  constructor(rate: number, options: DropoutOptions = {}) {
    super(options, "dropout");
    if (typeof rate !== "number" || !(rate >= 0 && rate < 1)) throw new Error(`Dropout: rate must be in [0, 1), got ${String(rate)}`);
    this.rate = rate;
    this.random = new tf.random.Random(options.seed ?? drawSeed());
  }

  get className() {
    return "Dropout";
  }

  computeOutputShape(inputShape: SymbolicShape): SymbolicShape {
    return inputShape;
  }

  call(input: tf.Tensor, training = false): tf.Tensor {
    if (!training || this.rate === 0) return input;
    const keep = 1 / (1 - this.rate);
    const mask = new Float32Array(input.size);
    for (let i = 0; i < mask.length; i++) mask[i] = this.random.next() >= this.rate ? keep : 0;
    return tf.mul(input, tf.cast(tf.constant(mask, input.shape), input.dtype));
  }
}

interface NormalizationOptions extends LayerOptions {
  axis?: number;
  epsilon?: number;
  center?: boolean;
  scale?: boolean;
  betaInitializer?: string | InitializerSpec | Initializer;
  gammaInitializer?: string | InitializerSpec | Initializer;
}

/** The shared part of the normalisations: the feature axis, γ and β. */
abstract class Normalization extends Layer {
  readonly axis: number;
  readonly epsilon: number;
  gamma?: tf.Variable;
  beta?: tf.Variable;
  protected readonly options: NormalizationOptions;

  constructor(options: NormalizationOptions, prefix: string, defaultEpsilon: number) {
    super(options, prefix);
    this.axis = options.axis ?? -1;
    this.epsilon = options.epsilon ?? defaultEpsilon;
    this.options = options;
  }

  /** The feature axis, non-negative, for inputs of this rank. */
  protected featureAxis(rank: number): number {
    const axis = this.axis < 0 ? this.axis + rank : this.axis;
    if (axis < 1 || axis >= rank) throw new Error(`${this.className} '${this.name}': axis ${this.axis} is not a feature axis of inputs of rank ${rank}`);
    return axis;
  }

  override build(inputShape: SymbolicShape): void {
    const features = inputShape[this.featureAxis(inputShape.length)];
    if (features === null) throw new Error(`${this.className} '${this.name}': the feature axis of ${shapeText(inputShape)} must be known`);
    if (this.options.scale ?? true) this.gamma = this.addWeight("gamma", [features], getInitializer(this.options.gammaInitializer ?? "ones"));
    if (this.options.center ?? true) this.beta = this.addWeight("beta", [features], getInitializer(this.options.betaInitializer ?? "zeros"));
    this.buildStatistics(features);
    this.built = true;
  }

  protected buildStatistics(_features: number): void {}

  computeOutputShape(inputShape: SymbolicShape): SymbolicShape {
    const axis = this.featureAxis(inputShape.length);
    const expected = (this.gamma ?? this.beta)?.shape[0];
    if (expected !== undefined && inputShape[axis] !== expected) {
      throw new Error(`${this.className} '${this.name}': expected ${expected} features on axis ${this.axis}, got shape ${shapeText(inputShape)}`);
    }
    return inputShape;
  }

  /** (x − mean) / √(variance + ε) · γ + β, with the statistics broadcast along the feature axis. */
  protected normalize(x: tf.Tensor, mean: tf.TensorLike, variance: tf.TensorLike, featureShape: number[]): tf.Tensor {
    let y = tf.mul(tf.sub(x, mean), tf.rsqrt(tf.add(variance, this.epsilon)));
    if (this.gamma) y = tf.mul(y, tf.reshape(this.gamma, featureShape));
    if (this.beta) y = tf.add(y, tf.reshape(this.beta, featureShape));
    return y;
  }

  /** [1, ..., features, ..., 1]: a per-feature vector shaped to broadcast against `x`. */
  protected broadcastShape(x: tf.Tensor, axis: number): number[] {
    return x.shape.map((d, i) => (i === axis ? d : 1));
  }
}

export interface BatchNormalizationOptions extends NormalizationOptions {
  momentum?: number;
  movingMeanInitializer?: string | InitializerSpec | Initializer;
  movingVarianceInitializer?: string | InitializerSpec | Initializer;
}

/**
 * Normalises each feature by the batch's mean and variance in training, updating the moving
 * averages `moving = moving · momentum + batch · (1 − momentum)` (the batch variance without
 * Bessel's correction, as Keras 3); in inference it uses the moving averages.
 */
export class BatchNormalization extends Normalization {
  readonly momentum: number;
  movingMean?: tf.Variable;
  movingVariance?: tf.Variable;

  constructor(options: BatchNormalizationOptions = {}) {
    super(options, "batch_normalization", 1e-3);
    this.momentum = options.momentum ?? 0.99;
    if (this.batchInputShape) this.ensureBuilt(this.batchInputShape);
  }

  get className() {
    return "BatchNormalization";
  }

  protected override buildStatistics(features: number): void {
    const options = this.options as BatchNormalizationOptions;
    this.movingMean = this.addWeight("moving_mean", [features], getInitializer(options.movingMeanInitializer ?? "zeros"), false);
    this.movingVariance = this.addWeight("moving_variance", [features], getInitializer(options.movingVarianceInitializer ?? "ones"), false);
  }

  call(input: tf.Tensor, training = false): tf.Tensor {
    this.computeOutputShape(input.shape);
    const axis = this.featureAxis(input.rank);
    const shape = this.broadcastShape(input, axis);
    if (!training) return this.normalize(input, tf.reshape(this.movingMean!, shape), tf.reshape(this.movingVariance!, shape), shape);
    const reduced = input.shape.map((_, i) => i).filter((i) => i !== axis);
    const mean = tf.reduceMean(input, reduced, true);
    const variance = tf.reduceMean(tf.square(tf.sub(input, mean)), reduced, true);
    const m = this.momentum;
    this.movingMean!.assign(tf.add(tf.mul(this.movingMean!, m), tf.mul(tf.reshape(tf.stopGradient(mean), [-1]), 1 - m)));
    this.movingVariance!.assign(tf.add(tf.mul(this.movingVariance!, m), tf.mul(tf.reshape(tf.stopGradient(variance), [-1]), 1 - m)));
    return this.normalize(input, mean, variance, shape);
  }
}

/** Normalises each sample over its feature axis (the same in training and inference). */
export class LayerNormalization extends Normalization {
  constructor(options: NormalizationOptions = {}) {
    super(options, "layer_normalization", 1e-3);
    if (this.batchInputShape) this.ensureBuilt(this.batchInputShape);
  }

  get className() {
    return "LayerNormalization";
  }

  call(input: tf.Tensor): tf.Tensor {
    this.computeOutputShape(input.shape);
    const axis = this.featureAxis(input.rank);
    const mean = tf.reduceMean(input, axis, true);
    const variance = tf.reduceMean(tf.square(tf.sub(input, mean)), axis, true);
    return this.normalize(input, mean, variance, this.broadcastShape(input, axis));
  }
}

export interface EmbeddingOptions extends LayerOptions {
  embeddingsInitializer?: string | InitializerSpec | Initializer;
  seed?: number;
}

/** Integer indices in [0, inputDim) → rows of a trainable [inputDim, outputDim] table. */
export class Embedding extends Layer {
  readonly inputDim: number;
  readonly outputDim: number;
  embeddings?: tf.Variable;
  private readonly initializer: Initializer;

  constructor(inputDim: number, outputDim: number, options: EmbeddingOptions = {}) {
    super(options, "embedding");
    for (const [what, value] of [["inputDim", inputDim], ["outputDim", outputDim]] as const) {
      if (!Number.isInteger(value) || value <= 0) throw new Error(`Embedding: ${what} must be a positive integer, got ${String(value)}`);
    }
    this.inputDim = inputDim;
    this.outputDim = outputDim;
    this.initializer = getInitializer(options.embeddingsInitializer ?? "uniform", options.seed);
    if (this.batchInputShape) this.ensureBuilt(this.batchInputShape);
  }

  get className() {
    return "Embedding";
  }

  override build(): void {
    this.embeddings = this.addWeight("embeddings", [this.inputDim, this.outputDim], this.initializer);
    this.built = true;
  }

  computeOutputShape(inputShape: SymbolicShape): SymbolicShape {
    return [...inputShape, this.outputDim];
  }

  call(input: tf.Tensor): tf.Tensor {
    const indices = input.dtype === "int32" ? input : tf.cast(input, "int32");
    return tf.gather(this.embeddings!, indices);
  }
}
