import { test } from "node:test";
import assert from "node:assert/strict";
import * as tf from "../core";
import { observeFit } from "./fit";
import { Dense, Input } from "./layers";
import { Model, Sequential } from "./model";
import { Adam, SGD } from "./optimizers";

const flat = (t: tf.Tensor | tf.Variable) => Array.from(t.dataSync());

/** Seed 003's data: 100 points of y = 2x + 1 with a little seeded noise. */
function lineData() {
  const x = tf.random.uniform([100, 1], { minval: 0, maxval: 1, seed: 3 });
  const noise = tf.random.normal([100, 1], { mean: 0, stddev: 0.05, seed: 4 });
  return { x, y: tf.add(tf.add(tf.mul(x, 2), 1), noise) };
}

function smallRegression() {
  tf.random.setSeed(1);
  const model = new Sequential([new Dense(1, { inputShape: [1] })]);
  model.compile({ optimizer: new SGD({ learningRate: 0.1 }), loss: "mse" });
  return { model, ...lineData() };
}

test("seed 003's Keras example: Dense(1), 'sgd' + 'mean_squared_error', 1000 epochs on y = 2x + 1 ends with W ≈ 2, b ≈ 1", async () => {
  tf.random.setSeed(42);
  const { x, y } = lineData();
  const X = Input({ shape: [1], name: "X" });
  const model = new Model({ inputs: X, outputs: new Dense(1, { name: "y_predicted" }).apply(X) });
  model.compile({ optimizer: "sgd", loss: "mean_squared_error" });
  const history = await model.fit(x, y, { epochs: 1000, verbose: 0 });
  const [W, b] = model.layers[1].getWeights().map((t) => flat(t)[0]);
  assert.ok(Math.abs(W - 2) < 0.1, `Weight (W): ${W}`);
  assert.ok(Math.abs(b - 1) < 0.06, `Bias (b): ${b}`);
  assert.equal(history.history.loss.length, 1000);
  assert.deepEqual(history.params, { epochs: 1000, steps: 4, samples: 100 });
  assert.ok(history.history.loss[999] < 0.005, `final loss ${history.history.loss[999]} near the noise variance 0.0025`);
  assert.ok(history.history.loss[0] > 10 * history.history.loss[999]);
});

test("a regression reaches the least-squares optimum (checked against the normal equations)", async () => {
  tf.random.setSeed(5);
  const x = tf.random.uniform([64, 3], { minval: -1, maxval: 1, seed: 8 });
  const noise = tf.random.normal([64, 1], { stddev: 0.3, seed: 9 });
  const y = tf.add(tf.add(tf.matmul(x, tf.constant([[1.5], [-2], [0.5]])), 0.25), noise);
  // Normal equations on [x, 1] in float64.
  const rows = x.dataSync(), targets = y.dataSync();
  const A = [...Array(4)].map(() => new Array(5).fill(0));
  for (let r = 0; r < 64; r++) {
    const features = [rows[3 * r], rows[3 * r + 1], rows[3 * r + 2], 1];
    for (let i = 0; i < 4; i++) {
      for (let j = 0; j < 4; j++) A[i][j] += features[i] * features[j];
      A[i][4] += features[i] * targets[r];
    }
  }
  for (let i = 0; i < 4; i++) for (let k = 0; k < 4; k++) if (k !== i) {
    const factor = A[k][i] / A[i][i];
    for (let j = 0; j < 5; j++) A[k][j] -= factor * A[i][j];
  }
  const optimum = A.map((row, i) => row[4] / row[i]);
  const model = new Sequential([new Dense(1, { inputShape: [3] })]);
  model.compile({ optimizer: new Adam({ learningRate: 0.05 }), loss: "mse" });
  await model.fit(x, y, { epochs: 400, batchSize: 64, verbose: 0 });
  const [W, b] = model.layers[0].getWeights().map(flat);
  [...W, ...b].forEach((value, i) => assert.ok(Math.abs(value - optimum[i]) < 2e-3, `parameter ${i}: ${value} vs optimum ${optimum[i]}`));
});

test("an MLP with Adam learns XOR to 100 % training accuracy", async () => {
  tf.random.setSeed(3);
  const x = tf.constant([[0, 0], [0, 1], [1, 0], [1, 1]]);
  const y = tf.constant([[0], [1], [1], [0]]);
  const model = new Sequential([new Dense(8, { activation: "tanh", inputShape: [2] }), new Dense(1, { activation: "sigmoid" })]);
  model.compile({ optimizer: new Adam({ learningRate: 0.05 }), loss: "binary_crossentropy", metrics: ["accuracy"] });
  const history = await model.fit(x, y, { epochs: 300, batchSize: 4, verbose: 0 });
  assert.equal(history.history.accuracy[299], 1);
  assert.ok(history.history.loss[299] < 0.1, `loss ${history.history.loss[299]}`);
  assert.deepEqual(flat(model.predict(x)).map((p) => (p > 0.5 ? 1 : 0)), [0, 1, 1, 0]);
  const [loss, accuracy] = model.evaluate(x, y) as number[];
  assert.equal(accuracy, 1);
  assert.ok(Math.abs(loss - history.history.loss[299]) < 0.05);
});

test("a softmax classifier with sparse labels reaches 100 % accuracy; categorical labels give the same loss", async () => {
  tf.random.setSeed(9);
  // Three separable clusters.
  const centres = [[2, 0], [-1, 2], [-1, -2]];
  const points: number[][] = [], labels: number[] = [];
  const jitter = tf.random.normal([60, 2], { stddev: 0.4, seed: 12 }).dataSync();
  for (let i = 0; i < 60; i++) {
    points.push([centres[i % 3][0] + jitter[2 * i], centres[i % 3][1] + jitter[2 * i + 1]]);
    labels.push(i % 3);
  }
  const model = new Sequential([new Dense(16, { activation: "relu", inputShape: [2] }), new Dense(3, { activation: "softmax" })]);
  model.compile({ optimizer: "adam", loss: "sparse_categorical_crossentropy", metrics: ["accuracy"] });
  model.optimizer!.learningRate = 0.05;
  const history = await model.fit(points, labels, { epochs: 60, batchSize: 16, verbose: 0 });
  assert.equal(history.history.accuracy.at(-1), 1);
  const sparseLoss = model.evaluate(points, labels);
  model.compile({ optimizer: "adam", loss: "categorical_crossentropy" });
  const oneHot = labels.map((label) => [0, 1, 2].map((k) => (k === label ? 1 : 0)));
  const categoricalLoss = model.evaluate(points, oneHot);
  assert.ok(Math.abs((sparseLoss as number[])[0] - (categoricalLoss as number)) < 1e-6);
});

test("one number per sample fits a one-feature input, as in Keras (x of shape [n] becomes [n, 1])", async () => {
  tf.random.setSeed(4);
  const X = Input({ shape: [1] });
  const model = new Model({ inputs: X, outputs: new Dense(1).apply(X) });
  model.compile({ optimizer: new SGD({ learningRate: 0.3 }), loss: "mse" });
  const xs = [0, 0.25, 0.5, 0.75, 1];
  await model.fit(xs, xs.map((v) => 3 * v - 1), { epochs: 500, batchSize: 5, verbose: 0 });
  const predicted = model.predict([2]);
  assert.deepEqual(predicted.shape, [1, 1]);
  assert.ok(Math.abs(predicted.dataSync()[0] - 5) < 0.05, `predicted ${predicted.dataSync()[0]} for 3·2 − 1`);
  assert.ok((model.evaluate(xs, xs.map((v) => 3 * v - 1)) as number) < 1e-3);
});

test("a model built on its first batch resolves 'accuracy' from its output width (categorical, not binary)", async () => {
  tf.random.setSeed(6);
  const model = new Sequential([new Dense(3, { activation: "softmax" })]);
  model.compile({ optimizer: "adam", loss: "categorical_crossentropy", metrics: ["accuracy"] });
  const x = [[1, 0], [0, 1], [1, 1], [0, 0]];
  const y = [[1, 0, 0], [0, 1, 0], [0, 0, 1], [0, 1, 0]];
  const history = await model.fit(x, y, { epochs: 1, verbose: 0 });
  const predicted = model.predict(x).dataSync();
  const argMax = (row: number) => [0, 1, 2].reduce((best, j) => (predicted[row * 3 + j] > predicted[row * 3 + best] ? j : best), 0);
  const expected = [0, 1, 2, 1].filter((label, row) => argMax(row) === label).length / 4;
  const [, accuracy] = model.evaluate(x, y) as number[];
  assert.equal(accuracy, expected);
  assert.equal(model.history, history);
});

test("validationSplit holds out the last samples and reports val_loss; validationData is used as given", async () => {
  const { model, x, y } = smallRegression();
  const history = await model.fit(x, y, { epochs: 3, validationSplit: 0.2, verbose: 0 });
  assert.equal(history.params.samples, 80);
  assert.equal(history.history.val_loss.length, 3);
  const heldOut = model.evaluate(tf.slice(x, [80, 0], [20, 1]), tf.slice(y, [80, 0], [20, 1])) as number;
  assert.ok(Math.abs(heldOut - history.history.val_loss[2]) < 1e-6);
  const second = await model.fit(x, y, { epochs: 1, validationData: [tf.slice(x, [0, 0], [10, 1]), tf.slice(y, [0, 0], [10, 1])], verbose: 0 });
  assert.equal(second.params.samples, 100);
  assert.equal(second.history.val_loss.length, 1);
});

test("callbacks see every batch and epoch; stopTraining from a callback ends fit cleanly", async () => {
  const { model, x, y } = smallRegression();
  const seen: string[] = [];
  const history = await model.fit(x, y, {
    epochs: 5,
    verbose: 0,
    callbacks: {
      onBatchEnd: (batch) => void seen.push(`b${batch}`),
      onEpochEnd: (epoch, logs) => {
        seen.push(`e${epoch}:${typeof logs.loss}`);
        if (epoch === 1) model.stopTraining = true;
      },
    },
  });
  assert.deepEqual(seen, ["b0", "b1", "b2", "b3", "e0:number", "b0", "b1", "b2", "b3", "e1:number"]);
  assert.equal(history.epoch.length, 2);
  assert.equal(history.stoppedEarly, true);
  assert.deepEqual(model.predict([[0.5]]).shape, [1, 1], "the model is still usable");
});

test("fit waits for async callbacks before going on", async () => {
  const { model, x, y } = smallRegression();
  const order: string[] = [];
  await model.fit(x, y, {
    epochs: 2,
    verbose: 0,
    callbacks: [
      {
        onEpochBegin: (epoch) => void order.push(`begin ${epoch}`),
        onEpochEnd: async (epoch) => {
          await new Promise((resolve) => setTimeout(resolve, 5));
          order.push(`end ${epoch} done`);
        },
      },
      { onEpochEnd: (epoch) => void order.push(`second callback ${epoch}`) },
    ],
  });
  assert.deepEqual(order, ["begin 0", "end 0 done", "second callback 0", "begin 1", "end 1 done", "second callback 1"]);
});

test("fit yields to the event loop while it runs, and an AbortSignal ends it after the current batch", async () => {
  const { model, x, y } = smallRegression();
  const controller = new AbortController();
  let timerFired = false;
  setTimeout(() => {
    timerFired = true;
    controller.abort();
  }, 20);
  const history = await model.fit(x, y, { epochs: 100000, verbose: 0, signal: controller.signal });
  assert.ok(timerFired, "a timer ran during fit");
  assert.ok(history.epoch.length > 0 && history.epoch.length < 100000, `stopped after ${history.epoch.length} epochs`);
  assert.equal(history.stoppedEarly, true);
  assert.ok(Number.isFinite(flat(model.predict([[1]]))[0]));
});

test("observeFit: the observer sees train begin, batches, epochs and the history; unsubscribing stops it", async () => {
  const { model, x, y } = smallRegression();
  const events: string[] = [];
  const stop = observeFit({
    onTrainBegin: ({ epochs, stepsPerEpoch, model: seenModel }) => void events.push(`begin ${epochs}x${stepsPerEpoch} ${seenModel === model}`),
    onBatchEnd: (batch) => void events.push(`batch ${batch}`),
    onEpochEnd: (epoch, logs) => void events.push(`epoch ${epoch} ${Object.keys(logs).join(",")}`),
    onTrainEnd: (history) => void events.push(`end ${history.epoch.length}`),
  });
  await model.fit(x, y, { epochs: 2, batchSize: 50, validationSplit: 0.5, verbose: 0 });
  stop();
  await model.fit(x, y, { epochs: 1, verbose: 0 });
  assert.deepEqual(events, ["begin 2x1 true", "batch 0", "epoch 0 loss,val_loss", "batch 0", "epoch 1 loss,val_loss", "end 2"]);
});

test("an error thrown by an observer stops fit with that error; weights are those of the last completed step", async () => {
  const { model, x, y } = smallRegression();
  let snapshot: number[] = [];
  let batches = 0;
  const stop = observeFit({
    onBatchEnd: () => {
      batches++;
      snapshot = model.trainableVariables.flatMap(flat);
      if (batches === 6) throw new Error("interrupted by the kernel");
    },
  });
  try {
    await assert.rejects(model.fit(x, y, { epochs: 10, verbose: 0 }), /interrupted by the kernel/);
  } finally {
    stop();
  }
  assert.deepEqual(model.trainableVariables.flatMap(flat), snapshot);
  assert.equal(model.optimizer!.iterations, 6);
  const history = await model.fit(x, y, { epochs: 1, verbose: 0 });
  assert.equal(history.epoch.length, 1, "the model trains again afterwards");
});

test("a NaN loss stops training with the epoch, the batch and the cause, keeping the weights from before that batch", async () => {
  const { model } = smallRegression();
  const xs = Array.from({ length: 64 }, (_, i) => [i / 64]);
  const ys = xs.map(([v]) => [2 * v + 1]);
  ys[40] = [NaN];
  let weightsBefore: number[] = [];
  const fitting = model.fit(xs, ys, {
    epochs: 1,
    batchSize: 16,
    shuffle: false,
    verbose: 0,
    callbacks: { onBatchEnd: () => void (weightsBefore = model.trainableVariables.flatMap(flat)) },
  });
  await assert.rejects(fitting, /loss became NaN at epoch 1, batch 3.*labels y contain 1 NaN/);
  assert.deepEqual(model.trainableVariables.flatMap(flat), weightsBefore);
});

test("a diverging loss names the op where the values first overflowed", async () => {
  tf.random.setSeed(2);
  const model = new Sequential([new Dense(1, { inputShape: [1] })]);
  model.compile({ optimizer: new SGD({ learningRate: 1e6 }), loss: "mse" });
  const xs = Array.from({ length: 32 }, (_, i) => [i]);
  await assert.rejects(model.fit(xs, xs, { epochs: 50, batchSize: 8, verbose: 0 }), /loss became (Infinity|NaN) at epoch \d+, batch \d+.*(diverged|not finite|matmul|bias add)/);
});

test("bad fit input: sample counts, input shape, label shape, unknown names, uncompiled model — all before training", async () => {
  const { model, x, y } = smallRegression();
  const before = model.trainableVariables.flatMap(flat);
  await assert.rejects(model.fit(x, tf.slice(y, [0, 0], [90, 1])), /x of shape \[100, 1\] and y of shape \[90, 1\] have different numbers of samples/);
  await assert.rejects(model.fit(tf.ones([100, 3]), y), /x of shape \[100, 3\] does not fit the model's input shape \[None, 1\]/);
  await assert.rejects(model.fit(x, tf.ones([100, 4]), { verbose: 0 }), /y of shape \[100, 4\] does not suit the model's output shape \[None, 1\] with loss 'mean_squared_error'/);
  assert.deepEqual(model.trainableVariables.flatMap(flat), before, "nothing was trained");
  assert.throws(() => model.compile({ optimizer: "sgd", loss: "mean_squared_errror" }), /Unknown loss 'mean_squared_errror'. Valid loss names: 'mean_squared_error', 'mse'/);
  assert.throws(() => model.compile({ optimizer: "sgd", loss: "mse", metrics: ["precision"] }), /Unknown metric 'precision'. Valid metric names: 'accuracy'/);
  assert.throws(() => model.compile({ optimizer: "nadam", loss: "mse" }), /Unknown optimizer 'nadam'/);
  const fresh = new Sequential([new Dense(1, { inputShape: [1] })]);
  await assert.rejects(fresh.fit(x, y), /must be compiled first/);
  await assert.rejects(model.fit(x, y, { epochs: 0 }), /epochs must be a positive integer, got 0/);
});

test("History displays as a plotly loss curve with text/plain", async () => {
  const { model, x, y } = smallRegression();
  const history = await model.fit(x, y, { epochs: 4, validationSplit: 0.25, verbose: 0 });
  const bundle = (history as unknown as Record<symbol, () => Record<string, any>>)[Symbol.for("Jupyter.display")]();
  const plot = bundle["application/vnd.plotly.v1+json"];
  assert.deepEqual(plot.data.map((trace: any) => trace.name), ["loss", "val_loss"]);
  assert.deepEqual(plot.data[0].x, [1, 2, 3, 4]);
  assert.deepEqual(plot.data[0].y, history.history.loss);
  assert.equal(plot.data[1].line.dash, "dash");
  assert.equal(plot.layout.xaxis.title.text, "epoch");
  assert.match(bundle["text/plain"], /^History: 4 epochs\n  loss: [\d.]+ → [\d.]+\n  val_loss: /);
});

test("verbose 1 prints one line per epoch with the logs", async (t) => {
  const lines: string[] = [];
  t.mock.method(console, "log", (line: string) => lines.push(line));
  const { model, x, y } = smallRegression();
  await model.fit(x, y, { epochs: 2 });
  assert.equal(lines.length, 2);
  assert.match(lines[1], /^Epoch 2\/2 - loss: [\d.e-]+$/);
});
