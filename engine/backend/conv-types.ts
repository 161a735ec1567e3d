/**
 * What every backend's convolution and pooling kernels take: NHWC images (channels contiguous)
 * in flat float arrays, one image's geometry (the batch comes from the arrays' lengths), and an
 * output array the kernel fills entirely, whatever it held before.
 */

export type FloatArray = Float32Array | Float64Array;

/** One image's geometry: everything but the batch size. */
export interface ConvGeometry {
  inHeight: number;
  inWidth: number;
  inChannels: number;
  filterHeight: number;
  filterWidth: number;
  /** Output channels: filters for conv2d, inChannels × multiplier for depthwise, channels for pooling. */
  outChannels: number;
  strideHeight: number;
  strideWidth: number;
  dilationHeight: number;
  dilationWidth: number;
  padTop: number;
  padLeft: number;
  outHeight: number;
  outWidth: number;
}

export const inputSize = (g: ConvGeometry) => g.inHeight * g.inWidth * g.inChannels;
export const outputSize = (g: ConvGeometry) => g.outHeight * g.outWidth * g.outChannels;
/** Elements of one row of the patch matrix: one window over every input channel. */
export const patchSize = (g: ConvGeometry) => g.filterHeight * g.filterWidth * g.inChannels;

export interface ConvKernels {
  /** The patch matrix [batch·outHeight·outWidth, filterHeight·filterWidth·inChannels] of x, zeros where padded. */
  im2col(x: FloatArray, g: ConvGeometry, out: FloatArray): void;
  /** The adjoint of im2col: each patch entry added back onto the input pixel it came from. */
  col2im(cols: FloatArray, g: ConvGeometry, out: FloatArray): void;
  /** out[n,oh,ow,c·M+m] = Σ x[n,ih,iw,c]·w[kh,kw,c,m], M the channel multiplier. */
  depthwiseConv2d(x: FloatArray, w: FloatArray, g: ConvGeometry, out: FloatArray): void;
  /** dx from dy: the gradient of depthwiseConv2d with respect to its input. */
  depthwiseBackpropInput(dy: FloatArray, w: FloatArray, g: ConvGeometry, out: FloatArray): void;
  /** dw from the input and dy. */
  depthwiseBackpropFilter(x: FloatArray, dy: FloatArray, g: ConvGeometry, out: FloatArray): void;
  /** Each window's maximum and, per output element, the flat input index it came from (the first on ties; NaN wins). */
  maxPool(x: FloatArray, g: ConvGeometry, out: FloatArray, argmax: Int32Array): void;
  /**
   * dy sent to the input positions `argmax` names, collisions summed: max pooling's gradient.
   * dy may hold several slabs of argmax's length (leading dimensions), each sent to its own input.
   */
  maxPoolBackprop(dy: FloatArray, argmax: Int32Array, g: ConvGeometry, out: FloatArray): void;
  /** The adjoint of maxPoolBackprop: slabs of the input's size read at `argmax`. */
  maxPoolGradGrad(grad: FloatArray, argmax: Int32Array, g: ConvGeometry, out: FloatArray): void;
  /** The mean of each window's positions inside the image (TF does not count padding). */
  avgPool(x: FloatArray, g: ConvGeometry, out: FloatArray): void;
  /** dy spread evenly over each window: average pooling's gradient. */
  avgPoolBackprop(dy: FloatArray, g: ConvGeometry, out: FloatArray): void;
}
