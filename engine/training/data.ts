/**
 * Training data as flat row-major arrays: batches are copied out by row, which is cheaper than
 * slicing tensors and keeps fit independent of how the inputs were given.
 */
import * as tf from "../core";
import type { CompiledState, Model } from "./model";
import { fusedLossAndGradients, fusedPlanFor } from "./fused";

type FlatArray = Float32Array | Float64Array | Int32Array | Uint8Array;

export type DataInput = tf.Tensor | number[] | number[][] | number[][][] | FlatArray;

export interface Dataset {
  values: FlatArray;
  /** `[samples, ...one sample's shape]`. */
  shape: number[];
}

export function asDataset(input: DataInput, what: string): Dataset {
  if (input === undefined || input === null) throw new Error(`${what} is missing`);
  const tensor = input instanceof tf.Tensor ? input : tf.constant(input as number[]);
  if (tensor.shape.length === 0) throw new Error(`${what} must have a batch dimension, got a scalar`);
  return { values: tensor.dataSync() as FlatArray, shape: tensor.shape.slice() };
}

export function rowSize(data: Dataset): number {
  return data.shape.slice(1).reduce((a, b) => a * b, 1);
}

export function sampleCount(data: Dataset): number {
  return data.shape[0];
}

/** Rows `start..end` (a view, no copy). */
export function sliceRows(data: Dataset, start: number, end: number): Dataset {
  const width = rowSize(data);
  return { values: data.values.subarray(start * width, end * width), shape: [end - start, ...data.shape.slice(1)] };
}

/** The rows `order[start..end]`, copied into one new array. */
export function gatherRows(data: Dataset, order: ArrayLike<number>, start: number, end: number): Dataset {
  const width = rowSize(data);
  const source = data.values;
  const out = new (source.constructor as new (n: number) => FlatArray)((end - start) * width);
  // A plain loop: rows are often a single number, where subarray + set would cost far more.
  for (let i = start, o = 0; i < end; i++) {
    const from = order[i] * width;
    for (let j = 0; j < width; j++) out[o++] = source[from + j];
  }
  return { values: out, shape: [end - start, ...data.shape.slice(1)] };
}

export function toTensor(data: Dataset): tf.Tensor {
  return tf.constant(data.values, data.shape);
}

/** Sample-weighted running means of the loss and metrics, as Keras reports them. */
export class RunningMeans {
  private readonly totals = new Map<string, { total: number; count: number }>();

  add(name: string, total: number, count: number): void {
    const entry = this.totals.get(name) ?? { total: 0, count: 0 };
    entry.total += total;
    entry.count += count;
    this.totals.set(name, entry);
  }

  means(prefix = ""): Record<string, number> {
    const out: Record<string, number> = {};
    for (const [name, { total, count }] of this.totals) out[prefix + name] = total / count;
    return out;
  }
}

/** The model's predictions and loss on one batch (recorded by whatever tape is active). */
export function batchLoss(model: Model, compiled: CompiledState, x: Dataset, y: Dataset, training = false): { prediction: tf.Tensor; loss: tf.Tensor } {
  const prediction = model.apply(toTensor(x), { training });
  const loss = compiled.loss(toTensor(y), prediction);
  if (!(loss instanceof tf.Tensor) || loss.size !== 1) {
    throw new Error(`loss '${compiled.lossName}' must return a scalar tensor, got ${loss instanceof tf.Tensor ? `shape [${loss.shape.join(", ")}]` : typeof loss}`);
  }
  return { prediction, loss };
}

export function addBatchMetrics(means: RunningMeans, compiled: CompiledState, y: Dataset, prediction: tf.Tensor, loss: number): void {
  const rows = y.shape[0];
  means.add("loss", loss * rows, rows);
  if (compiled.metrics.length === 0) return;
  const predicted = { values: prediction.dataSync(), shape: prediction.shape };
  for (const metric of compiled.metrics) {
    const { total, count } = metric.fn(y, predicted);
    means.add(metric.name, total, count);
  }
}

/** Loss and metrics over a whole dataset, batch by batch, without training. */
export function evaluateDataset(model: Model, compiled: CompiledState, x: Dataset, y: Dataset, batchSize: number): Record<string, number> {
  const means = new RunningMeans();
  const n = sampleCount(x);
  const plan = fusedPlanFor(model, compiled);
  for (let start = 0; start < n; start += batchSize) {
    const end = Math.min(n, start + batchSize);
    const xBatch = sliceRows(x, start, end), yBatch = sliceRows(y, start, end);
    const fused = plan && fusedLossAndGradients(plan, xBatch, yBatch, false);
    if (fused) {
      addBatchMetrics(means, compiled, yBatch, fused.prediction, fused.loss);
    } else {
      const { prediction, loss } = batchLoss(model, compiled, xBatch, yBatch);
      addBatchMetrics(means, compiled, yBatch, prediction, Number(loss.item()));
    }
  }
  return means.means();
}
