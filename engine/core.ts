/**
 * The engine's public API without the training stack (which builds on it): tensors, ops,
 * variables, tapes, forward mode and function transforms — DESIGN.md's contract.
 */
import { installTensorDisplay } from "./display";
import { installMethods } from "./methods";
import * as random from "./random";
import { gradCheck } from "./gradcheck";

installMethods();
installTensorDisplay();

export { Tensor } from "./tensor";
export { Variable, type VariableOptions } from "./variable";
export { GradientTape, type GradientOptions, type JacobianOptions, type Source } from "./tape";
export { ForwardAccumulator } from "./forward";
export type { DType } from "./dtype";
export type { TensorLike } from "./ops/convert";
export type { TensorMethods } from "./methods";

export * from "./ops/creation";
export * from "./ops/elementwise";
export * from "./ops/reduce";
export * from "./ops/shape";
export * from "./ops/nn";
export * from "./ops/conv";
export { maxPool, avgPool } from "./ops/pool";
export { matmul, matrixTranspose } from "./ops/linalg";
export {
  reduceSum as sum, reduceMean as mean, reduceMax as max, reduceMin as min, reduceProd as prod,
} from "./ops/reduce";
export { grad, grads, valueAndGrad, valueAndGrads, jacobian, hessian, jvp, vjp, customGradient, cond } from "./transforms";
export { tensorBundle, structureBundle, isTensorStructure, tensorData } from "./display";
export { MIME, DISPLAY_SYMBOL } from "./mime";
export { random };

/** tf.test: tools for checking derivatives from a notebook. */
export const test = { gradCheck };

/** tf.autodiff, as in TF: ForwardAccumulator lives there too. */
export { ForwardAccumulator as AutodiffForwardAccumulator } from "./forward";
