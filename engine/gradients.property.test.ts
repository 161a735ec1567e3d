/**
 * Property-based gradient tests: random small programs over the engine's differentiable ops and
 * random shapes; each program's gradient is compared with float64 central differences and with
 * TF.js's (cpu backend, same process) where TF.js has every op, and its forward-mode tangent with
 * a directional difference. fast-check shrinks a failure to a minimal program, printed readably.
 * Fixed seed, bounded runs: the suite takes seconds.
 */
import { before, describe, test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import * as tfjs from "@tensorflow/tfjs";
import * as tf from "./core";
import type { Tensor } from "./core";
import { build, describeProgram, stepNames, type Program } from "./random-programs";

before(async () => {
  tfjs.enableProdMode();
  await tfjs.setBackend("cpu");
});

const SEED = 20261201;
const programs: fc.Arbitrary<Program> = fc.record({
  shape: fc.array(fc.integer({ min: 1, max: 3 }), { maxLength: 3 }),
  steps: fc.array(fc.record({ op: fc.constantFrom(...stepNames), p: fc.nat(63) }), { minLength: 1, maxLength: 5 }),
  seed: fc.nat(1000),
}).map((program) => Object.assign(program, { [fc.toStringMethod]: () => describeProgram(program) }));

const allFinite = (t: Tensor): boolean => Array.from(t.values).every(Number.isFinite);
/** Fixed output weights in [0.5, 1.5], so a non-scalar result has one scalar loss for both engines. */
const weightsFor = (shape: number[]): Float64Array =>
  Float64Array.from({ length: shape.reduce((a, b) => a * b, 1) }, (_, i) => 0.5 + ((i * 0.618034) % 1));

function relativeGap(ours: ArrayLike<number>, theirs: ArrayLike<number>): number {
  let gap = 0;
  for (let i = 0; i < ours.length; i++) gap = Math.max(gap, Math.abs(ours[i] - theirs[i]) / Math.max(1, Math.abs(theirs[i])));
  return gap;
}

const runs = { numRuns: 400, seed: SEED, includeErrorInReport: true };
/** Each property must really check most of its programs, not skip them. */
function counted(): { checked: number; atLeast(n: number): void } {
  return { checked: 0, atLeast(n) { assert.ok(this.checked >= n, `only ${this.checked} programs were checked`); } };
}

describe("random programs: gradients", () => {
  test("match float64 central differences", () => {
    const count = counted();
    fc.assert(fc.property(programs, (program) => {
      const { leaves, ours } = build(program);
      fc.pre(allFinite(ours(...leaves)));
      const r = tf.test.gradCheck(ours, leaves, { tolerance: 1e-5 });
      assert.ok(r.ok, `${describeProgram(program)}: max error ${r.maxError} against finite differences`);
      count.checked++;
    }), runs);
    count.atLeast(350);
  });

  test("second derivatives (the gradient's own gradient) match float64 central differences", () => {
    const count = counted();
    fc.assert(fc.property(programs, (program) => {
      const { leaves, ours } = build(program);
      fc.pre(allFinite(ours(...leaves)));
      const w = tf.constant(weightsFor(ours(...leaves).shape), ours(...leaves).shape, "float64");
      const gradient = (...ls: Tensor[]): Tensor => {
        const tape = new tf.GradientTape();
        const loss = tape.record(() => { tape.watch(ls); return tf.reduceSum(tf.mul(ours(...ls), w)); });
        return tape.gradient(loss, ls[0], { unconnectedGradients: "zero" }) as Tensor;
      };
      const r = tf.test.gradCheck(gradient, leaves, { tolerance: 1e-4 });
      assert.ok(r.ok, `${describeProgram(program)}: max error ${r.maxError} of second derivatives against finite differences`);
      count.checked++;
    }), { ...runs, numRuns: 200 });
    count.atLeast(170);
  });

  test("match TF.js (cpu backend) where it has every op", () => {
    const count = counted();
    fc.assert(fc.property(programs, (program) => {
      const { leaves, ours, theirs } = build(program);
      fc.pre(theirs !== undefined);
      const y = ours(...leaves);
      fc.pre(allFinite(y));
      const w = weightsFor(y.shape);
      const tape = new tf.GradientTape();
      const loss = tape.record(() => { tape.watch(leaves); return tf.reduceSum(tf.mul(ours(...leaves), tf.constant(w, y.shape, "float64"))); });
      const mine = tape.gradient(loss, leaves, { unconnectedGradients: "zero" }) as Tensor[];
      const theirLeaves = leaves.map((l) => tfjs.tensor(Float32Array.from(l.values), l.shape));
      const theirGrads = tfjs.tidy(() => tfjs.grads((...ls: tfjs.Tensor[]) => tfjs.sum(tfjs.mul(theirs!(tfjs, ...ls), tfjs.tensor(Float32Array.from(w), y.shape))))(theirLeaves).map((g) => g.dataSync()));
      theirLeaves.forEach((t) => t.dispose());
      count.checked++;
      mine.forEach((g, i) => {
        const gap = relativeGap(g.values, theirGrads[i]);
        assert.ok(gap < 2e-3, `${describeProgram(program)}: gradient of leaf ${i} differs from TF.js by ${gap}\nours   ${Array.from(g.values)}\nTF.js  ${Array.from(theirGrads[i])}`);
      });
    }), runs);
    count.atLeast(150);
  });
});

describe("random programs: forward mode", () => {
  test("tangents match a directional difference", () => {
    const count = counted();
    fc.assert(fc.property(programs, (program) => {
      const { leaves, ours } = build(program);
      fc.pre(allFinite(ours(...leaves)));
      const tangents = leaves.map((l, k) => tf.constant(Float64Array.from({ length: l.size }, (_, i) => Math.cos(1 + i + 3 * k)), l.shape, "float64"));
      const [, t] = tf.jvp(ours, leaves, tangents);
      const eps = 1e-6;
      const shifted = (s: number) => ours(...leaves.map((l, k) => tf.add(l, tf.mul(tangents[k], s))));
      const fd = tf.div(tf.sub(shifted(eps), shifted(-eps)), 2 * eps);
      const gap = relativeGap(t.values, fd.values);
      assert.ok(gap < 1e-5, `${describeProgram(program)}: tangent differs from the directional difference by ${gap}`);
      count.checked++;
    }), runs);
    count.atLeast(350);
  });
});
