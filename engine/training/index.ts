/**
 * The training stack: `optimizers` (SGD, Adam, RMSprop, Adagrad, schedules) and `keras`
 * (Input, layers — Dense, Conv2D, pooling, Flatten, Dropout, normalisations, Embedding —, Sequential, Model,
 * losses, metrics, callbacks.EarlyStopping, observeFit).
 */
import * as activations from "./activations";
import * as initializers from "./initializers";
import * as losses from "./losses";
import * as schedules from "./schedules";
import { Dense, Input, InputLayer, Layer, SymbolicTensor } from "./layers";
import { AveragePooling2D, Conv2D, Flatten, MaxPooling2D } from "./conv-layers";
import { BatchNormalization, Dropout, Embedding, LayerNormalization } from "./norm-layers";
import { EarlyStopping } from "./callbacks";
import * as metrics from "./metrics";
import { Model, Sequential } from "./model";
import { History } from "./history";
import { observeFit } from "./fit";
import { Optimizer } from "./optimizer";
import { Adagrad, Adam, RMSprop, SGD, getOptimizer } from "./optimizers";

export const optimizers = {
  Optimizer, SGD, Adam, RMSprop, Adagrad, get: getOptimizer, schedules,
};

export const keras = {
  Input,
  Model,
  Sequential,
  History,
  observeFit,
  layers: {
    Layer, InputLayer, Dense, Conv2D, MaxPooling2D, AveragePooling2D, Flatten, Dropout, BatchNormalization, LayerNormalization, Embedding,
  },
  callbacks: { EarlyStopping },
  EarlyStopping,
  metrics,
  optimizers,
  losses,
  activations,
  initializers,
  SymbolicTensor,
};

export { losses, schedules };
export { SGD, Adam, RMSprop, Adagrad };
export { Optimizer };
export { Model, Sequential, History, Dense, Input, Layer, InputLayer, SymbolicTensor, observeFit };
export { Conv2D, MaxPooling2D, AveragePooling2D, Flatten, Dropout, BatchNormalization, LayerNormalization, Embedding, EarlyStopping };
export type { FitOptions, FitCallbacks, FitObserver, Logs } from "./fit";
export type { CompileOptions } from "./model";
