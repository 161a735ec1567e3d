/**
 * Learning-rate schedules: a learning rate that depends on the optimizer's step count
 * (`optimizer.iterations`, 0 for the first update), as Keras's schedules do.
 */

export interface LearningRateSchedule {
  call(step: number): number;
}

/** What `learningRate` accepts: a number, a schedule object, or a function of the step. */
export type LearningRate = number | LearningRateSchedule | ((step: number) => number);

export interface ExponentialDecayOptions {
  initialLearningRate: number;
  decaySteps: number;
  decayRate: number;
  /** Decay in whole intervals of `decaySteps` (a staircase) instead of continuously. */
  staircase?: boolean;
}

/** `initialLearningRate * decayRate ^ (step / decaySteps)`. */
export class ExponentialDecay implements LearningRateSchedule {
  readonly initialLearningRate: number;
  readonly decaySteps: number;
  readonly decayRate: number;
  readonly staircase: boolean;

  constructor(options: ExponentialDecayOptions) {
    const { initialLearningRate, decaySteps, decayRate, staircase = false } = options ?? ({} as ExponentialDecayOptions);
    requirePositive("ExponentialDecay: initialLearningRate", initialLearningRate, true);
    requirePositive("ExponentialDecay: decaySteps", decaySteps, false);
    requirePositive("ExponentialDecay: decayRate", decayRate, false);
    this.initialLearningRate = initialLearningRate;
    this.decaySteps = decaySteps;
    this.decayRate = decayRate;
    this.staircase = staircase;
  }

  call(step: number): number {
    const exponent = step / this.decaySteps;
    return this.initialLearningRate * Math.pow(this.decayRate, this.staircase ? Math.floor(exponent) : exponent);
  }
}

export interface PiecewiseConstantDecayOptions {
  /** Step counts at which the rate changes, increasing. */
  boundaries: number[];
  /** One more value than boundaries: the rate before the first boundary, between them, and after. */
  values: number[];
}

export class PiecewiseConstantDecay implements LearningRateSchedule {
  readonly boundaries: number[];
  readonly values: number[];

  constructor({ boundaries, values }: PiecewiseConstantDecayOptions) {
    if (!Array.isArray(boundaries) || !Array.isArray(values) || values.length !== boundaries.length + 1) {
      throw new Error(
        `PiecewiseConstantDecay: values must have one more entry than boundaries, got ${values?.length} values for ${boundaries?.length} boundaries`,
      );
    }
    this.boundaries = boundaries.slice();
    this.values = values.slice();
  }

  call(step: number): number {
    const index = this.boundaries.findIndex((boundary) => step <= boundary);
    return this.values[index === -1 ? this.values.length - 1 : index];
  }
}

/** The learning rate at `step`, checked so a schedule that returns nonsense fails loudly. */
export function learningRateAt(rate: LearningRate, step: number): number {
  const value = typeof rate === "number" ? rate : typeof rate === "function" ? rate(step) : rate.call(step);
  if (typeof value !== "number" || !Number.isFinite(value) || value < 0) {
    throw new Error(`learning rate at step ${step} must be a finite number >= 0, got ${String(value)}`);
  }
  return value;
}

export function validateLearningRate(rate: unknown, where: string): LearningRate {
  if (typeof rate === "number") {
    requirePositive(`${where}: learningRate`, rate, true);
    return rate;
  }
  if (typeof rate === "function") return rate as (step: number) => number;
  if (rate && typeof (rate as LearningRateSchedule).call === "function") return rate as LearningRateSchedule;
  throw new TypeError(`${where}: learningRate must be a number, a schedule or a function of the step, got ${String(rate)}`);
}

function requirePositive(what: string, value: unknown, allowZero: boolean): void {
  if (typeof value !== "number" || !Number.isFinite(value) || value < 0 || (!allowZero && value === 0)) {
    throw new Error(`${what} must be a finite number ${allowZero ? ">= 0" : "> 0"}, got ${String(value)}`);
  }
}
