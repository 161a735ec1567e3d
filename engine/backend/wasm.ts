/**
 * The WebAssembly SIMD backend: float32 kernels from wasm/elementwise.wat and the engine's gemm.
 * The float32 results of its elementwise ops and reductions live in the kernels' shared memory
 * (wasm/memory.ts), so chained ops read and write them in place; other operands are copied in
 * and out. Other dtypes, arrays too small to gain, broadcasting patterns without a fast path, and
 * transposes run on the JavaScript backend.
 */
import { allocate, type TypedArray } from "../storage/dtype";
import { matmulInto as gemm, simdGemmAvailable, storedMatrix, useKernelMemory } from "./gemm";
import { denseMatmulInto, isSparse, trySparseMatmul } from "./kernels";
import type { Shape } from "../storage/shape";
import { jsBackend } from "./js";
import { UNARY_KERNELS, type Backend, type BinaryKernelName } from "./types";
import { ELEMENTWISE_WASM } from "./wasm/elementwise-wasm";
import { KernelMemory } from "./wasm/memory";
import { Placement } from "./wasm/placement";

type BinaryLoop = (a: number, aStep: number, b: number, bStep: number, out: number, n: number) => void;

interface ElementwiseModule extends Record<BinaryKernelName, BinaryLoop> {
  unary(op: number, x: number, out: number, n: number): void;
  sum_rows(x: number, outer: number, inner: number, out: number): void;
  extreme_rows(x: number, outer: number, inner: number, out: number, lowest: number): void;
}

const moduleBytes = (): Uint8Array<ArrayBuffer> => Uint8Array.from(atob(ELEMENTWISE_WASM), (ch) => ch.charCodeAt(0));

/** Whether this runtime runs the kernels: WebAssembly SIMD and shared memory (the module itself is the probe). */
export function wasmSimdSupported(): boolean {
  try {
    return typeof WebAssembly === "object" && WebAssembly.validate(moduleBytes())
      && new WebAssembly.Memory({ initial: 1, maximum: 1, shared: true }).buffer instanceof SharedArrayBuffer;
  } catch {
    return false;
  }
}

const isF32 = (x: TypedArray): x is Float32Array => x instanceof Float32Array;
/** Below this, a row loop's call per row costs more than its SIMD saves. */
const MIN_ROW = 16;

export interface WasmBackendOptions {
  /** Arrays with fewer elements run on the JavaScript backend (and are made in ordinary memory). */
  minElements: number;
  /** Float32 results of at least this many elements live in kernel memory (smaller ones gain little from it). */
  residentMinElements: number;
  /** Bytes of results that may live in kernel memory before the garbage collector has given any back. */
  residentBudget: number;
}

export function createWasmBackend({ minElements, residentMinElements, residentBudget }: WasmBackendOptions): Backend {
  const memory = new KernelMemory(residentBudget);
  useKernelMemory(memory);
  const kernels = new WebAssembly.Instance(new WebAssembly.Module(moduleBytes()), { env: { memory: memory.memory } }).exports as unknown as ElementwiseModule;
  const small = (n: number) => n < Math.max(minElements, 1);

  /** Runs `compute` with a placement, and reports whether it ran (false: kernel memory is full). */
  function placed(compute: (place: Placement) => (() => void) | null): boolean {
    const place = new Placement(memory);
    let computed = false;
    try {
      const run = compute(place);
      if (run && place.ok) { run(); computed = true; }
    } finally {
      place.finish(computed);
    }
    return computed;
  }

  function elementwise(op: BinaryKernelName, a: Float32Array, aShape: Shape, b: Float32Array, bShape: Shape, out: Float32Array, outShape: Shape): boolean {
    const loop = kernels[op];
    const n = out.length;
    const cols = outShape.length ? outShape[outShape.length - 1] : 1;
    const isRow = (x: Float32Array, shape: Shape) => x.length === cols && cols >= MIN_ROW && shape[shape.length - 1] === cols;
    const full = (x: Float32Array) => x.length === n;
    const scalar = (x: Float32Array) => x.length === 1;
    if ((full(a) || scalar(a)) && (full(b) || scalar(b))) {
      return placed((place) => {
        // A one-element operand is one whole vector, re-read at every step.
        const pa = scalar(a) ? place.splat(a[0]) : place.input(a), pb = scalar(b) ? place.splat(b[0]) : place.input(b);
        const po = place.output(out);
        return () => loop(pa, scalar(a) ? 0 : 16, pb, scalar(b) ? 0 : 16, po, n);
      });
    }
    const rowRight = full(a) && isRow(b, bShape);
    if (!rowRight && !(full(b) && isRow(a, aShape))) return false;
    return placed((place) => {
      const pa = place.input(a), pb = place.input(b), po = place.output(out);
      // Rows run in order, so what one row's last vector writes past its end the next row overwrites.
      return () => {
        for (let start = 0; start < n; start += cols) {
          const at = start * 4;
          if (rowRight) loop(pa + at, 16, pb, 16, po + at, cols);
          else loop(pa, 16, pb + at, 16, po + at, cols);
        }
      };
    });
  }

  return {
    name: "wasm",
    allocateOutput: (dtype, size) => (dtype === "float32" && size >= residentMinElements && memory.resident(size)) || allocate(dtype, size),
    binary(op, a, aShape, b, bShape, out, outShape) {
      const done = isF32(a) && isF32(b) && isF32(out) && !small(out.length) && elementwise(op, a, aShape, b, bShape, out, outShape);
      if (!done) jsBackend.binary(op, a, aShape, b, bShape, out, outShape);
    },
    unary(op, x, out) {
      const done = isF32(x) && isF32(out) && !small(out.length) && placed((place) => {
        const px = place.input(x), po = place.output(out);
        return () => kernels.unary(UNARY_KERNELS.indexOf(op), px, po, out.length);
      });
      if (!done) jsBackend.unary(op, x, out);
    },
    reduceRows(x, outer, inner, kind, out) {
      const done = (kind === "sum" || kind === "max" || kind === "min") && isF32(x) && isF32(out) && !small(x.length) && inner > 0 && placed((place) => {
        const px = place.input(x), po = place.output(out);
        return kind === "sum" ? () => kernels.sum_rows(px, outer, inner, po) : () => kernels.extreme_rows(px, outer, inner, po, kind === "min" ? 1 : 0);
      });
      if (!done) jsBackend.reduceRows(x, outer, inner, kind, out);
    },
    reduceMiddle(x, outer, mid, inner, kind, out) {
      // Each row of the result accumulates the mid rows of its block with the binary loop.
      const done = isF32(x) && isF32(out) && !small(x.length) && inner >= MIN_ROW && mid > 0 && placed((place) => {
        const px = place.input(x) / 4, po = place.output(out) / 4;
        const loop = kernels[kind === "sum" ? "add" : kind === "max" ? "maximum" : "minimum"];
        return () => {
          const floats = memory.floats();
          for (let o = 0; o < outer; o++) {
            const target = po + o * inner, block = px + o * mid * inner;
            floats.copyWithin(target, block, block + inner);
            for (let m = 1; m < mid; m++) loop(target * 4, 16, (block + m * inner) * 4, 16, target * 4, inner);
          }
        };
      });
      if (!done) jsBackend.reduceMiddle(x, outer, mid, inner, kind, out);
    },
    transpose: jsBackend.transpose,
    matmul(a, aOff, b, bOff, c, cOff, m, k, n, transposeA = false, transposeB = false) {
      const plain = !transposeA && !transposeB;
      if (plain && trySparseMatmul(a, aOff, b, bOff, c, cOff, m, k, n)) return;
      // Mostly-zero operands (the seeds of vectorised Jacobians) cost less on the sparse loops, transposed too.
      const sparse = !plain && (isSparse(a, aOff, m * k) || isSparse(b, bOff, k * n));
      if (isF32(a) && isF32(b) && isF32(c) && !sparse && simdGemmAvailable(m * k * n)) {
        return gemm(storedMatrix(a, aOff, m, k, transposeA), storedMatrix(b, bOff, k, n, transposeB), c, false, cOff);
      }
      if (plain) denseMatmulInto(a, aOff, b, bOff, c, cOff, m, k, n);
      else jsBackend.matmul(a, aOff, b, bOff, c, cOff, m, k, n, transposeA, transposeB);
    },
  };
}
