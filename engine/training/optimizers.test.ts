import { test } from "node:test";
import assert from "node:assert/strict";
import * as tf from "../core";
import { Adagrad, Adam, RMSprop, SGD, getOptimizer } from "./optimizers";
import { ExponentialDecay, PiecewiseConstantDecay } from "./schedules";

const values = (t: tf.Tensor | tf.Variable) => Array.from(t.dataSync());

function assertClose(actual: number[], expected: number[], tolerance: number, what: string) {
  assert.equal(actual.length, expected.length, `${what}: length`);
  actual.forEach((a, i) => assert.ok(Math.abs(a - expected[i]) <= tolerance, `${what}[${i}]: got ${a}, expected ${expected[i]} ± ${tolerance}`));
}

test("seed 003: SGD(0.1) minimizing x² from 5 prints the seed's steps and ends at x = 0.53687, f = 0.28823", () => {
  const x = new tf.Variable(5.0, { name: "x" });
  const loss = () => tf.square(x);
  const optimizer = new SGD({ learningRate: 0.1 });
  const printed: string[] = [];
  for (let i = 0; i < 10; i++) {
    optimizer.minimize(loss, [x]);
    printed.push(`Iteration ${i + 1}: x = ${Number(x.numpy()).toPrecision(5)}, f(x) = ${Number(loss().numpy()).toPrecision(5)}`);
  }
  assert.deepEqual(printed, [
    "Iteration 1: x = 4.0000, f(x) = 16.000",
    "Iteration 2: x = 3.2000, f(x) = 10.240",
    "Iteration 3: x = 2.5600, f(x) = 6.5536",
    "Iteration 4: x = 2.0480, f(x) = 4.1943",
    "Iteration 5: x = 1.6384, f(x) = 2.6844",
    "Iteration 6: x = 1.3107, f(x) = 1.7180",
    "Iteration 7: x = 1.0486, f(x) = 1.0995",
    "Iteration 8: x = 0.83886, f(x) = 0.70369",
    "Iteration 9: x = 0.67109, f(x) = 0.45036",
    "Iteration 10: x = 0.53687, f(x) = 0.28823",
  ]);
  assert.equal(x.dtype, "float32");
  assert.equal(Number(x.numpy()), Math.fround(Number(x.numpy())), "x stays a float32 value");
  assert.equal(optimizer.iterations, 10);
});

test("seed 003: gradient descent by hand from x = 2 gives 1.6, 1.28, 1.024, 0.8192, ... and 0.21475 after 10 steps", () => {
  const x = new tf.Variable(2.0, { name: "x" });
  const optimizer = new SGD({ learningRate: 0.1 });
  const path: number[] = [];
  for (let i = 0; i < 10; i++) {
    const tape = new tf.GradientTape();
    const f = tape.record(() => tf.square(x));
    const grad = tape.gradient(f, x) as tf.Tensor;
    optimizer.applyGradients([[grad, x]]);
    path.push(Number(Number(x.numpy()).toPrecision(5)));
  }
  assert.deepEqual(path.slice(0, 4), [1.6, 1.28, 1.024, 0.8192]);
  assert.equal(path[9].toFixed(5), "0.21475");
});

test("TF defaults: SGD 0.01, Adam 0.001/0.9/0.999/1e-7, RMSprop 0.001/0.9/0/1e-7, Adagrad 0.001/0.1/1e-7, 'sgd' = SGD(0.01)", () => {
  assert.deepEqual(new SGD().getConfig(), { learningRate: 0.01, momentum: 0, nesterov: false });
  assert.deepEqual(new Adam().getConfig(), { learningRate: 0.001, beta1: 0.9, beta2: 0.999, epsilon: 1e-7, amsgrad: false });
  assert.deepEqual(new RMSprop().getConfig(), { learningRate: 0.001, rho: 0.9, momentum: 0, epsilon: 1e-7, centered: false });
  assert.deepEqual(new Adagrad().getConfig(), { learningRate: 0.001, initialAccumulatorValue: 0.1, epsilon: 1e-7 });
  const sgd = getOptimizer("sgd");
  assert.ok(sgd instanceof SGD);
  assert.equal(sgd.learningRate, 0.01);
  assert.ok(getOptimizer("Adam") instanceof Adam);
});

/** Keras's own golden-value protocol: one step with gradient 0.01, then steps with 0.1, 0.2, ..., 1.0. */
function goldenRun(optimizer: SGD | Adam | RMSprop | Adagrad): number[][] {
  const x = new tf.Variable(tf.ones([10]), { name: "x" });
  const grads = tf.constant([0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0]);
  optimizer.applyGradients([[tf.fill([10], 0.01), x]]);
  const seen: number[][] = [];
  for (let i = 0; i < 5; i++) {
    seen.push(values(x));
    optimizer.applyGradients([[grads, x]]);
  }
  return seen;
}

test("Adam (amsgrad) matches Keras's golden values", () => {
  const golden = [0.999, 0.9982, 0.9974, 0.9965, 0.9955];
  goldenRun(new Adam({ amsgrad: true })).forEach((row, i) => assertClose(row, new Array(10).fill(golden[i]), 5e-4, `step ${i}`));
});

test("Adam single step with lr 0.5 moves each weight by 0.5 and epsilon sits outside the square root", () => {
  const w = new tf.Variable([1, 2, 3, 4]);
  new Adam({ learningRate: 0.5 }).applyGradients([[tf.constant([1, 6, 7, 2]), w]]);
  assertClose(values(w), [0.5, 1.5, 2.5, 3.5], 1e-4, "w");
  // With a tiny gradient epsilon dominates. Keras adds it to √v before bias correction:
  // step = 0.5·√0.001·g / (√0.001·g + ε) ≈ 0.015327 (the paper's placement would give 0.25).
  const tiny = new tf.Variable([0]);
  new Adam({ learningRate: 0.5 }).applyGradients([[tf.constant([1e-7]), tiny]]);
  const s = Math.sqrt(0.001) * 1e-7;
  assertClose(values(tiny), [-(0.5 * s) / (s + 1e-7)], 2e-5, "tiny");
});

test("RMSprop matches Keras's single step and centered golden values", () => {
  const w = new tf.Variable([1, 2, 3, 4]);
  new RMSprop({ learningRate: 0.5 }).applyGradients([[tf.constant([1, 6, 7, 2]), w]]);
  assertClose(values(w), [-0.5811, 0.4189, 1.4189, 2.4189], 1e-4, "single step");
  const golden = [0.9967, 0.9933, 0.9908, 0.9885, 0.9864];
  goldenRun(new RMSprop({ centered: true })).forEach((row, i) => assertClose(row, new Array(10).fill(golden[i]), 5e-4, `step ${i}`));
});

test("Adagrad matches Keras's single step and golden values", () => {
  const w = new tf.Variable([1, 2, 3, 4]);
  new Adagrad({ learningRate: 0.5 }).applyGradients([[tf.constant([1, 6, 7, 2]), w]]);
  assertClose(values(w), [0.5233, 1.5007, 2.5005, 3.5061], 1e-4, "single step");
  const golden = [
    [0.9963, 0.9963, 0.9963, 0.9963, 0.9963, 0.9963, 0.9963, 0.9963, 0.9963, 0.9963],
    [0.9604, 0.9278, 0.9003, 0.8784, 0.8615, 0.8487, 0.8388, 0.8313, 0.8255, 0.8209],
    [0.9251, 0.8629, 0.8137, 0.7768, 0.7497, 0.7298, 0.7151, 0.704, 0.6956, 0.6891],
    [0.8903, 0.8012, 0.7342, 0.6862, 0.6521, 0.6277, 0.6099, 0.5967, 0.5867, 0.579],
    [0.856, 0.7422, 0.6604, 0.6037, 0.5644, 0.5367, 0.5168, 0.5021, 0.491, 0.4825],
  ];
  goldenRun(new Adagrad({ learningRate: 0.2, initialAccumulatorValue: 0.3, epsilon: 1e-6 })).forEach((row, i) => assertClose(row, golden[i], 5e-4, `step ${i}`));
});

test("SGD without momentum is TF's assign_sub(gradient·lr): fround(w − fround(lr·g)) bit for bit, on tensors and flat gradients", () => {
  const seeded = (n: number, seed: number) => Float32Array.from({ length: n }, (_, i) => Math.sin(seed * 7919 + i * 0.37) * (i % 11 === 0 ? 1e-3 : 2));
  for (const shape of [[784, 256], [3, 5]]) {
    const n = shape[0] * shape[1];
    const w0 = seeded(n, 1), g = seeded(n, 2);
    const lr = Math.fround(0.1);
    const expected = Float32Array.from(w0, (w, i) => Math.fround(w - Math.fround(lr * g[i])));
    const byTensor = new tf.Variable(tf.constant(w0, shape));
    new SGD({ learningRate: 0.1 }).applyGradients([[tf.constant(g, shape), byTensor]]);
    assert.deepEqual(byTensor.dataSync(), expected, `applyGradients [${shape}]`);
    const byHand = new tf.Variable(tf.constant(w0, shape));
    byHand.assignSub(tf.mul(tf.constant(g, shape), 0.1));
    assert.deepEqual(byHand.dataSync(), expected, `the user's assignSub [${shape}]`);
    const flat = new tf.Variable(tf.constant(w0, shape));
    const sgd = new SGD({ learningRate: 0.1 });
    sgd.applyFlatGradients([[Array.from(g), flat]]);
    assert.deepEqual(flat.dataSync(), expected, `applyFlatGradients [${shape}]`);
    assert.equal(sgd.iterations, 1);
  }
  // A float64 variable steps in double precision, a float32 gradient cast to it first.
  const w64 = new tf.Variable(tf.constant([1, 2, 3], [3], "float64"));
  new SGD({ learningRate: 0.1 }).applyGradients([[tf.constant([0.3, -0.7, 1e-9]), w64]]);
  const g32 = Float32Array.of(0.3, -0.7, 1e-9);
  assert.deepEqual(Array.from(w64.dataSync()), [1 - 0.1 * g32[0], 2 - 0.1 * g32[1], 3 - 0.1 * g32[2]]);
});

test("SGD with momentum and Nesterov follow Keras's velocity updates", () => {
  // g = 1 each step, lr 0.1, momentum 0.9: velocity -0.1, -0.19, -0.271; w: 1 → 0.9 → 0.71 → 0.439.
  const w = new tf.Variable([1]);
  const sgd = new SGD({ learningRate: 0.1, momentum: 0.9 });
  const seen = [0, 1, 2].map(() => (sgd.applyGradients([[tf.constant([1]), w]]), values(w)[0]));
  assertClose(seen, [0.9, 0.71, 0.439], 1e-6, "momentum");
  // Nesterov adds momentum·velocity − lr·g: steps -0.19, -0.271, -0.3439.
  const n = new tf.Variable([1]);
  const nesterov = new SGD({ learningRate: 0.1, momentum: 0.9, nesterov: true });
  const nSeen = [0, 1, 2].map(() => (nesterov.applyGradients([[tf.constant([1]), n]]), values(n)[0]));
  assertClose(nSeen, [0.81, 0.539, 0.1951], 1e-6, "nesterov");
  assert.equal(Number(values(sgd.getSlots(w).momentum as tf.Tensor)[0].toFixed(6)), -0.271);
});

test("learning-rate schedules: a function of the step and exponential decay see iterations 0, 1, 2, ...", () => {
  const seenSteps: number[] = [];
  const w = new tf.Variable([0]);
  const sgd = new SGD({ learningRate: (step) => (seenSteps.push(step), 1 / (step + 1)) });
  for (let i = 0; i < 3; i++) sgd.applyGradients([[tf.constant([-1]), w]]);
  assert.deepEqual(seenSteps, [0, 1, 2]);
  assertClose(values(w), [1 + 1 / 2 + 1 / 3], 1e-6, "w");

  const decay = new ExponentialDecay({ initialLearningRate: 0.1, decaySteps: 10, decayRate: 0.5 });
  assertClose([decay.call(0), decay.call(10), decay.call(5)], [0.1, 0.05, 0.1 * Math.SQRT1_2], 1e-12, "continuous");
  const stairs = new ExponentialDecay({ initialLearningRate: 0.1, decaySteps: 10, decayRate: 0.5, staircase: true });
  assertClose([stairs.call(9), stairs.call(10), stairs.call(25)], [0.1, 0.05, 0.025], 1e-12, "staircase");
  const adam = new Adam({ learningRate: stairs });
  adam.iterations = 20;
  assert.equal(adam.learningRate, 0.025);
  const piecewise = new PiecewiseConstantDecay({ boundaries: [2, 4], values: [1, 0.5, 0.1] });
  assert.deepEqual([0, 2, 3, 4, 5].map((s) => piecewise.call(s)), [1, 1, 0.5, 0.5, 0.1]);
});

test("a variable without a gradient is skipped with a warning naming it; the others still update", (t) => {
  const warnings: string[] = [];
  t.mock.method(console, "warn", (message: string) => warnings.push(message));
  const used = new tf.Variable(3.0, { name: "used" });
  const unused = new tf.Variable(7.0, { name: "unused_bias" });
  const sgd = new SGD({ learningRate: 0.1 });
  sgd.minimize(() => tf.square(used), [used, unused]);
  assert.equal(Number(used.numpy()).toFixed(4), "2.4000");
  assert.equal(Number(unused.numpy()), 7);
  assert.equal(warnings.length, 1);
  assert.match(warnings[0], /unused_bias/);
  assert.doesNotMatch(warnings[0], /\bused\b(?!_)/);
});

test("no gradient for any variable: the error lists the variables and says none is connected to the loss", () => {
  const a = new tf.Variable(1.0, { name: "a" });
  const b = new tf.Variable(2.0, { name: "b" });
  const c = tf.constant(3.0);
  assert.throws(
    () => new SGD().minimize(() => tf.square(c), [a, b]),
    (error: Error) => /No gradients provided for any variable/.test(error.message) && /\[a, b\]/.test(error.message) && /not connected|none of the variables/.test(error.message),
  );
  assert.equal(Number(a.numpy()), 1);
});

test("bad optimizer input: unknown name lists valid names; misshapen gradient names both shapes; bad hyperparameters", () => {
  assert.throws(() => getOptimizer("adamw"), /Unknown optimizer 'adamw'.*'sgd', 'adam', 'rmsprop', 'adagrad'/);
  const w = new tf.Variable([1, 2, 3], { name: "w" });
  assert.throws(() => new SGD().applyGradients([[tf.constant([1, 2]), w]]), /shape \[2\].*w of shape \[3\]/);
  assert.deepEqual(values(w), [1, 2, 3]);
  assert.throws(() => new SGD({ momentum: 1.5 }), /momentum must be a number in \[0, 1\], got 1.5/);
  assert.throws(() => new Adam({ learningRate: -1 }), /learningRate must be a finite number >= 0, got -1/);
  assert.throws(() => new SGD().minimize(5 as never, [w]), /loss must be a function/);
});
