/** Activation functions by Keras name; each maps a tensor to a tensor of the same shape. */
import * as tf from "../core";
import { lookupByName } from "./names";

export type Activation = (x: tf.Tensor) => tf.Tensor;

const ACTIVATIONS: Record<string, Activation> = {
  linear: (x) => x,
  relu: (x) => tf.relu(x),
  sigmoid: (x) => tf.sigmoid(x),
  tanh: (x) => tf.tanh(x),
  softmax: (x) => tf.softmax(x),
};

export interface ResolvedActivation {
  name: string;
  fn: Activation;
  /** False for a user's function, whatever its name. */
  builtIn: boolean;
}

export function getActivation(activation: string | Activation | null | undefined): ResolvedActivation {
  if (activation == null) return { name: "linear", fn: ACTIVATIONS.linear, builtIn: true };
  if (typeof activation === "function") return { name: activation.name || "custom", fn: activation, builtIn: false };
  const fn = lookupByName("activation", activation, ACTIVATIONS);
  return { name: Object.keys(ACTIVATIONS).find((k) => ACTIVATIONS[k] === fn)!, fn, builtIn: true };
}
