/**
 * Weight initializers with Keras's names and formulas. Without an explicit seed they draw from
 * the engine's random generator, so `tf.random.setSeed(n)` makes a model's initial weights
 * reproducible.
 */
import * as tf from "../core";
import { lookupByName } from "./names";
import type { DType } from "../../display/contract";

export type Initializer = (shape: number[], dtype?: DType) => tf.Tensor;

export interface InitializerSpec {
  name: string;
  seed?: number;
}

function fans(shape: number[]): [number, number] {
  if (shape.length === 0) return [1, 1];
  if (shape.length === 1) return [shape[0], shape[0]];
  const receptive = shape.slice(0, -2).reduce((a, b) => a * b, 1);
  return [shape[shape.length - 2] * receptive, shape[shape.length - 1] * receptive];
}

function uniformWithin(limit: number, seed: number | undefined): Initializer {
  return (shape, dtype) => {
    const values = tf.random.uniform(shape, { minval: -limit, maxval: limit, seed });
    return dtype && dtype !== values.dtype ? tf.cast(values, dtype) : values;
  };
}

const FACTORIES: Record<string, (seed?: number) => Initializer> = {
  /** U(−l, l) with l = √(6 / (fanIn + fanOut)). */
  glorot_uniform: (seed) => (shape, dtype) => {
    const [fanIn, fanOut] = fans(shape);
    return uniformWithin(Math.sqrt(6 / (fanIn + fanOut)), seed)(shape, dtype);
  },
  /** U(−l, l) with l = √(6 / fanIn), for relu layers. */
  he_uniform: (seed) => (shape, dtype) => uniformWithin(Math.sqrt(6 / fans(shape)[0]), seed)(shape, dtype),
  /** Keras's RandomUniform default, U(−0.05, 0.05) (Embedding's default). */
  uniform: (seed) => uniformWithin(0.05, seed),
  random_uniform: (seed) => uniformWithin(0.05, seed),
  zeros: () => (shape, dtype) => tf.zeros(shape, dtype ?? "float32"),
  ones: () => (shape, dtype) => tf.ones(shape, dtype ?? "float32"),
};

/** A name ('glorotUniform', 'glorot_uniform', 'zeros', ...), `{name, seed}`, or a function (shape, dtype) => Tensor. */
export function getInitializer(spec: string | InitializerSpec | Initializer, defaultSeed?: number): Initializer {
  if (typeof spec === "function") return spec;
  if (typeof spec === "string") return lookupByName("initializer", spec, FACTORIES)(defaultSeed);
  if (spec && typeof spec.name === "string") return lookupByName("initializer", spec.name, FACTORIES)(spec.seed ?? defaultSeed);
  throw new TypeError(`initializer must be a name such as 'glorotUniform', {name, seed}, or a function, got ${String(spec)}`);
}
