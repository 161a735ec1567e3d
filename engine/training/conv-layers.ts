/** Keras's image layers, NHWC: Conv2D, MaxPooling2D, AveragePooling2D, and Flatten. */
import * as tf from "../core";
import { windowGeometry, windowPair, type Padding, type Window } from "../ops/conv-geometry";
import { getActivation, type Activation, type ResolvedActivation } from "./activations";
import { getInitializer, type Initializer, type InitializerSpec } from "./initializers";
import { Layer, type LayerOptions, type SymbolicShape } from "./layers";
import { shapeText } from "./names";

/** The image dimensions [height, width, channels] of a batch shape, or an error naming the layer. */
function imageOf(layer: Layer, shape: readonly (number | null)[]): number[] {
  const image = shape.slice(1);
  if (shape.length !== 4 || image.some((d) => d === null)) {
    throw new Error(`${layer.className} '${layer.name}': expects images of shape (batch, height, width, channels), got ${shapeText(shape)}`);
  }
  return image as number[];
}

export interface Conv2DOptions extends LayerOptions {
  strides?: Window;
  padding?: Padding;
  dilationRate?: Window;
  activation?: string | Activation;
  useBias?: boolean;
  kernelInitializer?: string | InitializerSpec | Initializer;
  biasInitializer?: string | InitializerSpec | Initializer;
  /** Seed for the default kernel initializer, for reproducible weights. */
  seed?: number;
}

/** `activation(conv2d(x, kernel) + bias)`: `filters` filters of `kernelSize` over NHWC images. */
export class Conv2D extends Layer {
  readonly filters: number;
  readonly kernelSize: [number, number];
  readonly strides: [number, number];
  readonly padding: Padding;
  readonly dilationRate: [number, number];
  readonly activation: ResolvedActivation;
  readonly useBias: boolean;
  kernel?: tf.Variable;
  bias?: tf.Variable;
  private readonly kernelInitializer: Initializer;
  private readonly biasInitializer: Initializer;

  constructor(filters: number, kernelSize: Window, options: Conv2DOptions = {}) {
    super(options, "conv2d");
    if (!Number.isInteger(filters) || filters <= 0) throw new Error(`Conv2D: filters must be a positive integer, got ${String(filters)}`);
    this.filters = filters;
    this.kernelSize = windowPair("Conv2D", "kernelSize", kernelSize);
    this.strides = windowPair("Conv2D", "strides", options.strides ?? 1);
    this.dilationRate = windowPair("Conv2D", "dilationRate", options.dilationRate ?? 1);
    this.padding = options.padding ?? "valid";
    this.activation = getActivation(options.activation);
    this.useBias = options.useBias ?? true;
    this.kernelInitializer = getInitializer(options.kernelInitializer ?? "glorot_uniform", options.seed);
    this.biasInitializer = getInitializer(options.biasInitializer ?? "zeros");
    if (this.batchInputShape) this.ensureBuilt(this.batchInputShape);
  }

  get className() {
    return "Conv2D";
  }

  override build(inputShape: SymbolicShape): void {
    const [, , channels] = imageOf(this, inputShape);
    this.computeOutputShape(inputShape);
    this.kernel = this.addWeight("kernel", [...this.kernelSize, channels, this.filters], this.kernelInitializer);
    if (this.useBias) this.bias = this.addWeight("bias", [this.filters], this.biasInitializer);
    this.built = true;
  }

  computeOutputShape(inputShape: SymbolicShape): SymbolicShape {
    const image = imageOf(this, inputShape);
    const expected = this.kernel?.shape[2];
    if (expected !== undefined && image[2] !== expected) {
      throw new Error(`Conv2D '${this.name}': expected images with ${expected} channels, got shape ${shapeText(inputShape)}`);
    }
    const g = windowGeometry(`Conv2D '${this.name}'`, {
      image, filter: this.kernelSize, outChannels: this.filters, strides: this.strides, padding: this.padding, dilations: this.dilationRate,
    });
    return [inputShape[0], g.outHeight, g.outWidth, this.filters];
  }

  call(input: tf.Tensor): tf.Tensor {
    this.computeOutputShape(input.shape);
    let output = tf.conv2d(input, this.kernel!, this.strides, this.padding, "NHWC", this.dilationRate);
    if (this.bias) output = tf.biasAdd(output, this.bias);
    return this.activation.fn(output);
  }
}

export interface PoolingOptions extends LayerOptions {
  poolSize?: Window;
  /** Defaults to the pool size, as in Keras. */
  strides?: Window;
  padding?: Padding;
}

abstract class Pooling2D extends Layer {
  readonly poolSize: [number, number];
  readonly strides: [number, number];
  readonly padding: Padding;

  /** `new MaxPooling2D(2)`, `new MaxPooling2D([2, 2], {strides})` or `new MaxPooling2D({poolSize, strides, padding})`. */
  constructor(poolSizeOrOptions: Window | PoolingOptions = {}, options: PoolingOptions, prefix: string) {
    const merged = typeof poolSizeOrOptions === "object" && !Array.isArray(poolSizeOrOptions)
      ? { ...poolSizeOrOptions, ...options } : { ...options, poolSize: poolSizeOrOptions };
    super(merged, prefix);
    this.poolSize = windowPair(prefix, "poolSize", merged.poolSize ?? 2);
    this.strides = windowPair(prefix, "strides", merged.strides ?? this.poolSize);
    this.padding = merged.padding ?? "valid";
  }

  computeOutputShape(inputShape: SymbolicShape): SymbolicShape {
    const image = imageOf(this, inputShape);
    const g = windowGeometry(`${this.className} '${this.name}'`, { image, filter: this.poolSize, outChannels: image[2], strides: this.strides, padding: this.padding });
    return [inputShape[0], g.outHeight, g.outWidth, image[2]];
  }
}

export class MaxPooling2D extends Pooling2D {
  constructor(poolSizeOrOptions?: Window | PoolingOptions, options: PoolingOptions = {}) {
    super(poolSizeOrOptions, options, "max_pooling2d");
  }

  get className() {
    return "MaxPooling2D";
  }

  call(input: tf.Tensor): tf.Tensor {
    this.computeOutputShape(input.shape);
    return tf.maxPool(input, this.poolSize, this.strides, this.padding);
  }
}

export class AveragePooling2D extends Pooling2D {
  constructor(poolSizeOrOptions?: Window | PoolingOptions, options: PoolingOptions = {}) {
    super(poolSizeOrOptions, options, "average_pooling2d");
  }

  get className() {
    return "AveragePooling2D";
  }

  call(input: tf.Tensor): tf.Tensor {
    this.computeOutputShape(input.shape);
    return tf.avgPool(input, this.poolSize, this.strides, this.padding);
  }
}

/** Each sample flattened to one axis: (batch, ...) → (batch, product of the rest). */
export class Flatten extends Layer {
  constructor(options: LayerOptions = {}) {
    super(options, "flatten");
  }

  get className() {
    return "Flatten";
  }

  computeOutputShape(inputShape: SymbolicShape): SymbolicShape {
    const rest = inputShape.slice(1);
    if (rest.some((d) => d === null)) throw new Error(`Flatten '${this.name}': every dimension but the batch must be known, got ${shapeText(inputShape)}`);
    return [inputShape[0], (rest as number[]).reduce((a, b) => a * b, 1)];
  }

  call(input: tf.Tensor): tf.Tensor {
    return tf.reshape(input, [input.shape[0], -1]);
  }
}
