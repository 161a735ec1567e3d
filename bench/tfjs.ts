/**
 * The workloads written as a TensorFlow.js user would write them, for the peers "tfjs-cpu" and
 * "tfjs-wasm" (the same code; only the backend differs).
 */
import * as tf from "@tensorflow/tfjs";
import { setWasmPaths } from "@tensorflow/tfjs-backend-wasm";
import { createRequire } from "node:module";
import { dirname } from "node:path";
import { CHAIN_SCALE, CHAIN_SHIFT, CHAIN_START, concatenate, scalarChain, type ChainOps, type EngineWorkloads, type MlpParameters, type PreparedWorkload } from "./workloads";

export const TFJS_PEERS = { "tfjs-cpu": "cpu", "tfjs-wasm": "wasm" } as const;
export type TfjsPeer = keyof typeof TFJS_PEERS;

let wasmPathsSet = false;

/** Selects the backend for `peer`; throws with the backend's own reason if it cannot start. */
export async function useTfjsBackend(peer: TfjsPeer): Promise<void> {
  // Prod mode skips tfjs's debug checks and its "install tfjs-node" notice.
  tf.enableProdMode();
  const backend = TFJS_PEERS[peer];
  if (tf.getBackend() === backend) return;
  // The .wasm files ship inside the package; the paths may be set only before the first start.
  if (backend === "wasm" && !wasmPathsSet) {
    setWasmPaths(dirname(createRequire(import.meta.url).resolve("@tensorflow/tfjs-backend-wasm")) + "/");
    wasmPathsSet = true;
  }
  if (!(await tf.setBackend(backend))) throw new Error(`tfjs backend "${backend}" failed to initialise`);
  await tf.ready();
}

interface StatefulParts {
  /** Puts variables back to their initial values before the cross-checked run. */
  reset(): void;
  /** Tensors read after the cross-checked run, besides what `compute` returns. */
  state: tf.Tensor[];
}

/** `compute` runs inside tidy so intermediates are freed; its result is read for the cross-check. */
function prepared(compute: () => tf.Tensor | tf.Tensor[], inputs: tf.Tensor[], stateful?: StatefulParts): PreparedWorkload {
  return {
    run() {
      tf.dispose(tf.tidy(compute));
    },
    values() {
      if (stateful) tf.tidy(stateful.reset);
      const outputs = tf.tidy(compute);
      const list = [...(Array.isArray(outputs) ? outputs : [outputs]), ...(stateful?.state ?? [])];
      const flat = concatenate(list.map((tensor) => tensor.dataSync() as Float32Array));
      tf.dispose(outputs);
      return flat;
    },
    dispose() {
      tf.dispose(inputs);
    },
  };
}

function unitVector(size: number, index: number): Float32Array {
  const vector = new Float32Array(size);
  vector[index] = 1;
  return vector;
}

// Read once: a namespace member is a getter, and 10,000 getter calls would be timed as engine work.
const chainOps: ChainOps<tf.Tensor> = { mul: tf.mul, exp: tf.exp, log: tf.log, add: tf.add };

export const tfjsWorkloads: EngineWorkloads = {
  matmul(a, b, n) {
    const left = tf.tensor2d(a, [n, n]);
    const right = tf.tensor2d(b, [n, n]);
    return prepared(() => tf.matMul(left, right), [left, right]);
  },
  add(a, b) {
    const [left, right] = [tf.tensor1d(a), tf.tensor1d(b)];
    return prepared(() => tf.add(left, right), [left, right]);
  },
  mul(a, b) {
    const [left, right] = [tf.tensor1d(a), tf.tensor1d(b)];
    return prepared(() => tf.mul(left, right), [left, right]);
  },
  exp(a) {
    const input = tf.tensor1d(a);
    return prepared(() => tf.exp(input), [input]);
  },
  sum(a) {
    const input = tf.tensor1d(a);
    return prepared(() => tf.sum(input), [input]);
  },
  chainForward(ops) {
    const [x, scale, shift] = [tf.scalar(CHAIN_START), tf.scalar(CHAIN_SCALE), tf.scalar(CHAIN_SHIFT)];
    return prepared(() => scalarChain(x, ops, scale, shift, chainOps), [x, scale, shift]);
  },
  chainForwardBackward(ops) {
    const [x, scale, shift] = [tf.scalar(CHAIN_START), tf.scalar(CHAIN_SCALE), tf.scalar(CHAIN_SHIFT)];
    const valueAndGrad = tf.valueAndGrad((input: tf.Tensor) => scalarChain(input, ops, scale, shift, chainOps));
    return prepared(() => {
      const { value, grad } = valueAndGrad(x);
      return [value, grad];
    }, [x, scale, shift]);
  },
  jacobian(w, x, n) {
    const weights = tf.tensor2d(w, [n, n]);
    const input = tf.tensor2d(x, [n, 1]);
    // tfjs has no jacobian: one vector-Jacobian product per output row, seeded with a basis vector.
    // (Built from arrays: tfjs-wasm 4.22's float32 oneHot returns denormals instead of ones.)
    const basis = Array.from({ length: n }, (_, row) => tf.tensor2d(unitVector(n, row), [n, 1]));
    const vjp = tf.grad((v: tf.Tensor) => tf.tanh(tf.matMul(weights, v)));
    return prepared(() => tf.stack(basis.map((dy) => vjp(input, dy))).reshape([n, n]), [weights, input, ...basis]);
  },
  mlpStep(parameters) {
    return tfjsMlpStep(parameters);
  },
};

function tfjsMlpStep(parameters: MlpParameters): PreparedWorkload {
  const { inputs, hidden, outputs, batch, learningRate } = parameters.shape;
  const w1 = tf.variable(tf.tensor2d(parameters.w1, [inputs, hidden]));
  const b1 = tf.variable(tf.tensor1d(parameters.b1));
  const w2 = tf.variable(tf.tensor2d(parameters.w2, [hidden, outputs]));
  const b2 = tf.variable(tf.tensor1d(parameters.b2));
  const variables = [w1, b1, w2, b2];
  const x = tf.tensor2d(parameters.x, [batch, inputs]);
  const labels = tf.tensor2d(parameters.labels, [batch, outputs]);
  const lr = tf.scalar(learningRate);

  const loss = () => {
    const hiddenLayer = tf.relu(tf.add(tf.matMul(x, w1), b1));
    const logits = tf.add(tf.matMul(hiddenLayer, w2), b2);
    return tf.neg(tf.mean(tf.sum(tf.mul(labels, tf.logSoftmax(logits)), 1))) as tf.Scalar;
  };
  const step = () => {
    const { value, grads } = tf.variableGrads(loss, variables);
    for (const variable of variables) variable.assign(tf.sub(variable, tf.mul(grads[variable.name], lr)));
    return value;
  };
  const reset = () => {
    w1.assign(tf.tensor2d(parameters.w1, [inputs, hidden]));
    b1.assign(tf.tensor1d(parameters.b1));
    w2.assign(tf.tensor2d(parameters.w2, [hidden, outputs]));
    b2.assign(tf.tensor1d(parameters.b2));
  };
  return prepared(step, [...variables, x, labels, lr], { reset, state: variables });
}
