/**
 * Raw convolution and pooling kernels on flat NHWC arrays: plain (values, geometry) → values
 * functions that know nothing of tensors or tapes. Convolutions are lowered to one matrix
 * product (im2col, then the float32 SIMD gemm); float64 runs the same lowering on plain loops.
 */
import { matmulInto, type MatrixView } from "./gemm";

export type FloatArray = Float32Array | Float64Array;

/** One image's geometry: everything but the batch size, which kernels read from array lengths. */
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

const like = (x: FloatArray, n: number): FloatArray => (x instanceof Float32Array ? new Float32Array(n) : new Float64Array(n));

export const inputSize = (g: ConvGeometry) => g.inHeight * g.inWidth * g.inChannels;
export const outputSize = (g: ConvGeometry) => g.outHeight * g.outWidth * g.outChannels;
const patchSize = (g: ConvGeometry) => g.filterHeight * g.filterWidth * g.inChannels;

/** A 1×1 filter with unit strides and no padding reads the input itself as its patch matrix. */
function patchesAreInput(g: ConvGeometry): boolean {
  return g.filterHeight === 1 && g.filterWidth === 1 && g.strideHeight === 1 && g.strideWidth === 1 &&
    g.padTop === 0 && g.padLeft === 0 && g.outHeight === g.inHeight && g.outWidth === g.inWidth;
}

/**
 * Visits every (output pixel, filter tap) pair that falls inside the image: `visit(patchOffset,
 * inputOffset)` with offsets of the first channel in the patch row and the input.
 */
function forEachTap(g: ConvGeometry, batch: number, visit: (patch: number, input: number) => void): void {
  const { inHeight: H, inWidth: W, inChannels: C, filterHeight: KH, filterWidth: KW } = g;
  const K = patchSize(g);
  let row = 0;
  for (let n = 0; n < batch; n++) {
    for (let oh = 0; oh < g.outHeight; oh++) {
      for (let ow = 0; ow < g.outWidth; ow++, row += K) {
        for (let kh = 0; kh < KH; kh++) {
          const ih = oh * g.strideHeight - g.padTop + kh * g.dilationHeight;
          if (ih < 0 || ih >= H) continue;
          for (let kw = 0; kw < KW; kw++) {
            const iw = ow * g.strideWidth - g.padLeft + kw * g.dilationWidth;
            if (iw < 0 || iw >= W) continue;
            visit(row + (kh * KW + kw) * C, ((n * H + ih) * W + iw) * C);
          }
        }
      }
    }
  }
}

/** The patch matrix [batch·outHeight·outWidth, filterHeight·filterWidth·inChannels], zeros where padded. */
export function im2col(x: FloatArray, g: ConvGeometry): FloatArray {
  if (patchesAreInput(g)) return x;
  const batch = x.length / inputSize(g);
  const cols = like(x, batch * g.outHeight * g.outWidth * patchSize(g));
  const C = g.inChannels;
  if (C === 1) forEachTap(g, batch, (p, i) => { cols[p] = x[i]; });
  else forEachTap(g, batch, (p, i) => { for (let c = 0; c < C; c++) cols[p + c] = x[i + c]; });
  return cols;
}

/** The adjoint of im2col: each patch entry is added back onto the input pixel it came from. */
export function col2im(cols: FloatArray, g: ConvGeometry, batch: number): FloatArray {
  if (patchesAreInput(g)) return cols;
  const x = like(cols, batch * inputSize(g));
  const C = g.inChannels;
  if (C === 1) forEachTap(g, batch, (p, i) => { x[i] += cols[p]; });
  else forEachTap(g, batch, (p, i) => { for (let c = 0; c < C; c++) x[i + c] += cols[p + c]; });
  return x;
}

interface View { values: FloatArray; rows: number; cols: number; rowStride: number; colStride: number }
const view = (values: FloatArray, rows: number, cols: number): View => ({ values, rows, cols, rowStride: cols, colStride: 1 });
const flip = (m: View): View => ({ values: m.values, rows: m.cols, cols: m.rows, rowStride: m.colStride, colStride: m.rowStride });

/** out = a · b; float32 goes to the SIMD gemm, float64 to a plain loop of the same product. */
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

/** y[N,OH,OW,F] = conv2d(x[N,H,W,C], w[KH,KW,C,F]). */
export function conv2dForward(x: FloatArray, w: FloatArray, g: ConvGeometry): FloatArray {
  const batch = x.length / inputSize(g);
  const rows = batch * g.outHeight * g.outWidth;
  const out = like(x, rows * g.outChannels);
  product(view(im2col(x, g), rows, patchSize(g)), view(w, patchSize(g), g.outChannels), out);
  return out;
}

/** dx[N,H,W,C] from dy[N,OH,OW,F]: dy · wᵀ, folded back onto the image (TF's Conv2DBackpropInput). */
export function conv2dBackpropInput(dy: FloatArray, w: FloatArray, g: ConvGeometry): FloatArray {
  const batch = dy.length / outputSize(g);
  const rows = batch * g.outHeight * g.outWidth;
  const cols = like(dy, rows * patchSize(g));
  product(view(dy, rows, g.outChannels), flip(view(w, patchSize(g), g.outChannels)), cols);
  return col2im(cols, g, batch);
}

/** dw[KH,KW,C,F] = patchesᵀ · dy (TF's Conv2DBackpropFilter). */
export function conv2dBackpropFilter(x: FloatArray, dy: FloatArray, g: ConvGeometry): FloatArray {
  const batch = x.length / inputSize(g);
  const rows = batch * g.outHeight * g.outWidth, K = patchSize(g), F = g.outChannels;
  // dyᵀ · patches reads the large patch matrix row by row; only the small result is transposed.
  const transposedResult = like(x, F * K);
  product(flip(view(dy, rows, F)), view(im2col(x, g), rows, K), transposedResult);
  const out = like(x, K * F);
  for (let f = 0; f < F; f++) for (let k = 0; k < K; k++) out[k * F + f] = transposedResult[f * K + k];
  return out;
}

/**
 * Depthwise convolution, out[n,oh,ow,c·M+m] = Σ x[n,ih,iw,c]·w[kh,kw,c,m]: `visit` receives the
 * three flat offsets (input pixel, filter tap, output pixel) of every product; the forward pass
 * and both gradients are the same loop accumulating into a different array.
 */
function forEachDepthwiseTap(g: ConvGeometry, batch: number, visit: (input: number, filter: number, output: number) => void): void {
  const { inHeight: H, inWidth: W, inChannels: C, filterWidth: KW, outChannels: CM } = g;
  const M = CM / C;
  let out = 0;
  for (let n = 0; n < batch; n++) {
    for (let oh = 0; oh < g.outHeight; oh++) {
      for (let ow = 0; ow < g.outWidth; ow++, out += CM) {
        for (let kh = 0; kh < g.filterHeight; kh++) {
          const ih = oh * g.strideHeight - g.padTop + kh * g.dilationHeight;
          if (ih < 0 || ih >= H) continue;
          for (let kw = 0; kw < KW; kw++) {
            const iw = ow * g.strideWidth - g.padLeft + kw * g.dilationWidth;
            if (iw < 0 || iw >= W) continue;
            const input = ((n * H + ih) * W + iw) * C, filter = (kh * KW + kw) * CM;
            for (let c = 0; c < C; c++) for (let m = 0; m < M; m++) visit(input + c, filter + c * M + m, out + c * M + m);
          }
        }
      }
    }
  }
}

export function depthwiseForward(x: FloatArray, w: FloatArray, g: ConvGeometry): FloatArray {
  const batch = x.length / inputSize(g);
  const out = like(x, batch * outputSize(g));
  forEachDepthwiseTap(g, batch, (i, f, o) => { out[o] += x[i] * w[f]; });
  return out;
}

export function depthwiseBackpropInput(dy: FloatArray, w: FloatArray, g: ConvGeometry): FloatArray {
  const batch = dy.length / outputSize(g);
  const dx = like(dy, batch * inputSize(g));
  forEachDepthwiseTap(g, batch, (i, f, o) => { dx[i] += dy[o] * w[f]; });
  return dx;
}

export function depthwiseBackpropFilter(x: FloatArray, dy: FloatArray, g: ConvGeometry): FloatArray {
  const batch = x.length / inputSize(g);
  const dw = like(x, g.filterHeight * g.filterWidth * g.outChannels);
  forEachDepthwiseTap(g, batch, (i, f, o) => { dw[f] += x[i] * dy[o]; });
  return dw;
}

/** Calls `visit(outputIndex, firstInputIndex)` for each pooling window with the taps inside the image. */
function forEachWindow(g: ConvGeometry, batch: number, visit: (out: number, taps: Int32Array, count: number) => void): void {
  const { inHeight: H, inWidth: W, inChannels: C } = g;
  const taps = new Int32Array(g.filterHeight * g.filterWidth);
  let out = 0;
  for (let n = 0; n < batch; n++) {
    for (let oh = 0; oh < g.outHeight; oh++) {
      for (let ow = 0; ow < g.outWidth; ow++, out += C) {
        let count = 0;
        for (let kh = 0; kh < g.filterHeight; kh++) {
          const ih = oh * g.strideHeight - g.padTop + kh * g.dilationHeight;
          if (ih < 0 || ih >= H) continue;
          for (let kw = 0; kw < g.filterWidth; kw++) {
            const iw = ow * g.strideWidth - g.padLeft + kw * g.dilationWidth;
            if (iw >= 0 && iw < W) taps[count++] = ((n * H + ih) * W + iw) * C;
          }
        }
        visit(out, taps, count);
      }
    }
  }
}

/** The maximum of each window and, per output element, the flat input index it came from (first on ties). */
export function maxPoolForward(x: FloatArray, g: ConvGeometry): { out: FloatArray; argmax: Int32Array } {
  const batch = x.length / inputSize(g), C = g.inChannels;
  const out = like(x, batch * outputSize(g));
  const argmax = new Int32Array(out.length);
  forEachWindow(g, batch, (o, taps, count) => {
    for (let c = 0; c < C; c++) {
      let best = -Infinity, at = count > 0 ? taps[0] + c : -1;
      for (let t = 0; t < count; t++) {
        const v = x[taps[t] + c];
        // NaN wins, as TF's max pooling propagates it.
        if (v > best || v !== v) { best = v; at = taps[t] + c; if (v !== v) break; }
      }
      out[o + c] = best;
      argmax[o + c] = at;
    }
  });
  return { out, argmax };
}

/**
 * Sends each of `batches` slabs of `values` (`indices.length` each) to `indices` within slabs of
 * `size` elements, summing collisions: max pooling's gradient along its argmax.
 */
export function scatterByIndex(values: FloatArray, indices: Int32Array, size: number): FloatArray {
  const batches = values.length / indices.length;
  const out = like(values, batches * size);
  for (let b = 0, src = 0; b < batches; b++) {
    const base = b * size;
    for (let i = 0; i < indices.length; i++, src++) out[base + indices[i]] += values[src];
  }
  return out;
}

/** The adjoint of scatterByIndex: reads `values` (slabs of `size`) at `indices`. */
export function gatherByIndex(values: FloatArray, indices: Int32Array, size: number): FloatArray {
  const batches = values.length / size;
  const out = like(values, batches * indices.length);
  for (let b = 0, dst = 0; b < batches; b++) {
    const base = b * size;
    for (let i = 0; i < indices.length; i++, dst++) out[dst] = values[base + indices[i]];
  }
  return out;
}

/** Mean over each window's taps inside the image (TF does not count padding). */
export function avgPoolForward(x: FloatArray, g: ConvGeometry): FloatArray {
  const batch = x.length / inputSize(g), C = g.inChannels;
  const out = like(x, batch * outputSize(g));
  forEachWindow(g, batch, (o, taps, count) => {
    for (let t = 0; t < count; t++) for (let c = 0; c < C; c++) out[o + c] += x[taps[t] + c];
    for (let c = 0; c < C; c++) out[o + c] /= count;
  });
  return out;
}

export function avgPoolBackprop(dy: FloatArray, g: ConvGeometry): FloatArray {
  const batch = dy.length / outputSize(g), C = g.inChannels;
  const dx = like(dy, batch * inputSize(g));
  forEachWindow(g, batch, (o, taps, count) => {
    for (let t = 0; t < count; t++) for (let c = 0; c < C; c++) dx[taps[t] + c] += dy[o + c] / count;
  });
  return dx;
}

