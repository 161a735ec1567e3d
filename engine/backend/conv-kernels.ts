/**
 * The JavaScript reference of the convolution and pooling kernels (conv-types.ts): plain loops
 * on flat NHWC arrays, float32 and float64 alike, that every faster backend is tested against.
 */
import { inputSize, outputSize, type ConvGeometry, type ConvKernels, type FloatArray } from "./conv-types";

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

const imagesOf = (x: FloatArray, g: ConvGeometry) => x.length / inputSize(g);
const outputsOf = (y: FloatArray, g: ConvGeometry) => y.length / outputSize(g);

/**
 * Depthwise convolution: the forward pass and both gradients are the same tap loop accumulating
 * into a different array.
 */
const depthwiseTerms = (statement: string) => tapLoop(`
  const f = (kh * KW + kw) * CM;
  for (let ch = 0; ch < C; ch++) for (let m = 0; m < M; m++) { const xi = i + ch, fi = f + ch * M + m, oi = o + ch * M + m; ${statement} }
`);
// a, b, c are (x, w, out), (dy, w, dx) and (x, dy, dw) respectively.
const depthwiseForwardLoop = depthwiseTerms("c[oi] += a[xi] * b[fi];");
const depthwiseInputLoop = depthwiseTerms("c[xi] += a[oi] * b[fi];");
const depthwiseFilterLoop = depthwiseTerms("c[fi] += a[xi] * b[oi];");

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
          const count = Math.max(he - hs, 0) * Math.max(we - ws, 0);
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

export const jsConvKernels: ConvKernels = {
  im2col(x, g, out) {
    out.fill(0);
    (g.inChannels === 1 ? im2colLoop1 : im2colLoop)(g, imagesOf(x, g), out, x);
  },
  col2im(cols, g, out) {
    out.fill(0);
    (g.inChannels === 1 ? col2imLoop1 : col2imLoop)(g, imagesOf(out, g), cols, out);
  },
  depthwiseConv2d(x, w, g, out) {
    out.fill(0);
    depthwiseForwardLoop(g, imagesOf(x, g), x, w, out);
  },
  depthwiseBackpropInput(dy, w, g, out) {
    out.fill(0);
    depthwiseInputLoop(g, outputsOf(dy, g), dy, w, out);
  },
  depthwiseBackpropFilter(x, dy, g, out) {
    out.fill(0);
    depthwiseFilterLoop(g, imagesOf(x, g), x, dy, out);
  },
  maxPool: (x, g, out, argmax) => maxPoolLoop(g, imagesOf(x, g), x, out, argmax),
  maxPoolBackprop(dy, argmax, g, out) {
    out.fill(0);
    const size = out.length / (dy.length / argmax.length);
    for (let base = 0, src = 0; src < dy.length; base += size) {
      for (let i = 0; i < argmax.length; i++, src++) out[base + argmax[i]] += dy[src];
    }
  },
  maxPoolGradGrad(grad, argmax, g, out) {
    const size = grad.length / (out.length / argmax.length);
    for (let base = 0, dst = 0; dst < out.length; base += size) {
      for (let i = 0; i < argmax.length; i++, dst++) out[dst] = grad[base + argmax[i]];
    }
  },
  avgPool: (x, g, out) => avgPoolLoop(g, imagesOf(x, g), x, out),
  avgPoolBackprop(dy, g, out) {
    out.fill(0);
    avgPoolGradLoop(g, outputsOf(dy, g), out, dy);
  },
};
