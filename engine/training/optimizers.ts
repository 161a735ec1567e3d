/**
 * SGD, Adam, RMSprop and Adagrad with Keras's defaults and update rules (Keras 3 /
 * TF >= 2.11 optimizers), so that numbers match TensorFlow's step for step.
 */
import * as tf from "../core";
import { Optimizer, type Slots } from "./optimizer";
import { lookupByName } from "./names";
import type { LearningRate } from "./schedules";

function zerosLike(variable: tf.Variable): tf.Tensor {
  return tf.zeros(variable.shape, variable.dtype);
}

function requireInRange(where: string, value: number, low: number, high: number, includeHigh = true): number {
  const ok = typeof value === "number" && value >= low && (includeHigh ? value <= high : value < high);
  if (!ok) throw new Error(`${where} must be a number in [${low}, ${high}${includeHigh ? "]" : ")"}, got ${String(value)}`);
  return value;
}

export interface SGDOptions {
  learningRate?: LearningRate;
  momentum?: number;
  nesterov?: boolean;
}

/** velocity = momentum·velocity − lr·g; w += velocity (Nesterov: w += momentum·velocity − lr·g). */
export class SGD extends Optimizer {
  readonly momentum: number;
  readonly nesterov: boolean;

  constructor({ learningRate = 0.01, momentum = 0, nesterov = false }: SGDOptions = {}) {
    super(learningRate, "SGD");
    this.momentum = requireInRange("SGD: momentum", momentum, 0, 1);
    this.nesterov = nesterov;
  }

  protected override initialSlots(variable: tf.Variable): Slots {
    return this.momentum === 0 ? {} : { momentum: zerosLike(variable) };
  }

  protected updateStep(gradient: tf.Tensor, variable: tf.Variable, lr: number, slots: Slots): void {
    if (this.momentum === 0) {
      variable.assignSub(tf.mul(gradient, lr));
      return;
    }
    const step = tf.mul(gradient, lr);
    slots.momentum = tf.sub(tf.mul(slots.momentum, this.momentum), step);
    variable.assignAdd(this.nesterov ? tf.sub(tf.mul(slots.momentum, this.momentum), step) : slots.momentum);
  }

  getConfig() {
    return { learningRate: this.learningRate, momentum: this.momentum, nesterov: this.nesterov };
  }
}

export interface AdamOptions {
  learningRate?: LearningRate;
  beta1?: number;
  beta2?: number;
  epsilon?: number;
  amsgrad?: boolean;
}

/**
 * m += (g − m)(1 − β1); v += (g² − v)(1 − β2); w −= α·m / (√v + ε) with
 * α = lr·√(1 − β2^t)/(1 − β1^t): the bias correction folded into the step size, epsilon outside
 * the square root ("epsilon hat").
 */
export class Adam extends Optimizer {
  readonly beta1: number;
  readonly beta2: number;
  readonly epsilon: number;
  readonly amsgrad: boolean;

  constructor({ learningRate = 0.001, beta1 = 0.9, beta2 = 0.999, epsilon = 1e-7, amsgrad = false }: AdamOptions = {}) {
    super(learningRate, "Adam");
    this.beta1 = requireInRange("Adam: beta1", beta1, 0, 1, false);
    this.beta2 = requireInRange("Adam: beta2", beta2, 0, 1, false);
    this.epsilon = requireInRange("Adam: epsilon", epsilon, 0, Infinity);
    this.amsgrad = amsgrad;
  }

  protected override initialSlots(variable: tf.Variable): Slots {
    const slots: Slots = { m: zerosLike(variable), v: zerosLike(variable) };
    if (this.amsgrad) slots.vHat = zerosLike(variable);
    return slots;
  }

  protected updateStep(gradient: tf.Tensor, variable: tf.Variable, lr: number, slots: Slots): void {
    const t = this.iterations + 1;
    const alpha = (lr * Math.sqrt(1 - Math.pow(this.beta2, t))) / (1 - Math.pow(this.beta1, t));
    slots.m = tf.add(slots.m, tf.mul(tf.sub(gradient, slots.m), 1 - this.beta1));
    slots.v = tf.add(slots.v, tf.mul(tf.sub(tf.square(gradient), slots.v), 1 - this.beta2));
    let v = slots.v;
    if (this.amsgrad) v = slots.vHat = tf.maximum(slots.vHat, slots.v);
    variable.assignSub(tf.div(tf.mul(slots.m, alpha), tf.add(tf.sqrt(v), this.epsilon)));
  }

  getConfig() {
    return { learningRate: this.learningRate, beta1: this.beta1, beta2: this.beta2, epsilon: this.epsilon, amsgrad: this.amsgrad };
  }
}

export interface RMSpropOptions {
  learningRate?: LearningRate;
  rho?: number;
  momentum?: number;
  epsilon?: number;
  centered?: boolean;
}

/** ms = ρ·ms + (1 − ρ)g²; step = lr·g / √(ms + ε) (centered: √(ms − mg² + ε)); with momentum, mom = μ·mom + step. */
export class RMSprop extends Optimizer {
  readonly rho: number;
  readonly momentum: number;
  readonly epsilon: number;
  readonly centered: boolean;

  constructor({ learningRate = 0.001, rho = 0.9, momentum = 0, epsilon = 1e-7, centered = false }: RMSpropOptions = {}) {
    super(learningRate, "RMSprop");
    this.rho = requireInRange("RMSprop: rho", rho, 0, 1);
    this.momentum = requireInRange("RMSprop: momentum", momentum, 0, 1);
    this.epsilon = requireInRange("RMSprop: epsilon", epsilon, 0, Infinity);
    this.centered = centered;
  }

  protected override initialSlots(variable: tf.Variable): Slots {
    const slots: Slots = { velocity: zerosLike(variable) };
    if (this.momentum > 0) slots.momentum = zerosLike(variable);
    if (this.centered) slots.averageGradient = zerosLike(variable);
    return slots;
  }

  protected updateStep(gradient: tf.Tensor, variable: tf.Variable, lr: number, slots: Slots): void {
    slots.velocity = tf.add(tf.mul(slots.velocity, this.rho), tf.mul(tf.square(gradient), 1 - this.rho));
    let denominator: tf.Tensor;
    if (this.centered) {
      slots.averageGradient = tf.add(tf.mul(slots.averageGradient, this.rho), tf.mul(gradient, 1 - this.rho));
      denominator = tf.add(tf.sub(slots.velocity, tf.square(slots.averageGradient)), this.epsilon);
    } else {
      denominator = tf.add(slots.velocity, this.epsilon);
    }
    const increment = tf.div(tf.mul(gradient, lr), tf.sqrt(denominator));
    if (this.momentum > 0) {
      slots.momentum = tf.add(tf.mul(slots.momentum, this.momentum), increment);
      variable.assignSub(slots.momentum);
    } else {
      variable.assignSub(increment);
    }
  }

  getConfig() {
    return { learningRate: this.learningRate, rho: this.rho, momentum: this.momentum, epsilon: this.epsilon, centered: this.centered };
  }
}

export interface AdagradOptions {
  learningRate?: LearningRate;
  initialAccumulatorValue?: number;
  epsilon?: number;
}

/** acc += g²; w −= lr·g / √(acc + ε). */
export class Adagrad extends Optimizer {
  readonly initialAccumulatorValue: number;
  readonly epsilon: number;

  constructor({ learningRate = 0.001, initialAccumulatorValue = 0.1, epsilon = 1e-7 }: AdagradOptions = {}) {
    super(learningRate, "Adagrad");
    this.initialAccumulatorValue = requireInRange("Adagrad: initialAccumulatorValue", initialAccumulatorValue, 0, Infinity);
    this.epsilon = requireInRange("Adagrad: epsilon", epsilon, 0, Infinity);
  }

  protected override initialSlots(variable: tf.Variable): Slots {
    return { accumulator: tf.add(zerosLike(variable), this.initialAccumulatorValue) };
  }

  protected updateStep(gradient: tf.Tensor, variable: tf.Variable, lr: number, slots: Slots): void {
    slots.accumulator = tf.add(slots.accumulator, tf.square(gradient));
    variable.assignSub(tf.div(tf.mul(gradient, lr), tf.sqrt(tf.add(slots.accumulator, this.epsilon))));
  }

  getConfig() {
    return { learningRate: this.learningRate, initialAccumulatorValue: this.initialAccumulatorValue, epsilon: this.epsilon };
  }
}

const BY_NAME: Record<string, () => Optimizer> = {
  sgd: () => new SGD(),
  adam: () => new Adam(),
  rmsprop: () => new RMSprop(),
  adagrad: () => new Adagrad(),
};

/** An optimizer from Keras's string names ('sgd', 'adam', ...) with default settings, or the instance given. */
export function getOptimizer(optimizer: string | Optimizer): Optimizer {
  if (optimizer instanceof Optimizer) return optimizer;
  if (typeof optimizer !== "string") {
    throw new TypeError(`optimizer must be a name (${Object.keys(BY_NAME).join(", ")}) or an optimizer instance, got ${typeof optimizer}`);
  }
  return lookupByName("optimizer", optimizer.toLowerCase(), BY_NAME)();
}
