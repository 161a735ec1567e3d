/** The convolution and pooling ops under TF's `tf.nn` names (they are also at the top level). */
import { biasAdd, conv1d, conv2d, conv2dTranspose, depthwiseConv2d } from "./conv";
import { avgPool, maxPool } from "./pool";

export const nnConvolution = {
  conv1d, conv2d, conv2dTranspose, depthwiseConv2d, biasAdd,
  maxPool, maxPool2d: maxPool, avgPool, avgPool2d: avgPool,
};
