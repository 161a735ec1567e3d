import { test } from "node:test";
import assert from "node:assert/strict";
import * as tf from "../core";
import { asDataset, batchLoss } from "./data";
import { fusedLossAndGradients, planFusedStep } from "./fused";
import { Dense } from "./layers";
import { Sequential } from "./model";
import { SGD } from "./optimizers";

/** The compiled step must give the tape's loss and gradients for every activation and built-in loss. */
const cases = [
  { loss: "mean_squared_error", hidden: "relu", output: "linear", labels: () => tf.random.normal([6, 3], { seed: 5 }) },
  { loss: "mean_absolute_error", hidden: "tanh", output: "linear", labels: () => tf.random.normal([6, 3], { seed: 6 }) },
  { loss: "binary_crossentropy", hidden: "sigmoid", output: "sigmoid", labels: () => tf.constant([[1, 0, 1], [0, 0, 1], [1, 1, 0], [0, 1, 0], [1, 0, 0], [0, 1, 1]]) },
  { loss: "categorical_crossentropy", hidden: "relu", output: "softmax", labels: () => tf.oneHot(tf.constant([0, 2, 1, 1, 0, 2], undefined, "int32"), 3) },
  { loss: "sparse_categorical_crossentropy", hidden: "tanh", output: "softmax", labels: () => tf.constant([[2], [0], [1], [1], [2], [0]]) },
];

for (const { loss, hidden, output, labels } of cases) {
  test(`compiled Dense step matches the tape for ${loss} with ${hidden} → ${output}`, () => {
    tf.random.setSeed(21);
    const model = new Sequential([new Dense(5, { activation: hidden, inputShape: [4] }), new Dense(3, { activation: output })]);
    model.compile({ optimizer: new SGD(), loss });
    const compiled = model.compiled!;
    const x = asDataset(tf.random.normal([6, 4], { seed: 7 }), "x");
    const y = asDataset(labels(), "y");
    const plan = planFusedStep(model.layerChain(), compiled, true);
    assert.ok(plan, "the plan applies to a Dense stack with a built-in loss");
    const fused = fusedLossAndGradients(plan, x, y)!;

    const variables = model.trainableWeights;
    const tape = new tf.GradientTape();
    const { loss: tapeLoss, prediction } = tape.record(() => batchLoss(model, compiled, x, y));
    const gradients = tape.gradient(tapeLoss, variables) as tf.Tensor[];

    assert.ok(Math.abs(fused.loss - Number(tapeLoss.item())) < 1e-5, `loss ${fused.loss} vs tape ${tapeLoss.item()}`);
    Array.from(fused.prediction.dataSync()).forEach((v, i) => assert.ok(Math.abs(v - prediction.dataSync()[i]) < 1e-5));
    assert.deepEqual(fused.gradients.map(([, v]) => v), variables);
    fused.gradients.forEach(([values], k) => {
      const expected = gradients[k].dataSync();
      values.forEach((v, i) => assert.ok(Math.abs(v - expected[i]) < 1e-5, `${variables[k].name}[${i}]: ${v} vs tape ${expected[i]}`));
    });
  });
}

test("the compiled step is not used for a user's activation function, even one named like a built-in, nor for Dense subclasses", () => {
  const relu = (x: tf.Tensor) => tf.mul(x, 2);
  const model = new Sequential([new Dense(2, { inputShape: [3], activation: relu })]);
  model.compile({ optimizer: "sgd", loss: "mse" });
  assert.equal(planFusedStep(model.layerChain(), model.compiled!, true), undefined);
  class Scaled extends Dense {
    override call(input: tf.Tensor) {
      return tf.mul(super.call(input), 3);
    }
  }
  const scaled = new Sequential([new Scaled(2, { inputShape: [3] })]);
  scaled.compile({ optimizer: "sgd", loss: "mse" });
  assert.equal(planFusedStep(scaled.layerChain(), scaled.compiled!, true), undefined);
  scaled.layers[0].setWeights([tf.ones([3, 2]), tf.zeros([2])]);
  assert.deepEqual(Array.from(scaled.predict([[1, 1, 1]]).dataSync()), [9, 9]);
});

test("the compiled step is not used for custom losses, and labels it cannot take fall back to the tape's error", () => {
  const model = new Sequential([new Dense(2, { inputShape: [3] })]);
  model.compile({ optimizer: "sgd", loss: (yTrue: tf.Tensor, yPred: tf.Tensor) => tf.reduceMean(tf.abs(tf.sub(yTrue, yPred))) });
  assert.equal(planFusedStep(model.layerChain(), model.compiled!, model.compiled!.builtInLoss), undefined);
  model.compile({ optimizer: "sgd", loss: "mse" });
  const plan = planFusedStep(model.layerChain(), model.compiled!, true)!;
  assert.equal(fusedLossAndGradients(plan, asDataset(tf.ones([4, 3]), "x"), asDataset(tf.ones([4, 5]), "y")), undefined);
  assert.throws(() => model.trainOnBatch(tf.ones([4, 3]), tf.ones([4, 5])), /labels of shape \[4, 5\] do not match predictions of shape \[4, 2\]/);
});
