/**
 * conv2d and its two gradients lowered to one matrix product each: a backend's im2col and
 * col2im around the gemm (float32: the SIMD gemm, when the backend uses it; float64: a plain
 * loop of the same product).
 */
import type { DType } from "../storage/dtype";
import { patchSize, inputSize, outputSize, type ConvGeometry, type FloatArray } from "./conv-types";
import { matmulInto, type MatrixView } from "./gemm";
import type { Backend } from "./types";

const dtypeOf = (x: FloatArray): DType => (x instanceof Float32Array ? "float32" : "float64");
const allocate = (backend: Backend, like: FloatArray, size: number) => backend.allocateOutput(dtypeOf(like), size) as FloatArray;

/** A 1×1 filter with unit strides and no padding reads the input itself as its patch matrix. */
function patchesAreInput(g: ConvGeometry): boolean {
  return g.filterHeight === 1 && g.filterWidth === 1 && g.strideHeight === 1 && g.strideWidth === 1 &&
    g.padTop === 0 && g.padLeft === 0 && g.outHeight === g.inHeight && g.outWidth === g.inWidth;
}

/** The patch matrix [batch·outHeight·outWidth, patchSize], zeros where padded (x itself for a 1×1 filter). */
export function im2col(backend: Backend, x: FloatArray, g: ConvGeometry): FloatArray {
  if (patchesAreInput(g)) return x;
  const out = allocate(backend, x, (x.length / inputSize(g)) * g.outHeight * g.outWidth * patchSize(g));
  backend.im2col(x, g, out);
  return out;
}

interface View { values: FloatArray; rows: number; cols: number; rowStride: number; colStride: number }
const view = (values: FloatArray, rows: number, cols: number): View => ({ values, rows, cols, rowStride: cols, colStride: 1 });
const flip = (m: View): View => ({ values: m.values, rows: m.cols, cols: m.rows, rowStride: m.colStride, colStride: m.rowStride });

/** out = a · b; float32 goes to the gemm, float64 to a plain loop of the same product. */
function product(a: View, b: View, out: FloatArray): void {
  if (out instanceof Float32Array) {
    matmulInto(a as MatrixView, b as MatrixView, out, false);
    return;
  }
  const m = a.rows, k = a.cols, n = b.cols;
  out.fill(0, 0, m * n);
  for (let i = 0; i < m; i++) {
    for (let p = 0; p < k; p++) {
      const s = a.values[i * a.rowStride + p * a.colStride];
      if (s === 0) continue;
      const row = p * b.rowStride;
      for (let j = 0; j < n; j++) out[i * n + j] += s * b.values[row + j * b.colStride];
    }
  }
}

/** y[N,OH,OW,F] = conv2d(x[N,H,W,C], w[KH,KW,C,F]); `patches` is im2col(x) if already made. */
export function conv2dForward(backend: Backend, x: FloatArray, w: FloatArray, g: ConvGeometry, patches = im2col(backend, x, g)): FloatArray {
  const rows = (x.length / inputSize(g)) * g.outHeight * g.outWidth;
  const out = allocate(backend, x, rows * g.outChannels);
  product(view(patches, rows, patchSize(g)), view(w, patchSize(g), g.outChannels), out);
  return out;
}

/** dx[N,H,W,C] from dy[N,OH,OW,F]: dy · wᵀ, folded back onto the image (TF's Conv2DBackpropInput). */
export function conv2dBackpropInput(backend: Backend, dy: FloatArray, w: FloatArray, g: ConvGeometry): FloatArray {
  const batch = dy.length / outputSize(g);
  const rows = batch * g.outHeight * g.outWidth;
  const cols = allocate(backend, dy, rows * patchSize(g));
  product(view(dy, rows, g.outChannels), flip(view(w, patchSize(g), g.outChannels)), cols);
  if (patchesAreInput(g)) return cols;
  const dx = allocate(backend, dy, batch * inputSize(g));
  backend.col2im(cols, g, dx);
  return dx;
}

/** dw[KH,KW,C,F] = patchesᵀ · dy (TF's Conv2DBackpropFilter). */
export function conv2dBackpropFilter(backend: Backend, x: FloatArray, dy: FloatArray, g: ConvGeometry, patchMatrix = im2col(backend, x, g)): FloatArray {
  const rows = (x.length / inputSize(g)) * g.outHeight * g.outWidth, K = patchSize(g), F = g.outChannels;
  const patches = view(patchMatrix, rows, K), gradients = view(dy, rows, F);
  const out = allocate(backend, x, K * F);
  // The operand read transposed is gathered element by element: make it the narrower one.
  if (K <= F) {
    product(flip(patches), gradients, out);
    return out;
  }
  const transposedResult = allocate(backend, x, F * K);
  product(flip(gradients), patches, transposedResult);
  for (let f = 0; f < F; f++) for (let k = 0; k < K; k++) out[k * F + f] = transposedResult[f * K + k];
  return out;
}
