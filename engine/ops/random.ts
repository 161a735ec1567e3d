/**
 * Seeded random tensors. `setSeed(n)` makes everything after it reproducible; an op-level `seed`
 * gives the same values on every call (so re-running a notebook cell gives the same numbers).
 */
import { allocate, type DType } from "../storage/dtype";
import { sizeOf } from "../storage/shape";
import { Tensor } from "../storage/tensor";

/** sfc32, seeded through splitmix32: fast, 128-bit state, good statistical quality. */
export class Random {
  private a: number; private b: number; private c: number; private d: number;

  constructor(seed: number) {
    let s = seed >>> 0;
    const next = () => {
      s = (s + 0x9e3779b9) | 0;
      let z = s;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
      return (z ^ (z >>> 16)) >>> 0;
    };
    this.a = next(); this.b = next(); this.c = next(); this.d = next();
    for (let i = 0; i < 12; i++) this.nextUint32();
  }

  nextUint32(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    return t >>> 0;
  }

  /** Uniform in [0, 1). */
  next(): number {
    return this.nextUint32() / 4294967296;
  }

  /** Standard normal (Box–Muller). */
  normal(): number {
    let u = 0;
    while (u === 0) u = this.next();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * this.next());
  }
}

let globalSeed: number | undefined;
let globalRandom = new Random((Math.random() * 2 ** 32) >>> 0);

export function setSeed(seed: number): void {
  if (!Number.isFinite(seed)) throw new TypeError(`random.setSeed: seed must be a number, got ${seed}`);
  globalSeed = seed;
  globalRandom = new Random(seed);
}

function generator(seed: number | undefined): Random {
  if (seed === undefined) return globalRandom;
  return new Random(((globalSeed ?? 0) * 1_000_003 + seed) >>> 0);
}

export interface NormalOptions { mean?: number; stddev?: number; seed?: number; dtype?: DType }
export interface UniformOptions { minval?: number; maxval?: number; seed?: number; dtype?: DType }

function fillWith(shape: number[], dtype: DType, draw: () => number): Tensor {
  const out = allocate(dtype, sizeOf(shape));
  for (let i = 0; i < out.length; i++) out[i] = draw();
  return new Tensor(out, shape.slice(), dtype);
}

export function normal(shape: number[], options: NormalOptions = {}): Tensor {
  const { mean = 0, stddev = 1, dtype = "float32" } = options;
  const rng = generator(options.seed);
  return fillWith(shape, dtype, () => mean + stddev * rng.normal());
}

/** Normal values redrawn until within two standard deviations (tf.random.truncated_normal). */
export function truncatedNormal(shape: number[], options: NormalOptions = {}): Tensor {
  const { mean = 0, stddev = 1, dtype = "float32" } = options;
  const rng = generator(options.seed);
  return fillWith(shape, dtype, () => {
    let z;
    do z = rng.normal(); while (Math.abs(z) > 2);
    return mean + stddev * z;
  });
}

export function uniform(shape: number[], options: UniformOptions = {}): Tensor {
  const { dtype = "float32" } = options;
  const minval = options.minval ?? 0;
  const maxval = options.maxval ?? (dtype === "int32" ? undefined : 1);
  if (maxval === undefined) throw new Error("random.uniform: maxval is required for int32");
  const rng = generator(options.seed);
  const draw = dtype === "int32" ? () => minval + Math.floor(rng.next() * (maxval - minval)) : () => minval + rng.next() * (maxval - minval);
  return fillWith(shape, dtype, draw);
}

/** A random permutation of 0..n-1 (Fisher–Yates). */
export function permutation(n: number, options: { seed?: number } = {}): Int32Array {
  const p = new Int32Array(n);
  for (let i = 0; i < n; i++) p[i] = i;
  shuffleInPlace(p, generator(options.seed));
  return p;
}

/** Fisher–Yates on an existing order, drawing from `rng` (e.g. a fit's own seeded stream). */
export function shuffleInPlace(order: Int32Array, rng: Random): void {
  for (let i = order.length - 1; i > 0; i--) {
    const j = Math.floor(rng.next() * (i + 1));
    const swap = order[i];
    order[i] = order[j];
    order[j] = swap;
  }
}

/** The rows of `x` in random order (tf.random.shuffle). */
export function shuffle(x: Tensor, options: { seed?: number } = {}): Tensor {
  const n = x.shape[0] ?? 1;
  const row = x.size / Math.max(n, 1);
  const order = permutation(n, options);
  const out = allocate(x.dtype, x.size);
  for (let i = 0; i < n; i++) out.set(x.values.subarray(order[i] * row, (order[i] + 1) * row), i * row);
  return new Tensor(out, x.shape.slice(), x.dtype);
}
