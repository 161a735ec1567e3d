/**
 * Raw compute on flat typed arrays. Nothing here knows about tapes or gradients.
 *
 * Elementwise kernels are generated from an expression string so that each op gets its own
 * monomorphic loop (a shared loop calling a per-element callback is several times slower).
 */
import type { TypedArray } from "../storage/dtype";
import { broadcastStrides, sizeOf, stridesOf, type Shape } from "../storage/shape";
import type { MiddleReducer, Reducer, SoftmaxKind } from "./types";

export type { Reducer };

export type UnaryKernel = (x: TypedArray, out: TypedArray) => void;
export type BinaryKernel = (a: TypedArray, aShape: Shape, b: TypedArray, bShape: Shape, out: TypedArray, outShape: Shape) => void;

export function unaryKernel(expr: string): UnaryKernel {
  return new Function("x_", "out", `
    "use strict";
    const n = out.length;
    for (let i = 0; i < n; i++) { const x = x_[i]; out[i] = ${expr}; }
  `) as UnaryKernel;
}

export function binaryKernel(expr: string): BinaryKernel {
  // mode 0: same shapes; 1: a is one element; 2: b is one element; 3: general broadcasting.
  const loop = new Function("a", "b", "out", "outShape", "mode", "as", "bs", `
    "use strict";
    const n = out.length;
    if (mode === 0) { for (let i = 0; i < n; i++) { const x = a[i], y = b[i]; out[i] = ${expr}; } return; }
    if (mode === 1) { const x = a[0]; for (let i = 0; i < n; i++) { const y = b[i]; out[i] = ${expr}; } return; }
    if (mode === 2) { const y = b[0]; for (let i = 0; i < n; i++) { const x = a[i]; out[i] = ${expr}; } return; }
    const rank = outShape.length, last = rank - 1, inner = outShape[last];
    const sa = as[last], sb = bs[last];
    const idx = new Array(rank).fill(0);
    let ai = 0, bi = 0;
    for (let i = 0; i < n; i += inner) {
      for (let j = 0; j < inner; j++) { const x = a[ai + j * sa], y = b[bi + j * sb]; out[i + j] = ${expr}; }
      for (let d = last - 1; d >= 0; d--) {
        idx[d]++; ai += as[d]; bi += bs[d];
        if (idx[d] < outShape[d]) break;
        ai -= as[d] * outShape[d]; bi -= bs[d] * outShape[d]; idx[d] = 0;
      }
    }
  `) as (a: TypedArray, b: TypedArray, out: TypedArray, outShape: Shape, mode: number, as?: number[], bs?: number[]) => void;
  return (a, aShape, b, bShape, out, outShape) => {
    if (a.length === out.length && b.length === out.length) loop(a, b, out, outShape, 0);
    else if (a.length === 1) loop(a, b.length === out.length ? b : expand(b, bShape, outShape), out, outShape, 1);
    else if (b.length === 1) loop(a.length === out.length ? a : expand(a, aShape, outShape), b, out, outShape, 2);
    else loop(a, b, out, outShape, 3, broadcastStrides(aShape, outShape), broadcastStrides(bShape, outShape));
  };
}

/** Materialises `x` broadcast to `outShape` (used when a scalar meets a broadcast operand). */
export function expand(x: TypedArray, inShape: Shape, outShape: Shape): TypedArray {
  const out = new (x.constructor as { new (n: number): TypedArray })(sizeOf(outShape));
  copyStrided(x, broadcastStrides(inShape, outShape), out, outShape);
  return out;
}

/** out[i] = x[offset(i)] where offset follows `strides` over `outShape`: broadcasts and permutes. */
export function copyStrided(x: TypedArray, strides: number[], out: TypedArray, outShape: Shape, base = 0): void {
  const rank = outShape.length;
  if (rank === 0) { out[0] = x[base]; return; }
  const last = rank - 1, inner = outShape[last], s = strides[last];
  const idx = new Array(rank).fill(0);
  let xi = base;
  for (let i = 0; i < out.length; i += inner) {
    for (let j = 0; j < inner; j++) out[i + j] = x[xi + j * s];
    for (let d = last - 1; d >= 0; d--) {
      idx[d]++; xi += strides[d];
      if (idx[d] < outShape[d]) break;
      xi -= strides[d] * outShape[d]; idx[d] = 0;
    }
  }
}

export function transposeValues(x: TypedArray, shape: Shape, perm: number[], out: TypedArray): void {
  const strides = stridesOf(shape);
  copyStrided(x, perm.map((p) => strides[p]), out, perm.map((p) => shape[p]));
}

/** Reduces the trailing `inner` elements of each of `outer` rows. */
export function reduceRows(x: TypedArray, outer: number, inner: number, kind: Reducer, out: TypedArray): void {
  for (let o = 0; o < outer; o++) {
    const base = o * inner;
    let acc: number;
    switch (kind) {
      case "sum": {
        // Four running sums let the additions overlap instead of each waiting for the last.
        let s0 = 0, s1 = 0, s2 = 0, s3 = 0, i = 0;
        for (; i + 4 <= inner; i += 4) { s0 += x[base + i]; s1 += x[base + i + 1]; s2 += x[base + i + 2]; s3 += x[base + i + 3]; }
        for (; i < inner; i++) s0 += x[base + i];
        acc = (s0 + s1) + (s2 + s3);
        break;
      }
      case "prod": acc = 1; for (let i = 0; i < inner; i++) acc *= x[base + i]; break;
      case "max": acc = -Infinity; for (let i = 0; i < inner; i++) { const v = x[base + i]; if (v > acc || v !== v) acc = v; } break;
      case "min": acc = Infinity; for (let i = 0; i < inner; i++) { const v = x[base + i]; if (v < acc || v !== v) acc = v; } break;
      case "any": acc = 0; for (let i = 0; i < inner; i++) if (x[base + i]) { acc = 1; break; } break;
      case "all": acc = 1; for (let i = 0; i < inner; i++) if (!x[base + i]) { acc = 0; break; } break;
    }
    out[o] = acc;
  }
}

/**
 * Reduces over the middle axis of an [outer, mid, inner] layout (reducing leading axes of each
 * row), accumulating in `out`'s own precision, one middle row at a time.
 */
export function reduceMiddle(x: TypedArray, outer: number, mid: number, inner: number, kind: MiddleReducer, out: TypedArray): void {
  for (let o = 0; o < outer; o++) {
    const ob = o * inner;
    const xb = o * mid * inner;
    for (let i = 0; i < inner; i++) out[ob + i] = x[xb + i];
    for (let m = 1; m < mid; m++) {
      const row = xb + m * inner;
      if (kind === "sum") for (let i = 0; i < inner; i++) out[ob + i] += x[row + i];
      else if (kind === "prod") for (let i = 0; i < inner; i++) out[ob + i] *= x[row + i];
      else if (kind === "max") for (let i = 0; i < inner; i++) { const v = x[row + i]; if (v > out[ob + i] || v !== v) out[ob + i] = v; }
      else for (let i = 0; i < inner; i++) { const v = x[row + i]; if (v < out[ob + i] || v !== v) out[ob + i] = v; }
    }
  }
}

/**
 * Softmax, logSoftmax or logSumExp of each row, as the composed ops compute them: shifted by
 * the row's maximum (0 where that is not finite), each shifted value and its exponential
 * rounded to the output's precision, the exponentials summed in float64.
 */
export function softmaxRows(x: TypedArray, outer: number, inner: number, kind: SoftmaxKind, out: TypedArray): void {
  const exps = new Float64Array(inner);
  const round = out instanceof Float32Array ? Math.fround : (v: number) => v;
  for (let o = 0; o < outer; o++) {
    const base = o * inner;
    let m = -Infinity;
    for (let i = 0; i < inner; i++) { const v = x[base + i]; if (v > m || v !== v) m = v; }
    if (!Number.isFinite(m)) m = 0;
    let sum = 0;
    for (let i = 0; i < inner; i++) sum += (exps[i] = round(Math.exp(round(x[base + i] - m))));
    const total = round(sum);
    if (kind === "logSumExp") out[o] = Math.log(total) + m;
    else if (kind === "softmax") for (let i = 0; i < inner; i++) out[base + i] = exps[i] / total;
    else { const logTotal = Math.log(total); for (let i = 0; i < inner; i++) out[base + i] = round(x[base + i] - m) - logTotal; }
  }
}

/** C[m,n] = A[m,k] · B[k,n] in plain loops (the sparse shortcut first when it applies). */
export function loopMatmulInto(a: TypedArray, aOff: number, b: TypedArray, bOff: number, c: TypedArray, cOff: number, m: number, k: number, n: number): void {
  if (!trySparseMatmul(a, aOff, b, bOff, c, cOff, m, k, n)) denseMatmulInto(a, aOff, b, bOff, c, cOff, m, k, n);
}

/**
 * Mostly-zero operands (the identity seeds of vectorised Jacobians) cost only their non-zeros.
 * Skipping a zero is exact unless the other operand holds Inf or NaN, so that is checked too.
 * Returns whether it computed the product.
 */
export function trySparseMatmul(a: TypedArray, aOff: number, b: TypedArray, bOff: number, c: TypedArray, cOff: number, m: number, k: number, n: number): boolean {
  if (m * k * n < 4096) return false;
  if (isSparse(b, bOff, k * n) && allFinite(a, aOff, m * k)) { sparseRightMatmul(a, aOff, b, bOff, c, cOff, m, k, n); return true; }
  if (isSparse(a, aOff, m * k) && allFinite(b, bOff, k * n)) { sparseLeftMatmul(a, aOff, b, bOff, c, cOff, m, k, n); return true; }
  return false;
}

/**
 * Each 4×4 block of C is accumulated in registers over a panel of k (sixteen multiply-adds per
 * eight loads), and C is written once per panel; panels of k keep the strip of B being reused
 * in cache.
 */
export function denseMatmulInto(a: TypedArray, aOff: number, b: TypedArray, bOff: number, c: TypedArray, cOff: number, m: number, k: number, n: number): void {
  const KB = 256;
  if (k === 0) c.fill(0, cOff, cOff + m * n);
  for (let k0 = 0; k0 < k; k0 += KB) {
    const k1 = Math.min(k, k0 + KB);
    const first = k0 === 0;
    let j = 0;
    for (; j + 4 <= n; j += 4) {
      let i = 0;
      for (; i + 4 <= m; i += 4) {
        let c00 = 0, c01 = 0, c02 = 0, c03 = 0, c10 = 0, c11 = 0, c12 = 0, c13 = 0;
        let c20 = 0, c21 = 0, c22 = 0, c23 = 0, c30 = 0, c31 = 0, c32 = 0, c33 = 0;
        let pa0 = aOff + i * k + k0;
        const pa1 = k, pa2 = 2 * k, pa3 = 3 * k;
        let pb = bOff + k0 * n + j;
        for (let p = k0; p < k1; p++, pa0++, pb += n) {
          const b0 = b[pb], b1 = b[pb + 1], b2 = b[pb + 2], b3 = b[pb + 3];
          const x0 = a[pa0], x1 = a[pa0 + pa1], x2 = a[pa0 + pa2], x3 = a[pa0 + pa3];
          c00 += x0 * b0; c01 += x0 * b1; c02 += x0 * b2; c03 += x0 * b3;
          c10 += x1 * b0; c11 += x1 * b1; c12 += x1 * b2; c13 += x1 * b3;
          c20 += x2 * b0; c21 += x2 * b1; c22 += x2 * b2; c23 += x2 * b3;
          c30 += x3 * b0; c31 += x3 * b1; c32 += x3 * b2; c33 += x3 * b3;
        }
        const r0 = cOff + i * n + j, r1 = r0 + n, r2 = r1 + n, r3 = r2 + n;
        if (first) {
          c[r0] = c00; c[r0 + 1] = c01; c[r0 + 2] = c02; c[r0 + 3] = c03;
          c[r1] = c10; c[r1 + 1] = c11; c[r1 + 2] = c12; c[r1 + 3] = c13;
          c[r2] = c20; c[r2 + 1] = c21; c[r2 + 2] = c22; c[r2 + 3] = c23;
          c[r3] = c30; c[r3 + 1] = c31; c[r3 + 2] = c32; c[r3 + 3] = c33;
        } else {
          c[r0] += c00; c[r0 + 1] += c01; c[r0 + 2] += c02; c[r0 + 3] += c03;
          c[r1] += c10; c[r1 + 1] += c11; c[r1 + 2] += c12; c[r1 + 3] += c13;
          c[r2] += c20; c[r2 + 1] += c21; c[r2 + 2] += c22; c[r2 + 3] += c23;
          c[r3] += c30; c[r3 + 1] += c31; c[r3 + 2] += c32; c[r3 + 3] += c33;
        }
      }
      for (; i < m; i++) {
        let c0 = 0, c1 = 0, c2 = 0, c3 = 0;
        let pa = aOff + i * k + k0, pb = bOff + k0 * n + j;
        for (let p = k0; p < k1; p++, pa++, pb += n) {
          const x = a[pa];
          c0 += x * b[pb]; c1 += x * b[pb + 1]; c2 += x * b[pb + 2]; c3 += x * b[pb + 3];
        }
        const r = cOff + i * n + j;
        if (first) { c[r] = c0; c[r + 1] = c1; c[r + 2] = c2; c[r + 3] = c3; }
        else { c[r] += c0; c[r + 1] += c1; c[r + 2] += c2; c[r + 3] += c3; }
      }
    }
    for (; j < n; j++) {
      for (let i = 0; i < m; i++) {
        let acc = 0;
        let pa = aOff + i * k + k0, pb = bOff + k0 * n + j;
        for (let p = k0; p < k1; p++, pa++, pb += n) acc += a[pa] * b[pb];
        const r = cOff + i * n + j;
        c[r] = first ? acc : c[r] + acc;
      }
    }
  }
}

export function isSparse(x: TypedArray, off: number, size: number): boolean {
  let nonZero = 0;
  const limit = size >> 3;
  for (let i = off, end = off + size; i < end; i++) if (x[i] !== 0 && ++nonZero > limit) return false;
  return true;
}

function allFinite(x: TypedArray, off: number, size: number): boolean {
  for (let i = off, end = off + size; i < end; i++) if (!Number.isFinite(x[i])) return false;
  return true;
}

function sparseLeftMatmul(a: TypedArray, aOff: number, b: TypedArray, bOff: number, c: TypedArray, cOff: number, m: number, k: number, n: number): void {
  c.fill(0, cOff, cOff + m * n);
  for (let i = 0; i < m; i++) {
    const ci = cOff + i * n;
    for (let p = 0; p < k; p++) {
      const x = a[aOff + i * k + p];
      if (x === 0) continue;
      const bp = bOff + p * n;
      for (let j = 0; j < n; j++) c[ci + j] += x * b[bp + j];
    }
  }
}

function sparseRightMatmul(a: TypedArray, aOff: number, b: TypedArray, bOff: number, c: TypedArray, cOff: number, m: number, k: number, n: number): void {
  c.fill(0, cOff, cOff + m * n);
  for (let p = 0; p < k; p++) {
    for (let j = 0; j < n; j++) {
      const v = b[bOff + p * n + j];
      if (v === 0) continue;
      for (let i = 0; i < m; i++) c[cOff + i * n + j] += a[aOff + i * k + p] * v;
    }
  }
}
