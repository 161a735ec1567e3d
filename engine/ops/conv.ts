/**
 * Convolutions, NHWC as in TF: conv1d, conv2d, depthwiseConv2d and conv2dTranspose. Each family
 * is three ops — the convolution, its input gradient ("backprop input", which is also the
 * transposed convolution) and its filter gradient — whose gradient rules are each other, so
 * derivatives of any order exist.
 */
import { currentBackend } from "../backend";
import * as conv2dKernels from "../backend/conv2d";
import { inputSize, outputSize, type ConvGeometry, type FloatArray } from "../backend/conv-types";
import { runOp, type OpDef } from "./op";
import { formatShape } from "../storage/shape";
import { Tensor } from "../storage/tensor";
import { assertFloat, toTensor, type TensorLike } from "./convert";
import { sumTangents } from "./grad-utils";
import { broadcastTo, reshape } from "./shape";
import { reduceSum } from "./reduce";
import {
  asImageBatch, mergeLeading, perLeading, splitLeading, windowGeometry, windowPair, type Padding, type Window,
} from "./conv-geometry";

export type { Padding, Window } from "./conv-geometry";

interface ConvAttrs {
  geometry: ConvGeometry;
  filterShape: number[];
  /**
   * The forward pass's patch matrix, for the filter gradient of the same input: the attributes
   * live as long as the tape that recorded the op, so the patches are made once per step.
   */
  patches?: { input: FloatArray; matrix: FloatArray };
}

type Kernel = (a: FloatArray, b: FloatArray, g: ConvGeometry, attrs: ConvAttrs) => FloatArray;

interface Family {
  forward(x: Tensor, w: Tensor, attrs: ConvAttrs): Tensor;
  backpropInput(dy: Tensor, w: Tensor, attrs: ConvAttrs): Tensor;
  backpropFilter(x: Tensor, dy: Tensor, attrs: ConvAttrs): Tensor;
}

const batchOf = (t: Tensor, perImage: number) => t.size / perImage;

/** The three ops of one convolution family, each differentiable through the other two. */
function convFamily(name: string, k: { forward: Kernel; backpropInput: Kernel; backpropFilter: Kernel }): Family {
  const imageShape = (g: ConvGeometry) => [g.inHeight, g.inWidth, g.inChannels];
  const outShape = (g: ConvGeometry) => [g.outHeight, g.outWidth, g.outChannels];
  const forwardDef: OpDef<ConvAttrs> = {
    name,
    forward([x, w], attrs) {
      const g = attrs.geometry;
      return new Tensor(k.forward(x.values as FloatArray, w.values as FloatArray, g, attrs), [batchOf(x, inputSize(g)), ...outShape(g)], x.dtype);
    },
    vjp(dy, { inputs: [x, w], attrs, needs }) {
      return [
        needs && !needs[0] ? null : splitLeading(family.backpropInput(mergeLeading(dy), w, attrs), dy),
        needs && !needs[1] ? null : perLeading(dy, 4, (d) => family.backpropFilter(x, d, attrs)),
      ];
    },
    jvp([tx, tw], { inputs: [x, w], attrs }) {
      return sumTangents([tx && family.forward(tx, w, attrs), tw && family.forward(x, tw, attrs)]);
    },
  };
  const inputDef: OpDef<ConvAttrs> = {
    name: `${name}BackpropInput`,
    forward([dy, w], attrs) {
      const g = attrs.geometry;
      return new Tensor(k.backpropInput(dy.values as FloatArray, w.values as FloatArray, g, attrs), [batchOf(dy, outputSize(g)), ...imageShape(g)], dy.dtype);
    },
    vjp(grad, { inputs: [dy, w], attrs, needs }) {
      return [
        needs && !needs[0] ? null : splitLeading(family.forward(mergeLeading(grad), w, attrs), grad),
        needs && !needs[1] ? null : perLeading(grad, 4, (g) => family.backpropFilter(g, dy, attrs)),
      ];
    },
    jvp([tdy, tw], { inputs: [dy, w], attrs }) {
      return sumTangents([tdy && family.backpropInput(tdy, w, attrs), tw && family.backpropInput(dy, tw, attrs)]);
    },
  };
  const filterDef: OpDef<ConvAttrs> = {
    name: `${name}BackpropFilter`,
    forward([x, dy], attrs) {
      const { geometry: g, filterShape } = attrs;
      return new Tensor(k.backpropFilter(x.values as FloatArray, dy.values as FloatArray, g, attrs), filterShape.slice(), x.dtype);
    },
    vjp(grad, { inputs: [x, dy], attrs, needs }) {
      return [
        needs && !needs[0] ? null : perLeading(grad, 4, (g) => family.backpropInput(dy, g, attrs)),
        needs && !needs[1] ? null : perLeading(grad, 4, (g) => family.forward(x, g, attrs)),
      ];
    },
    jvp([tx, tdy], { inputs: [x, dy], attrs }) {
      return sumTangents([tx && family.backpropFilter(tx, dy, attrs), tdy && family.backpropFilter(x, tdy, attrs)]);
    },
  };
  const family: Family = {
    forward: (x, w, attrs) => runOp(forwardDef, [x, w], attrs),
    backpropInput: (dy, w, attrs) => runOp(inputDef, [dy, w], attrs),
    backpropFilter: (x, dy, attrs) => runOp(filterDef, [x, dy], attrs),
  };
  return family;
}

const conv2dFamily = convFamily("conv2d", {
  forward(x, w, g, attrs) {
    const backend = currentBackend(), matrix = conv2dKernels.im2col(backend, x, g);
    attrs.patches = { input: x, matrix };
    return conv2dKernels.conv2dForward(backend, x, w, g, matrix);
  },
  backpropInput: (dy, w, g) => conv2dKernels.conv2dBackpropInput(currentBackend(), dy, w, g),
  backpropFilter: (x, dy, g, attrs) =>
    conv2dKernels.conv2dBackpropFilter(currentBackend(), x, dy, g, attrs.patches?.input === x ? attrs.patches.matrix : undefined),
});

/** A depthwise kernel of the backend in use, into a new array of `size` elements. */
function depthwiseKernel(kernel: "depthwiseConv2d" | "depthwiseBackpropInput" | "depthwiseBackpropFilter", size: (a: FloatArray, g: ConvGeometry) => number): Kernel {
  return (a, b, g) => {
    const backend = currentBackend();
    const out = backend.allocateOutput(a instanceof Float32Array ? "float32" : "float64", size(a, g)) as FloatArray;
    backend[kernel](a, b, g, out);
    return out;
  };
}
const depthwiseFamily = convFamily("depthwiseConv2d", {
  forward: depthwiseKernel("depthwiseConv2d", (x, g) => (x.length / inputSize(g)) * outputSize(g)),
  backpropInput: depthwiseKernel("depthwiseBackpropInput", (dy, g) => (dy.length / outputSize(g)) * inputSize(g)),
  backpropFilter: depthwiseKernel("depthwiseBackpropFilter", (_, g) => g.filterHeight * g.filterWidth * g.outChannels),
});

function checkDataFormat(op: string, dataFormat: string, expected: string): void {
  if (dataFormat !== expected) throw new Error(`${op}: only dataFormat '${expected}' is supported, got '${dataFormat}'`);
}

/** Converts and checks (x, filter): float, same dtype, a rank-4 filter. */
function operands(op: string, x: TensorLike, filter: TensorLike): [Tensor, Tensor] {
  const t = toTensor(x, op);
  assertFloat(t, op);
  const w = toTensor(filter, op, t.dtype);
  assertFloat(w, op);
  if (w.dtype !== t.dtype) throw new TypeError(`${op}: input is ${t.dtype} but filter is ${w.dtype}; cast one of them`);
  if (w.rank !== 4) {
    throw new Error(`${op}: filter must be rank 4 [filterHeight, filterWidth, inDepth, outDepth], got shape ${formatShape(w.shape)}`);
  }
  return [t, w];
}

/** The result for a rank-3 (single image) input loses the batch of one it was given. */
const likeInput = (result: Tensor, input: Tensor) => (input.rank === 3 ? reshape(result, result.shape.slice(1)) : result);

/** tf.nn.conv2d: x [batch, height, width, inDepth] ⊛ filter [filterHeight, filterWidth, inDepth, outDepth]. */
export function conv2d(x: TensorLike, filter: TensorLike, strides: Window, padding: Padding, dataFormat = "NHWC", dilations: Window = 1): Tensor {
  const [t, w] = operands("conv2d", x, filter);
  checkDataFormat("conv2d", dataFormat, "NHWC");
  const images = asImageBatch("conv2d", t);
  const [KH, KW, inDepth, outDepth] = w.shape;
  if (images.shape[3] !== inDepth) {
    throw new Error(`conv2d: input depth ${images.shape[3]} does not match filter in-depth ${inDepth} (input ${formatShape(t.shape)}, filter ${formatShape(w.shape)})`);
  }
  const geometry = windowGeometry("conv2d", { image: images.shape.slice(1), filter: [KH, KW], outChannels: outDepth, strides, padding, dilations });
  return likeInput(conv2dFamily.forward(images, w, { geometry, filterShape: w.shape }), t);
}

/**
 * tf.nn.conv2d_transpose: the gradient of conv2d with respect to its input, as a layer. `filter`
 * is [filterHeight, filterWidth, outDepth, inDepth] and `outputShape` the image it produces.
 */
export function conv2dTranspose(x: TensorLike, filter: TensorLike, outputShape: number[], strides: Window, padding: Padding = "same", dataFormat = "NHWC", dilations: Window = 1): Tensor {
  const op = "conv2dTranspose";
  const [t, w] = operands(op, x, filter);
  checkDataFormat(op, dataFormat, "NHWC");
  const images = asImageBatch(op, t);
  const [KH, KW, outDepth, inDepth] = w.shape;
  const outImage = outputShape.length === 4 ? outputShape.slice(1) : outputShape.slice();
  if (outImage.length !== 3 || (outputShape.length === 4 && outputShape[0] !== images.shape[0])) {
    throw new Error(`${op}: outputShape must be [batch, height, width, depth] with the input's batch ${images.shape[0]}, got ${formatShape(outputShape)}`);
  }
  if (images.shape[3] !== inDepth) {
    throw new Error(`${op}: input depth ${images.shape[3]} does not match filter in-depth ${inDepth} (the filter's last dimension; input ${formatShape(t.shape)}, filter ${formatShape(w.shape)})`);
  }
  if (outImage[2] !== outDepth) {
    throw new Error(`${op}: outputShape depth ${outImage[2]} does not match filter out-depth ${outDepth} (the filter's third dimension, ${formatShape(w.shape)})`);
  }
  const geometry = windowGeometry(op, { image: outImage, filter: [KH, KW], outChannels: inDepth, strides, padding, dilations });
  if (geometry.outHeight !== images.shape[1] || geometry.outWidth !== images.shape[2]) {
    throw new Error(
      `${op}: input of shape ${formatShape(t.shape)} does not match outputShape ${formatShape(outputShape)}: a conv2d of that output ` +
        `with these strides and padding gives ${geometry.outHeight}×${geometry.outWidth}, not ${images.shape[1]}×${images.shape[2]}`,
    );
  }
  return likeInput(conv2dFamily.backpropInput(images, w, { geometry, filterShape: w.shape }), t);
}

/** tf.nn.conv1d: x [batch, width, inDepth] ⊛ filter [filterWidth, inDepth, outDepth], as a conv2d of height 1. */
export function conv1d(x: TensorLike, filter: TensorLike, stride: number, padding: Padding, dataFormat = "NWC", dilation = 1): Tensor {
  const t = toTensor(x, "conv1d");
  const w = toTensor(filter, "conv1d", t.dtype);
  checkDataFormat("conv1d", dataFormat, "NWC");
  if (t.rank !== 3 && t.rank !== 2) throw new Error(`conv1d: input must be rank 3 [batch, width, channels] (or 2 for one sequence), got shape ${formatShape(t.shape)}`);
  if (w.rank !== 3) throw new Error(`conv1d: filter must be rank 3 [filterWidth, inDepth, outDepth], got shape ${formatShape(w.shape)}`);
  if (t.shape[t.rank - 1] !== w.shape[1]) {
    throw new Error(`conv1d: input depth ${t.shape[t.rank - 1]} does not match filter in-depth ${w.shape[1]} (input ${formatShape(t.shape)}, filter ${formatShape(w.shape)})`);
  }
  const [stride1] = windowPair("conv1d", "stride", stride);
  const [dilation1] = windowPair("conv1d", "dilation", dilation);
  const rows = t.rank === 3 ? t : reshape(t, [1, ...t.shape]);
  const explicit = Array.isArray(padding) ? [[0, 0], [0, 0], padding[1], [0, 0]] : padding;
  const y = conv2d(reshape(rows, [rows.shape[0], 1, rows.shape[1], rows.shape[2]]), reshape(w, [1, ...w.shape]), [1, stride1], explicit, "NHWC", [1, dilation1]);
  return reshape(y, t.rank === 3 ? [y.shape[0], y.shape[2], y.shape[3]] : [y.shape[2], y.shape[3]]);
}

/** tf.nn.depthwise_conv2d: each input channel c convolved with its own filters [:, :, c, :]; output depth inDepth·multiplier. */
export function depthwiseConv2d(x: TensorLike, filter: TensorLike, strides: Window, padding: Padding, dataFormat = "NHWC", dilations: Window = 1): Tensor {
  const op = "depthwiseConv2d";
  const [t, w] = operands(op, x, filter);
  checkDataFormat(op, dataFormat, "NHWC");
  const images = asImageBatch(op, t);
  const [KH, KW, inDepth, multiplier] = w.shape;
  if (images.shape[3] !== inDepth) {
    throw new Error(`${op}: input depth ${images.shape[3]} does not match filter in-depth ${inDepth} (input ${formatShape(t.shape)}, filter ${formatShape(w.shape)})`);
  }
  const geometry = windowGeometry(op, { image: images.shape.slice(1), filter: [KH, KW], outChannels: inDepth * multiplier, strides, padding, dilations });
  return likeInput(depthwiseFamily.forward(images, w, { geometry, filterShape: w.shape }), t);
}

/** One bias per channel (the last axis): TF's BiasAdd, the step after every convolution. */
const biasAddDef: OpDef<Record<string, never>> = {
  name: "biasAdd",
  forward([x, b]) {
    const out = x.values.slice() as FloatArray, bias = b.values, C = bias.length;
    for (let row = 0; row < out.length; row += C) for (let c = 0; c < C; c++) out[row + c] += bias[c];
    return new Tensor(out, x.shape.slice(), x.dtype);
  },
  vjp(dy, { inputs: [x, b], needs }) {
    const lead = dy.shape.slice(0, dy.rank - x.rank);
    const perRow = needs && !needs[1] ? null : reshape(reduceSum(reshape(dy, [lead.reduce((p, d) => p * d, 1), -1, b.size]), 1), [...lead, b.size]);
    return [dy, perRow];
  },
  jvp([tx, tb], { inputs: [x] }) {
    if (tx && tb) return biasAdd(tx, tb);
    return tx ?? (tb && broadcastTo(tb, x.shape));
  },
};

/** tf.nn.bias_add: `bias` [channels] added along the last axis of `x`. */
export function biasAdd(x: TensorLike, bias: TensorLike): Tensor {
  const t = toTensor(x, "biasAdd");
  assertFloat(t, "biasAdd");
  const b = toTensor(bias, "biasAdd", t.dtype);
  if (b.rank !== 1 || t.rank < 1 || t.shape[t.rank - 1] !== b.size) {
    throw new Error(`biasAdd: bias must be a vector as long as the last dimension of the input, got bias ${formatShape(b.shape)} for input ${formatShape(t.shape)}`);
  }
  if (b.dtype !== t.dtype) throw new TypeError(`biasAdd: input is ${t.dtype} but bias is ${b.dtype}`);
  return runOp(biasAddDef, [t, b], {});
}
