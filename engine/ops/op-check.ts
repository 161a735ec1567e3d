/**
 * The check every differentiable op passes (engine/*.test.ts use it): forward values against a
 * reference, first and second derivatives against float64 central differences, the forward-mode
 * JVP against a directional difference, and the vectorised Jacobian against one backward pass per row.
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import * as tf from "../core";
import { Tensor } from "../core";

export type Fn = (...xs: Tensor[]) => Tensor;
export interface Case {
  name: string;
  f: Fn;
  inputs: unknown[];
  expected?: unknown;
  /** Largest error of the derivative checks (default 1e-5 first order, 1e-4 second). */
  tolerance?: number;
}

const f64 = (v: unknown): Tensor => tf.constant(v as number[], undefined, "float64");

export function close(actual: unknown, expected: unknown, tol: number, path = ""): void {
  if (Array.isArray(expected)) {
    assert.ok(Array.isArray(actual), `${path}: expected an array, got ${JSON.stringify(actual)}`);
    assert.equal((actual as unknown[]).length, expected.length, `${path}: length`);
    expected.forEach((e, i) => close((actual as unknown[])[i], e, tol, `${path}[${i}]`));
  } else {
    assert.ok(Math.abs((actual as number) - (expected as number)) <= tol * Math.max(1, Math.abs(expected as number)), `${path}: ${actual} vs ${expected}`);
  }
}

/** Sum of the gradient of Σ f·w, i.e. a scalar function whose gradient checks second derivatives. */
function gradientOf(f: Fn, k: number): Fn {
  return (...xs) => {
    const tape = new tf.GradientTape();
    const y = tape.record(() => {
      tape.watch(xs);
      const out = f(...xs);
      return tf.reduceSum(tf.mul(out, tf.sin(tf.add(tf.reshape(tf.range(0, out.size, 1, "float64"), out.shape), 0.3))));
    });
    return tape.gradient(y, xs[k], { unconnectedGradients: "zero" }) as Tensor;
  };
}

export function checkOps(title: string, cases: Case[]): void {
  describe(title, () => {
  for (const c of cases) {
    describe(c.name, () => {
      const inputs = () => c.inputs.map(f64);
      test("forward values", () => {
        const y = c.f(...inputs());
        assert.equal(y.dtype, "float64");
        if (c.expected !== undefined) close(y.numpy(), c.expected, 1e-12);
        const y32 = c.f(...c.inputs.map((v) => tf.constant(v as number[])));
        assert.equal(y32.dtype, "float32");
        close(y32.numpy(), y.numpy(), 1e-5);
      });
      test("first derivatives match finite differences", () => {
        const r = tf.test.gradCheck(c.f, inputs(), { tolerance: c.tolerance ?? 1e-5 });
        assert.ok(r.ok, `max error ${r.maxError}`);
      });
      test("second derivatives match finite differences", () => {
        const xs = inputs();
        xs.forEach((_, k) => {
          const r = tf.test.gradCheck(gradientOf(c.f, k), xs, { tolerance: Math.max(1e-4, c.tolerance ?? 0) });
          assert.ok(r.ok, `input ${k}: max error ${r.maxError}`);
        });
      });
      test("forward mode (JVP) matches a directional difference", () => {
        const xs = inputs();
        const tangents = xs.map((x, k) => tf.constant(Array.from({ length: x.size }, (_, i) => Math.cos(i + k)), x.shape, "float64"));
        const [y, t] = tf.jvp(c.f, xs, tangents);
        const eps = 1e-6;
        const shifted = (s: number) => c.f(...xs.map((x, k) => tf.add(x, tf.mul(tangents[k], s))));
        const fd = tf.div(tf.sub(shifted(eps), shifted(-eps)), 2 * eps);
        close(t.numpy(), fd.numpy(), Math.max(1e-6, c.tolerance ?? 0));
        close(y.numpy(), c.f(...xs).numpy(), 0);
      });
      test("vectorised Jacobian equals one backward pass per output", () => {
        const xs = inputs();
        const jac = (vectorized: boolean) => {
          const tape = new tf.GradientTape({ persistent: true });
          const y = tape.record(() => { tape.watch(xs); return c.f(...xs); });
          return tape.jacobian(y, xs, { experimentalUseVectorized: vectorized, unconnectedGradients: "zero" }) as Tensor[];
        };
        const fast = jac(true), slow = jac(false);
        fast.forEach((j, k) => close(j.numpy(), slow[k].numpy(), 1e-12, `source ${k}`));
      });
    });
  }
});
}
