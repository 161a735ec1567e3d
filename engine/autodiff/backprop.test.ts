/**
 * The backward walk over flat tapes: gradients kept by plan index, rules that differentiate
 * while the walk runs, sources in the middle of long tapes, and tapes walked more than once.
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import v8 from "node:v8";
import vm from "node:vm";
import * as tf from "../core";

v8.setFlagsFromString("--expose-gc");
const collectGarbage = vm.runInNewContext("gc") as () => void;

const close = (actual: number, expected: number, what: string, tolerance = 1e-5): void => {
  assert.ok(Math.abs(actual - expected) <= tolerance * Math.max(1, Math.abs(expected)), `${what}: ${actual}, expected ${expected}`);
};

describe("the backward walk", () => {
  test("a custom gradient whose rule runs its own gradient mid-walk leaves the outer walk's gradients right", () => {
    // cube's rule differentiates u³ itself, over the very tensor the outer walk goes on through.
    const cube = tf.customGradient((x: tf.Tensor) => ({
      value: tf.mul(tf.square(x), x),
      grad: (dy: tf.Tensor) => tf.mul(dy, tf.grad((u: tf.Tensor) => tf.reduceSum(tf.mul(tf.square(u), u)))(x) as tf.Tensor),
    }));
    const w = tf.constant([0.3, -1.2, 2]);
    const tape = new tf.GradientTape();
    const y = tape.record(() => {
      tape.watch(w);
      return tf.reduceSum(tf.exp(cube(tf.sin(w))));
    });
    const g = (tape.gradient(y, w) as tf.Tensor).dataSync();
    [0.3, -1.2, 2].forEach((v, i) => {
      const s = Math.sin(v);
      close(g[i], Math.exp(s ** 3) * 3 * s * s * Math.cos(v), `dy/dw[${i}]`, 1e-5);
    });
  });

  test("a source in the middle of a 5,000-op scalar chain keeps its gradient past the kept window", () => {
    const x = tf.constant(0.7);
    const tape = new tf.GradientTape();
    let middle: tf.Tensor | undefined;
    const y = tape.record(() => {
      tape.watch(x);
      let t = x;
      for (let i = 0; i < 5000; i++) {
        t = i % 2 === 0 ? tf.mul(t, 1.0001) : tf.add(t, 0.0001);
        if (i === 1000) middle = t;
      }
      return t;
    });
    const [gx, gMiddle] = tape.gradient(y, [x, middle!]) as tf.Tensor[];
    // 5,000 float32 roundings drift by up to a few parts in 10⁵.
    close(gx.item(), 1.0001 ** 2500, "dy/dx", 2e-4);
    close(gMiddle.item(), 1.0001 ** 1999, "dy/d(op 1000)", 2e-4);
  });

  test("a persistent tape walked twice, and once for a Jacobian, gives the same gradients each time", () => {
    const x = tf.constant([0.5, 1.5]);
    const tape = new tf.GradientTape({ persistent: true });
    const y = tape.record(() => {
      tape.watch(x);
      return tf.tanh(tf.mul(x, x));
    });
    const first = (tape.gradient(y, x) as tf.Tensor).dataSync();
    const second = (tape.gradient(y, x) as tf.Tensor).dataSync();
    const jacobian = (tape.jacobian(y, x) as tf.Tensor).numpy() as number[][];
    assert.deepEqual(second, first);
    [0.5, 1.5].forEach((v, i) => {
      const expected = (1 - Math.tanh(v * v) ** 2) * 2 * v;
      close(first[i], expected, `dy/dx[${i}]`);
      close(jacobian[i][i], expected, `J[${i}][${i}]`);
      close(jacobian[i][1 - i], 0, `J[${i}][${1 - i}]`);
    });
  });

  test("a finished 5,000-op tape still pictures its newest 2,000 ops, on the gradient's path and with their gradients", () => {
    const x = tf.constant(1.5);
    const tape = new tf.GradientTape();
    const y = tape.record(() => {
      tape.watch(x);
      let t = x;
      for (let i = 0; i < 5000; i++) t = i % 2 === 0 ? tf.mul(t, 0.9999) : tf.add(t, 0.5);
      return tf.add(tf.mul(t, 0), tf.square(x));
    });
    assert.equal((tape.gradient(y, x) as tf.Tensor).item(), 3);
    const picture = tape.describe();
    assert.equal(picture.nodes.length, 2000);
    assert.equal(picture.truncatedNodes, 5003 - 2000);
    assert.deepEqual(picture.nodes.slice(-3).map((n) => n.op), ["mul", "square", "add"]);
    assert.ok(picture.nodes.every((n) => n.onGradientPath));
    const byId = new Map(picture.tensors.map((t) => [t.id, t]));
    assert.equal(byId.get(picture.targets[0])!.gradient?.values, 1);
    // The chain's end is multiplied by zero: every gradient on it in the picture is 0.
    const chainEnd = picture.nodes[picture.nodes.length - 3].inputs[0];
    assert.equal(byId.get(chainEnd)!.gradient?.values, 0);
    assert.throws(() => tape.gradient(y, x), /non-persistent GradientTape can only be used to compute one set of gradients/);
  });

  test("gradients for every watched tensor or for some of them agree, constants and nested tapes' ops included", () => {
    const a = tf.constant([0.5, -0.25]), b = tf.constant(1.5), c = tf.constant([2, 3]);
    const outer = new tf.GradientTape({ persistent: true });
    const y = outer.record(() => {
      outer.watch([a, b]);
      const inner = new tf.GradientTape();
      // Ops seen by both tapes: their outputs carry the outer tape's mark second.
      const u = inner.record(() => {
        inner.watch(a);
        return tf.mul(tf.sin(a), c);
      });
      return tf.reduceSum(tf.mul(tf.add(u, b), tf.exp(b)));
    });
    const [ga, gb] = (outer.gradient(y, [a, b]) as tf.Tensor[]).map((g) => g.dataSync());
    const gaOnly = (outer.gradient(y, a) as tf.Tensor).dataSync();
    const gbOnly = (outer.gradient(y, [b]) as tf.Tensor[])[0].dataSync();
    assert.deepEqual(gaOnly, ga);
    assert.deepEqual(gbOnly, gb);
    const e = Math.exp(1.5);
    [0.5, -0.25].forEach((v, i) => close(ga[i], Math.cos(v) * [2, 3][i] * e, `dy/da[${i}]`));
    const sum = 2 * Math.sin(0.5) + 3 * Math.sin(-0.25);
    close(gb[0], 2 * e + (sum + 2 * 1.5) * e, "dy/db");
  });

  test("a finished tape lets its older ops' tensors be collected, and keeps those its picture shows", async () => {
    const x = tf.constant(1.25);
    const tape = new tf.GradientTape();
    const refs: WeakRef<tf.Tensor>[] = [];
    const y = tape.record(() => {
      tape.watch(x);
      let t = x;
      for (let i = 0; i < 5000; i++) {
        t = tf.mul(t, 1.0001);
        if (i === 10 || i === 4990) refs.push(new WeakRef(t));
      }
      return t;
    });
    close((tape.gradient(y, x) as tf.Tensor).item(), 1.0001 ** 5000, "dy/dx", 2e-4);
    // A weak reference holds its target until the current job ends.
    await new Promise((resolve) => setTimeout(resolve, 0));
    collectGarbage();
    const [early, late] = refs.map((ref) => ref.deref());
    assert.equal(early, undefined, "op 10's result is still reachable from the finished tape");
    assert.ok(late, "op 4,990's result, in the tape's picture, was collected");
    assert.ok(tape.describe().nodes.some((n) => n.outputs[0] === late.id));
  });

  test("second derivatives through nested tapes over scalar chains", () => {
    const x = tf.constant(0.4);
    const outer = new tf.GradientTape();
    const dy = outer.record(() => {
      outer.watch(x);
      const inner = new tf.GradientTape();
      const y = inner.record(() => {
        inner.watch(x);
        return tf.mul(tf.exp(tf.mul(x, 2)), tf.sin(x));
      });
      return inner.gradient(y, x) as tf.Tensor;
    });
    const d2 = outer.gradient(dy, x) as tf.Tensor;
    // y = e^{2x} sin x: y' = e^{2x}(2 sin x + cos x), y'' = e^{2x}(3 sin x + 4 cos x).
    const v = 0.4;
    close(dy.item(), Math.exp(2 * v) * (2 * Math.sin(v) + Math.cos(v)), "dy/dx");
    close(d2.item(), Math.exp(2 * v) * (3 * Math.sin(v) + 4 * Math.cos(v)), "d²y/dx²");
  });
});
