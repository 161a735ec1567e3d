/**
 * Pooling, NHWC as in TF. Max pooling remembers where each maximum came from: its gradient sends
 * dy there (a scatter) and that scatter's gradient reads back from there (a gather), so second
 * derivatives exist as TF's MaxPoolGradGrad. Average pooling is linear: its gradient spreads dy
 * evenly over each window, and that op's gradient is average pooling again.
 */
import { currentBackend } from "../backend";
import type { ConvGeometry, FloatArray } from "../backend/conv-types";
import { runOp, type OpDef } from "./op";
import { formatShape } from "../storage/shape";
import { Tensor } from "../storage/tensor";
import { assertFloat, toTensor, type TensorLike } from "./convert";
import { reshape } from "./shape";
import { asImageBatch, mergeLeading, splitLeading, windowGeometry, windowPair, type Padding, type Window } from "./conv-geometry";

interface IndexAttrs {
  geometry: ConvGeometry;
  /** Per output element, the flat input index of its window's maximum. */
  argmax: Int32Array;
  inputShape: number[];
  outputShape: number[];
}

const lead = (t: Tensor, coreShape: number[]) => t.shape.slice(0, t.rank - coreShape.length);
const sizeOf = (shape: number[]) => shape.reduce((a, b) => a * b, 1);

/** A new array of `shape` in the backend in use, filled by `fill`. */
function computed(like: Tensor, shape: number[], fill: (out: FloatArray) => void): Tensor {
  const out = currentBackend().allocateOutput(like.dtype, sizeOf(shape)) as FloatArray;
  fill(out);
  return new Tensor(out, shape, like.dtype);
}

/** Values at `argmax` (the output's shape) from a tensor of the input's shape, keeping leading dimensions. */
const gatherDef: OpDef<IndexAttrs> = {
  name: "maxPoolGradGrad",
  forward([g], { geometry, argmax, inputShape, outputShape }) {
    return computed(g, [...lead(g, inputShape), ...outputShape], (out) => currentBackend().maxPoolGradGrad(g.values as FloatArray, argmax, geometry, out));
  },
  vjp: (dy, { attrs }) => [runOp(scatterDef, [dy], attrs)],
  jvp: ([t], { attrs }) => t && runOp(gatherDef, [t], attrs),
};

/** dy (the output's shape) sent to `argmax` in a tensor of the input's shape: max pooling's gradient. */
const scatterDef: OpDef<IndexAttrs> = {
  name: "maxPoolGrad",
  forward([dy], { geometry, argmax, inputShape, outputShape }) {
    return computed(dy, [...lead(dy, outputShape), ...inputShape], (out) => currentBackend().maxPoolBackprop(dy.values as FloatArray, argmax, geometry, out));
  },
  vjp: (grad, { attrs }) => [runOp(gatherDef, [grad], attrs)],
  jvp: ([t], { attrs }) => t && runOp(scatterDef, [t], attrs),
};

const maxPoolDef: OpDef<IndexAttrs> = {
  name: "maxPool",
  forward([x], attrs) {
    // The rules below read where each maximum came from.
    attrs.argmax = new Int32Array(sizeOf(attrs.outputShape));
    return computed(x, attrs.outputShape.slice(), (out) => currentBackend().maxPool(x.values as FloatArray, attrs.geometry, out, attrs.argmax));
  },
  vjp: (dy, { attrs }) => [runOp(scatterDef, [dy], attrs)],
  jvp: ([t], { attrs }) => t && runOp(gatherDef, [t], attrs),
};

interface AvgAttrs { geometry: ConvGeometry }

const avgPoolDef: OpDef<AvgAttrs> = {
  name: "avgPool",
  forward([x], { geometry: g }) {
    return computed(x, [x.shape[0], g.outHeight, g.outWidth, g.outChannels], (out) => currentBackend().avgPool(x.values as FloatArray, g, out));
  },
  vjp: (dy, { attrs }) => [splitLeading(runOp(avgPoolGradDef, [mergeLeading(dy)], attrs), dy)],
  jvp: ([t], { attrs }) => t && runOp(avgPoolDef, [t], attrs),
};

const avgPoolGradDef: OpDef<AvgAttrs> = {
  name: "avgPoolGrad",
  forward([dy], { geometry: g }) {
    return computed(dy, [dy.shape[0], g.inHeight, g.inWidth, g.inChannels], (out) => currentBackend().avgPoolBackprop(dy.values as FloatArray, g, out));
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
