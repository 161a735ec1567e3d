/**
 * Cross-entropy losses on TF's documented examples (and TF.js for logits), accuracy metrics as
 * Keras picks them, validationData in History, and EarlyStopping's stopping epoch and restored
 * weights.
 */
import { before, describe, test } from "node:test";
import assert from "node:assert/strict";
import * as tfjs from "@tensorflow/tfjs";
import * as tf from "../core";
import { EarlyStopping } from "./callbacks";
import { Dense } from "./layers";
import * as losses from "./losses";
import { Sequential } from "./model";
import { SGD } from "./optimizers";
import type { FitCallbacks } from "./fit";

before(async () => {
  tfjs.enableProdMode();
  await tfjs.setBackend("cpu");
});

const value = (t: tf.Tensor) => Number(t.item());
const close = (actual: number, expected: number, tolerance: number, what: string) =>
  assert.ok(Math.abs(actual - expected) <= tolerance, `${what}: ${actual}, expected ${expected}`);

describe("cross-entropy losses on TF's documented examples", () => {
  const probabilities = tf.constant([[0.05, 0.95, 0], [0.1, 0.8, 0.1]]);
  test("SparseCategoricalCrossentropy: y_true [1, 2] → 1.177", () => {
    close(value(new losses.SparseCategoricalCrossentropy()(tf.constant([1, 2]), probabilities)), 1.177, 5e-4, "class form");
    close(value(losses.sparseCategoricalCrossentropy(tf.constant([1, 2]), probabilities)), 1.177, 5e-4, "function");
  });
  test("CategoricalCrossentropy: one-hot [[0, 1, 0], [0, 0, 1]] → 1.177", () => {
    close(value(new losses.CategoricalCrossentropy()(tf.constant([[0, 1, 0], [0, 0, 1]]), probabilities)), 1.177, 5e-4, "categorical");
  });
  test("BinaryCrossentropy: [[0, 1], [0, 0]] against [[0.6, 0.4], [0.4, 0.6]] → 0.815; from logits [-18.6, 0.51, 2.94, -12.8] → 0.865", () => {
    close(value(new losses.BinaryCrossentropy()(tf.constant([[0, 1], [0, 0]]), tf.constant([[0.6, 0.4], [0.4, 0.6]]))), 0.815, 5e-4, "probabilities");
    close(value(new losses.BinaryCrossentropy({ fromLogits: true })(tf.constant([0, 1, 0, 0]), tf.constant([-18.6, 0.51, 2.94, -12.8]))), 0.865, 5e-4, "logits");
  });

  test("from logits equals TF.js's softmax and sigmoid cross-entropy, without overflow for large logits", () => {
    const logits = [[2, -1, 0.5], [-3, 4, 1], [80, -80, 0]];
    const labels = [2, 1, 0];
    const oneHot = labels.map((k) => [0, 1, 2].map((j) => (j === k ? 1 : 0)));
    const expected = tfjs.losses.softmaxCrossEntropy(tfjs.tensor(oneHot), tfjs.tensor(logits)).dataSync()[0];
    close(value(new losses.SparseCategoricalCrossentropy({ fromLogits: true })(tf.constant(labels), tf.constant(logits))), expected, 1e-5, "sparse from logits");
    close(value(losses.categoricalCrossentropy(tf.constant(oneHot), tf.constant(logits), true)), expected, 1e-5, "categorical from logits");
    const binaryLogits = [[-30, 0.3], [50, -2]], binaryLabels = [[0, 1], [0, 1]];
    const binaryExpected = tfjs.losses.sigmoidCrossEntropy(tfjs.tensor(binaryLabels), tfjs.tensor(binaryLogits)).dataSync()[0];
    close(value(losses.binaryCrossentropy(tf.constant(binaryLabels), tf.constant(binaryLogits), true)), binaryExpected, 1e-5, "binary from logits");
  });

  test("the gradient from logits is softmax − one-hot, over the batch", () => {
    const logits = tf.constant([[1, 2, 3], [0, 0, 0]]);
    const g = tf.grad((z: tf.Tensor) => losses.sparseCategoricalCrossentropy(tf.constant([0, 2]), z, true))(logits);
    const expected = tf.div(tf.sub(tf.softmax(logits), tf.constant([[1, 0, 0], [0, 0, 1]])), 2);
    (g.dataSync() as Float32Array).forEach((v, i) => close(v, expected.dataSync()[i], 1e-6, `element ${i}`));
  });
});

describe("accuracy metrics as Keras picks them", () => {
  const x = tf.constant([[1, 0], [0, 1], [1, 1], [0, 0]]);
  function modelWith(units: number, activation: string) {
    const model = new Sequential([new Dense(units, { inputShape: [2], activation, kernelInitializer: "ones", biasInitializer: "zeros" })]);
    return model;
  }
  test("'accuracy' is sparse for a sparse loss (name or class), categorical for one-hot labels, binary for one output", () => {
    const sparse = modelWith(2, "softmax");
    sparse.setWeights([[[2, 0], [0, 2]], [0, 0]]);
    // Predictions: class 0, 1, tie (→ 0), tie (→ 0).
    sparse.compile({ optimizer: "sgd", loss: "sparse_categorical_crossentropy", metrics: ["accuracy"] });
    assert.equal((sparse.evaluate(x, tf.constant([0, 1, 1, 0])) as number[])[1], 0.75);
    sparse.compile({ optimizer: "sgd", loss: new losses.SparseCategoricalCrossentropy({ fromLogits: true }), metrics: ["accuracy", "sparse_categorical_accuracy"] });
    assert.deepEqual((sparse.evaluate(x, tf.constant([0, 1, 1, 0])) as number[]).slice(1), [0.75, 0.75]);
    sparse.compile({ optimizer: "sgd", loss: "categorical_crossentropy", metrics: ["accuracy"] });
    assert.equal((sparse.evaluate(x, tf.constant([[1, 0], [1, 0], [0, 1], [1, 0]])) as number[])[1], 0.5);
    const binary = modelWith(1, "sigmoid");
    binary.setWeights([[[3], [-3]], [0]]);
    binary.compile({ optimizer: "sgd", loss: "binary_crossentropy", metrics: ["accuracy", "binary_accuracy"] });
    // Outputs: σ(3) > 0.5, σ(−3) < 0.5, σ(0) = 0.5 (not above), σ(0).
    assert.deepEqual((binary.evaluate(x, tf.constant([[1], [0], [1], [0]])) as number[]).slice(1), [0.75, 0.75]);
  });
});

/** y = 2x for training, y = −2x for validation: as training improves, the validation loss only grows. */
function divergingData() {
  const x = tf.constant([[0.5], [1], [1.5], [2]]);
  return { x, y: tf.mul(x, 2), vx: x, vy: tf.mul(x, -2) };
}

function recordWeights(model: Sequential, into: number[][]): FitCallbacks {
  return { onEpochEnd: () => void into.push(Array.from(model.layers[0].getWeights()[0].dataSync())) };
}

describe("validationData and EarlyStopping", () => {
  test("validationData gives val_loss in History, equal to evaluate on it after the last epoch", async () => {
    const { x, y, vx, vy } = divergingData();
    const model = new Sequential([new Dense(1, { inputShape: [1], kernelInitializer: "zeros" })]);
    model.compile({ optimizer: new SGD({ learningRate: 0.05 }), loss: "mse", metrics: ["mae"] });
    const history = await model.fit(x, y, { epochs: 3, batchSize: 4, verbose: 0, validationData: [vx, vy] });
    assert.deepEqual(Object.keys(history.history).sort(), ["loss", "mae", "val_loss", "val_mae"]);
    close(history.history.val_loss[2], (model.evaluate(vx, vy) as number[])[0], 1e-6, "val_loss");
  });

  test("stops after `patience` epochs without improvement and restores the best epoch's weights", async () => {
    const { x, y, vx, vy } = divergingData();
    const model = new Sequential([new Dense(1, { inputShape: [1], kernelInitializer: "zeros", useBias: false })]);
    model.compile({ optimizer: new SGD({ learningRate: 0.05 }), loss: "mse" });
    const weights: number[][] = [];
    const early = new EarlyStopping({ patience: 2, restoreBestWeights: true });
    const history = await model.fit(x, y, { epochs: 20, batchSize: 4, verbose: 0, validationData: [vx, vy], callbacks: [recordWeights(model, weights), early] });
    // val_loss is lowest after the first epoch, then rises: epochs 2 and 3 are the two without improvement.
    assert.equal(history.epoch.length, 3);
    assert.ok(history.stoppedEarly);
    assert.equal(early.stoppedEpoch, 2);
    assert.equal(early.bestEpoch, 0);
    assert.deepEqual(Array.from(model.layers[0].getWeights()[0].dataSync()), weights[0]);
    assert.notDeepEqual(weights[2], weights[0]);
  });

  test("minDelta: a smaller improvement does not count; monitoring 'loss' keeps going while it falls", async () => {
    const { x, y } = divergingData();
    const model = new Sequential([new Dense(1, { inputShape: [1], kernelInitializer: "zeros", useBias: false })]);
    model.compile({ optimizer: new SGD({ learningRate: 0.01 }), loss: "mse" });
    const falling = await model.fit(x, y, { epochs: 5, batchSize: 4, verbose: 0, callbacks: [new EarlyStopping({ monitor: "loss", patience: 0 })] });
    assert.equal(falling.epoch.length, 5);
    const huge = await model.fit(x, y, { epochs: 5, batchSize: 4, verbose: 0, callbacks: [new EarlyStopping({ monitor: "loss", patience: 1, minDelta: 100 })] });
    assert.equal(huge.epoch.length, 2);
  });

  test("a monitored value that is not logged is a clear error", async () => {
    const { x, y } = divergingData();
    const model = new Sequential([new Dense(1, { inputShape: [1] })]);
    model.compile({ optimizer: "sgd", loss: "mse" });
    await assert.rejects(model.fit(x, y, { epochs: 2, verbose: 0, callbacks: [new EarlyStopping()] }), /EarlyStopping: the monitored 'val_loss' is not in the logs \(available: loss\)/);
  });
});
