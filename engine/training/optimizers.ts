/**
 * SGD, Adam, RMSprop and Adagrad with Keras's defaults and update rules (Keras 3 /
 * TF >= 2.11 optimizers), applied elementwise to flat arrays in one pass per variable.
 */
import * as tf from "../core";
import { gradientTensor, Optimizer, type Slots, type UpdateContext } from "./optimizer";
import { lookupByName } from "./names";
import type { LearningRate } from "./schedules";

function requireInRange(where: string, value: number, low: number, high: number, includeHigh = true): number {
  const ok = typeof value === "number" && value >= low && (includeHigh ? value <= high : value < high);
  if (!ok) throw new Error(`${where} must be a number in [${low}, ${high}${includeHigh ? "]" : ")"}, got ${String(value)}`);
  return value;
}

function zeros(size: number, float64: boolean, fill = 0): Float32Array | Float64Array {
  return (float64 ? new Float64Array(size) : new Float32Array(size)).fill(fill);
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

  protected override initialSlots(size: number, float64: boolean): Slots {
    return this.momentum === 0 ? {} : { momentum: zeros(size, float64) };
  }

  /**
   * Without momentum, TF's own step: variable.assign_sub(gradient·lr) in the variable's dtype,
   * which for a large variable is one fused pass (ops/scaled-product.ts). Tapes that track the
   * gradient record it, as they record TF's assign ops.
   */
  protected override applyUpdate(gradient: tf.Tensor | ArrayLike<number>, variable: tf.Variable, learningRate: number): void {
    if (this.momentum !== 0 || (variable.dtype !== "float32" && variable.dtype !== "float64")) return super.applyUpdate(gradient, variable, learningRate);
    variable.assignSub(tf.mul(gradientTensor(gradient, variable), learningRate));
  }

  protected updateStep({ weights: w, gradient: g, learningRate: lr, slots }: UpdateContext): void {
    if (this.momentum === 0) {
      // Only variables of other dtypes get here.
      for (let i = 0; i < w.length; i++) w[i] -= g[i] * lr;
      return;
    }
    const m = slots.momentum;
    const mu = this.momentum;
    for (let i = 0; i < w.length; i++) {
      const step = g[i] * lr;
      m[i] = m[i] * mu - step;
      w[i] += this.nesterov ? m[i] * mu - step : m[i];
    }
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

  protected override initialSlots(size: number, float64: boolean): Slots {
    const slots: Slots = { m: zeros(size, float64), v: zeros(size, float64) };
    if (this.amsgrad) slots.vHat = zeros(size, float64);
    return slots;
  }

  protected updateStep({ weights: w, gradient: g, learningRate: lr, slots }: UpdateContext): void {
    const t = this.iterations + 1;
    const alpha = (lr * Math.sqrt(1 - Math.pow(this.beta2, t))) / (1 - Math.pow(this.beta1, t));
    const oneMinusBeta1 = 1 - this.beta1;
    const oneMinusBeta2 = 1 - this.beta2;
    const epsilon = this.epsilon;
    const { m, v, vHat } = slots;
    for (let i = 0; i < w.length; i++) {
      const gi = g[i];
      m[i] += (gi - m[i]) * oneMinusBeta1;
      v[i] += (gi * gi - v[i]) * oneMinusBeta2;
      let vi = v[i];
      if (vHat) vi = vHat[i] = Math.max(vHat[i], vi);
      w[i] -= (m[i] * alpha) / (Math.sqrt(vi) + epsilon);
    }
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

  protected override initialSlots(size: number, float64: boolean): Slots {
    const slots: Slots = { velocity: zeros(size, float64) };
    if (this.momentum > 0) slots.momentum = zeros(size, float64);
    if (this.centered) slots.averageGradient = zeros(size, float64);
    return slots;
  }

  protected updateStep({ weights: w, gradient: g, learningRate: lr, slots }: UpdateContext): void {
    const rho = this.rho, oneMinusRho = 1 - this.rho, epsilon = this.epsilon, mu = this.momentum;
    const { velocity, averageGradient, momentum } = slots;
    for (let i = 0; i < w.length; i++) {
      const gi = g[i];
      velocity[i] = rho * velocity[i] + oneMinusRho * gi * gi;
      let denominator: number;
      if (averageGradient) {
        averageGradient[i] = rho * averageGradient[i] + oneMinusRho * gi;
        denominator = velocity[i] - averageGradient[i] * averageGradient[i] + epsilon;
      } else {
        denominator = velocity[i] + epsilon;
      }
      const increment = (lr * gi) / Math.sqrt(denominator);
      if (momentum) {
        momentum[i] = mu * momentum[i] + increment;
        w[i] -= momentum[i];
      } else {
        w[i] -= increment;
      }
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

  protected override initialSlots(size: number, float64: boolean): Slots {
    return { accumulator: zeros(size, float64, this.initialAccumulatorValue) };
  }

  protected updateStep({ weights: w, gradient: g, learningRate: lr, slots }: UpdateContext): void {
    const epsilon = this.epsilon;
    const accumulator = slots.accumulator;
    for (let i = 0; i < w.length; i++) {
      const gi = g[i];
      accumulator[i] += gi * gi;
      w[i] -= (lr * gi) / Math.sqrt(accumulator[i] + epsilon);
    }
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
