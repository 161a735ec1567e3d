/**
 * Raw compute on flat typed arrays. Nothing here knows about tapes or gradients.
 *
 * Elementwise kernels are generated from an expression string so that each op gets its own
 * monomorphic loop (a shared loop calling a per-element callback is several times slower).
 */
import type { TypedArray } from "./dtype";
import { broadcastStrides, sizeOf, stridesOf, type Shape } from "./shape";

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

export type Reducer = "sum" | "max" | "min" | "prod" | "any" | "all";

/** Reduces the trailing `inner` elements of each of `outer` rows. */
export function reduceRows(x: TypedArray, outer: number, inner: number, kind: Reducer, out: TypedArray): void {
  for (let o = 0; o < outer; o++) {
    const base = o * inner;
    let acc: number;
    switch (kind) {
      case "sum": acc = 0; for (let i = 0; i < inner; i++) acc += x[base + i]; break;
      case "prod": acc = 1; for (let i = 0; i < inner; i++) acc *= x[base + i]; break;
      case "max": acc = -Infinity; for (let i = 0; i < inner; i++) { const v = x[base + i]; if (v > acc || v !== v) acc = v; } break;
      case "min": acc = Infinity; for (let i = 0; i < inner; i++) { const v = x[base + i]; if (v < acc || v !== v) acc = v; } break;
      case "any": acc = 0; for (let i = 0; i < inner; i++) if (x[base + i]) { acc = 1; break; } break;
      case "all": acc = 1; for (let i = 0; i < inner; i++) if (!x[base + i]) { acc = 0; break; } break;
    }
    out[o] = acc;
  }
}

/** Reduces over the middle axis of an [outer, mid, inner] layout (reducing leading axes of each row). */
export function reduceMiddle(x: TypedArray, outer: number, mid: number, inner: number, kind: "sum" | "max" | "min", out: TypedArray): void {
  for (let o = 0; o < outer; o++) {
    const ob = o * inner;
    const xb = o * mid * inner;
    for (let i = 0; i < inner; i++) out[ob + i] = x[xb + i];
    for (let m = 1; m < mid; m++) {
      const row = xb + m * inner;
      if (kind === "sum") for (let i = 0; i < inner; i++) out[ob + i] += x[row + i];
      else if (kind === "max") for (let i = 0; i < inner; i++) { const v = x[row + i]; if (v > out[ob + i] || v !== v) out[ob + i] = v; }
      else for (let i = 0; i < inner; i++) { const v = x[row + i]; if (v < out[ob + i] || v !== v) out[ob + i] = v; }
    }
  }
}

/**
 * C[m,n] = A[m,k] · B[k,n] for row-major matrices at the given offsets. Blocks over k so a panel
 * of B stays in cache, and updates four rows of C per load of B.
 */
export function matmulInto(a: TypedArray, aOff: number, b: TypedArray, bOff: number, c: TypedArray, cOff: number, m: number, k: number, n: number): void {
  c.fill(0, cOff, cOff + m * n);
  const KB = 128;
  for (let k0 = 0; k0 < k; k0 += KB) {
    const k1 = Math.min(k, k0 + KB);
    let i = 0;
    for (; i + 4 <= m; i += 4) {
      const c0 = cOff + i * n, c1 = c0 + n, c2 = c1 + n, c3 = c2 + n;
      const a0 = aOff + i * k, a1 = a0 + k, a2 = a1 + k, a3 = a2 + k;
      for (let p = k0; p < k1; p++) {
        const x0 = a[a0 + p], x1 = a[a1 + p], x2 = a[a2 + p], x3 = a[a3 + p];
        const bp = bOff + p * n;
        for (let j = 0; j < n; j++) {
          const bv = b[bp + j];
          c[c0 + j] += x0 * bv; c[c1 + j] += x1 * bv; c[c2 + j] += x2 * bv; c[c3 + j] += x3 * bv;
        }
      }
    }
    for (; i < m; i++) {
      const ci = cOff + i * n, ai = aOff + i * k;
      for (let p = k0; p < k1; p++) {
        const x = a[ai + p];
        const bp = bOff + p * n;
        for (let j = 0; j < n; j++) c[ci + j] += x * b[bp + j];
      }
    }
  }
}
