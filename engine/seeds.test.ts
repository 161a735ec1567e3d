/** The tutorials' examples (shared seeds 000 and 001) at engine level, against analytic results. */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import * as tf from "./core";
import type { Tensor } from "./core";

const approx = (a: number, b: number, tol = 1e-5) => assert.ok(Math.abs(a - b) <= tol * Math.max(1, Math.abs(b)), `${a} ≉ ${b}`);
const xs = [1, 2, 3], ys = [2, 4, 6];
const mean = (f: (x: number, y: number) => number) => xs.reduce((s, x, i) => s + f(x, ys[i]), 0) / xs.length;

function linearRegression() {
  tf.random.setSeed(42);
  const W = new tf.Variable(tf.random.normal([1]), { name: "weight" });
  const b = new tf.Variable(tf.random.normal([1]), { name: "bias" });
  const xTrain = tf.constant([[1.0], [2.0], [3.0]]);
  const yTrain = tf.constant([[2.0], [4.0], [6.0]]);
  const loss = (x: Tensor, y: Tensor) => tf.reduceMean(tf.square(tf.sub(y, tf.add(tf.mul(W, x), b))));
  return { W, b, xTrain, yTrain, loss, w: W.numpy() as number[], bias: b.numpy() as number[] };
}

describe("seed 001: the gradient of w² at w = 5", () => {
  test("is 10.0", () => {
    const w = new tf.Variable(5.0);
    const tape = new tf.GradientTape();
    const loss = tape.record(() => tf.square(w));
    const gradient = tape.gradient(loss, w) as Tensor;
    assert.equal(gradient.numpy(), 10);
    assert.equal(String(gradient), "tf.Tensor(10.0, shape=(), dtype=float32)");
  });
  test("a constant needs watch()", () => {
    const c = tf.constant(5.0);
    const unwatched = new tf.GradientTape();
    const y1 = unwatched.record(() => tf.square(c));
    assert.equal(unwatched.gradient(y1, c), null);
    const watched = new tf.GradientTape();
    const y2 = watched.record(() => { watched.watch(c); return tf.square(c); });
    assert.equal((watched.gradient(y2, c) as Tensor).item(), 10);
  });
});

describe("seed 000: gradients of a linear regression loss", () => {
  test("Example 1: dW and db equal the analytic formula", () => {
    const { W, b, xTrain, yTrain, loss, w, bias } = linearRegression();
    const tape = new tf.GradientTape();
    const current = tape.record(() => loss(xTrain, yTrain));
    const [dW, db] = tape.gradient(current, [W, b]) as Tensor[];
    const residual = (x: number, y: number) => y - (w[0] * x + bias[0]);
    approx(current.item() as number, mean((x, y) => residual(x, y) ** 2));
    approx((dW.numpy() as number[])[0], mean((x, y) => -2 * x * residual(x, y)));
    approx((db.numpy() as number[])[0], mean((x, y) => -2 * residual(x, y)));
    assert.deepEqual(dW.shape, [1]);
  });

  test("Example 2: the branch taken decides the loss and its gradients", () => {
    const { W, b, yTrain, w, bias } = linearRegression();
    const conditionalLoss = (x: Tensor, y: Tensor) =>
      tf.reduceMean(x).item() as number > 1.0
        ? tf.reduceMean(tf.square(tf.sub(y, tf.add(tf.mul(W, x), b))))
        : tf.reduceMean(tf.abs(tf.sub(y, tf.add(tf.mul(W, x), b))));
    // mean(x) = 2 > 1: the squared loss.
    const tape = new tf.GradientTape();
    const big = tape.record(() => conditionalLoss(tf.constant([[1.0], [2.0], [3.0]]), yTrain));
    const [dW] = tape.gradient(big, [W, b]) as Tensor[];
    approx((dW.numpy() as number[])[0], mean((x, y) => -2 * x * (y - (w[0] * x + bias[0]))));
    // mean(x) = 0.2: the absolute loss, whose gradient is -mean(x·sign(residual)).
    const small = [0.1, 0.2, 0.3];
    const tape2 = new tf.GradientTape();
    const l2 = tape2.record(() => conditionalLoss(tf.constant([[0.1], [0.2], [0.3]]), yTrain));
    const [dW2, db2] = tape2.gradient(l2, [W, b]) as Tensor[];
    const signs = small.map((x, i) => Math.sign(ys[i] - (w[0] * x + bias[0])));
    approx((dW2.numpy() as number[])[0], -small.reduce((s, x, i) => s + x * signs[i], 0) / 3);
    approx((db2.numpy() as number[])[0], -signs.reduce((s, v) => s + v, 0) / 3);
  });

  test("Example 3: nested tapes and jacobian give the analytic Hessian of the MSE in [W, b]", () => {
    const { W, b, xTrain, yTrain, loss } = linearRegression();
    const outer = new tf.GradientTape();
    const gradients = outer.record(() => {
      const inner = new tf.GradientTape();
      const current = inner.record(() => loss(xTrain, yTrain));
      return inner.gradient(current, [W, b]) as Tensor[];
    });
    const [forW, forB] = outer.jacobian(gradients, [W, b]) as Tensor[];
    // The gradients [dW, db] are stacked into shape [2, 1]; each Jacobian is [2, 1, 1].
    assert.deepEqual(forW.shape, [2, 1, 1]);
    const h = [[2 * mean((x) => x * x), 2 * mean((x) => x)], [2 * mean((x) => x), 2]];
    approx((forW.numpy() as number[][][])[0][0][0], h[0][0]);
    approx((forW.numpy() as number[][][])[1][0][0], h[1][0]);
    approx((forB.numpy() as number[][][])[0][0][0], h[0][1]);
    approx((forB.numpy() as number[][][])[1][0][0], h[1][1]);
    // The same matrix from tf.hessian over the packed parameters [W, b].
    const packed = tf.hessian((p) => tf.reduceMean(tf.square(tf.sub(yTrain, tf.add(tf.mul(tf.slice(p, [0], [1]), xTrain), tf.slice(p, [1], [1]))))))(
      tf.concat([W.value(), b.value()]),
    );
    (packed.numpy() as number[][]).forEach((row, i) => row.forEach((v, j) => approx(v, h[i][j])));
  });
});
