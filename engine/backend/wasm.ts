/**
 * The WebAssembly SIMD backend: float32 kernels from wasm/elementwise.wat and wasm/reduce.wat,
 * and the engine's gemm. Float32 results live in the kernels' shared memory (wasm/memory.ts)
 * while its budget lasts, so chained ops read and write them in place; ordinary operands are
 * streamed through staging blocks (wasm/placement.ts). Other dtypes (float64, int32, bool), and
 * arrays too small to gain, run on the JavaScript backend.
 */
import { allocate, type TypedArray } from "../storage/dtype";
import type { Shape } from "../storage/shape";
import { matmulBatchInto as gemmBatch, matmulInto as gemm, simdGemmAvailable, storedMatrix, useKernelMemory } from "./gemm";
import { denseMatmulInto, isSparse, trySparseMatmul } from "./kernels";
import { jsBackend } from "./js";
import type { Backend, MiddleReducer, SoftmaxKind } from "./types";
import { wasmConvKernels } from "./wasm/conv";
import { ELEMENTWISE_WASM } from "./wasm/elementwise-wasm";
import { KernelMemory, uninitialisedFloats } from "./wasm/memory";
import { parallelKernels, WARM_PARALLEL_MIN } from "./wasm/parallel";
import { wasmElementwise, type ElementwiseModule as ElementwiseLoops } from "./wasm/elementwise";
import { CHUNK, placed as placedIn, Placement, Streams } from "./wasm/placement";
import { REDUCE_WASM } from "./wasm/reduce-wasm";
import { transposePlan } from "./wasm/transpose";

interface ElementwiseModule extends ElementwiseLoops {
  add_scaled(a: number, b: number, scale: number, out: number, n: number): void;
  softmax_rows(x: number, outer: number, inner: number, out: number, kind: number): void;
}

interface ReduceModule {
  sum_rows(x: number, outer: number, inner: number, out: number): void;
  sum_span(x: number, n: number, out: number): void;
  prod_rows(x: number, outer: number, inner: number, out: number): void;
  extreme_rows(x: number, outer: number, inner: number, out: number, lowest: number): void;
  reduce_middle(x: number, outer: number, mid: number, inner: number, out: number, kind: number): void;
  transpose(x: number, rows: number, cols: number, xStride: number, out: number, outStride: number): void;
}

const decode = (base64: string): Uint8Array<ArrayBuffer> => Uint8Array.from(atob(base64), (ch) => ch.charCodeAt(0));
const MIDDLE_KINDS: MiddleReducer[] = ["sum", "max", "min", "prod"];
const SOFTMAX_KINDS: SoftmaxKind[] = ["softmax", "logSoftmax", "logSumExp"];

/** Whether this runtime runs the kernels: WebAssembly SIMD and shared memory (the modules themselves are the probe). */
export function wasmSimdSupported(): boolean {
  try {
    return typeof WebAssembly === "object" && WebAssembly.validate(decode(ELEMENTWISE_WASM)) && WebAssembly.validate(decode(REDUCE_WASM))
      && new WebAssembly.Memory({ initial: 1, maximum: 1, shared: true }).buffer instanceof SharedArrayBuffer;
  } catch {
    return false;
  }
}

const isF32 = (x: TypedArray): x is Float32Array => x instanceof Float32Array;
/**
 * Whether more than a quarter of 32 scattered elements are non-zero, where a sparse operand
 * (at most an eighth non-zero) seldom has more than four. Only speed depends on it: the
 * positions are spread multiplicatively so that no regular pattern (one-hot rows, a diagonal)
 * lines up with them.
 */
function looksDense(x: TypedArray, offset: number, size: number): boolean {
  if (size < 1024) return false;
  let nonZero = 0;
  for (let i = 0; i < 32; i++) if (x[offset + (((i * 2654435761) >>> 0) % size)] !== 0) nonZero++;
  return nonZero > 8;
}

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
  const imports = { env: { memory: memory.memory } };
  const elementwiseModule = new WebAssembly.Module(decode(ELEMENTWISE_WASM));
  const kernels = new WebAssembly.Instance(elementwiseModule, imports).exports as unknown as ElementwiseModule;
  const parallel = parallelKernels(memory.memory, elementwiseModule);
  const reduceModule = new WebAssembly.Module(decode(REDUCE_WASM));
  const reducers = new WebAssembly.Instance(reduceModule, imports).exports as unknown as ReduceModule;
  const parallelReducers = parallelKernels(memory.memory, reduceModule);
  // One float64 per thread for the pieces of a long sum.
  const partials = memory.temporary(128)!.offset;
  const streams = new Streams(memory);
  const small = (n: number) => n < Math.max(minElements, 1);

  const placed = (compute: (place: Placement) => (() => void) | null) => placedIn(memory, compute, streams.placement);
  const elementwise = wasmElementwise(memory, kernels, parallel, streams);

  /** Σ x in float64 pieces: split across threads when it lives in kernel memory, else streamed in chunks. */
  function longSum(x: Float32Array): number {
    const at = memory.offsetOf(x);
    const threads = at !== undefined && x.length >= WARM_PARALLEL_MIN ? parallelReducers() : null;
    if (at !== undefined && threads?.worth(x.length)) {
      let part = 0;
      threads.split("sum_span", x.length, (from, count) => [at + from * 4, count, partials + 8 * part++]);
      return new Float64Array(memory.memory.buffer, partials, part).reduce((total, piece) => total + piece, 0);
    }
    let total = 0;
    streams.read(x, (offset, count) => {
      reducers.sum_span(offset, count, partials);
      total += new Float64Array(memory.memory.buffer, partials, 1)[0];
    });
    return total;
  }

  return {
    name: "wasm",
    ...wasmConvKernels(memory, jsBackend),
    allocateOutput(dtype, size) {
      if (dtype !== "float32") return allocate(dtype, size);
      return (size >= residentMinElements && memory.resident(size)) || (size >= 4096 && size <= 2 ** 30 ? uninitialisedFloats(size) : allocate(dtype, size));
    },
    binary(op, a, aShape, b, bShape, out, outShape) {
      const done = isF32(a) && isF32(b) && isF32(out) && !small(out.length) && elementwise.binary(op, a, aShape, b, bShape, out, outShape);
      if (!done) jsBackend.binary(op, a, aShape, b, bShape, out, outShape);
    },
    unary(op, x, out) {
      if (!isF32(x) || !isF32(out) || small(out.length)) return jsBackend.unary(op, x, out);
      elementwise.unary(op, x, out);
    },
    addScaled(a, b, scale, out) {
      const n = out.length;
      if (!isF32(a) || !isF32(b) || !isF32(out) || small(n)) return jsBackend.addScaled(a, b, scale, out);
      if (n >= WARM_PARALLEL_MIN && memory.offsetOf(a) !== undefined && memory.offsetOf(b) !== undefined) {
        const threads = parallel();
        if (threads?.worth(n) && placed((place) => {
          const pa = place.input(a), pb = place.input(b), po = place.output(out, false);
          return () => threads.split("add_scaled", n, (from, count) => [pa + from * 4, pb + from * 4, scale, po + from * 4, count]);
        })) return;
      }
      streams.run(a, b, out, (pa, pb, po, count) => kernels.add_scaled(pa, pb, scale, po, count));
    },
    reduceRows(x, outer, inner, kind, out) {
      if (kind === "sum" && outer === 1 && isF32(x) && inner >= CHUNK) return void (out[0] = longSum(x));
      const done = (kind === "sum" || kind === "max" || kind === "min" || kind === "prod") && isF32(x) && isF32(out) && !small(x.length) && inner > 0 && placed((place) => {
        const px = place.input(x), po = place.output(out);
        if (kind === "sum") return () => reducers.sum_rows(px, outer, inner, po);
        if (kind === "prod") return () => reducers.prod_rows(px, outer, inner, po);
        return () => reducers.extreme_rows(px, outer, inner, po, kind === "min" ? 1 : 0);
      });
      if (!done) jsBackend.reduceRows(x, outer, inner, kind, out);
    },
    reduceMiddle(x, outer, mid, inner, kind, out) {
      const done = isF32(x) && isF32(out) && !small(x.length) && mid > 0 && inner > 0 && placed((place) => {
        const px = place.input(x), po = place.output(out);
        return () => reducers.reduce_middle(px, outer, mid, inner, po, MIDDLE_KINDS.indexOf(kind));
      });
      if (!done) jsBackend.reduceMiddle(x, outer, mid, inner, kind, out);
    },
    softmaxRows(x, outer, inner, kind, out) {
      const done = isF32(x) && isF32(out) && !small(x.length) && inner > 0 && placed((place) => {
        const px = place.input(x), po = place.output(out);
        return () => kernels.softmax_rows(px, outer, inner, po, SOFTMAX_KINDS.indexOf(kind));
      });
      if (!done) jsBackend.softmaxRows(x, outer, inner, kind, out);
    },
    transpose(x, shape, perm, out) {
      const plan = isF32(x) && isF32(out) && !small(x.length) ? transposePlan(shape, perm) : null;
      const done = plan !== null && placed((place) => {
        const px = place.input(x as Float32Array), po = place.output(out as Float32Array);
        return () => plan.forEachTile((xAt, outAt) => reducers.transpose(px + xAt * 4, plan.rows, plan.cols, plan.xStride, po + outAt * 4, plan.outStride));
      });
      if (!done) jsBackend.transpose(x, shape, perm, out);
    },
    matmul(a, aOff, b, bOff, c, cOff, m, k, n, transposeA = false, transposeB = false) {
      const plain = !transposeA && !transposeB;
      // Counting an operand's zeros costs an eighth of it or more; a dense-looking sample skips that.
      const aDense = looksDense(a, aOff, m * k), bDense = looksDense(b, bOff, k * n);
      if (plain && !(aDense && bDense) && trySparseMatmul(a, aOff, b, bOff, c, cOff, m, k, n)) return;
      // Mostly-zero operands (the seeds of vectorised Jacobians) cost less on the sparse loops, transposed too.
      const sparse = !plain && ((!aDense && isSparse(a, aOff, m * k)) || (!bDense && isSparse(b, bOff, k * n)));
      if (isF32(a) && isF32(b) && isF32(c) && !sparse && simdGemmAvailable(m * k * n)) {
        return gemm(storedMatrix(a, aOff, m, k, transposeA), storedMatrix(b, bOff, k, n, transposeB), c, false, cOff);
      }
      if (plain) denseMatmulInto(a, aOff, b, bOff, c, cOff, m, k, n);
      else jsBackend.matmul(a, aOff, b, bOff, c, cOff, m, k, n, transposeA, transposeB);
    },
    batchMatmul(a, aOffsets, b, bOffsets, c, m, k, n, transposeA = false, transposeB = false) {
      // Mostly-zero operands go matrix by matrix, where the sparse loops apply.
      if (isF32(a) && isF32(b) && isF32(c) && !isSparse(a, 0, a.length) && !isSparse(b, 0, b.length) && simdGemmAvailable(m * k * n * aOffsets.length)) {
        return gemmBatch(storedMatrix(a, 0, m, k, transposeA), storedMatrix(b, 0, k, n, transposeB), c, aOffsets, bOffsets);
      }
      aOffsets.forEach((aOff, i) => this.matmul(a, aOff, b, bOffsets[i], c, i * m * n, m, k, n, transposeA, transposeB));
    },
  };
}
