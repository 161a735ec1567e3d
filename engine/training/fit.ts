/**
 * `model.fit`: the training loop. It yields to the event loop every few milliseconds so a kernel
 * can stream progress and interrupt it, and it stops cleanly (weights from the last completed
 * step) on `model.stopTraining`, an abort signal, a non-finite loss, or an error in a callback.
 */
import * as tf from "../core";
import {
  addBatchMetrics, asDataset, batchLoss, evaluateDataset, gatherRows, RunningMeans, sampleCount, sliceRows,
  type DataInput, type Dataset,
} from "./data";
import { History } from "./history";
import type { CompiledState, Model } from "./model";
import { checkSameSamples } from "./model";
import { describeNonFinite } from "./diagnose";
import { shapeText } from "./names";
import { fusedLossAndGradients, fusedPlanFor } from "./fused";

export type Logs = Record<string, number>;

/** Keras-style callbacks; any of them may be async. Throwing stops fit with that error. */
export interface FitCallbacks {
  /** Called first with the model being trained (Keras's set_model), e.g. for EarlyStopping. */
  setModel?(model: Model): void;
  onTrainBegin?(logs: Logs): unknown;
  onTrainEnd?(logs: Logs): unknown;
  onEpochBegin?(epoch: number, logs: Logs): unknown;
  onEpochEnd?(epoch: number, logs: Logs): unknown;
  onBatchBegin?(batch: number, logs: Logs): unknown;
  onBatchEnd?(batch: number, logs: Logs): unknown;
}

/** A process-wide listener to every fit (the notebook kernel draws live loss curves with it). */
export interface FitObserver {
  onTrainBegin?(info: { epochs: number; stepsPerEpoch: number; model: Model }): void;
  onBatchEnd?(batch: number, logs: Logs): void;
  onEpochEnd?(epoch: number, logs: Logs): void;
  onTrainEnd?(history: History): void;
}

export interface FitOptions {
  epochs?: number;
  batchSize?: number;
  shuffle?: boolean;
  /** Fraction of the samples, taken from the end before shuffling, held out for validation. */
  validationSplit?: number;
  validationData?: [DataInput, DataInput];
  callbacks?: FitCallbacks | FitCallbacks[];
  /** 0: silent; 1 or 2: one line per epoch. */
  verbose?: 0 | 1 | 2;
  /** Aborting ends training after the current batch; fit then resolves with the history so far. */
  signal?: AbortSignal;
  /** Seed for the order of samples when shuffling (by default drawn from the engine's generator). */
  seed?: number;
}

const observers = new Set<FitObserver>();

/** Registers an observer of every fit in this process; returns the function that removes it. */
export function observeFit(observer: FitObserver): () => void {
  observers.add(observer);
  return () => {
    observers.delete(observer);
  };
}

/** How long fit may run before letting other work (messages, interrupts) through. */
const YIELD_EVERY_MS = 5;
const yieldToEventLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

function positiveInteger(value: unknown, what: string): number {
  if (!Number.isInteger(value) || (value as number) <= 0) throw new Error(`fit: ${what} must be a positive integer, got ${String(value)}`);
  return value as number;
}

interface Prepared {
  train: { x: Dataset; y: Dataset };
  validation?: { x: Dataset; y: Dataset };
}

function prepareData(model: Model, x: DataInput, y: DataInput, options: FitOptions): Prepared {
  const inputs = model.adaptInput(asDataset(x, "fit: x"), "fit");
  const labels = asDataset(y, "fit: y");
  checkSameSamples(inputs.shape, labels.shape, "fit");
  if (options.validationData) {
    const [vx, vy] = options.validationData;
    const validation = { x: model.adaptInput(asDataset(vx, "fit: validationData x"), "fit: validationData"), y: asDataset(vy, "fit: validationData y") };
    checkSameSamples(validation.x.shape, validation.y.shape, "fit: validationData");
    return { train: { x: inputs, y: labels }, validation };
  }
  const split = options.validationSplit ?? 0;
  if (typeof split !== "number" || !(split >= 0 && split < 1)) throw new Error(`fit: validationSplit must be in [0, 1), got ${String(split)}`);
  const n = sampleCount(inputs);
  const trainCount = split > 0 ? Math.floor(n * (1 - split)) : n;
  if (trainCount === 0) throw new Error(`fit: validationSplit ${split} leaves no training samples out of ${n}`);
  if (split === 0 || trainCount === n) return { train: { x: inputs, y: labels } };
  return {
    train: { x: sliceRows(inputs, 0, trainCount), y: sliceRows(labels, 0, trainCount) },
    validation: { x: sliceRows(inputs, trainCount, n), y: sliceRows(labels, trainCount, n) },
  };
}

/** Runs the loss on two samples first, so that labels the loss cannot take fail before any update. */
function checkLabels(model: Model, compiled: CompiledState, data: Prepared["train"]): void {
  const rows = Math.min(2, sampleCount(data.x));
  try {
    batchLoss(model, compiled, sliceRows(data.x, 0, rows), sliceRows(data.y, 0, rows));
  } catch (error) {
    const output = model.outputShape ? shapeText(model.outputShape) : "(unknown)";
    throw new Error(
      `fit: y of shape ${shapeText(data.y.shape)} does not suit the model's output shape ${output} ` +
        `with loss '${compiled.lossName}': ${(error as Error).message}`,
    );
  }
}

export function trainOnBatch(model: Model, compiled: CompiledState, x: Dataset, y: Dataset, at: { epoch: number; batch: number }) {
  const failIfNotFinite = (lossValue: number) => {
    if (Number.isFinite(lossValue)) return;
    throw new Error(
      `fit: the loss became ${lossValue} at epoch ${at.epoch + 1}, batch ${at.batch + 1}; training stopped ` +
        `with the weights from before this batch. ${describeNonFinite(model, compiled, x, y)}`,
    );
  };
  const plan = fusedPlanFor(model, compiled);
  const fused = plan && fusedLossAndGradients(plan, x, y);
  if (fused) {
    failIfNotFinite(fused.loss);
    compiled.optimizer.applyFlatGradients(fused.gradients);
    return { prediction: fused.prediction, lossValue: fused.loss };
  }
  const variables = model.trainableWeights;
  const tape = new tf.GradientTape();
  const { prediction, loss } = tape.record(() => batchLoss(model, compiled, x, y, true));
  const lossValue = Number(loss.item());
  failIfNotFinite(lossValue);
  const gradients = tape.gradient(loss, variables) as (tf.Tensor | null)[];
  compiled.optimizer.applyGradients(variables.map((variable, i) => [gradients[i], variable] as const));
  return { prediction, lossValue };
}

function formatLogs(logs: Logs): string {
  return Object.entries(logs).map(([k, v]) => `${k}: ${Number(v.toPrecision(5))}`).join(" - ");
}

export async function fitModel(model: Model, x: DataInput, y: DataInput, options: FitOptions = {}): Promise<History> {
  const compiled = model.requireCompiled("fit");
  const epochs = positiveInteger(options.epochs ?? 1, "epochs");
  const batchSize = positiveInteger(options.batchSize ?? 32, "batchSize");
  const verbose = options.verbose ?? 1;
  const callbacks = ([] as FitCallbacks[]).concat(options.callbacks ?? []);
  const data = prepareData(model, x, y, options);
  model.compiledFor("fit", data.train.x);
  checkLabels(model, compiled, data.train);

  const n = sampleCount(data.train.x);
  const stepsPerEpoch = Math.ceil(n / batchSize);
  const history = new History({ epochs, steps: stepsPerEpoch, samples: n });
  const order = Int32Array.from({ length: n }, (_, i) => i);
  const seed = options.seed ?? Math.floor(Number(tf.random.uniform([], { minval: 0, maxval: 1 }).item()) * 2 ** 31);
  const random = new tf.random.Random(seed);
  const shouldStop = () => model.stopTraining || options.signal?.aborted === true;
  // Returns a promise only when a callback did, so synchronous callbacks cost no extra tick.
  const notify = (call: (c: FitCallbacks) => unknown): Promise<void> | undefined => {
    let pending: Promise<unknown> | undefined;
    for (const callback of callbacks) {
      const result = pending ? pending.then(() => call(callback)) : call(callback);
      if (result instanceof Promise) pending = result;
    }
    return pending?.then(() => undefined);
  };
  const tell = (call: (o: FitObserver) => void) => observers.forEach(call);

  model.stopTraining = false;
  let lastYield = performance.now();
  callbacks.forEach((c) => c.setModel?.(model));
  tell((o) => o.onTrainBegin?.({ epochs, stepsPerEpoch, model }));
  try {
    await notify((c) => c.onTrainBegin?.({}));
    for (let epoch = 0; epoch < epochs && !shouldStop(); epoch++) {
      await notify((c) => c.onEpochBegin?.(epoch, {}));
      if (options.shuffle ?? true) tf.random.shuffleInPlace(order, random);
      const means = new RunningMeans();
      for (let batch = 0; batch < stepsPerEpoch; batch++) {
        if (callbacks.length) await notify((c) => c.onBatchBegin?.(batch, { batch, size: Math.min(batchSize, n - batch * batchSize) }));
        const start = batch * batchSize;
        const end = Math.min(n, start + batchSize);
        const xb = gatherRows(data.train.x, order, start, end);
        const yb = gatherRows(data.train.y, order, start, end);
        const { prediction, lossValue } = trainOnBatch(model, compiled, xb, yb, { epoch, batch });
        addBatchMetrics(means, compiled, yb, prediction, lossValue);
        if (observers.size || callbacks.length) {
          const batchLogs = means.means();
          tell((o) => o.onBatchEnd?.(batch, batchLogs));
          if (callbacks.length) await notify((c) => c.onBatchEnd?.(batch, batchLogs));
        }
        if (performance.now() - lastYield >= YIELD_EVERY_MS) {
          await yieldToEventLoop();
          lastYield = performance.now();
        }
        if (shouldStop()) break;
      }
      const logs = means.means();
      if (data.validation) {
        Object.assign(logs, prefixed(evaluateDataset(model, compiled, data.validation.x, data.validation.y, batchSize), "val_"));
      }
      history.record(epoch, logs);
      if (verbose > 0) console.log(`Epoch ${epoch + 1}/${epochs} - ${formatLogs(logs)}`);
      tell((o) => o.onEpochEnd?.(epoch, logs));
      await notify((c) => c.onEpochEnd?.(epoch, logs));
    }
    history.stoppedEarly = history.epoch.length < epochs;
    model.history = history;
    await notify((c) => c.onTrainEnd?.(history.epoch.length ? lastLogs(history) : {}));
    return history;
  } finally {
    history.stoppedEarly = history.epoch.length < epochs;
    tell((o) => {
      try {
        o.onTrainEnd?.(history);
      } catch {
        // An observer failing at the end must not hide the outcome of training itself.
      }
    });
  }
}

function prefixed(logs: Logs, prefix: string): Logs {
  return Object.fromEntries(Object.entries(logs).map(([k, v]) => [prefix + k, v]));
}

function lastLogs(history: History): Logs {
  return Object.fromEntries(Object.entries(history.history).map(([k, values]) => [k, values[values.length - 1]]));
}
