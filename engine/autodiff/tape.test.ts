/** GradientTape behaviours, each with TensorFlow's own expected numbers and messages. */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import * as tf from "../core";
import type { Tensor } from "../core";

const NON_PERSISTENT = /A non-persistent GradientTape can only be used to compute one set of gradients \(or jacobians\)/;
const num = (t: unknown) => (t as Tensor).numpy();

describe("GradientTape (TensorFlow's behaviours)", () => {
  test("nested tapes: inner gradient 2, outer gradient 6 (TF testGradientTape)", () => {
    const g = new tf.GradientTape();
    let y!: Tensor;
    g.record(() => {
      const x = tf.constant(3.0);
      g.watch(x);
      y = tf.mul(x, x);
      const gg = new tf.GradientTape();
      const z = gg.record(() => {
        gg.watch(y);
        return tf.mul(2, y);
      });
      const inner = (gg.gradient(z, [y]) as Tensor[])[0];
      assert.equal(inner.item(), 2);
      y = tf.add(y, inner);
      (g as unknown as { x: Tensor }).x = x;
    });
    const x = (g as unknown as { x: Tensor }).x;
    assert.equal((g.gradient(y, [x]) as Tensor[])[0].item(), 6);
  });

  test("persistent tape: dz/dx = 108 and dy/dx = 6 for y = x², z = y² at x = 3", () => {
    const x = tf.constant(3.0);
    const tape = new tf.GradientTape({ persistent: true });
    const [y, z] = tape.record(() => {
      tape.watch(x);
      const y = tf.mul(x, x);
      return [y, tf.mul(y, y)];
    });
    assert.equal(num(tape.gradient(z, x)), 108);
    assert.equal(num(tape.gradient(y, x)), 6);
  });

  test("a non-persistent tape gives one set of gradients, then throws TF's message", () => {
    const x = tf.constant([[1.0, 2.0]]);
    const make = () => {
      const tape = new tf.GradientTape();
      const y = tape.record(() => { tape.watch(x); return tf.mul(x, x); });
      return { tape, y };
    };
    const a = make();
    a.tape.gradient(a.y, x);
    assert.throws(() => a.tape.gradient(a.y, x), NON_PERSISTENT);
    const b = make();
    b.tape.jacobian(b.y, x);
    assert.throws(() => b.tape.jacobian(b.y, x), NON_PERSISTENT);
    const c = make();
    c.tape.batchJacobian(c.y, x);
    assert.throws(() => c.tape.batchJacobian(c.y, x), NON_PERSISTENT);
    assert.throws(() => c.tape.gradient(c.y, x), NON_PERSISTENT);
  });

  test("several targets are summed: d[2x, 3y]/d[x, y] = [2, 3]", () => {
    const x = tf.constant(3.0), y = tf.constant(2.0);
    const tape = new tf.GradientTape();
    const targets = tape.record(() => { tape.watch([x, y]); return [tf.mul(2, x), tf.mul(3, y)]; });
    assert.deepEqual((tape.gradient(targets, [x, y]) as Tensor[]).map((g) => g.item()), [2, 3]);
  });

  test("stopRecording skips ops; reset drops them", () => {
    const x = tf.constant(2.0);
    const tape = new tf.GradientTape({ persistent: true });
    const y = tape.record(() => {
      tape.watch(x);
      const a = tf.mul(x, x);
      const b = tape.stopRecording(() => tf.mul(x, 10));
      return tf.add(a, b);
    });
    assert.equal(num(tape.gradient(y, x)), 4);
    tape.reset();
    assert.equal(tape.gradient(y, x), null);
    assert.equal(tape.describe().nodes.length, 0);
  });

  test("unconnected gradients: null by default, zeros of the source's shape with 'zero'", () => {
    const x = tf.constant([1, 2, 3]), unused = tf.constant([[1, 2], [3, 4]]);
    const tape = new tf.GradientTape({ persistent: true });
    const y = tape.record(() => { tape.watch([x, unused]); return tf.reduceSum(x); });
    assert.equal(tape.gradient(y, unused), null);
    const z = tape.gradient(y, unused, { unconnectedGradients: "zero" }) as Tensor;
    assert.deepEqual(z.shape, [2, 2]);
    assert.deepEqual(z.numpy(), [[0, 0], [0, 0]]);
    assert.throws(() => tape.gradient(y, x, { unconnectedGradients: "zeros" as "zero" }), /Unknown value for unconnected_gradients/);
  });

  test("watched variables: empty, [v] once read, empty after reset", () => {
    const v = new tf.Variable(1.0, { name: "v" });
    const tape = new tf.GradientTape();
    tape.record(() => {
      assert.deepEqual(tape.watchedVariables(), []);
      tf.mul(v, 2);
      assert.deepEqual(tape.watchedVariables(), [v]);
      tape.reset();
      assert.deepEqual(tape.watchedVariables(), []);
    });
  });

  test("watchAccessedVariables: false records nothing unless watched", () => {
    const v = new tf.Variable(3.0), w = new tf.Variable(4.0);
    const tape = new tf.GradientTape({ watchAccessedVariables: false });
    const y = tape.record(() => { tape.watch(w); return tf.add(tf.mul(v, v), tf.mul(w, w)); });
    assert.deepEqual(tape.watchedVariables(), [w]);
    const [gv, gw] = tape.gradient(y, [v, w]) as (Tensor | null)[];
    assert.equal(gv, null);
    assert.equal(gw!.item(), 8);
  });

  test("stopGradient gives null", () => {
    const x = tf.constant(2.0);
    const tape = new tf.GradientTape();
    const y = tape.record(() => { tape.watch(x); return tf.stopGradient(tf.mul(x, x)); });
    assert.equal(tape.gradient(y, x), null);
  });

  test("grad of grad: x² gives 2, exp at 0 gives 1", () => {
    const second = (f: (x: Tensor) => Tensor, at: number) => {
      const x = tf.constant(at);
      const outer = new tf.GradientTape();
      const g = outer.record(() => {
        outer.watch(x);
        const inner = new tf.GradientTape();
        const y = inner.record(() => { inner.watch(x); return f(x); });
        return inner.gradient(y, x) as Tensor;
      });
      return (outer.gradient(g, x) as Tensor).item();
    };
    assert.equal(second((x) => tf.mul(x, x), 3), 2);
    assert.equal(second((x) => tf.exp(x), 0), 1);
  });

  test("jacobian of z = x·x·y is [diag(2xy), diag(x²)]", () => {
    const x = tf.constant([1, 2, 3]), y = tf.constant([4, 5, 6]);
    const tape = new tf.GradientTape();
    const z = tape.record(() => { tape.watch([x, y]); return tf.mul(tf.mul(x, x), y); });
    const [jx, jy] = tape.jacobian(z, [x, y]) as Tensor[];
    assert.deepEqual(jx.numpy(), [[8, 0, 0], [0, 20, 0], [0, 0, 36]]);
    assert.deepEqual(jy.numpy(), [[1, 0, 0], [0, 4, 0], [0, 0, 9]]);
  });

  test("batchJacobian: per-example Jacobians, and TF's shape errors", () => {
    const x = tf.constant([[1, 2], [3, 4]]);
    const w = tf.constant([[1, 2, 3], [4, 5, 6]]);
    const tape = new tf.GradientTape({ persistent: true });
    const y = tape.record(() => { tape.watch(x); return tf.matmul(tf.square(x), w); });
    const j = tape.batchJacobian(y, x)!;
    assert.deepEqual(j.shape, [2, 3, 2]);
    // ∂y[b,i]/∂x[b,k] = 2·x[b,k]·w[k,i]
    assert.deepEqual(j.numpy(), [[[2, 16], [4, 20], [6, 24]], [[6, 32], [12, 40], [18, 48]]]);
    const v = tf.constant([1, 2]);
    const t2 = new tf.GradientTape({ persistent: true });
    const [a, b] = t2.record(() => { t2.watch([x, v]); return [tf.mul(v, 2), tf.matmul(tf.constant([[1, 1], [1, 1], [1, 1]]), x)]; });
    assert.throws(() => t2.batchJacobian(a, x), /Shape \(2,\) must have rank at least 2/);
    assert.throws(() => t2.batchJacobian(b, x), /Need first dimension of target shape \(3, 2\) and source shape \(2, 2\) to match\./);
  });

  test("re-entering an active tape throws", () => {
    const tape = new tf.GradientTape();
    assert.throws(() => tape.record(() => tape.record(() => 0)), /Tape is still recording, This can happen if you try to re-enter an already-active tape\./);
  });

  test("sources may be intermediate tensors, and the structure of sources is kept", () => {
    const x = tf.constant(2.0);
    const tape = new tf.GradientTape({ persistent: true });
    let h!: Tensor;
    const y = tape.record(() => { tape.watch(x); h = tf.mul(x, 3); return tf.square(h); });
    assert.equal(num(tape.gradient(y, h)), 12);
    const g = tape.gradient(y, { input: x, hidden: h }) as Record<string, Tensor>;
    assert.deepEqual(Object.keys(g), ["input", "hidden"]);
    assert.equal(g.input.item(), 36);
    assert.equal(g.hidden.item(), 12);
  });

  test("integer sources get null", () => {
    const i = tf.constant([1, 2], [2], "int32");
    const tape = new tf.GradientTape();
    const y = tape.record(() => { tape.watch(i); return tf.reduceSum(tf.cast(i, "float32")); });
    assert.equal(tape.gradient(y, i), null);
  });

  test("outputGradients weight the target", () => {
    const x = tf.constant([1, 2]);
    const tape = new tf.GradientTape();
    const y = tape.record(() => { tape.watch(x); return tf.square(x); });
    assert.deepEqual(num(tape.gradient(y, x, { outputGradients: [10, 100] })), [20, 400]);
  });

  test("record() of an async function records until it settles", async () => {
    const v = new tf.Variable(2.0);
    const tape = new tf.GradientTape();
    const y = await tape.record(async () => {
      await new Promise((r) => setTimeout(r, 1));
      return tf.pow(v, 3);
    });
    assert.equal(tape.recording, false);
    assert.equal(num(tape.gradient(y, v)), 12);
  });

  test("recording again later records more, as re-entering a with-block does", () => {
    const x = tf.constant(2.0);
    const tape = new tf.GradientTape();
    const y = tape.record(() => { tape.watch(x); return tf.mul(x, x); });
    const z = tape.record(() => tf.mul(y, x));
    assert.equal(num(tape.gradient(z, x)), 12);
  });

  test("a variable read before an assign keeps the value it had", () => {
    const v = new tf.Variable(3.0);
    const tape = new tf.GradientTape();
    const y = tape.record(() => tf.mul(v, v));
    v.assign(100);
    assert.equal(num(tape.gradient(y, v)), 6);
  });

  test("the tape describes itself: ops, shapes, sources, targets and gradients", () => {
    const W = new tf.Variable([[0.5, -1]], { name: "W" });
    const x = tf.constant([[2], [3]]);
    const tape = new tf.GradientTape();
    const loss = tape.record(() => tf.reduceSum(tf.square(tf.matmul(W, x))));
    tape.gradient(loss, W);
    const d = tape.describe();
    assert.deepEqual(d.nodes.map((n) => n.op), ["ReadVariable", "matmul", "square", "reduceSum"]);
    assert.ok(d.nodes.every((n) => n.onGradientPath));
    const byId = new Map(d.tensors.map((t) => [t.id, t]));
    const source = byId.get(d.sources[0])!;
    assert.equal(source.name, "W");
    assert.deepEqual(source.gradient?.values, [[-8, -12]]);
    assert.equal(byId.get(d.targets[0])!.role, "target");
    assert.deepEqual(byId.get(d.nodes[1].outputs[0])!.shape, [1, 1]);
  });
});

describe("forward mode and transforms", () => {
  test("ForwardAccumulator gives the JVP; unconnected is null", () => {
    const x = tf.constant([1, 2]), other = tf.constant(5);
    const acc = new tf.ForwardAccumulator(x, tf.constant([1, 0]));
    const y = acc.record(() => tf.mul(tf.square(x), 3));
    assert.deepEqual(num(acc.jvp(y)), [6, 0]);
    assert.equal(acc.jvp(other), null);
  });

  test("forward over reverse and reverse over forward agree on a Hessian-vector product", () => {
    const f = (x: Tensor) => tf.reduceSum(tf.mul(tf.sin(x), tf.square(x)));
    const x = tf.constant([0.5, -1.0, 2.0], undefined, "float64");
    const v = tf.constant([1.0, 0.5, -2.0], undefined, "float64");
    const acc = new tf.ForwardAccumulator(x, v);
    const g = acc.record(() => tf.grad(f)(x));
    const hvp = acc.jvp(g) as Tensor;
    const h = tf.hessian(f)(x);
    const expected = tf.reshape(tf.matmul(h, tf.reshape(v, [3, 1])), [3]);
    (hvp.numpy() as number[]).forEach((a, i) => assert.ok(Math.abs(a - (expected.numpy() as number[])[i]) < 1e-12));
  });

  test("grad, valueAndGrad, jvp, vjp", () => {
    assert.equal(tf.grad((x) => tf.square(x))(5).item(), 10);
    const { value, grad } = tf.valueAndGrad((x) => tf.reduceSum(tf.exp(x)))(tf.constant([0, 0]));
    assert.equal(value.item(), 2);
    assert.deepEqual(grad.numpy(), [1, 1]);
    const [y, t] = tf.jvp((a, b) => tf.mul(a, b), [tf.constant(3), tf.constant(4)], [tf.constant(1), tf.constant(0)]);
    assert.equal(y.item(), 12);
    assert.equal(t.item(), 4);
    const [out, back] = tf.vjp((a) => tf.mul(a, tf.constant([1, 2, 3])), tf.constant([1, 1, 1]));
    assert.deepEqual(out.numpy(), [1, 2, 3]);
    assert.deepEqual(back(tf.constant([1, 1, 1]))[0].numpy(), [1, 2, 3]);
    assert.throws(() => tf.grad((x) => tf.square(x))(tf.constant([1, 2])), /grad: f must return a scalar, got shape \[2\]/);
  });

  test("hessian of the seed's mean squared error is analytic, and drawn as a heatmap", () => {
    const h = tf.hessian((p) => tf.reduceSum(tf.mul(tf.square(p), tf.constant([1, 3]))))(tf.constant([2, 5]));
    assert.deepEqual(h.numpy(), [[2, 0], [0, 6]]);
    const bundle = (h as unknown as Record<symbol, () => Record<string, unknown>>)[Symbol.for("Jupyter.display")]();
    const heat = bundle["application/vnd.agnb.jacobian+json"] as { kind: string; rows: number; cols: number; values: number[] };
    assert.equal(heat.kind, "hessian");
    assert.deepEqual([heat.rows, heat.cols, heat.values], [2, 2, [2, 0, 0, 6]]);
  });

  test("customGradient uses its rule, which can itself be differentiated", () => {
    // log(1 + e^x) with a hand-written stable gradient, as in TF's custom_gradient docs.
    const logExp = tf.customGradient((x: Tensor) => ({
      value: tf.log(tf.add(1, tf.exp(x))),
      grad: (dy: Tensor) => tf.mul(dy, tf.sub(1, tf.div(1, tf.add(1, tf.exp(x))))),
    }));
    const x = tf.constant(100.0);
    const tape = new tf.GradientTape();
    const y = tape.record(() => { tape.watch(x); return logExp(x); });
    assert.equal(num(tape.gradient(y, x)), 1);
    const second = tf.grad((z) => tf.grad((w) => logExp(w))(z))(tf.constant(0));
    assert.equal(second.item(), 0.25);
  });

  test("cond runs the selected branch only", () => {
    const x = tf.constant(2.0);
    const tape = new tf.GradientTape();
    const y = tape.record(() => {
      tape.watch(x);
      return tf.cond(tf.greater(x, 1), () => tf.square(x), () => tf.mul(x, 100));
    });
    assert.equal(num(tape.gradient(y, x)), 4);
  });
});

describe("bad input names the op and the shapes", () => {
  test("matmul with mismatched inner dimensions", () => {
    assert.throws(() => tf.matmul(tf.ones([3, 2]), tf.ones([3, 1])), /matmul: inner dimensions differ: \[3,2\] x \[3,1\]/);
  });
  test("broadcasting, reshape, mixed dtypes, assign", () => {
    assert.throws(() => tf.add(tf.ones([2, 3]), tf.ones([4])), /add: shapes \[2,3\] and \[4\] cannot be broadcast together/);
    assert.throws(() => tf.reshape(tf.ones([6]), [4, -1]), /reshape: cannot reshape a tensor with 6 elements \(shape \[6\]\) to shape \[4,-1\]/);
    assert.throws(() => tf.mul(tf.ones([2]), tf.ones([2], "float64")), /mul: cannot compute Mul as input #1\(zero-based\) was expected to be a float tensor but is a double tensor/);
    assert.throws(() => new tf.Variable([1, 2], { name: "w" }).assign([1, 2, 3]), /Cannot assign to variable w:0 due to variable shape \(2,\) and value shape \(3,\) are incompatible/);
    assert.throws(() => tf.reduceSum(tf.ones([2]), 3), /reduceSum: axis 3 is out of range for a tensor of rank 1/);
  });
});
