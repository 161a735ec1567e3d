/** `import * as tf from "autograd-notebook"`: the whole engine, training included. */
export * from "./core";
export { optimizers, keras, losses } from "./training";
