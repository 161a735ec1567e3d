/**
 * Pooling, NHWC as in TF. Max pooling remembers where each maximum came from: its gradient sends
 * dy there (a scatter) and that scatter's gradient reads back from there (a gather), so second
 * derivatives exist as TF's MaxPoolGradGrad. Average pooling is linear: its gradient spreads dy
 * evenly over each window, and that op's gradient is average pooling again.
 */
import * as kernels from "../backend/conv-kernels";
import type { ConvGeometry, FloatArray } from "../backend/conv-kernels";
import { runOp, type OpDef } from "./op";
import { formatShape } from "../storage/shape";
import { Tensor } from "../storage/tensor";
import { assertFloat, toTensor, type TensorLike } from "./convert";
import { reshape } from "./shape";
import { asImageBatch, mergeLeading, splitLeading, windowGeometry, windowPair, type Padding, type Window } from "./conv-geometry";

interface IndexAttrs {
  /** Per output element, the flat input index of its window's maximum. */
  argmax: Int32Array;
  inputShape: number[];
  outputShape: number[];
}

const lead = (t: Tensor, coreShape: number[]) => t.shape.slice(0, t.rank - coreShape.length);

/** Values at `argmax` (the output's shape) from a tensor of the input's shape, keeping leading dimensions. */
const gatherDef: OpDef<IndexAttrs> = {
  name: "maxPoolGradGrad",
  forward([g], { argmax, inputShape, outputShape }) {
    const size = inputShape.reduce((a, b) => a * b, 1);
    return new Tensor(kernels.gatherByIndex(g.values as FloatArray, argmax, size), [...lead(g, inputShape), ...outputShape], g.dtype);
  },
  vjp: (dy, { attrs }) => [runOp(scatterDef, [dy], attrs)],
  jvp: ([t], { attrs }) => t && runOp(gatherDef, [t], attrs),
};

/** dy (the output's shape) sent to `argmax` in a tensor of the input's shape: max pooling's gradient. */
const scatterDef: OpDef<IndexAttrs> = {
  name: "maxPoolGrad",
  forward([dy], { argmax, inputShape, outputShape }) {
    const size = inputShape.reduce((a, b) => a * b, 1);
    return new Tensor(kernels.scatterByIndex(dy.values as FloatArray, argmax, size), [...lead(dy, outputShape), ...inputShape], dy.dtype);
  },
  vjp: (grad, { attrs }) => [runOp(gatherDef, [grad], attrs)],
  jvp: ([t], { attrs }) => t && runOp(scatterDef, [t], attrs),
};

const maxPoolDef: OpDef<IndexAttrs & { geometry: ConvGeometry }> = {
  name: "maxPool",
  forward([x], attrs) {
    const { out, argmax } = kernels.maxPoolForward(x.values as FloatArray, attrs.geometry);
    // The rules below read where each maximum came from.
    attrs.argmax = argmax;
    return new Tensor(out, attrs.outputShape.slice(), x.dtype);
  },
  vjp: (dy, { attrs }) => [runOp(scatterDef, [dy], attrs)],
  jvp: ([t], { attrs }) => t && runOp(gatherDef, [t], attrs),
};

interface AvgAttrs { geometry: ConvGeometry }

const avgPoolDef: OpDef<AvgAttrs> = {
  name: "avgPool",
  forward([x], { geometry: g }) {
    return new Tensor(kernels.avgPoolForward(x.values as FloatArray, g), [x.shape[0], g.outHeight, g.outWidth, g.outChannels], x.dtype);
  },
  vjp: (dy, { attrs }) => [splitLeading(runOp(avgPoolGradDef, [mergeLeading(dy)], attrs), dy)],
  jvp: ([t], { attrs }) => t && runOp(avgPoolDef, [t], attrs),
};

const avgPoolGradDef: OpDef<AvgAttrs> = {
  name: "avgPoolGrad",
  forward([dy], { geometry: g }) {
    return new Tensor(kernels.avgPoolBackprop(dy.values as FloatArray, g), [dy.shape[0], g.inHeight, g.inWidth, g.inChannels], dy.dtype);
  },
  vjp: (grad, { attrs }) => [splitLeading(runOp(avgPoolDef, [mergeLeading(grad)], attrs), grad)],
  jvp: ([t], { attrs }) => t && runOp(avgPoolGradDef, [t], attrs),
};

function poolSetup(op: string, x: TensorLike, filterSize: Window, strides: Window | undefined, padding: Padding, dataFormat: string) {
  const t = toTensor(x, op);
  assertFloat(t, op);
  if (dataFormat !== "NHWC") throw new Error(`${op}: only dataFormat 'NHWC' is supported, got '${dataFormat}'`);
  const images = asImageBatch(op, t);
  const filter = windowPair(op, "filterSize (ksize)", filterSize);
  const geometry = windowGeometry(op, { image: images.shape.slice(1), filter, outChannels: images.shape[3], strides: strides ?? filterSize, padding });
  return { t, images, geometry };
}

const likeInput = (result: Tensor, input: Tensor) => (input.rank === 3 ? reshape(result, result.shape.slice(1)) : result);

/** tf.nn.max_pool2d: the maximum of each filterSize window (strides default to the window, as in tf.js). */
export function maxPool(x: TensorLike, filterSize: Window, strides: Window | undefined, padding: Padding, dataFormat = "NHWC"): Tensor {
  const { t, images, geometry: g } = poolSetup("maxPool", x, filterSize, strides, padding, dataFormat);
  const attrs = { geometry: g, argmax: new Int32Array(0), inputShape: images.shape.slice(), outputShape: [images.shape[0], g.outHeight, g.outWidth, g.outChannels] };
  return likeInput(runOp(maxPoolDef, [images], attrs), t);
}

/** tf.nn.avg_pool2d: the mean of each window, counting only the positions inside the image. */
export function avgPool(x: TensorLike, filterSize: Window, strides: Window | undefined, padding: Padding, dataFormat = "NHWC"): Tensor {
  const { t, images, geometry } = poolSetup("avgPool", x, filterSize, strides, padding, dataFormat);
  return likeInput(runOp(avgPoolDef, [images], { geometry }), t);
}

/** tf.nn.pool-style check used by the layers: the shape a pooling would give, or its error. */
export function pooledShape(op: string, image: number[], filterSize: Window, strides: Window | undefined, padding: Padding): number[] {
  if (image.length !== 3) throw new Error(`${op}: expects images [height, width, channels], got ${formatShape(image)}`);
  const g = windowGeometry(op, { image, filter: windowPair(op, "poolSize", filterSize), outChannels: image[2], strides: strides ?? filterSize, padding });
  return [g.outHeight, g.outWidth, g.outChannels];
}
