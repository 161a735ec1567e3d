/**
 * Finds where a non-finite loss first came from, by replaying the batch layer by layer (and op
 * by op inside Dense layers), so the error can name it instead of only saying "NaN".
 */
import * as tf from "../core";
import type { Dataset } from "./data";
import { toTensor } from "./data";
import { Dense, InputLayer } from "./layers";
import type { CompiledState, Model } from "./model";

function nonFiniteCount(values: ArrayLike<number>): number {
  let count = 0;
  for (let i = 0; i < values.length; i++) if (!Number.isFinite(values[i])) count++;
  return count;
}

const isFinite = (t: { dataSync(): ArrayLike<number> }) => nonFiniteCount(t.dataSync()) === 0;

function denseSteps(layer: Dense, input: tf.Tensor): string | undefined {
  let value = tf.matmul(input, layer.kernel!);
  if (!isFinite(value)) return `matmul in layer '${layer.name}'`;
  if (layer.bias) {
    value = tf.add(value, layer.bias);
    if (!isFinite(value)) return `the bias add in layer '${layer.name}'`;
  }
  if (!isFinite(layer.activation.fn(value))) return `the ${layer.activation.name} activation of layer '${layer.name}'`;
  return undefined;
}

export function describeNonFinite(model: Model, compiled: CompiledState, x: Dataset, y: Dataset): string {
  try {
    const badInputs = nonFiniteCount(x.values);
    if (badInputs) return `The batch's inputs x contain ${badInputs} NaN or infinite values.`;
    const badLabels = nonFiniteCount(y.values);
    if (badLabels) return `The batch's labels y contain ${badLabels} NaN or infinite values.`;
    for (const layer of model.layers) {
      const bad = layer.weights.filter((w) => !isFinite(w));
      if (bad.length) return `The weights ${bad.map((w) => w.name).join(", ")} are not finite (an earlier update diverged: try a smaller learning rate).`;
    }
    let value = toTensor(x);
    for (const layer of model.layers) {
      if (layer instanceof InputLayer) continue;
      if (layer instanceof Dense) {
        const culprit = denseSteps(layer, value);
        if (culprit) return `The first non-finite value came from ${culprit} (the values grew too large: try a smaller learning rate or scaled inputs).`;
      }
      value = layer.apply(value);
      if (!isFinite(value)) return `The first non-finite value came from layer '${layer.name}'.`;
    }
    const largest = Math.max(...Array.from(value.dataSync(), Math.abs));
    if (largest > 1e15) {
      return `The predictions reach ${largest.toExponential(1)}, so the loss '${compiled.lossName}' overflowed float32: training diverged (try a smaller learning rate or scaled inputs).`;
    }
    return `Every layer's output is finite; the loss '${compiled.lossName}' produced it (e.g. the log of 0 or a division by 0).`;
  } catch {
    return "";
  }
}
