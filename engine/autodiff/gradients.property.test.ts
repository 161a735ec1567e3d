/**
 * Property-based gradient tests: random small programs over the engine's differentiable ops and
 * random shapes; each program's gradient is compared with float64 central differences and with
 * TF.js's (cpu backend, same process) where TF.js has every op, its vectorised Jacobian with one
 * backward pass per output, and its forward-mode tangent with a directional difference. fast-check shrinks a failure to a minimal program, printed readably.
 * Fixed seed, bounded runs: the suite takes seconds.
 */
import { before, describe, test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import * as tfjs from "@tensorflow/tfjs";
import * as tf from "../core";
import type { Tensor } from "../core";
import { build, describeProgram, stepNames, type Built, type Program } from "./random-programs";

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

/** The gradient of Σ w·f(leaves) for fixed weights w, in our engine. */
function weightedGradient(ours: Built["ours"], leaves: Tensor[], w: Tensor): Tensor[] {
  const tape = new tf.GradientTape();
  const loss = tape.record(() => { tape.watch(leaves); return tf.reduceSum(tf.mul(ours(...leaves), w)); });
  return tape.gradient(loss, leaves, { unconnectedGradients: "zero" }) as Tensor[];
}

/**
 * Checks `numRuns` random programs with finite values (and, with `portable`, a TF.js version),
 * and fails unless at least `minChecked` of them were really checked rather than skipped.
 */
function forPrograms(numRuns: number, minChecked: number, check: (program: Program, built: Built, y: Tensor) => void, portable = false): void {
  let checked = 0;
  fc.assert(fc.property(programs, (program) => {
    const built = build(program);
    fc.pre(!portable || built.theirs !== undefined);
    const y = built.ours(...built.leaves);
    fc.pre(allFinite(y));
    check(program, built, y);
    checked++;
  }), { numRuns, seed: SEED, includeErrorInReport: true });
  assert.ok(checked >= minChecked, `only ${checked} programs were checked`);
}

describe("random programs: gradients", () => {
  test("match float64 central differences", () => {
    forPrograms(1000, 880, (program, { leaves, ours }) => {
      const r = tf.test.gradCheck(ours, leaves, { tolerance: 1e-5 });
      assert.ok(r.ok, `${describeProgram(program)}: max error ${r.maxError} against finite differences`);
    });
  });

  test("second derivatives (the gradient's own gradient) match float64 central differences", () => {
    forPrograms(400, 340, (program, { leaves, ours }, y) => {
      const w = tf.constant(weightsFor(y.shape), y.shape, "float64");
      const gradient = (...ls: Tensor[]): Tensor => weightedGradient(ours, ls, w)[0];
      const r = tf.test.gradCheck(gradient, leaves, { tolerance: 1e-4 });
      assert.ok(r.ok, `${describeProgram(program)}: max error ${r.maxError} of second derivatives against finite differences`);
    });
  });

  test("match TF.js (cpu backend) where it has every op", () => {
    forPrograms(1000, 400, (program, { leaves, ours, theirs }, y) => {
      const w = weightsFor(y.shape);
      const mine = weightedGradient(ours, leaves, tf.constant(w, y.shape, "float64"));
      const theirLeaves = leaves.map((l) => tfjs.tensor(Float32Array.from(l.values), l.shape));
      const theirGrads = tfjs.tidy(() => tfjs.grads((...ls: tfjs.Tensor[]) => tfjs.sum(tfjs.mul(theirs!(tfjs, ...ls), tfjs.tensor(Float32Array.from(w), y.shape))))(theirLeaves).map((g) => g.dataSync()));
      theirLeaves.forEach((t) => t.dispose());
      mine.forEach((g, i) => {
        const gap = relativeGap(g.values, theirGrads[i]);
        assert.ok(gap < 2e-3, `${describeProgram(program)}: gradient of leaf ${i} differs from TF.js by ${gap}\nours   ${Array.from(g.values)}\nTF.js  ${Array.from(theirGrads[i])}`);
      });
    }, true);
  });
});

describe("random programs: Jacobians", () => {
  test("one batched backward pass equals one backward pass per output element", () => {
    forPrograms(300, 260, (program, { leaves, ours }) => {
      const jacobians = (vectorized: boolean): Tensor[] => {
        const tape = new tf.GradientTape();
        const y = tape.record(() => { tape.watch(leaves); return ours(...leaves); });
        return tape.jacobian(y, leaves, { experimentalUseVectorized: vectorized, unconnectedGradients: "zero" }) as Tensor[];
      };
      const batched = jacobians(true), perRow = jacobians(false);
      batched.forEach((j, i) => {
        const gap = relativeGap(j.values, perRow[i].values);
        assert.ok(gap < 1e-12, `${describeProgram(program)}: vectorised Jacobian of leaf ${i} differs from the per-row one by ${gap}`);
      });
    });
  });
});

describe("random programs: forward mode", () => {
  test("tangents match a directional difference", () => {
    forPrograms(1000, 880, (program, { leaves, ours }) => {
      const tangents = leaves.map((l, k) => tf.constant(Float64Array.from({ length: l.size }, (_, i) => Math.cos(1 + i + 3 * k)), l.shape, "float64"));
      const [, t] = tf.jvp(ours, leaves, tangents);
      const eps = 1e-6;
      const shifted = (sign: number) => ours(...leaves.map((l, k) => tf.add(l, tf.mul(tangents[k], sign * eps))));
      const fd = tf.div(tf.sub(shifted(1), shifted(-1)), 2 * eps);
      const gap = relativeGap(t.values, fd.values);
      assert.ok(gap < 1e-5, `${describeProgram(program)}: tangent differs from the directional difference by ${gap}`);
    });
  });
});
