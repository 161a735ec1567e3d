/**
 * The training benchmark: the same Keras-style workloads on our engine and on tfjs-layers
 * (cpu and wasm backends), timed by the shared `measure`.
 *
 * - "seed fit": seed 003's regression, Dense(1) compiled with SGD(0.01) and mean squared error,
 *   fit for 1000 epochs on 100 points with batch 32 (4000 steps); reported per step.
 * - "mlp adam step": one trainOnBatch of a 784-256(relu)-10(softmax) model with Adam and
 *   categorical cross-entropy at batch 64.
 */
import * as tfjs from "@tensorflow/tfjs";
import * as tf from "../engine/core";
import { keras, optimizers } from "../engine/training";
import { measure } from "./measure";
import type { BenchRow, BenchTarget } from "./table";
import { TFJS_PEERS, useTfjsBackend, type TfjsPeer } from "./tfjs";
import { MLP, mlpParameters, seededUniform } from "./workloads";

const SEED_FIT = { samples: 100, epochs: 1000, batchSize: 32 };
const SEED_FIT_STEPS = SEED_FIT.epochs * Math.ceil(SEED_FIT.samples / SEED_FIT.batchSize);
const GROUP = "training";

/** y = 2x + 1 with a little noise, the same numbers for every engine. */
function lineData() {
  const x = seededUniform(SEED_FIT.samples, 31, 0, 1);
  const noise = seededUniform(SEED_FIT.samples, 32, -0.05, 0.05);
  return { x, y: x.map((v, i) => 2 * v + 1 + noise[i]) };
}

interface Workload {
  /** Runs once; returns a short note on the result (checked by eye in the table). */
  run(): Promise<string> | string;
}

function ourSeedFit(): Workload {
  const { x, y } = lineData();
  const xs = tf.constant(x, [SEED_FIT.samples, 1]);
  const ys = tf.constant(y, [SEED_FIT.samples, 1]);
  return {
    async run() {
      tf.random.setSeed(1);
      const model = new keras.Sequential([new keras.layers.Dense(1, { inputShape: [1] })]);
      model.compile({ optimizer: "sgd", loss: "mean_squared_error" });
      await model.fit(xs, ys, { epochs: SEED_FIT.epochs, batchSize: SEED_FIT.batchSize, verbose: 0 });
      const [w, b] = model.layers[0].getWeights().map((t) => t.dataSync()[0]);
      return `W ${w.toFixed(3)}, b ${b.toFixed(3)}`;
    },
  };
}

function tfjsSeedFit(): Workload {
  const { x, y } = lineData();
  const xs = tfjs.tensor2d(x, [SEED_FIT.samples, 1]);
  const ys = tfjs.tensor2d(y, [SEED_FIT.samples, 1]);
  return {
    async run() {
      const model = tfjs.sequential({ layers: [tfjs.layers.dense({ units: 1, inputShape: [1] })] });
      model.compile({ optimizer: tfjs.train.sgd(0.01), loss: "meanSquaredError" });
      await model.fit(xs, ys, { epochs: SEED_FIT.epochs, batchSize: SEED_FIT.batchSize, verbose: 0 });
      const [w, b] = model.getWeights().map((t) => t.dataSync()[0]);
      model.dispose();
      return `W ${w.toFixed(3)}, b ${b.toFixed(3)}`;
    },
  };
}

/** Every engine starts from the same weights and batch, so the first step's loss must agree. */
function firstLossNote(step: () => number | Promise<number>): Workload {
  let first: number | undefined;
  return {
    async run() {
      const loss = await step();
      first ??= loss;
      return `first-step loss ${first.toFixed(4)}`;
    },
  };
}

function ourMlpStep(): Workload {
  const p = mlpParameters(MLP);
  const model = new keras.Sequential([
    new keras.layers.Dense(MLP.hidden, { activation: "relu", inputShape: [MLP.inputs] }),
    new keras.layers.Dense(MLP.outputs, { activation: "softmax" }),
  ]);
  model.layers[0].setWeights([tf.constant(p.w1, [MLP.inputs, MLP.hidden]), tf.constant(p.b1)]);
  model.layers[1].setWeights([tf.constant(p.w2, [MLP.hidden, MLP.outputs]), tf.constant(p.b2)]);
  model.compile({ optimizer: new optimizers.Adam(), loss: "categorical_crossentropy" });
  const x = tf.constant(p.x, [MLP.batch, MLP.inputs]);
  const labels = tf.constant(p.labels, [MLP.batch, MLP.outputs]);
  return firstLossNote(() => model.trainOnBatch(x, labels) as number);
}

function tfjsMlpStep(): Workload {
  const p = mlpParameters(MLP);
  const model = tfjs.sequential({
    layers: [
      tfjs.layers.dense({ units: MLP.hidden, activation: "relu", inputShape: [MLP.inputs] }),
      tfjs.layers.dense({ units: MLP.outputs, activation: "softmax" }),
    ],
  });
  model.setWeights([tfjs.tensor2d(p.w1, [MLP.inputs, MLP.hidden]), tfjs.tensor1d(p.b1), tfjs.tensor2d(p.w2, [MLP.hidden, MLP.outputs]), tfjs.tensor1d(p.b2)]);
  model.compile({ optimizer: tfjs.train.adam(0.001, 0.9, 0.999, 1e-7), loss: "categoricalCrossentropy" });
  const x = tfjs.tensor2d(p.x, [MLP.batch, MLP.inputs]);
  const labels = tfjs.tensor2d(p.labels, [MLP.batch, MLP.outputs]);
  return firstLossNote(async () => Number(await model.trainOnBatch(x, labels)));
}

async function time(workload: Workload, slow: boolean): Promise<{ ms: number; note: string }> {
  let note = "";
  const result = await measure(
    async () => {
      note = await workload.run();
    },
    slow ? { warmupCalls: 1, minTimeMs: 0, minSamples: 3, maxSamples: 3, minSampleMs: 0 } : { minTimeMs: 1000, budgetMs: 3000 },
  );
  return { ms: result.medianMs, note };
}

export const TRAINING_TARGETS: BenchTarget[] = [
  {
    description: "seed fit ≥ 10× faster than tfjs-cpu",
    check: (rows) => {
      const row = rows.find((r) => r.group === GROUP && r.name.startsWith("seed fit"));
      return row && row.peers["tfjs-cpu"] ? row.peers["tfjs-cpu"] / row.ours >= 10 : undefined;
    },
  },
  {
    description: "MLP Adam step faster than tfjs-wasm",
    check: (rows) => {
      const row = rows.find((r) => r.group === GROUP && r.name.startsWith("mlp"));
      return row && row.peers["tfjs-wasm"] ? row.ours < row.peers["tfjs-wasm"] : undefined;
    },
  },
];

export async function runTrainingBench(): Promise<BenchRow[]> {
  const seedOurs = await time(ourSeedFit(), true);
  const mlpOurs = await time(ourMlpStep(), false);
  const seedPeers: Record<string, number> = {};
  const mlpPeers: Record<string, number> = {};
  const notes: string[] = [];
  const mlpNotes: string[] = [];
  for (const peer of Object.keys(TFJS_PEERS) as TfjsPeer[]) {
    try {
      await useTfjsBackend(peer);
      const seed = await time(tfjsSeedFit(), true);
      seedPeers[peer] = (seed.ms * 1000) / SEED_FIT_STEPS;
      notes.push(`${peer}: ${seed.note}`);
      const mlp = await time(tfjsMlpStep(), false);
      mlpPeers[peer] = mlp.ms;
      mlpNotes.push(`${peer}: ${mlp.note}`);
    } catch (error) {
      console.error(`training bench: ${peer} could not run: ${(error as Error).message}`);
    }
  }
  return [
    {
      group: GROUP,
      name: "seed fit: Dense(1), sgd, mse, 1000 epochs × 4 batches",
      unit: "µs/step",
      ours: (seedOurs.ms * 1000) / SEED_FIT_STEPS,
      peers: seedPeers,
      note: `ours: ${seedOurs.note}; ${notes.join("; ")}`,
    },
    { group: GROUP, name: "mlp 784-256-10 adam step, batch 64", unit: "ms", ours: mlpOurs.ms, peers: mlpPeers, note: [`ours: ${mlpOurs.note}`, ...mlpNotes].join("; ") },
  ];
}
