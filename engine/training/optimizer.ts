/**
 * The optimizer base class: step counting, learning-rate schedules, per-variable state, and the
 * checks around gradients (missing, misshapen) that TensorFlow users most often trip over.
 */
import * as tf from "../core";
import { shapeText } from "./names";
import { learningRateAt, validateLearningRate, type LearningRate } from "./schedules";

export type GradientPair = readonly [tf.Tensor | null | undefined, tf.Variable];

/** Per-variable optimizer state (momenta, accumulators) as flat arrays, updated in place. */
export type Slots = Record<string, Float32Array | Float64Array>;

/**
 * What one update works on. Rules compute each element in double precision; storing into the
 * float32 arrays rounds it, and the learning rate is cast to the variable's dtype as TF does.
 */
export interface UpdateContext {
  /** The new weights: starts as a copy of the current ones, updated in place. */
  weights: Float32Array | Float64Array;
  gradient: ArrayLike<number>;
  learningRate: number;
  slots: Slots;
}

/** A gradient as a tensor of its variable's shape and dtype (flat arrays of that dtype are used as they are). */
export function gradientTensor(gradient: tf.Tensor | ArrayLike<number>, variable: tf.Variable): tf.Tensor {
  if (gradient instanceof tf.Tensor) return gradient.dtype === variable.dtype ? gradient : tf.cast(gradient, variable.dtype);
  const float64 = variable.dtype === "float64";
  const values = float64 ? (gradient instanceof Float64Array ? gradient : Float64Array.from(gradient)) : gradient instanceof Float32Array ? gradient : Float32Array.from(gradient);
  return new tf.Tensor(values, variable.shape.slice(), variable.dtype);
}

export function variableLabel(variable: tf.Variable, index: number): string {
  const name = (variable as { name?: string }).name;
  return name ? name : `variable #${index}`;
}

export abstract class Optimizer {
  /** Updates applied so far; schedules see this count (0 for the first update). */
  iterations = 0;
  readonly name: string;
  private rate: LearningRate;
  private readonly slots = new Map<tf.Variable, Slots>();
  private readonly warnedUnconnected = new Set<tf.Variable>();

  constructor(learningRate: LearningRate, name: string) {
    this.name = name;
    this.rate = validateLearningRate(learningRate, name);
  }

  /** The learning rate the next update will use. */
  get learningRate(): number {
    return learningRateAt(this.rate, this.iterations);
  }

  set learningRate(rate: LearningRate) {
    this.rate = validateLearningRate(rate, this.name);
  }

  /**
   * Computes the gradients of `lossFn()` with respect to `varList` (by default every trainable
   * variable the loss reads) and applies them. Returns the loss.
   */
  minimize(lossFn: () => tf.Tensor, varList?: tf.Variable[] | (() => tf.Variable[])): tf.Tensor {
    if (typeof lossFn !== "function") {
      throw new TypeError(`${this.name}.minimize: the loss must be a function that computes it (e.g. () => x.square()), got ${typeof lossFn}`);
    }
    const tape = new tf.GradientTape();
    const loss = tape.record(lossFn) as unknown;
    if (loss instanceof Promise) throw new Error(`${this.name}.minimize: the loss function must be synchronous`);
    if (!(loss instanceof tf.Tensor)) {
      throw new TypeError(`${this.name}.minimize: the loss function must return a tensor, got ${loss === null ? "null" : typeof loss}`);
    }
    const variables = typeof varList === "function" ? varList() : varList ?? tape.watchedVariables();
    if (!Array.isArray(variables) || variables.length === 0) {
      throw new Error(`${this.name}.minimize: no variables to optimize: pass varList, e.g. minimize(loss, [x])`);
    }
    const gradients = tape.gradient(loss, variables) as (tf.Tensor | null)[];
    this.applyGradients(variables.map((variable, i) => [gradients[i], variable] as const));
    return loss;
  }

  /** Applies `[[gradient, variable], ...]` and counts one step. Variables without a gradient are skipped. */
  applyGradients(pairs: Iterable<GradientPair>): void {
    const list = [...pairs];
    list.forEach((pair, i) => {
      if (!Array.isArray(pair) || pair.length !== 2 || !(pair[1] instanceof tf.Variable)) {
        throw new TypeError(`${this.name}.applyGradients: entry ${i} must be a pair [gradient, variable]`);
      }
    });
    const connected = list.filter(([gradient]) => gradient != null) as [tf.Tensor, tf.Variable][];
    if (connected.length === 0) {
      const names = list.map(([, v], i) => variableLabel(v, i)).join(", ");
      throw new Error(
        `No gradients provided for any variable: none of the variables [${names}] is connected to the loss. ` +
          `The tape only sees operations that run while it records: the loss must be computed from these variables ` +
          `with tensor operations inside the loss function (not from values read with .numpy() or .item(), and not from a copy).`,
      );
    }
    const unconnected = list
      .map(([gradient, variable], i) => ({ gradient, variable, label: variableLabel(variable, i) }))
      .filter(({ gradient, variable }) => gradient == null && !this.warnedUnconnected.has(variable));
    if (unconnected.length > 0) {
      unconnected.forEach(({ variable }) => this.warnedUnconnected.add(variable));
      console.warn(
        `Gradients do not exist for variables [${unconnected.map((u) => u.label).join(", ")}] when minimizing the loss: ` +
          `they are not connected to it, so ${this.name} leaves them unchanged.`,
      );
    }
    for (const [gradient, variable] of connected) {
      if (gradient.shape.length !== variable.shape.length || gradient.shape.some((d, i) => d !== variable.shape[i])) {
        throw new Error(
          `${this.name}.applyGradients: gradient of shape ${shapeText(gradient.shape)} does not match variable ` +
            `${variableLabel(variable, list.findIndex(([, v]) => v === variable))} of shape ${shapeText(variable.shape)}`,
        );
      }
    }
    this.applyEach(connected);
  }

  /** applyGradients for gradients already held as flat arrays (checked by the caller). */
  applyFlatGradients(pairs: [ArrayLike<number>, tf.Variable][]): void {
    this.applyEach(pairs);
  }

  private applyEach(pairs: readonly (readonly [tf.Tensor | ArrayLike<number>, tf.Variable])[]): void {
    const learningRate = this.learningRate;
    for (const [gradient, variable] of pairs) this.applyUpdate(gradient, variable, learningRate);
    this.iterations++;
  }

  /** One variable's update: by default the rule's `updateStep` on a copy of the weights. */
  protected applyUpdate(gradient: tf.Tensor | ArrayLike<number>, variable: tf.Variable, learningRate: number): void {
    const float64 = variable.dtype === "float64";
    let slots = this.slots.get(variable);
    if (!slots) {
      slots = this.initialSlots(variable.size, float64);
      this.slots.set(variable, slots);
    }
    const current = variable.value().values;
    const weights = float64 ? Float64Array.from(current) : Float32Array.from(current);
    // Rules only read the gradient, so a tensor's own values serve without a copy.
    const flat = gradient instanceof tf.Tensor ? gradient.values : gradient;
    this.updateStep({ weights, gradient: flat, learningRate: float64 ? learningRate : Math.fround(learningRate), slots });
    variable.assign(new tf.Tensor(weights, variable.shape.slice(), variable.dtype));
  }

  /** The optimizer's state for one variable as tensors, e.g. `{m, v}` for Adam (empty before its first update). */
  getSlots(variable: tf.Variable): Record<string, tf.Tensor> {
    const slots = this.slots.get(variable) ?? {};
    return Object.fromEntries(Object.entries(slots).map(([name, values]) => [name, new tf.Tensor(values.slice(), variable.shape.slice(), variable.dtype)]));
  }

  protected initialSlots(_size: number, _float64: boolean): Slots {
    return {};
  }

  /** One update of one variable's weights and state. */
  protected abstract updateStep(context: UpdateContext): void;

  abstract getConfig(): Record<string, unknown>;

  toString(): string {
    const config = Object.entries(this.getConfig()).map(([k, v]) => `${k}=${v}`).join(", ");
    return `${this.name}(${config})`;
  }

  [Symbol.for("Jupyter.display")](): Record<string, unknown> {
    return { "text/plain": `<${this.toString()}, iterations=${this.iterations}>` };
  }
}
