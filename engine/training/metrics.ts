/**
 * Metrics are not differentiated, so they are computed on plain values: each returns the sum of
 * its per-sample scores and the number of samples, which fit averages over an epoch as Keras does.
 */
import { lookupByName, shapeText } from "./names";

export interface Values {
  values: ArrayLike<number>;
  shape: readonly number[];
}

export interface MetricScore {
  total: number;
  count: number;
}

export type MetricFn = (yTrue: Values, yPred: Values) => MetricScore;

function rowsOf(v: Values): number {
  return v.shape.length === 0 ? 1 : v.shape[0];
}

function checkSameSize(name: string, yTrue: Values, yPred: Values): void {
  if (yTrue.values.length !== yPred.values.length) {
    throw new Error(`${name}: labels of shape ${shapeText(yTrue.shape)} do not match predictions of shape ${shapeText(yPred.shape)}`);
  }
}

export function binaryAccuracy(yTrue: Values, yPred: Values, threshold = 0.5): MetricScore {
  checkSameSize("binary_accuracy", yTrue, yPred);
  let correct = 0;
  for (let i = 0; i < yPred.values.length; i++) {
    if ((yPred.values[i] > threshold ? 1 : 0) === (yTrue.values[i] > threshold ? 1 : 0)) correct++;
  }
  return { total: correct, count: yPred.values.length };
}

function argMaxOfRow(values: ArrayLike<number>, start: number, width: number): number {
  let best = 0;
  for (let j = 1; j < width; j++) if (values[start + j] > values[start + best]) best = j;
  return best;
}

export function categoricalAccuracy(yTrue: Values, yPred: Values): MetricScore {
  checkSameSize("categorical_accuracy", yTrue, yPred);
  const rows = rowsOf(yPred);
  const width = yPred.values.length / rows;
  let correct = 0;
  for (let r = 0; r < rows; r++) {
    if (argMaxOfRow(yPred.values, r * width, width) === argMaxOfRow(yTrue.values, r * width, width)) correct++;
  }
  return { total: correct, count: rows };
}

export function sparseCategoricalAccuracy(yTrue: Values, yPred: Values): MetricScore {
  const rows = rowsOf(yPred);
  if (yTrue.values.length !== rows) {
    throw new Error(`sparse_categorical_accuracy: labels of shape ${shapeText(yTrue.shape)} do not give one class index per row of predictions ${shapeText(yPred.shape)}`);
  }
  const width = yPred.values.length / rows;
  const [labels, predictions] = [yTrue.values, yPred.values];
  let correct = 0;
  for (let r = 0; r < rows; r++) if (argMaxOfRow(predictions, r * width, width) === labels[r]) correct++;
  return { total: correct, count: rows };
}

function meanOfDifferences(name: string, score: (d: number) => number): MetricFn {
  return (yTrue, yPred) => {
    checkSameSize(name, yTrue, yPred);
    const [labels, predictions] = [yTrue.values, yPred.values];
    let total = 0;
    for (let i = 0; i < predictions.length; i++) total += score(predictions[i] - labels[i]);
    // Per sample: the mean over its outputs, so the epoch average weighs samples equally.
    const rows = rowsOf(yPred);
    return { total: (total * rows) / yPred.values.length, count: rows };
  };
}

const METRICS: Record<string, MetricFn | "accuracy"> = {
  accuracy: "accuracy",
  acc: "accuracy",
  binary_accuracy: (t, p) => binaryAccuracy(t, p),
  categorical_accuracy: categoricalAccuracy,
  sparse_categorical_accuracy: sparseCategoricalAccuracy,
  mean_squared_error: meanOfDifferences("mean_squared_error", (d) => d * d),
  mse: meanOfDifferences("mse", (d) => d * d),
  mean_absolute_error: meanOfDifferences("mean_absolute_error", Math.abs),
  mae: meanOfDifferences("mae", Math.abs),
};

export interface ResolvedMetric {
  /** The key in logs and History, as the user wrote it (Keras keeps 'accuracy' or 'acc'). */
  name: string;
  fn: MetricFn;
}

/**
 * 'accuracy' means binary, sparse or categorical accuracy depending on the loss and the output
 * width, as Keras decides it.
 */
export function resolveMetric(name: string, lossName: string, outputWidth: number): ResolvedMetric {
  if (typeof name !== "string") throw new TypeError(`metrics must be names such as 'accuracy', got ${typeof name}`);
  const found = lookupByName("metric", name, METRICS);
  if (found !== "accuracy") return { name, fn: found };
  if (lossName === "binary_crossentropy" || outputWidth === 1) return { name, fn: (t, p) => binaryAccuracy(t, p) };
  if (lossName === "sparse_categorical_crossentropy") return { name, fn: sparseCategoricalAccuracy };
  return { name, fn: categoricalAccuracy };
}
