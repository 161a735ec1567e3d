import { test } from "node:test";
import assert from "node:assert/strict";
import * as tf from "../core";
import { Dense, Input, InputLayer } from "./layers";
import { Model, Sequential } from "./model";

const flat = (t: tf.Tensor) => Array.from(t.dataSync());

test("seed 003's functional model: Input named X, Dense(1) named y_predicted, model.layers[1] is the Dense layer", () => {
  const X = Input({ shape: [1], name: "X" });
  const yPredicted = new Dense(1, { name: "y_predicted" }).apply(X);
  const model = new Model({ inputs: X, outputs: yPredicted });
  assert.equal(model.layers.length, 2);
  assert.ok(model.layers[0] instanceof InputLayer);
  assert.equal(model.layers[1].name, "y_predicted");
  const [W, b] = model.layers[1].getWeights();
  assert.deepEqual(W.shape, [1, 1]);
  assert.deepEqual(b.shape, [1]);
  assert.deepEqual(flat(b), [0], "bias starts at zero");
  assert.ok(Math.abs(flat(W)[0]) <= Math.sqrt(6 / 2), "glorot-uniform kernel within ±√(6/(fanIn+fanOut))");
  assert.equal(model.trainableVariables.length, 2);
  assert.deepEqual(model.trainableVariables.map((v) => v.name), ["y_predicted/kernel", "y_predicted/bias"]);
});

test("glorot-uniform kernels are reproducible with tf.random.setSeed and with a layer seed, and fill ±limit", () => {
  const build = () => new Dense(64, { inputShape: [100] }).getWeights()[0];
  tf.random.setSeed(7);
  const first = flat(build());
  tf.random.setSeed(7);
  const second = flat(build());
  assert.deepEqual(first, second);
  const limit = Math.sqrt(6 / (100 + 64));
  assert.ok(first.every((v) => Math.abs(v) <= limit));
  assert.ok(Math.max(...first) > 0.9 * limit && Math.min(...first) < -0.9 * limit, "spread over the whole range");
  const mean = first.reduce((a, b) => a + b, 0) / first.length;
  assert.ok(Math.abs(mean) < 0.01, `mean ${mean} near 0`);
  const seeded = () => flat(new Dense(3, { inputShape: [2], seed: 11 }).getWeights()[0]);
  assert.deepEqual(seeded(), seeded());
});

test("Dense computes activation(x·W + b) for linear, relu, sigmoid, tanh and softmax", () => {
  const x = tf.constant([[1, -2], [0.5, 3]]);
  const results: Record<string, number[]> = {};
  for (const activation of ["linear", "relu", "sigmoid", "tanh", "softmax"]) {
    const layer = new Dense(2, { activation, inputShape: [2] });
    layer.setWeights([tf.constant([[1, -1], [0.5, 2]]), tf.constant([0.1, -0.2])]);
    results[activation] = flat(layer.apply(x));
  }
  // x·W + b = [[1 - 1 + 0.1, -1 - 4 - 0.2], [0.5 + 1.5 + 0.1, -0.5 + 6 - 0.2]] = [[0.1, -5.2], [2.1, 5.3]]
  const z = [0.1, -5.2, 2.1, 5.3];
  const close = (a: number[], b: number[]) => a.forEach((v, i) => assert.ok(Math.abs(v - b[i]) < 1e-5, `${v} vs ${b[i]}`));
  close(results.linear, z);
  close(results.relu, z.map((v) => Math.max(0, v)));
  close(results.sigmoid, z.map((v) => 1 / (1 + Math.exp(-v))));
  close(results.tanh, z.map(Math.tanh));
  const softmaxRow = (a: number, b: number) => [Math.exp(a) / (Math.exp(a) + Math.exp(b)), Math.exp(b) / (Math.exp(a) + Math.exp(b))];
  close(results.softmax, [...softmaxRow(0.1, -5.2), ...softmaxRow(2.1, 5.3)]);
  assert.throws(() => new Dense(2, { activation: "gelu" }), /Unknown activation 'gelu'.*'linear', 'relu', 'sigmoid', 'tanh', 'softmax'/);
});

test("Sequential: layers exclude the Input, shapes chain, and summary() prints Keras's table", (t) => {
  t.mock.method(console, "log", () => {});
  const model = new Sequential([Input({ shape: [784] }), new Dense(256, { activation: "relu", name: "hidden" }), new Dense(10, { activation: "softmax", name: "probabilities" })], { name: "mlp" });
  assert.equal(model.layers.length, 2);
  assert.deepEqual(model.outputShape, [null, 10]);
  assert.equal(model.countParams(), 784 * 256 + 256 + 256 * 10 + 10);
  const text = model.summary();
  const lines = text.split("\n");
  assert.equal(lines[0], 'Model: "mlp"');
  assert.match(text, /Layer \(type\)\s+Output Shape\s+Param #/);
  assert.match(text, /hidden \(Dense\)\s+\(None, 256\)\s+200960/);
  assert.match(text, /probabilities \(Dense\)\s+\(None, 10\)\s+2570/);
  assert.match(text, /Total params: 203530\nTrainable params: 203530\nNon-trainable params: 0/);
  const display = (model as unknown as Record<symbol, () => Record<string, string>>)[Symbol.for("Jupyter.display")]();
  assert.equal(display["text/plain"], text);
});

test("Sequential with inputShape on the first layer, and without any (built on first call)", () => {
  const withShape = new Sequential([new Dense(4, { inputShape: [3] }), new Dense(1)]);
  assert.deepEqual(withShape.inputShape, [null, 3]);
  assert.equal(withShape.trainableVariables.length, 4);
  const lazy = new Sequential([new Dense(2)]);
  assert.equal(lazy.trainableVariables.length, 0);
  const out = lazy.apply(tf.ones([5, 7]));
  assert.deepEqual(out.shape, [5, 2]);
  assert.deepEqual(lazy.inputShape, [null, 7]);
  assert.deepEqual(lazy.layers[0].getWeights()[0].shape, [7, 2]);
});

test("Sequential.add of a layer that does not fit the previous output fails and leaves the model unchanged", () => {
  const model = new Sequential([Input({ shape: [3] }), new Dense(4, { name: "first" })]);
  const misfit = new Dense(2, { inputShape: [5], name: "misfit" });
  assert.throws(() => model.add(misfit), /Dense 'misfit': expected inputs whose last dimension is 5, got shape \[None, 4\]/);
  assert.deepEqual(model.layers.map((layer) => layer.name), ["first"]);
  assert.deepEqual(model.predict([[1, 2, 3]]).shape, [1, 4]);
});

test("functional summary lists the InputLayer with its shape in brackets", (t) => {
  t.mock.method(console, "log", () => {});
  const X = Input({ shape: [1], name: "X" });
  const model = new Model({ inputs: X, outputs: new Dense(1, { name: "y_predicted" }).apply(X), name: "linear" });
  const text = model.summary();
  assert.match(text, /X \(InputLayer\)\s+\[\(None, 1\)\]\s+0/);
  assert.match(text, /y_predicted \(Dense\)\s+\(None, 1\)\s+2/);
  assert.match(text, /Total params: 2\n/);
});

test("predict computes x·W + b; setWeights checks every shape before changing anything", () => {
  const model = new Sequential([new Dense(1, { inputShape: [2], name: "affine" })]);
  const layer = model.layers[0];
  layer.setWeights([tf.constant([[2], [-1]]), tf.constant([0.5])]);
  assert.deepEqual(flat(model.predict([[1, 1], [3, 2]])), [1.5, 4.5]);
  assert.throws(() => layer.setWeights([tf.constant([[1, 2]]), tf.constant([0])]), /weight 0 \(affine\/kernel\) has shape \[2, 1\], got \[1, 2\]/);
  assert.throws(() => layer.setWeights([tf.constant([[1], [2]])]), /expected 2 arrays/);
  assert.deepEqual(flat(layer.getWeights()[0]), [2, -1], "unchanged after the failed calls");
  assert.throws(() => model.predict([[1, 2, 3]]), /x of shape \[1, 3\] does not fit the model's input shape \[None, 2\]/);
});

test("bad model input: Dense on the wrong width, Input without shape, unknown initializer", () => {
  const layer = new Dense(3, { inputShape: [2], name: "narrow" });
  assert.throws(() => layer.apply(tf.ones([4, 5])), /Dense 'narrow': expected inputs whose last dimension is 2, got shape \[4, 5\]/);
  assert.throws(() => Input({ shape: [0] }), /shape must be an array of positive integers/);
  assert.throws(() => new Dense(0), /units must be a positive integer, got 0/);
  assert.throws(() => new Dense(2, { kernelInitializer: "xavier" }), /Unknown initializer 'xavier'.*'glorot_uniform'/);
});
