/**
 * The WebAssembly SIMD backend: float32 kernels from wasm/elementwise.wat and the engine's gemm.
 * Operands are copied into the module's memory and results copied back out (tensor values live
 * in ordinary typed arrays). Other dtypes, arrays too small to pay for the copies, broadcasting
 * patterns without a fast path, and transposes run on the JavaScript backend.
 */
import type { TypedArray } from "../dtype";
import { matmulInto as gemm, matrix, simdGemmAvailable } from "../gemm";
import { denseMatmulInto, trySparseMatmul } from "../kernels";
import type { Shape } from "../shape";
import { jsBackend } from "./js";
import { UNARY_KERNELS, type Backend, type BinaryKernelName } from "./types";
import { ELEMENTWISE_WASM } from "./wasm/elementwise-wasm";

type BinaryLoop = (a: number, aStep: number, b: number, bStep: number, out: number, n: number) => void;

interface ElementwiseModule extends Record<BinaryKernelName, BinaryLoop> {
  memory: WebAssembly.Memory;
  unary(op: number, x: number, out: number, n: number): void;
  sum_rows(x: number, outer: number, inner: number, out: number): void;
  extreme_rows(x: number, outer: number, inner: number, out: number, lowest: number): void;
}

const moduleBytes = (): Uint8Array<ArrayBuffer> => Uint8Array.from(atob(ELEMENTWISE_WASM), (ch) => ch.charCodeAt(0));

/** Whether this runtime validates WebAssembly SIMD (the kernels' own module is the probe). */
export function wasmSimdSupported(): boolean {
  try {
    return typeof WebAssembly === "object" && WebAssembly.validate(moduleBytes());
  } catch {
    return false;
  }
}

let loaded: ElementwiseModule | undefined;
function kernels(): ElementwiseModule {
  loaded ??= new WebAssembly.Instance(new WebAssembly.Module(moduleBytes()), {}).exports as unknown as ElementwiseModule;
  return loaded;
}

const PAGE_BYTES = 65536;
/** Each operand gets whole vectors plus one spare, so row loops may run past a row's end. */
const slotFloats = (n: number): number => (Math.ceil(n / 4) + 1) * 4;

/** Float32 views of consecutive slots in the module's memory, growing it when needed (null when it cannot grow). */
function slots(sizes: number[]): { heap: Float32Array; offsets: number[] } | null {
  const { memory } = kernels();
  const offsets: number[] = [];
  let floats = 0;
  for (const size of sizes) { offsets.push(floats); floats += slotFloats(size); }
  const missing = floats * 4 - memory.buffer.byteLength;
  if (missing > 0) {
    try { memory.grow(Math.ceil(missing / PAGE_BYTES)); } catch { return null; }
  }
  return { heap: new Float32Array(memory.buffer), offsets };
}

const isF32 = (x: TypedArray): x is Float32Array => x instanceof Float32Array;
/** Below this, a row loop's call per row costs more than its SIMD saves. */
const MIN_ROW = 16;

export interface WasmBackendOptions {
  /** Arrays with fewer elements run on the JavaScript backend (copying them in and out would cost more). */
  minElements: number;
}

export function createWasmBackend({ minElements }: WasmBackendOptions): Backend {
  const small = (n: number) => n < Math.max(minElements, 1);

  /** Runs `loop` with b read as one row of `cols` repeated under each row of a; a is the full operand. */
  function rowBroadcast(loop: BinaryLoop, full: Float32Array, row: Float32Array, fullIsLeft: boolean, out: Float32Array, cols: number): boolean {
    const place = slots([full.length, row.length, out.length]);
    if (!place) return false;
    const { heap, offsets: [f, r, o] } = place;
    heap.set(full, f);
    heap.set(row, r);
    for (let start = 0; start < out.length; start += cols) {
      const fullAt = (f + start) * 4, outAt = (o + start) * 4;
      if (fullIsLeft) loop(fullAt, 16, r * 4, 16, outAt, cols);
      else loop(r * 4, 16, fullAt, 16, outAt, cols);
    }
    out.set(heap.subarray(o, o + out.length));
    return true;
  }

  function elementwise(op: BinaryKernelName, a: Float32Array, b: Float32Array, out: Float32Array, outShape: Shape, aShape: Shape, bShape: Shape): boolean {
    const loop = kernels()[op];
    const n = out.length;
    const cols = outShape.length ? outShape[outShape.length - 1] : 1;
    const isRow = (x: Float32Array, shape: Shape) => x.length === cols && cols >= MIN_ROW && shape[shape.length - 1] === cols;
    if (a.length === n && b.length === n || a.length === 1 && b.length === n || b.length === 1 && a.length === n) {
      const place = slots([n, n, n]);
      if (!place) return false;
      const { heap, offsets: [pa, pb, po] } = place;
      // A one-element operand is stored as one whole vector and re-read at every step.
      if (a.length === 1) heap.fill(a[0], pa, pa + 4); else heap.set(a, pa);
      if (b.length === 1) heap.fill(b[0], pb, pb + 4); else heap.set(b, pb);
      loop(pa * 4, a.length === 1 ? 0 : 16, pb * 4, b.length === 1 ? 0 : 16, po * 4, n);
      out.set(heap.subarray(po, po + n));
      return true;
    }
    if (a.length === n && isRow(b, bShape)) return rowBroadcast(loop, a, b, true, out, cols);
    if (b.length === n && isRow(a, aShape)) return rowBroadcast(loop, b, a, false, out, cols);
    return false;
  }

  return {
    name: "wasm",
    binary(op, a, aShape, b, bShape, out, outShape) {
      const done = isF32(a) && isF32(b) && isF32(out) && !small(out.length) && elementwise(op, a, b, out, outShape, aShape, bShape);
      if (!done) jsBackend.binary(op, a, aShape, b, bShape, out, outShape);
    },
    unary(op, x, out) {
      const n = out.length;
      const place = isF32(x) && isF32(out) && !small(n) ? slots([n]) : null;
      if (!place) return jsBackend.unary(op, x, out);
      const { heap, offsets: [px] } = place;
      heap.set(x, px);
      kernels().unary(UNARY_KERNELS.indexOf(op), px * 4, px * 4, n);
      out.set(heap.subarray(px, px + n));
    },
    reduceRows(x, outer, inner, kind, out) {
      const fast = (kind === "sum" || kind === "max" || kind === "min") && isF32(x) && isF32(out) && !small(x.length) && inner > 0;
      const place = fast ? slots([x.length, outer]) : null;
      if (!place) return jsBackend.reduceRows(x, outer, inner, kind, out);
      const { heap, offsets: [px, po] } = place;
      heap.set(x, px);
      if (kind === "sum") kernels().sum_rows(px * 4, outer, inner, po * 4);
      else kernels().extreme_rows(px * 4, outer, inner, po * 4, kind === "min" ? 1 : 0);
      out.set(heap.subarray(po, po + outer));
    },
    reduceMiddle(x, outer, mid, inner, kind, out) {
      // Each row of the result accumulates the mid rows of its block with the binary loop.
      const place = isF32(x) && isF32(out) && !small(x.length) && inner >= MIN_ROW && mid > 0 ? slots([x.length, out.length]) : null;
      if (!place) return jsBackend.reduceMiddle(x, outer, mid, inner, kind, out);
      const { heap, offsets: [px, po] } = place;
      const loop = kernels()[kind === "sum" ? "add" : kind === "max" ? "maximum" : "minimum"];
      heap.set(x, px);
      for (let o = 0; o < outer; o++) {
        const target = po + o * inner, block = px + o * mid * inner;
        heap.copyWithin(target, block, block + inner);
        for (let m = 1; m < mid; m++) loop(target * 4, 16, (block + m * inner) * 4, 16, target * 4, inner);
      }
      out.set(heap.subarray(po, po + out.length));
    },
    transpose: jsBackend.transpose,
    matmul(a, aOff, b, bOff, c, cOff, m, k, n) {
      if (trySparseMatmul(a, aOff, b, bOff, c, cOff, m, k, n)) return;
      if (isF32(a) && isF32(b) && isF32(c) && simdGemmAvailable(m * k * n)) {
        return gemm(matrix(a.subarray(aOff, aOff + m * k), m, k), matrix(b.subarray(bOff, bOff + k * n), k, n), c.subarray(cOff, cOff + m * n), false);
      }
      denseMatmulInto(a, aOff, b, bOff, c, cOff, m, k, n);
    },
  };
}
