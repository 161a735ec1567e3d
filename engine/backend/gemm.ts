/**
 * Float32 matrix products C (+)= A·B, one or a batch of them. Products big enough to pay for
 * it run on the WebAssembly SIMD gemm (wasm/gemm.wat, written by wasm/gemm-wat.mjs: operands
 * packed into panels, cache blocks, 4×8 register tiles and 6×8 ones for the largest products), split by columns or rows across the
 * thread pool's cores when large; smaller ones run as plain loops, as does everything where
 * WebAssembly SIMD is unavailable.
 *
 * The gemm works in the kernels' shared memory: operands that live there are read, and results
 * written, in place; others are copied into a staging area first. Transposed operands are views
 * with swapped strides, which the packing reads directly. Two builds of the kernel exist: with
 * relaxed SIMD's fused multiply-add, chosen when the runtime validates it (Node 20 needs
 * --experimental-wasm-relaxed-simd, which is switched on here when missing), and with separate
 * multiply and add otherwise.
 */
import { MAX_PARTS, threadPool, nodeBuiltin, type ThreadPool } from "./threads";
import { relaxedSimdSupported } from "./relaxed-simd";
import { GEMM_WASM } from "./wasm/gemm-wasm";
import { GEMM_MUL_ADD_WASM } from "./wasm/gemm-mul-add-wasm";
import { KernelMemory } from "./wasm/memory";

/** A float32 matrix inside a flat array: element (i, j) is values[offset + i·rowStride + j·colStride]. */
export interface MatrixView {
  values: Float32Array;
  rows: number;
  cols: number;
  rowStride: number;
  colStride: number;
  offset?: number;
}

export function matrix(values: Float32Array, rows: number, cols: number, offset = 0): MatrixView {
  return { values, rows, cols, rowStride: cols, colStride: 1, offset };
}

/** A rows × cols operand stored at `offset` as itself, or (transposedStorage) as its cols × rows transpose. */
export function storedMatrix(values: Float32Array, offset: number, rows: number, cols: number, transposedStorage: boolean): MatrixView {
  return transposedStorage ? transposed(matrix(values, cols, rows, offset)) : matrix(values, rows, cols, offset);
}

/** The transpose, without copying. */
export function transposed(m: MatrixView): MatrixView {
  return { values: m.values, rows: m.cols, cols: m.rows, rowStride: m.colStride, colStride: m.rowStride, offset: m.offset };
}

/** "fused": f32x4.relaxed_madd; "separate": f32x4.mul then f32x4.add. */
export type GemmVariant = "fused" | "separate";

export const matmulSettings = {
  /** When false, every product runs as plain loops (the js backend; comparing the two paths). */
  useWasm: true,
  /** Forces one build of the kernel (tests); undefined: fused where relaxed SIMD validates. */
  variant: undefined as GemmVariant | undefined,
  /** Below this many multiply-adds, packing for the kernel costs more than it saves: plain loops. */
  wasmMinWork: 8192,
  /**
   * Products of at least this many multiply-adds are split across the pool's threads. Measured
   * on 2 cores: 128³ (2M) runs faster on one thread than split (waking a worker and packing A
   * twice cost more than half the product), 256³ (16M) gains ×1.3 from the second.
   */
  parallelMinWork: 1 << 22,
  /**
   * Products of at least this many multiply-adds run on "gemmLarge" (6×8 tiles, a row of tiles at
   * a time): measured on 2 cores it is ×1.1 faster at 2048³, even at 1024³, and 4–10 % slower
   * from 64³ to 512³, where "gemm" (4×8 tiles) stays.
   */
  largeMinWork: 2 ** 31,
};
/** A staging area larger than this goes back to the memory after the product that needed it. */
const KEEP_WORKSPACE_BYTES = 16 * 2 ** 20;

interface Tiling { MR: number; LARGE_MR: number; NR: number; MC: number; KC: number; NC: number }
interface Gemm { pool: ThreadPool; kernel: number; tiling: Tiling }

let kernelMemory: KernelMemory | undefined;
const loaded = new Map<GemmVariant, Gemm | null>();
let workspace: { offset: number; bytes: number } | null = null;

/** Products use `memory` (the wasm backend's), so that arrays living there are read in place. */
export function useKernelMemory(memory: KernelMemory): void {
  if (memory === kernelMemory) return;
  if (kernelMemory) for (const gemm of loaded.values()) gemm?.pool.settle();
  kernelMemory = memory;
  loaded.clear();
  workspace = null;
}

let relaxedSimd: boolean | undefined;

/** Whether relaxed SIMD validates, after switching on Node 20's flag for it where that is needed. */
export function relaxedSimdAvailable(): boolean {
  return (relaxedSimd ??= enableRelaxedSimd());
}

function enableRelaxedSimd(): boolean {
  if (relaxedSimdSupported()) return true;
  const major = Number(typeof process === "object" ? process.versions?.v8?.split(".")[0] : NaN);
  // V8 9–11 have relaxed SIMD behind the flag; later ones validate it by default.
  const v8 = major >= 9 && major < 12 ? nodeBuiltin<{ setFlagsFromString(flags: string): void }>("node:v8") : undefined;
  if (!v8) return false;
  v8.setFlagsFromString("--experimental-wasm-relaxed-simd");
  return relaxedSimdSupported();
}

export function chosenVariant(): GemmVariant {
  return matmulSettings.variant ?? (relaxedSimdAvailable() ? "fused" : "separate");
}

function loadGemm(variant: GemmVariant): Gemm | null {
  let gemm = loaded.get(variant);
  if (gemm !== undefined) return gemm;
  try {
    const bytes = Uint8Array.from(atob(variant === "fused" ? GEMM_WASM : GEMM_MUL_ADD_WASM), (ch) => ch.charCodeAt(0));
    kernelMemory ??= new KernelMemory(0);
    const pool = threadPool(kernelMemory.memory);
    const kernel = pool.load(new WebAssembly.Module(bytes));
    const exports = pool.exports(kernel) as Record<keyof Tiling, WebAssembly.Global>;
    const tiling = Object.fromEntries((["MR", "LARGE_MR", "NR", "MC", "KC", "NC"] as const).map((name) => [name, exports[name].value as number])) as unknown as Tiling;
    gemm = { pool, kernel, tiling };
  } catch {
    gemm = null;
  }
  loaded.set(variant, gemm);
  return gemm;
}

/** Threads the SIMD matrix kernel runs on (its pool's), or 1 where it cannot load. */
export function matmulThreads(): number {
  return loadGemm(chosenVariant())?.pool.threads ?? 1;
}

/** Whether a product of `work` multiply-adds runs on the SIMD kernel. */
export function simdGemmAvailable(work: number): boolean {
  return matmulSettings.useWasm && work >= matmulSettings.wasmMinWork && loadGemm(chosenVariant()) !== null;
}

/** out[m×n] (row-major, from outOffset) = (accumulate ? out : 0) + a[m×k] · b[k×n]. */
export function matmulInto(a: MatrixView, b: MatrixView, out: Float32Array, accumulate: boolean, outOffset = 0): void {
  products(a, b, out, accumulate, outOffset, [a.offset ?? 0], [b.offset ?? 0]);
}

/**
 * A batch of products of one shape: out[i] (m×n, from outOffset + i·m·n) = a at aOffsets[i] ·
 * b at bOffsets[i] (the views' own offsets are not used). One call for the whole batch, so small
 * products share the threads and the operands are staged once.
 */
export function matmulBatchInto(a: MatrixView, b: MatrixView, out: Float32Array, aOffsets: readonly number[], bOffsets: readonly number[], outOffset = 0): void {
  if (aOffsets.length !== bOffsets.length) throw new Error(`matmul: ${aOffsets.length} left matrices for ${bOffsets.length} right ones`);
  products(a, b, out, false, outOffset, aOffsets, bOffsets);
}

function products(a: MatrixView, b: MatrixView, out: Float32Array, accumulate: boolean, outOffset: number, aOffsets: readonly number[], bOffsets: readonly number[]): void {
  if (a.cols !== b.rows) throw new Error(`matmul: inner dimensions differ (${a.rows}×${a.cols} · ${b.rows}×${b.cols})`);
  const m = a.rows, k = a.cols, n = b.cols, count = aOffsets.length;
  if (m === 0 || n === 0 || count === 0) return;
  if (k === 0) {
    if (!accumulate) out.fill(0, outOffset, outOffset + count * m * n);
    return;
  }
  const gemm = matmulSettings.useWasm && m * k * n * count >= matmulSettings.wasmMinWork ? loadGemm(chosenVariant()) : null;
  if (gemm && wasmProducts(gemm, a, b, out, accumulate, outOffset, aOffsets, bOffsets)) return;
  aOffsets.forEach((aOffset, i) => loopMatmul({ ...a, offset: aOffset }, { ...b, offset: bOffsets[i] }, out, outOffset + i * m * n, accumulate));
}

function loopMatmul(a: MatrixView, b: MatrixView, out: Float32Array, outOffset: number, accumulate: boolean): void {
  const m = a.rows, k = a.cols, n = b.cols;
  if (!accumulate) out.fill(0, outOffset, outOffset + m * n);
  const av = a.values, bv = b.values, aBase = a.offset ?? 0, bBase = b.offset ?? 0;
  for (let i = 0; i < m; i++) {
    const o = outOffset + i * n;
    for (let p = 0; p < k; p++) {
      const x = av[aBase + i * a.rowStride + p * a.colStride];
      if (x === 0) continue;
      const row = bBase + p * b.rowStride;
      for (let j = 0; j < n; j++) out[o + j] += x * bv[row + j * b.colStride];
    }
  }
}

const roundUp = (value: number, multiple: number) => Math.ceil(value / multiple) * multiple;
/** Staged regions start on 64-byte lines. */
const aligned = (floats: number) => roundUp(floats, 16);
/** Elements a view reaches past its offset. */
const spanOf = (view: MatrixView) => (view.rows - 1) * view.rowStride + (view.cols - 1) * view.colStride + 1;

/** The byte offset of values[offset] when `values` lives in kernel memory. */
function residentAt(memory: KernelMemory, values: Float32Array, offset: number): number | undefined {
  const at = memory.offsetOf(values) ?? (values.buffer === memory.memory.buffer ? values.byteOffset : undefined);
  return at === undefined ? undefined : at + offset * 4;
}

interface Part { row: number; rows: number; col: number; cols: number }

/**
 * The parts threads take: columns when A is the smaller operand (every part packs all of it),
 * else rows. Two parts a thread where the split side is long enough that packing the other
 * operand once more costs little, so a thread that falls behind (a busy machine) is helped out.
 */
function partsOf(MR: number, NR: number, m: number, k: number, n: number, threads: number): Part[] {
  const byColumns = m <= n;
  const total = byColumns ? n : m, step = byColumns ? NR : MR;
  const count = m * k * n < matmulSettings.parallelMinWork ? 1 : total >= 512 ? 2 * threads : threads;
  const share = roundUp(Math.ceil(total / count), step);
  const parts: Part[] = [];
  for (let start = 0; start < total; start += share) {
    const size = Math.min(share, total - start);
    parts.push(byColumns ? { row: 0, rows: m, col: start, cols: size } : { row: start, rows: size, col: 0, cols: n });
  }
  return parts;
}

/** Floats of a thread's packing space: A's block, B's block, the tiles on their way to C (at most a row of them, gemm.wat). */
function packingFloats({ LARGE_MR, NR, MC, KC, NC }: Tiling, k: number, cols: number): number {
  const blockColumns = roundUp(Math.min(cols, NC), NR);
  return aligned(MC * KC) + aligned(Math.min(k, KC) * blockColumns) + aligned(LARGE_MR * blockColumns);
}

/** A staging area of at least `bytes`, kept between products; null when memory is exhausted. */
function workspaceAt(memory: KernelMemory, bytes: number): number | null {
  if (workspace && workspace.bytes >= bytes) return workspace.offset;
  if (workspace) memory.release(workspace.offset, workspace.bytes);
  workspace = memory.temporary(bytes / 4);
  return workspace ? workspace.offset : null;
}

/** The first element and the extent of every matrix a view reaches at `offsets`. */
function extent(view: MatrixView, offsets: readonly number[]): { first: number; floats: number } {
  // A loop, not Math.min(...offsets): a batch may have more matrices than a call takes arguments.
  let first = Infinity, last = -Infinity;
  for (const offset of offsets) {
    first = Math.min(first, offset);
    last = Math.max(last, offset);
  }
  return { first, floats: last - first + spanOf(view) };
}

/** Computes the products on the gemm; false when kernel memory has no room (the caller loops instead). */
function wasmProducts({ pool, kernel, tiling }: Gemm, a: MatrixView, b: MatrixView, out: Float32Array, accumulate: boolean, outOffset: number, aOffsets: readonly number[], bOffsets: readonly number[]): boolean {
  const memory = kernelMemory!;
  const m = a.rows, k = a.cols, n = b.cols, count = aOffsets.length;
  // A product stopped from outside may have left workers writing into the staging area.
  pool.settle();
  const threads = m * k * n * count >= matmulSettings.parallelMinWork ? pool.threads : 1;
  const large = m * k * n >= matmulSettings.largeMinWork, product = large ? "gemmLarge" : "gemm";
  const parts = threads === 1 ? null : partsOf(large ? tiling.LARGE_MR : tiling.MR, tiling.NR, m, k, n, threads);
  const aSpan = count === 1 ? { first: aOffsets[0], floats: spanOf(a) } : extent(a, aOffsets);
  const bSpan = count === 1 ? { first: bOffsets[0], floats: spanOf(b) } : extent(b, bOffsets);
  const outFloats = count * m * n;
  let aAt = residentAt(memory, a.values, aSpan.first), bAt = residentAt(memory, b.values, bSpan.first);
  let cAt = residentAt(memory, out, outOffset);
  const aFloats = aAt === undefined ? aligned(aSpan.floats) : 0, bFloats = bAt === undefined ? aligned(bSpan.floats) : 0;
  const staged = cAt === undefined, cFloats = staged ? aligned(outFloats) : 0;
  const packing = packingFloats(tiling, k, parts ? parts[0].cols : n);
  const base = workspaceAt(memory, (aFloats + bFloats + cFloats + threads * packing) * 4);
  if (base === null) return false;
  // The workspace holds, in order, the staged A, B and C, then each thread's packing space.
  const floats = memory.floats();
  if (aAt === undefined) floats.set(a.values.subarray(aSpan.first, aSpan.first + aSpan.floats), base / 4);
  aAt ??= base;
  const bStage = base + aFloats * 4;
  if (bAt === undefined) floats.set(b.values.subarray(bSpan.first, bSpan.first + bSpan.floats), bStage / 4);
  bAt ??= bStage;
  const cStage = bStage + bFloats * 4;
  if (staged && accumulate) floats.set(out.subarray(outOffset, outOffset + outFloats), cStage / 4);
  cAt ??= cStage;
  const packingAt = cStage + cFloats * 4, flag = accumulate ? 1 : 0;
  if (!parts) {
    const gemm = pool.exports(kernel)[product] as (...args: number[]) => void;
    for (let i = 0; i < count; i++) {
      gemm(aAt + (aOffsets[i] - aSpan.first) * 4, a.rowStride, a.colStride, bAt + (bOffsets[i] - bSpan.first) * 4, b.rowStride, b.colStride,
        cAt + i * m * n * 4, n, m, k, n, flag, packingAt, packing * 4, 0);
    }
  } else {
    const calls = aOffsets.flatMap((aOffset, i) => parts.map(({ row, rows, col, cols }) => [
      aAt! + (aOffset - aSpan.first + row * a.rowStride) * 4, a.rowStride, a.colStride,
      bAt! + (bOffsets[i] - bSpan.first + col * b.colStride) * 4, b.rowStride, b.colStride,
      cAt! + (i * m * n + row * n + col) * 4, n, rows, k, cols, flag,
      packingAt, packing * 4,
    ]));
    for (let first = 0; first < calls.length; first += MAX_PARTS) pool.run(kernel, product, calls.slice(first, first + MAX_PARTS));
  }
  if (staged) out.set(memory.floats().subarray(cAt / 4, cAt / 4 + outFloats), outOffset);
  if (workspace && workspace.bytes > KEEP_WORKSPACE_BYTES) {
    memory.release(workspace.offset, workspace.bytes);
    workspace = null;
  }
  return true;
}
