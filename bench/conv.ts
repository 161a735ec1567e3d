/**
 * The convolution benchmark: conv2d forward and backward (input and filter gradients) at two
 * layer sizes of a digits CNN, max pooling and a depthwise convolution forward and backward at
 * CNN sizes, and one SGD step of that CNN, on our engine and on TF.js (cpu and wasm) with the
 * same numbers; every engine's result is cross-checked against ours first.
 *
 *   node --import tsx bench/conv.ts      (or npm run bench -- --only conv)
 */
import * as tfjs from "@tensorflow/tfjs";
import { fileURLToPath } from "node:url";
import * as tf from "../engine/core";
import { assertSameResults } from "./crosscheck";
import { measure } from "./measure";
import { describeMachine, formatTable, type BenchRow, type BenchTarget } from "./table";
import { TFJS_PEERS, useTfjsBackend, type TfjsPeer } from "./tfjs";
import { concatenate, seededUniform } from "./workloads";

const GROUP = "conv";
const BATCH = 32;

interface ConvShape { name: string; height: number; width: number; inDepth: number; outDepth: number; size: number }

const LAYERS: ConvShape[] = [
  { name: "conv2d fwd+bwd 28×28×1 → 32 (3×3, same), batch 32", height: 28, width: 28, inDepth: 1, outDepth: 32, size: 3 },
  { name: "conv2d fwd+bwd 14×14×32 → 64 (3×3, same), batch 32", height: 14, width: 14, inDepth: 32, outDepth: 64, size: 3 },
];
/** The first pooling of the CNN below, with twice its filters. */
const POOL = { height: 28, width: 28, depth: 32, size: 2 };
/** A MobileNet-style depthwise layer at the CNN's second stage. */
const DEPTHWISE = { height: 14, width: 14, depth: 64, size: 3 };

/** The CNN of notebook 08's kind: conv 3×3 → relu → maxpool 2, twice, then dense 10, softmax cross-entropy. */
const CNN = { batch: BATCH, filters1: 16, filters2: 32, classes: 10, learningRate: 0.05 };

const sizeOf = (shape: number[]) => shape.reduce((a, b) => a * b, 1);

/**
 * One layer's forward pass and the gradients of all its inputs for a given dy, the same numbers
 * on every engine: `ours` and `tfjs` compute y from the inputs.
 */
interface LayerGradients {
  name: string;
  inputShapes: number[][];
  outputShape: number[];
  ours: (...inputs: tf.Tensor[]) => tf.Tensor;
  tfjs: (peer: TfjsPeer) => (...inputs: tfjs.Tensor[]) => tfjs.Tensor;
  tfjsNote?: string;
}

function layerData(layer: LayerGradients) {
  const scales = [1, 0.3, 0.3];
  const inputs = layer.inputShapes.map((shape, i) => seededUniform(sizeOf(shape), 71 + i, -scales[i], scales[i]));
  return { inputs, dy: seededUniform(sizeOf(layer.outputShape), 79) };
}

interface Runner {
  run(): void;
  /** One more run from the initial state; every number of its result. */
  values(): Float32Array;
}

function ourLayer(layer: LayerGradients): Runner {
  const d = layerData(layer);
  const inputs = d.inputs.map((values, i) => tf.constant(values, layer.inputShapes[i]));
  const dy = tf.constant(d.dy, layer.outputShape);
  const step = () => {
    const tape = new tf.GradientTape();
    const y = tape.record(() => {
      tape.watch(inputs);
      return layer.ours(...inputs);
    });
    return [y, ...(tape.gradient(y, inputs, { outputGradients: dy }) as tf.Tensor[])];
  };
  return { run: step, values: () => concatenate(step().map((t) => t.dataSync() as Float32Array)) };
}

function tfjsLayer(layer: LayerGradients, peer: TfjsPeer): Runner {
  const d = layerData(layer);
  const inputs = d.inputs.map((values, i) => tfjs.tensor(values, layer.inputShapes[i]));
  const dy = tfjs.tensor(d.dy, layer.outputShape);
  const valueAndGrads = tfjs.valueAndGrads(layer.tfjs(peer));
  const compute = () => {
    const { value, grads } = valueAndGrads(inputs, dy);
    return [value, ...grads];
  };
  return {
    run: () => tfjs.dispose(tfjs.tidy(compute)),
    values() {
      const outputs = tfjs.tidy(compute);
      const flat = concatenate(outputs.map((t) => t.dataSync() as Float32Array));
      tfjs.dispose(outputs);
      return flat;
    },
  };
}

const convLayer = (s: ConvShape): LayerGradients => ({
  name: s.name,
  inputShapes: [[BATCH, s.height, s.width, s.inDepth], [s.size, s.size, s.inDepth, s.outDepth]],
  outputShape: [BATCH, s.height, s.width, s.outDepth],
  ours: (x, w) => tf.conv2d(x, w, 1, "same"),
  tfjs: tfjsConv2dSame,
  tfjsNote: "tfjs-wasm: filter gradient as a conv2d (it has no Conv2DBackpropFilter)",
});

const poolLayer: LayerGradients = {
  name: `maxPool fwd+bwd ${POOL.height}×${POOL.width}×${POOL.depth} (2×2, stride 2), batch ${BATCH}`,
  inputShapes: [[BATCH, POOL.height, POOL.width, POOL.depth]],
  outputShape: [BATCH, POOL.height / 2, POOL.width / 2, POOL.depth],
  ours: (x) => tf.maxPool(x, POOL.size, POOL.size, "valid"),
  tfjs: tfjsMaxPoolTiled,
  tfjsNote: "tfjs-wasm: gradient from equal and where against the window maxima (its MaxPoolGrad kernel disagrees with tfjs-cpu's at about 1.5 % of the elements in 4.22)",
};

const depthwiseLayer: LayerGradients = {
  name: `depthwiseConv2d fwd+bwd ${DEPTHWISE.height}×${DEPTHWISE.width}×${DEPTHWISE.depth} (3×3, same), batch ${BATCH}`,
  inputShapes: [[BATCH, DEPTHWISE.height, DEPTHWISE.width, DEPTHWISE.depth], [DEPTHWISE.size, DEPTHWISE.size, DEPTHWISE.depth, 1]],
  outputShape: [BATCH, DEPTHWISE.height, DEPTHWISE.width, DEPTHWISE.depth],
  ours: (x, w) => tf.depthwiseConv2d(x, w, 1, "same"),
  tfjs: tfjsDepthwiseSame,
  tfjsNote: "tfjs-wasm: gradients from its depthwise, slice, mul and sum kernels (it has no depthwise gradient kernels)",
};

type TfjsLayer = (...inputs: tfjs.Tensor[]) => tfjs.Tensor;

/** `forward` with the gradient `gradient(dy, inputs, output)` (one tensor per input), for TF.js. */
function tfjsWithGradient(forward: TfjsLayer, gradient: (dy: tfjs.Tensor, inputs: tfjs.Tensor[], output: tfjs.Tensor) => tfjs.Tensor[]): TfjsLayer {
  return tfjs.customGrad(((...args: unknown[]) => {
    const save = args.pop() as tfjs.GradSaveFunc, inputs = args as tfjs.Tensor[];
    const value = forward(...inputs);
    save([...inputs, value]);
    return { value, gradFunc: (dy: tfjs.Tensor, saved: tfjs.Tensor[]) => gradient(dy, saved.slice(0, -1), saved[saved.length - 1]) };
  }) as never) as unknown as TfjsLayer;
}

/**
 * conv2d (stride 1, 'same', odd square filter) with the gradients written out for TF.js:
 * tfjs-wasm has no Conv2DBackpropFilter kernel, so there the filter gradient is the convolution
 * of the input, batch and channels swapped, with dy as the filter (TF's own identity), which
 * runs on its XNNPACK conv2d. On tfjs-cpu the built-in gradient is used.
 */
function tfjsConv2dSame(peer: TfjsPeer): TfjsLayer {
  const conv = (x: tfjs.Tensor, w: tfjs.Tensor) => tfjs.conv2d(x as tfjs.Tensor4D, w as tfjs.Tensor4D, 1, "same");
  if (peer === "tfjs-cpu") return conv as TfjsLayer;
  return tfjsWithGradient(conv as TfjsLayer, (dy, [input, filter]) => {
    const pad = (filter.shape[0] - 1) / 2;
    const swapped = tfjs.transpose(input, [3, 1, 2, 0]) as tfjs.Tensor4D;
    const dyAsFilter = tfjs.transpose(dy, [1, 2, 0, 3]) as tfjs.Tensor4D;
    const dw = tfjs.transpose(tfjs.conv2d(swapped, dyAsFilter, 1, [[0, 0], [pad, pad], [pad, pad], [0, 0]]), [1, 2, 0, 3]);
    return [tfjs.conv2dTranspose(dy as tfjs.Tensor4D, filter as tfjs.Tensor4D, input.shape as [number, number, number, number], 1, "same"), dw];
  });
}

/**
 * depthwiseConv2d (stride 1, 'same', odd square filter, multiplier 1) for TF.js. tfjs-wasm has
 * neither depthwise gradient kernel, so there they are written with its own kernels: the input
 * gradient is the depthwise convolution of dy with the filter turned by 180°, and the filter
 * gradient at each tap is Σ dy · (the padded input shifted by that tap).
 */
function tfjsDepthwiseSame(peer: TfjsPeer): TfjsLayer {
  const depthwise = (x: tfjs.Tensor, w: tfjs.Tensor) => tfjs.depthwiseConv2d(x as tfjs.Tensor4D, w as tfjs.Tensor4D, 1, "same");
  if (peer === "tfjs-cpu") return depthwise as TfjsLayer;
  return tfjsWithGradient(depthwise as TfjsLayer, (dy, [input, filter]) => {
    const [KH, KW] = filter.shape, [, H, W] = input.shape;
    const turned = tfjs.reverse(filter, [0, 1]);
    const padded = tfjs.pad(input, [[0, 0], [(KH - 1) / 2, (KH - 1) / 2], [(KW - 1) / 2, (KW - 1) / 2], [0, 0]]);
    const taps: tfjs.Tensor[] = [];
    for (let kh = 0; kh < KH; kh++) {
      for (let kw = 0; kw < KW; kw++) taps.push(tfjs.sum(tfjs.mul(tfjs.slice(padded, [0, kh, kw, 0], [-1, H, W, -1]), dy), [0, 1, 2]));
    }
    return [depthwise(dy, turned), tfjs.reshape(tfjs.stack(taps), filter.shape)];
  });
}

/**
 * maxPool over non-overlapping windows (stride = window, 'valid'). On tfjs-wasm the gradient is
 * dy at the positions equal to their window's maximum, each window a broadcast axis pair.
 */
function tfjsMaxPoolTiled(peer: TfjsPeer): TfjsLayer {
  const size = POOL.size;
  const pool = (x: tfjs.Tensor) => tfjs.maxPool(x as tfjs.Tensor4D, size, size, "valid");
  if (peer === "tfjs-cpu") return pool as TfjsLayer;
  return tfjsWithGradient(pool as TfjsLayer, (dy, [input], output) => {
    const [N, OH, OW, C] = output.shape;
    const windows = tfjs.reshape(input, [N, OH, size, OW, size, C]);
    const spread = (t: tfjs.Tensor) => tfjs.reshape(t, [N, OH, 1, OW, 1, C]);
    const atMaximum = tfjs.equal(windows, spread(output));
    return [tfjs.reshape(tfjs.where(atMaximum, tfjs.broadcastTo(spread(dy), windows.shape), tfjs.zerosLike(windows)), input.shape)];
  });
}

function cnnData() {
  const { batch, filters1: f1, filters2: f2, classes } = CNN;
  const labels = new Float32Array(batch * classes);
  const picks = seededUniform(batch, 81, 0, classes);
  for (let i = 0; i < batch; i++) labels[i * classes + Math.floor(picks[i])] = 1;
  return {
    x: seededUniform(batch * 28 * 28, 82, 0, 1), labels,
    w1: seededUniform(9 * f1, 83, -0.3, 0.3), b1: new Float32Array(f1),
    w2: seededUniform(9 * f1 * f2, 84, -0.1, 0.1), b2: new Float32Array(f2),
    w3: seededUniform(7 * 7 * f2 * classes, 85, -0.05, 0.05), b3: new Float32Array(classes),
  };
}

const PARAM_SHAPES = (f1: number, f2: number, classes: number) => [[3, 3, 1, f1], [f1], [3, 3, f1, f2], [f2], [7 * 7 * f2, classes], [classes]];

function ourCnnStep(): Runner {
  const p = cnnData();
  const { filters1: f1, filters2: f2, classes, batch, learningRate } = CNN;
  const initial = [p.w1, p.b1, p.w2, p.b2, p.w3, p.b3];
  const shapes = PARAM_SHAPES(f1, f2, classes);
  const vars = initial.map((v, i) => new tf.Variable(tf.constant(v, shapes[i])));
  const [x, labels] = [tf.constant(p.x, [batch, 28, 28, 1]), tf.constant(p.labels, [batch, classes])];
  const step = () => {
    const [w1, b1, w2, b2, w3, b3] = vars;
    const tape = new tf.GradientTape();
    const loss = tape.record(() => {
      const h1 = tf.maxPool(tf.relu(tf.add(tf.conv2d(x, w1, 1, "same"), b1)), 2, 2, "valid");
      const h2 = tf.maxPool(tf.relu(tf.add(tf.conv2d(h1, w2, 1, "same"), b2)), 2, 2, "valid");
      const logits = tf.add(tf.matmul(tf.reshape(h2, [batch, -1]), w3), b3);
      return tf.neg(tf.reduceMean(tf.reduceSum(tf.mul(labels, tf.logSoftmax(logits)), 1)));
    });
    const grads = tape.gradient(loss, vars) as tf.Tensor[];
    vars.forEach((v, i) => v.assignSub(tf.mul(grads[i], learningRate)));
    return loss;
  };
  return {
    run: () => void step(),
    values() {
      vars.forEach((v, i) => v.assign(tf.constant(initial[i], shapes[i])));
      const loss = step();
      return concatenate([loss.dataSync() as Float32Array, ...vars.map((v) => v.dataSync() as Float32Array)]);
    },
  };
}

function tfjsCnnStep(peer: TfjsPeer): Runner {
  const conv = tfjsConv2dSame(peer);
  const p = cnnData();
  const { filters1: f1, filters2: f2, classes, batch, learningRate } = CNN;
  const initial = [p.w1, p.b1, p.w2, p.b2, p.w3, p.b3];
  const shapes = PARAM_SHAPES(f1, f2, classes);
  const vars = initial.map((v, i) => tfjs.variable(tfjs.tensor(v, shapes[i])));
  const [x, labels, lr] = [tfjs.tensor4d(p.x, [batch, 28, 28, 1]), tfjs.tensor2d(p.labels, [batch, classes]), tfjs.scalar(learningRate)];
  const lossFn = () => {
    const [w1, b1, w2, b2, w3, b3] = vars as [tfjs.Variable<tfjs.Rank.R4>, tfjs.Variable, tfjs.Variable<tfjs.Rank.R4>, tfjs.Variable, tfjs.Variable<tfjs.Rank.R2>, tfjs.Variable];
    const h1 = tfjs.maxPool(tfjs.relu(tfjs.add(conv(x, w1), b1)) as tfjs.Tensor4D, 2, 2, "valid");
    const h2 = tfjs.maxPool(tfjs.relu(tfjs.add(conv(h1, w2 as tfjs.Tensor4D), b2)) as tfjs.Tensor4D, 2, 2, "valid");
    const logits = tfjs.add(tfjs.matMul(tfjs.reshape(h2, [batch, -1]), w3), b3);
    return tfjs.neg(tfjs.mean(tfjs.sum(tfjs.mul(labels, tfjs.logSoftmax(logits)), 1))) as tfjs.Scalar;
  };
  const step = () => {
    const { value, grads } = tfjs.variableGrads(lossFn, vars);
    for (const v of vars) v.assign(tfjs.sub(v, tfjs.mul(grads[v.name], lr)));
    return value;
  };
  return {
    run: () => tfjs.dispose(tfjs.tidy(step)),
    values() {
      tfjs.tidy(() => vars.forEach((v, i) => v.assign(tfjs.tensor(initial[i], shapes[i]))));
      const loss = tfjs.tidy(step);
      const flat = concatenate([loss.dataSync() as Float32Array, ...vars.map((v) => v.dataSync() as Float32Array)]);
      loss.dispose();
      return flat;
    },
  };
}

const TOLERANCE = { relative: 2e-3, absolute: 2e-3 };

async function timeMs(runner: Runner): Promise<number> {
  return (await measure(() => runner.run(), { minTimeMs: 1000, budgetMs: 4000 })).medianMs;
}

interface Workload { name: string; ours: () => Runner; tfjs: (peer: TfjsPeer) => Runner; tfjsNote?: string }

const WORKLOADS: Workload[] = [
  ...[...LAYERS.map(convLayer), poolLayer, depthwiseLayer].map((layer) => ({
    name: layer.name, ours: () => ourLayer(layer), tfjs: (peer: TfjsPeer) => tfjsLayer(layer, peer), tfjsNote: layer.tfjsNote,
  })),
  { name: `cnn sgd step: conv ${CNN.filters1} → pool → conv ${CNN.filters2} → pool → dense 10, batch ${BATCH}`, ours: ourCnnStep, tfjs: tfjsCnnStep },
];

export const CONV_TARGETS: BenchTarget[] = [
  {
    description: "conv2d, maxPool and depthwiseConv2d fwd+bwd and CNN step faster than tfjs-wasm",
    check: (rows) => {
      const mine = rows.filter((r) => r.group === GROUP && r.peers["tfjs-wasm"]);
      return mine.length ? mine.every((r) => r.ours < r.peers["tfjs-wasm"]) : undefined;
    },
  },
];

/** Row by row, ours then each peer, so a change in the machine's load hits a row's figures alike. */
export async function runConvBench(): Promise<BenchRow[]> {
  const rows: BenchRow[] = [];
  for (const workload of WORKLOADS) {
    const ours = workload.ours();
    const expected = ours.values();
    const row: BenchRow = { group: GROUP, name: workload.name, unit: "ms", ours: await timeMs(ours), peers: {} };
    const notes = ["results cross-checked", ...(workload.tfjsNote ? [workload.tfjsNote] : [])];
    for (const peer of Object.keys(TFJS_PEERS) as TfjsPeer[]) {
      try {
        await useTfjsBackend(peer);
        const runner = workload.tfjs(peer);
        assertSameResults(workload.name, { actual: peer, expected: "ours" }, runner.values(), expected, TOLERANCE);
        row.peers[peer] = await timeMs(runner);
      } catch (error) {
        if ((error as Error).name === "ResultMismatchError") throw error;
        notes.push(`${peer} could not run: ${(error as Error).message.split("\n")[0]}`);
      }
    }
    rows.push({ ...row, note: notes.join("; ") });
  }
  return rows;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  runConvBench().then((rows) => {
    console.log(describeMachine().summary);
    console.log(formatTable(rows, CONV_TARGETS));
  }, (error: Error) => {
    process.stderr.write(`bench: ${error.message}\n`);
    process.exitCode = 1;
  });
}
