// Every engine's workloads, on small sizes, against float64 computations written out by hand:
// the bench cross-checks engines against each other, these tests check each one against the maths.
import { test } from "node:test";
import assert from "node:assert/strict";
import { firstMismatch, type Tolerance } from "./crosscheck";
import { ourWorkloads } from "./ours";
import { tfjsWorkloads, useTfjsBackend, type TfjsPeer } from "./tfjs";
import { chainReference, mlpParameters, seededUniform, type EngineWorkloads, type MlpParameters } from "./workloads";

const engines: [string, () => Promise<EngineWorkloads>][] = [
  ["ours", async () => ourWorkloads(await import("../engine/core"))],
  ...(["tfjs-cpu", "tfjs-wasm"] as TfjsPeer[]).map(
    (peer) => [peer, async () => (await useTfjsBackend(peer), tfjsWorkloads)] as [string, () => Promise<EngineWorkloads>],
  ),
];

function assertClose(actual: ArrayLike<number>, expected: ArrayLike<number>, tolerance: Tolerance, what: string) {
  const mismatch = firstMismatch(actual, expected, tolerance);
  assert.equal(mismatch, undefined, `${what}: ${JSON.stringify(mismatch)}`);
}

function matmulReference(a: Float32Array, b: Float32Array, n: number): Float64Array {
  const c = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let k = 0; k < n; k++) for (let j = 0; j < n; j++) c[i * n + j] += a[i * n + k] * b[k * n + j];
  return c;
}

function jacobianReference(w: Float32Array, x: Float32Array, n: number): Float64Array {
  const jacobian = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    let preActivation = 0;
    for (let k = 0; k < n; k++) preActivation += w[i * n + k] * x[k];
    const slope = 1 - Math.tanh(preActivation) ** 2;
    for (let j = 0; j < n; j++) jacobian[i * n + j] = slope * w[i * n + j];
  }
  return jacobian;
}

/** Forward pass and backpropagation of the MLP written out in float64; returns [loss, ...updated]. */
function mlpStepReference(p: MlpParameters): number[] {
  const { inputs, hidden, outputs, batch, learningRate } = p.shape;
  const h = new Float64Array(batch * hidden);
  const dLogits = new Float64Array(batch * outputs);
  let loss = 0;
  for (let r = 0; r < batch; r++) {
    for (let j = 0; j < hidden; j++) {
      let s = p.b1[j];
      for (let k = 0; k < inputs; k++) s += p.x[r * inputs + k] * p.w1[k * hidden + j];
      h[r * hidden + j] = Math.max(0, s);
    }
    const logits = Array.from({ length: outputs }, (_, o) => {
      let s = p.b2[o];
      for (let j = 0; j < hidden; j++) s += h[r * hidden + j] * p.w2[j * outputs + o];
      return s;
    });
    const top = Math.max(...logits);
    const logNormaliser = top + Math.log(logits.reduce((total, logit) => total + Math.exp(logit - top), 0));
    for (let o = 0; o < outputs; o++) {
      const label = p.labels[r * outputs + o];
      loss -= (label * (logits[o] - logNormaliser)) / batch;
      dLogits[r * outputs + o] = (Math.exp(logits[o] - logNormaliser) - label) / batch;
    }
  }
  const [w1, b1, w2, b2] = [Array.from(p.w1), Array.from(p.b1), Array.from(p.w2), Array.from(p.b2)];
  for (let r = 0; r < batch; r++) {
    for (let o = 0; o < outputs; o++) {
      const d = dLogits[r * outputs + o];
      b2[o] -= learningRate * d;
      for (let j = 0; j < hidden; j++) w2[j * outputs + o] -= learningRate * h[r * hidden + j] * d;
    }
    for (let j = 0; j < hidden; j++) {
      if (h[r * hidden + j] <= 0) continue;
      let dHidden = 0;
      for (let o = 0; o < outputs; o++) dHidden += dLogits[r * outputs + o] * p.w2[j * outputs + o];
      b1[j] -= learningRate * dHidden;
      for (let k = 0; k < inputs; k++) w1[k * hidden + j] -= learningRate * p.x[r * inputs + k] * dHidden;
    }
  }
  return [loss, ...w1, ...b1, ...w2, ...b2];
}

for (const [name, load] of engines) {
  test(`${name}: matmul, elementwise ops and sum match float64`, async () => {
    const engine = await load();
    const n = 9;
    const [a, b] = [seededUniform(n * n, 1), seededUniform(n * n, 2)];
    assertClose(engine.matmul(a, b, n).values(), matmulReference(a, b, n), { relative: 1e-5, absolute: 1e-6 }, "matmul");
    const [u, v] = [seededUniform(1000, 3), seededUniform(1000, 4)];
    assertClose(engine.add(u, v).values(), u.map((x, i) => x + v[i]), { relative: 1e-7, absolute: 0 }, "add");
    assertClose(engine.mul(u, v).values(), u.map((x, i) => x * v[i]), { relative: 1e-7, absolute: 0 }, "mul");
    assertClose(engine.exp(u).values(), Array.from(u, Math.exp), { relative: 2e-6, absolute: 0 }, "exp");
    assertClose(engine.sum(u).values(), [u.reduce((total, x) => total + x, 0)], { relative: 0, absolute: 1e-4 }, "sum");
  });

  test(`${name}: the scalar chain's value and derivative match float64`, async () => {
    const engine = await load();
    const { value, derivative } = chainReference(400);
    assertClose(engine.chainForward(400).values(), [value], { relative: 1e-5, absolute: 0 }, "forward");
    assertClose(engine.chainForwardBackward(400).values(), [value, derivative], { relative: 1e-5, absolute: 0 }, "fwd+bwd");
  });

  test(`${name}: the Jacobian of tanh(Wx) is diag(1 - y²)·W`, async () => {
    const engine = await load();
    const n = 6;
    const [w, x] = [seededUniform(n * n, 5), seededUniform(n, 6)];
    assertClose(engine.jacobian(w, x, n).values(), jacobianReference(w, x, n), { relative: 1e-5, absolute: 1e-6 }, "jacobian");
  });

  test(`${name}: one MLP SGD step gives the hand-derived loss and updated weights, repeatably`, async () => {
    const engine = await load();
    const parameters = mlpParameters({ inputs: 7, hidden: 5, outputs: 3, batch: 4, learningRate: 0.5 });
    const step = engine.mlpStep(parameters);
    const expected = mlpStepReference(parameters);
    assertClose(step.values(), expected, { relative: 1e-5, absolute: 1e-6 }, "first step");
    step.run(); // moves the weights on; values() must start again from the initial ones
    assertClose(step.values(), expected, { relative: 1e-5, absolute: 1e-6 }, "after reset");
    assert.ok(expected.slice(1).some((updated, i) => updated !== [...parameters.w1, ...parameters.b1, ...parameters.w2, ...parameters.b2][i]));
    step.dispose();
  });
}
