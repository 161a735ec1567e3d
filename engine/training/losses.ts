/**
 * Keras losses: each takes (yTrue, yPred) and returns the scalar mean over the batch, the way
 * Keras's default reduction ("sum over batch size") does.
 */
import * as tf from "../core";
import { lookupByName, shapeText } from "./names";

export type LossFn = (yTrue: tf.Tensor, yPred: tf.Tensor) => tf.Tensor;

/** Keras's backend epsilon: probabilities are clipped to [EPSILON, 1 - EPSILON] before the log. */
export const EPSILON = 1e-7;

/**
 * Keras squeezes or expands a label of rank one less than the prediction (labels `[n]` against
 * predictions `[n, 1]`); anything else that differs is a mistake worth naming.
 */
export function alignLabels(yTrue: tf.Tensor, yPred: tf.Tensor, lossName: string): tf.Tensor {
  const t = yTrue.shape;
  const p = yPred.shape;
  if (t.length === p.length && t.every((d, i) => d === p[i])) return yTrue;
  if (t.length === p.length - 1 && p[p.length - 1] === 1 && t.every((d, i) => d === p[i])) {
    return tf.reshape(yTrue, p);
  }
  throw new Error(
    `${lossName}: labels of shape ${shapeText(t)} do not match predictions of shape ${shapeText(p)}`,
  );
}

export function meanSquaredError(yTrue: tf.Tensor, yPred: tf.Tensor): tf.Tensor {
  const labels = alignLabels(yTrue, yPred, "mean_squared_error");
  return tf.reduceMean(tf.square(tf.sub(yPred, labels)));
}

export function meanAbsoluteError(yTrue: tf.Tensor, yPred: tf.Tensor): tf.Tensor {
  const labels = alignLabels(yTrue, yPred, "mean_absolute_error");
  return tf.reduceMean(tf.abs(tf.sub(yPred, labels)));
}

/** Predictions are probabilities, or logits with `fromLogits` (then computed stably, as TF's sigmoid_cross_entropy_with_logits). */
export function binaryCrossentropy(yTrue: tf.Tensor, yPred: tf.Tensor, fromLogits = false): tf.Tensor {
  const labels = alignLabels(yTrue, yPred, "binary_crossentropy");
  if (fromLogits) {
    // max(z, 0) − z·y + log(1 + e^(−|z|)): no overflow for any z.
    const z = yPred;
    return tf.reduceMean(tf.add(tf.sub(tf.relu(z), tf.mul(z, labels)), tf.log1p(tf.exp(tf.neg(tf.abs(z))))));
  }
  const p = tf.clipByValue(yPred, EPSILON, 1 - EPSILON);
  const positive = tf.mul(labels, tf.log(p));
  const negative = tf.mul(tf.sub(1, labels), tf.log(tf.sub(1, p)));
  return tf.neg(tf.reduceMean(tf.add(positive, negative)));
}

/** Predictions are probabilities (e.g. a softmax layer), renormalised as Keras does, or logits with `fromLogits`. */
export function categoricalCrossentropy(yTrue: tf.Tensor, yPred: tf.Tensor, fromLogits = false): tf.Tensor {
  const labels = alignLabels(yTrue, yPred, "categorical_crossentropy");
  const lastAxis = yPred.shape.length - 1;
  if (fromLogits) return tf.reduceMean(tf.neg(tf.reduceSum(tf.mul(labels, tf.logSoftmax(yPred, lastAxis)), lastAxis)));
  const normalized = tf.div(yPred, tf.reduceSum(yPred, lastAxis, true));
  const p = tf.clipByValue(normalized, EPSILON, 1 - EPSILON);
  const perSample = tf.neg(tf.reduceSum(tf.mul(labels, tf.log(p)), lastAxis));
  return tf.reduceMean(perSample);
}

/** Labels are class indices (shape `[n]` or `[n, 1]`), predictions probabilities `[n, classes]` (or logits with `fromLogits`). */
export function sparseCategoricalCrossentropy(yTrue: tf.Tensor, yPred: tf.Tensor, fromLogits = false): tf.Tensor {
  const classes = yPred.shape[yPred.shape.length - 1];
  const rows = yPred.shape.slice(0, -1);
  const labelCount = yTrue.shape.reduce((a, b) => a * b, 1);
  const rowCount = rows.reduce((a, b) => a * b, 1);
  if (labelCount !== rowCount) {
    throw new Error(
      `sparse_categorical_crossentropy: labels of shape ${shapeText(yTrue.shape)} do not give one class index ` +
        `per prediction row of shape ${shapeText(yPred.shape)}`,
    );
  }
  const indices = tf.reshape(tf.cast(yTrue, "int32"), rows);
  return categoricalCrossentropy(tf.oneHot(indices, classes, 1, 0, yPred.dtype), yPred, fromLogits);
}

/** The class form, `new tf.keras.losses.SparseCategoricalCrossentropy({fromLogits: true})`: a loss function carrying its Keras name. */
function lossClass(name: string, fn: (yTrue: tf.Tensor, yPred: tf.Tensor, fromLogits: boolean) => tf.Tensor) {
  return function (this: unknown, options: { fromLogits?: boolean } = {}): LossFn {
    const fromLogits = options.fromLogits ?? false;
    const loss = (yTrue: tf.TensorLike, yPred: tf.TensorLike) => fn(tf.constant(yTrue), tf.constant(yPred), fromLogits);
    Object.defineProperty(loss, "name", { value: name });
    return Object.assign(loss, { fromLogits }) as LossFn;
  } as unknown as new (options?: { fromLogits?: boolean }) => LossFn & { fromLogits: boolean };
}

export const BinaryCrossentropy = lossClass("binary_crossentropy", binaryCrossentropy);
export const CategoricalCrossentropy = lossClass("categorical_crossentropy", categoricalCrossentropy);
export const SparseCategoricalCrossentropy = lossClass("sparse_categorical_crossentropy", sparseCategoricalCrossentropy);

const LOSSES: Record<string, LossFn> = {
  mean_squared_error: meanSquaredError,
  mse: meanSquaredError,
  mean_absolute_error: meanAbsoluteError,
  mae: meanAbsoluteError,
  binary_crossentropy: (t, p) => binaryCrossentropy(t, p),
  categorical_crossentropy: (t, p) => categoricalCrossentropy(t, p),
  sparse_categorical_crossentropy: (t, p) => sparseCategoricalCrossentropy(t, p),
};

/** The canonical name of a built-in loss, for metric selection and display. */
export function lossName(loss: string | LossFn): string {
  if (typeof loss === "function") return loss.name || "custom_loss";
  const fn = lookupByName("loss", loss, LOSSES);
  return Object.keys(LOSSES).find((name) => LOSSES[name] === fn && name.length > 3) ?? loss;
}

export function getLoss(loss: string | LossFn): LossFn {
  if (typeof loss === "function") return loss;
  if (typeof loss !== "string") throw new TypeError(`loss must be a name or a function (yTrue, yPred) => Tensor, got ${typeof loss}`);
  return lookupByName("loss", loss, LOSSES);
}
