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
 * Loops are generated per body, as the elementwise kernels are (kernels.ts): a shared loop calling
 * a callback per tap costs several times more. A tap loop visits every (output pixel, filter tap)
 * pair inside the image; the body sees `p`, the offset of the tap's first channel in the patch
 * matrix row, `i`, the input pixel's offset, `o`, the output pixel's offset, and C, M, K, CM.
 */
type TapLoop = (g: ConvGeometry, batch: number, a: FloatArray, b: FloatArray, c?: FloatArray) => void;

function tapLoop(body: string): TapLoop {
  return new Function("g", "batch", "a", "b", "c", `
    "use strict";
    const H = g.inHeight, W = g.inWidth, C = g.inChannels, KH = g.filterHeight, KW = g.filterWidth;
    const OH = g.outHeight, OW = g.outWidth, sh = g.strideHeight, sw = g.strideWidth;
    const dh = g.dilationHeight, dw = g.dilationWidth, pt = g.padTop, pl = g.padLeft;
    const K = KH * KW * C, CM = g.outChannels, M = CM / C;
    let p0 = 0, o = 0;
    for (let n = 0; n < batch; n++) {
      for (let oh = 0; oh < OH; oh++) {
        for (let ow = 0; ow < OW; ow++, p0 += K, o += CM) {
          for (let kh = 0; kh < KH; kh++) {
            const ih = oh * sh - pt + kh * dh;
            if (ih < 0 || ih >= H) continue;
            for (let kw = 0; kw < KW; kw++) {
              const iw = ow * sw - pl + kw * dw;
              if (iw < 0 || iw >= W) continue;
              const p = p0 + (kh * KW + kw) * C, i = ((n * H + ih) * W + iw) * C;
              ${body}
            }
          }
        }
      }
    }
  `) as TapLoop;
}

const im2colLoop = tapLoop("for (let ch = 0; ch < C; ch++) a[p + ch] = b[i + ch];");
const col2imLoop = tapLoop("for (let ch = 0; ch < C; ch++) b[i + ch] += a[p + ch];");
// One channel (grey images, the first layer) is common enough for loops without the channel loop.
const im2colLoop1 = tapLoop("a[p] = b[i];");
const col2imLoop1 = tapLoop("b[i] += a[p];");

/** The patch matrix [batch·outHeight·outWidth, filterHeight·filterWidth·inChannels], zeros where padded. */
export function im2col(x: FloatArray, g: ConvGeometry): FloatArray {
  if (patchesAreInput(g)) return x;
  const batch = x.length / inputSize(g);
  const cols = like(x, batch * g.outHeight * g.outWidth * patchSize(g));
  (g.inChannels === 1 ? im2colLoop1 : im2colLoop)(g, batch, cols, x);
  return cols;
}

/** The adjoint of im2col: each patch entry is added back onto the input pixel it came from. */
export function col2im(cols: FloatArray, g: ConvGeometry, batch: number): FloatArray {
  if (patchesAreInput(g)) return cols;
  const x = like(cols, batch * inputSize(g));
  (g.inChannels === 1 ? col2imLoop1 : col2imLoop)(g, batch, cols, x);
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

/** y[N,OH,OW,F] = conv2d(x[N,H,W,C], w[KH,KW,C,F]); `patches` is im2col(x) if already made. */
export function conv2dForward(x: FloatArray, w: FloatArray, g: ConvGeometry, patches = im2col(x, g)): FloatArray {
  const batch = x.length / inputSize(g);
  const rows = batch * g.outHeight * g.outWidth;
  const out = like(x, rows * g.outChannels);
  product(view(patches, rows, patchSize(g)), view(w, patchSize(g), g.outChannels), out);
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
export function conv2dBackpropFilter(x: FloatArray, dy: FloatArray, g: ConvGeometry, patchMatrix = im2col(x, g)): FloatArray {
  const batch = x.length / inputSize(g);
  const rows = batch * g.outHeight * g.outWidth, K = patchSize(g), F = g.outChannels;
  const patches = view(patchMatrix, rows, K), gradients = view(dy, rows, F);
  const out = like(x, K * F);
  // The operand read transposed is gathered element by element: make it the narrower one.
  if (K <= F) {
    product(flip(patches), gradients, out);
    return out;
  }
  const transposedResult = like(x, F * K);
  product(flip(gradients), patches, transposedResult);
  for (let f = 0; f < F; f++) for (let k = 0; k < K; k++) out[k * F + f] = transposedResult[f * K + k];
  return out;
}

/**
 * Depthwise convolution, out[n,oh,ow,c·M+m] = Σ x[n,ih,iw,c]·w[kh,kw,c,m]: the forward pass and
 * both gradients are the same tap loop accumulating into a different array.
 */
const depthwiseTerms = (statement: string) => tapLoop(`
  const f = (kh * KW + kw) * CM;
  for (let ch = 0; ch < C; ch++) for (let m = 0; m < M; m++) { const xi = i + ch, fi = f + ch * M + m, oi = o + ch * M + m; ${statement} }
`);
// a, b, c are (x, w, out), (dy, w, dx) and (x, dy, dw) respectively.
const depthwiseForwardLoop = depthwiseTerms("c[oi] += a[xi] * b[fi];");
const depthwiseInputLoop = depthwiseTerms("c[xi] += a[oi] * b[fi];");
const depthwiseFilterLoop = depthwiseTerms("c[fi] += a[xi] * b[oi];");

export function depthwiseForward(x: FloatArray, w: FloatArray, g: ConvGeometry): FloatArray {
  const batch = x.length / inputSize(g);
  const out = like(x, batch * outputSize(g));
  depthwiseForwardLoop(g, batch, x, w, out);
  return out;
}

export function depthwiseBackpropInput(dy: FloatArray, w: FloatArray, g: ConvGeometry): FloatArray {
  const batch = dy.length / outputSize(g);
  const dx = like(dy, batch * inputSize(g));
  depthwiseInputLoop(g, batch, dy, w, dx);
  return dx;
}

export function depthwiseBackpropFilter(x: FloatArray, dy: FloatArray, g: ConvGeometry): FloatArray {
  const batch = x.length / inputSize(g);
  const dw = like(x, g.filterHeight * g.filterWidth * g.outChannels);
  depthwiseFilterLoop(g, batch, x, dy, dw);
  return dw;
}

/**
 * A pooling loop, generated like the tap loops. Per output pixel, with one running value `s[ch]`
 * (and index `t[ch]`) per channel: `start` runs for each channel, then `tap` for each input index
 * `i` of the window inside the image (`count` of them) and each channel, then `end`. Channels
 * are the innermost loop, so the input is read contiguously.
 */
type WindowLoop = (g: ConvGeometry, batch: number, a: FloatArray, b: FloatArray, indices?: Int32Array) => void;

function windowLoop(start: string, tap: string, end: string): WindowLoop {
  return new Function("g", "batch", "a", "b", "indices", `
    "use strict";
    const H = g.inHeight, W = g.inWidth, C = g.inChannels, KH = g.filterHeight, KW = g.filterWidth;
    const s = new Float64Array(C), t = new Int32Array(C);
    let o = 0;
    for (let n = 0; n < batch; n++) {
      for (let oh = 0; oh < g.outHeight; oh++) {
        const h0 = oh * g.strideHeight - g.padTop, hs = Math.max(h0, 0), he = Math.min(h0 + KH, H);
        for (let ow = 0; ow < g.outWidth; ow++, o += C) {
          const w0 = ow * g.strideWidth - g.padLeft, ws = Math.max(w0, 0), we = Math.min(w0 + KW, W);
          const count = (he - hs) * (we - ws);
          for (let ch = 0; ch < C; ch++) { ${start} }
          for (let ih = hs; ih < he; ih++) {
            for (let iw = ws, base = ((n * H + ih) * W + ws) * C; iw < we; iw++, base += C) {
              for (let ch = 0, i = base; ch < C; ch++, i++) { ${tap} }
            }
          }
          for (let ch = 0; ch < C; ch++) { ${end} }
        }
      }
    }
  `) as WindowLoop;
}

// a is the input, b the output (dx and dy for the average's gradient).
const maxPoolLoop = windowLoop(
  "s[ch] = -Infinity; t[ch] = -1;",
  // NaN wins, as TF's max pooling propagates it.
  "const v = a[i]; if (t[ch] < 0 || v > s[ch] || v !== v) { s[ch] = v; t[ch] = i; }",
  "b[o + ch] = s[ch]; indices[o + ch] = t[ch];",
);
const avgPoolLoop = windowLoop("s[ch] = 0;", "s[ch] += a[i];", "b[o + ch] = s[ch] / count;");
const avgPoolGradLoop = windowLoop("s[ch] = b[o + ch] / count;", "a[i] += s[ch];", "");

/** The maximum of each window and, per output element, the flat input index it came from (first on ties). */
export function maxPoolForward(x: FloatArray, g: ConvGeometry): { out: FloatArray; argmax: Int32Array } {
  const batch = x.length / inputSize(g);
  const out = like(x, batch * outputSize(g));
  const argmax = new Int32Array(out.length);
  maxPoolLoop(g, batch, x, out, argmax);
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
  const batch = x.length / inputSize(g);
  const out = like(x, batch * outputSize(g));
  avgPoolLoop(g, batch, x, out);
  return out;
}

export function avgPoolBackprop(dy: FloatArray, g: ConvGeometry): FloatArray {
  const batch = dy.length / outputSize(g);
  const dx = like(dy, batch * inputSize(g));
  avgPoolGradLoop(g, batch, dx, dy);
  return dx;
}
