/**
 * The engine workloads, described once: their sizes, their inputs (seeded, so every engine sees
 * the same float32 numbers), and the interface each engine implements them through.
 */

export const MATMUL_SIZES = [64, 128, 256, 512, 1024, 2048];
export const ELEMENTWISE_SIZE = 1_000_000;
/** The scalar chain at two lengths: the cost per op should not grow with the tape. */
export const CHAIN_LENGTHS = [10_000, 100_000];
export const JACOBIAN_SIZES = [100, 1000];
export const MLP = { inputs: 784, hidden: 256, outputs: 10, batch: 64, learningRate: 0.1 };
/** The same MLP step at these batch sizes. */
export const MLP_BATCHES = [64, 512];

/** The scalar chain cycles through these four ops; their derivatives multiply to 0.999 a cycle. */
export const CHAIN_SCALE = 0.999;
export const CHAIN_SHIFT = 0.0001;
export const CHAIN_START = 0.5;

/** A workload set up on one engine: `run` is what gets timed, `values` what gets cross-checked. */
export interface PreparedWorkload {
  run(): void;
  /** Runs once more from the initial state and returns every number the result holds, flattened. */
  values(): Float32Array;
  dispose(): void;
}

export type MlpShape = typeof MLP;

export interface MlpParameters {
  shape: MlpShape;
  w1: Float32Array; // inputs × hidden
  b1: Float32Array; // hidden
  w2: Float32Array; // hidden × outputs
  b2: Float32Array; // outputs
  x: Float32Array; // batch × inputs
  labels: Float32Array; // batch × outputs, one-hot
}

/** Each engine implements every workload the same way over the same inputs. */
export interface EngineWorkloads {
  /** C = A·B for row-major n×n A and B. */
  matmul(a: Float32Array, b: Float32Array, n: number): PreparedWorkload;
  add(a: Float32Array, b: Float32Array): PreparedWorkload;
  mul(a: Float32Array, b: Float32Array): PreparedWorkload;
  exp(a: Float32Array): PreparedWorkload;
  sum(a: Float32Array): PreparedWorkload;
  /** The scalar chain of `ops` ops (see scalarChain); values: [y]. */
  chainForward(ops: number): PreparedWorkload;
  /** The same chain and dy/dx; values: [y, dy/dx]. */
  chainForwardBackward(ops: number): PreparedWorkload;
  /** Jacobian of tanh(W·x) with respect to x (x is n×1); values: the n×n matrix, row-major. */
  jacobian(w: Float32Array, x: Float32Array, n: number): PreparedWorkload;
  /**
   * One SGD step of a relu MLP (784-256-10 in the bench) with softmax cross-entropy (mean over the batch);
   * values: [loss before the step, ...w1, ...b1, ...w2, ...b2 after it].
   */
  mlpStep(parameters: MlpParameters): PreparedWorkload;
}

/** The numbers of several results, one after another, as float32 (what every engine computes in). */
export function concatenate(parts: ArrayLike<number>[]): Float32Array {
  const out = new Float32Array(parts.reduce((total, part) => total + part.length, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

/** mulberry32: a small seeded generator, so inputs are identical across engines and runs. */
export function seededUniform(size: number, seed: number, low = -1, high = 1): Float32Array {
  let state = seed >>> 0;
  const out = new Float32Array(size);
  for (let i = 0; i < size; i++) {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    const unit = ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    out[i] = low + (high - low) * unit;
  }
  return out;
}

export function mlpParameters(shape: MlpShape = MLP): MlpParameters {
  const { inputs, hidden, outputs, batch } = shape;
  // Glorot-uniform limits, as Keras initialises Dense kernels.
  const limit1 = Math.sqrt(6 / (inputs + hidden));
  const limit2 = Math.sqrt(6 / (hidden + outputs));
  const labels = new Float32Array(batch * outputs);
  const classes = seededUniform(batch, 16, 0, outputs);
  for (let row = 0; row < batch; row++) labels[row * outputs + Math.floor(classes[row])] = 1;
  return {
    shape,
    w1: seededUniform(inputs * hidden, 11, -limit1, limit1),
    b1: new Float32Array(hidden),
    w2: seededUniform(hidden * outputs, 12, -limit2, limit2),
    b2: new Float32Array(outputs),
    x: seededUniform(batch * inputs, 13, 0, 1),
    labels,
  };
}

/** The ops the scalar chain uses, so each engine runs the very same sequence. */
export interface ChainOps<T> {
  mul(a: T, b: T): T;
  exp(a: T): T;
  log(a: T): T;
  add(a: T, b: T): T;
}

/** `ops` scalar ops cycling y·scale, exp, log, y+shift; exp and log cancel, keeping y near 0.1. */
export function scalarChain<T>(x: T, ops: number, scale: T, shift: T, engine: ChainOps<T>): T {
  let y = x;
  for (let i = 0; i < ops; i++) {
    switch (i % 4) {
      case 0: y = engine.mul(y, scale); break;
      case 1: y = engine.exp(y); break;
      case 2: y = engine.log(y); break;
      default: y = engine.add(y, shift);
    }
  }
  return y;
}

/** Float64 dual numbers [value, derivative]: forward-mode differentiation by hand. */
type Dual = [number, number];
const dualOps: ChainOps<Dual> = {
  mul: ([a, da], [b, db]) => [a * b, da * b + a * db],
  exp: ([a, da]) => [Math.exp(a), Math.exp(a) * da],
  log: ([a, da]) => [Math.log(a), da / a],
  add: ([a, da], [b, db]) => [a + b, da + db],
};

/** The chain's value and derivative in float64, as an independent check of every engine. */
export function chainReference(ops: number): { value: number; derivative: number } {
  const [value, derivative] = scalarChain<Dual>([CHAIN_START, 1], ops, [CHAIN_SCALE, 0], [CHAIN_SHIFT, 0], dualOps);
  return { value, derivative };
}
