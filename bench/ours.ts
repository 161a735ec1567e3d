/**
 * The workloads written against our engine's public API, the way a notebook user writes them.
 * The engine is passed in, so the same code runs on the shipped bundle or on the sources.
 */
import type * as Engine from "../engine/core";
import { CHAIN_SCALE, CHAIN_SHIFT, CHAIN_START, concatenate, scalarChain, type ChainOps, type EngineWorkloads, type MlpParameters, type PreparedWorkload } from "./workloads";

type Tensor = Engine.Tensor;

function prepared(compute: () => Tensor | Tensor[], reset?: () => void, state: () => Tensor[] = () => []): PreparedWorkload {
  return {
    run() {
      compute();
    },
    values() {
      reset?.();
      const outputs = compute();
      const list = [...(Array.isArray(outputs) ? outputs : [outputs]), ...state()];
      return concatenate(list.map((tensor) => tensor.dataSync() as ArrayLike<number>));
    },
    dispose() {},
  };
}

export function ourWorkloads(tf: typeof Engine): EngineWorkloads {
  // Read once: a namespace member may be a getter, and 10,000 getter calls are not engine work.
  const chainOps: ChainOps<Tensor> = { mul: tf.mul, exp: tf.exp, log: tf.log, add: tf.add };
  return {
    matmul(a, b, n) {
      const [left, right] = [tf.constant(a, [n, n]), tf.constant(b, [n, n])];
      return prepared(() => tf.matmul(left, right));
    },
    add(a, b) {
      const [left, right] = [tf.constant(a), tf.constant(b)];
      return prepared(() => tf.add(left, right));
    },
    mul(a, b) {
      const [left, right] = [tf.constant(a), tf.constant(b)];
      return prepared(() => tf.mul(left, right));
    },
    exp(a) {
      const input = tf.constant(a);
      return prepared(() => tf.exp(input));
    },
    sum(a) {
      const input = tf.constant(a);
      return prepared(() => tf.reduceSum(input));
    },
    chainForward(ops) {
      const [x, scale, shift] = [tf.constant(CHAIN_START), tf.constant(CHAIN_SCALE), tf.constant(CHAIN_SHIFT)];
      return prepared(() => scalarChain(x, ops, scale, shift, chainOps));
    },
    chainForwardBackward(ops) {
      const [x, scale, shift] = [tf.constant(CHAIN_START), tf.constant(CHAIN_SCALE), tf.constant(CHAIN_SHIFT)];
      return prepared(() => {
        const tape = new tf.GradientTape();
        const y = tape.record(() => {
          tape.watch(x);
          return scalarChain(x, ops, scale, shift, chainOps);
        });
        return [y, tape.gradient(y, x) as Tensor];
      });
    },
    jacobian(w, x, n) {
      const [weights, input] = [tf.constant(w, [n, n]), tf.constant(x, [n, 1])];
      return prepared(() => {
        const tape = new tf.GradientTape();
        const y = tape.record(() => {
          tape.watch(input);
          return tf.tanh(tf.matmul(weights, input));
        });
        return tape.jacobian(y, input) as Tensor;
      });
    },
    mlpStep(parameters) {
      return ourMlpStep(tf, parameters);
    },
  };
}

/**
 * The MLP's training step as a user writes it (variables, a tape, assignSub; no tidy or
 * dispose): `step()` moves the weights and returns the loss before the move; `reset()` puts
 * the initial weights back.
 */
export function mlpTraining(tf: typeof Engine, parameters: MlpParameters) {
  const { inputs, hidden, outputs, batch, learningRate } = parameters.shape;
  const initial = () => [
    tf.constant(parameters.w1, [inputs, hidden]),
    tf.constant(parameters.b1, [hidden]),
    tf.constant(parameters.w2, [hidden, outputs]),
    tf.constant(parameters.b2, [outputs]),
  ];
  const variables = initial().map((value) => new tf.Variable(value));
  const [w1, b1, w2, b2] = variables;
  const x = tf.constant(parameters.x, [batch, inputs]);
  const labels = tf.constant(parameters.labels, [batch, outputs]);

  const step = () => {
    const tape = new tf.GradientTape();
    const loss = tape.record(() => {
      const hiddenLayer = tf.relu(tf.add(tf.matmul(x, w1), b1));
      const logits = tf.add(tf.matmul(hiddenLayer, w2), b2);
      return tf.neg(tf.reduceMean(tf.reduceSum(tf.mul(labels, tf.logSoftmax(logits)), 1)));
    });
    const gradients = tape.gradient(loss, variables) as Tensor[];
    variables.forEach((variable, i) => variable.assignSub(tf.mul(gradients[i], learningRate)));
    return loss;
  };
  const reset = () => initial().forEach((value, i) => variables[i].assign(value));
  return { step, reset, variables };
}

function ourMlpStep(tf: typeof Engine, parameters: MlpParameters): PreparedWorkload {
  const { step, reset, variables } = mlpTraining(tf, parameters);
  return prepared(step, reset, () => variables.map((variable) => tf.identity(variable)));
}
