/**
 * Float32 matrix products: a WebAssembly SIMD kernel (wasm/gemm.wat) for
 * products big enough to pay for packing the operands into its memory, plain loops otherwise
 * (and wherever WebAssembly SIMD is unavailable).
 */
import { GEMM_WASM } from "./wasm/gemm-wasm";

/** A float32 matrix inside a flat array: element (i, j) is values[i·rowStride + j·colStride]. */
export interface MatrixView {
  values: Float32Array;
  rows: number;
  cols: number;
  rowStride: number;
  colStride: number;
}

export function matrix(values: Float32Array, rows: number, cols: number): MatrixView {
  return { values, rows, cols, rowStride: cols, colStride: 1 };
}

/** The transpose, without copying. */
export function transposed(m: MatrixView): MatrixView {
  return { values: m.values, rows: m.cols, cols: m.rows, rowStride: m.colStride, colStride: m.rowStride };
}

interface GemmKernel {
  memory: WebAssembly.Memory;
  gemm(a: number, b: number, c: number, m: number, k: number, n: number): void;
}

let kernel: GemmKernel | null | undefined;

function loadKernel(): GemmKernel | null {
  if (kernel !== undefined) return kernel;
  try {
    const bytes = Uint8Array.from(atob(GEMM_WASM), (ch) => ch.charCodeAt(0));
    kernel = new WebAssembly.Instance(new WebAssembly.Module(bytes), {}).exports as unknown as GemmKernel;
  } catch {
    kernel = null;
  }
  return kernel;
}

/** Below this many multiply-adds, packing for the kernel costs more than it saves. */
const WASM_MIN_WORK = 8192;

/** When false, every product runs as plain loops (for comparing the two paths). */
export const matmulSettings = { useWasm: true };

/** Whether a product of `work` multiply-adds runs on the SIMD kernel. */
export function simdGemmAvailable(work: number): boolean {
  return matmulSettings.useWasm && work >= WASM_MIN_WORK && loadKernel() !== null;
}

/** out[m×n] (row-major) = (accumulate ? out : 0) + a[m×k] · b[k×n]. */
export function matmulInto(a: MatrixView, b: MatrixView, out: Float32Array, accumulate: boolean): void {
  if (a.cols !== b.rows) throw new Error(`matmul: inner dimensions differ (${a.rows}×${a.cols} · ${b.rows}×${b.cols})`);
  const gemm = matmulSettings.useWasm && a.rows * a.cols * b.cols >= WASM_MIN_WORK ? loadKernel() : null;
  if (gemm) wasmMatmul(gemm, a, b, out, accumulate);
  else loopMatmul(a, b, out, accumulate);
}

function loopMatmul(a: MatrixView, b: MatrixView, out: Float32Array, accumulate: boolean): void {
  const m = a.rows, k = a.cols, n = b.cols;
  if (!accumulate) out.fill(0, 0, m * n);
  const av = a.values, bv = b.values;
  for (let i = 0; i < m; i++) {
    const o = i * n;
    for (let p = 0; p < k; p++) {
      const x = av[i * a.rowStride + p * a.colStride];
      if (x === 0) continue;
      const row = p * b.rowStride;
      for (let j = 0; j < n; j++) out[o + j] += x * bv[row + j * b.colStride];
    }
  }
}

const roundUp = (value: number, multiple: number) => Math.ceil(value / multiple) * multiple;

/** Copies a view into `heap` at `offset` as a dense rows × paddedCols block, zero-padded. */
function pack(view: MatrixView, heap: Float32Array, offset: number, paddedRows: number, paddedCols: number): void {
  const { values, rows, cols, rowStride, colStride } = view;
  if (colStride === 1 && rowStride === cols && paddedCols === cols) {
    heap.set(values.subarray(0, rows * cols), offset);
  } else {
    for (let i = 0; i < rows; i++) {
      const base = offset + i * paddedCols, from = i * rowStride;
      if (colStride === 1) heap.set(values.subarray(from, from + cols), base);
      else for (let j = 0; j < cols; j++) heap[base + j] = values[from + j * colStride];
      heap.fill(0, base + cols, base + paddedCols);
    }
  }
  heap.fill(0, offset + rows * paddedCols, offset + paddedRows * paddedCols);
}

function wasmMatmul(gemm: GemmKernel, a: MatrixView, b: MatrixView, out: Float32Array, accumulate: boolean): void {
  const m = a.rows, k = a.cols, n = b.cols;
  const m4 = roundUp(m, 4), n8 = roundUp(n, 8);
  const aOffset = 0, bOffset = m4 * k, cOffset = bOffset + k * n8;
  const bytes = (cOffset + m4 * n8) * 4;
  const missing = bytes - gemm.memory.buffer.byteLength;
  if (missing > 0) gemm.memory.grow(Math.ceil(missing / 65536));
  const heap = new Float32Array(gemm.memory.buffer);
  pack(a, heap, aOffset, m4, k);
  pack(b, heap, bOffset, k, n8);
  if (accumulate) pack(matrix(out, m, n), heap, cOffset, m4, n8);
  else heap.fill(0, cOffset, cOffset + m4 * n8);
  gemm.gemm(aOffset * 4, bOffset * 4, cOffset * 4, m4, k, n8);
  if (n8 === n) out.set(heap.subarray(cOffset, cOffset + m * n));
  else for (let i = 0; i < m; i++) out.set(heap.subarray(cOffset + i * n8, cOffset + i * n8 + n), i * n);
}
