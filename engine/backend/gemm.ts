/**
 * Float32 matrix products C (+)= A·B, one or a batch of them. Products big enough to pay for
 * it run on the WebAssembly SIMD gemm (wasm/gemm.wat, written by wasm/gemm-wat.mjs: operands
 * packed into panels, or read in place where they are small and laid out for it, cache blocks,
 * 5×8 register tiles and 6×8 ones for the largest products; narrow products computed as their
 * transposes), split by columns or rows across the thread pool's cores when large; smaller ones
 * run as plain loops, as does everything where WebAssembly SIMD is unavailable.
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
   * a time): against the 4×8 tiles "gemm" had before, it measured ×1.1 faster at 2048³ on 2
   * cores, even at 1024³, slower below. Against 5×8 tiles, on one thread: 1024³ 55 against 60
   * GFLOP/s, 2048³ about even (51–53), so only the largest products keep it.
   */
  largeMinWork: 2 ** 31,
  /**
   * Whether the 5×8 kernel reads operands in place instead of packing them, where their layout
   * allows it (A's rows side by side, B's columns side by side): "auto" where it measured
   * faster (small operands), "always" and "never" for tests.
   */
  direct: "auto" as "auto" | "always" | "never",
  /**
   * Whether a product with few columns is computed as its transpose, Cᵀ = Bᵀ·Aᵀ, when that wastes
   * fewer tile lanes (n = 10: 16 columns of tiles against 10 rows): "auto", or "never" (tests).
   */
  swap: "auto" as "auto" | "never",
};
/** A staging area larger than this goes back to the memory after the product that needed it. */
const KEEP_WORKSPACE_BYTES = 16 * 2 ** 20;

interface Tiling { MR: number; LARGE_MR: number; NR: number; MC: number; KC: number; NC: number; LARGE_KC: number; LARGE_NC: number }
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
    // The fused build compiles only once relaxed SIMD is switched on (a forced variant too).
    if (variant === "fused" && !relaxedSimdAvailable()) throw new Error("no relaxed SIMD");
    const bytes = Uint8Array.from(atob(variant === "fused" ? GEMM_WASM : GEMM_MUL_ADD_WASM), (ch) => ch.charCodeAt(0));
    kernelMemory ??= new KernelMemory(0);
    const pool = threadPool(kernelMemory.memory);
    const kernel = pool.load(new WebAssembly.Module(bytes));
    const exports = pool.exports(kernel) as Record<keyof Tiling, WebAssembly.Global>;
    const tiling = Object.fromEntries((["MR", "LARGE_MR", "NR", "MC", "KC", "NC", "LARGE_KC", "LARGE_NC"] as const).map((name) => [name, exports[name].value as number])) as unknown as Tiling;
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
function partsOf(MR: number, NR: number, m: number, n: number, threads: number, splitEach: boolean): Part[] {
  const byColumns = m <= n;
  const total = byColumns ? n : m, step = byColumns ? NR : MR;
  const count = !splitEach ? 1 : total >= 512 ? 2 * threads : threads;
  const share = roundUp(Math.ceil(total / count), step);
  const parts: Part[] = [];
  for (let start = 0; start < total; start += share) {
    const size = Math.min(share, total - start);
    parts.push(byColumns ? { row: 0, rows: m, col: start, cols: size } : { row: start, rows: size, col: 0, cols: n });
  }
  return parts;
}

/** Elements the 5×8 tiles cover for an m×n product (edge tiles whole). */
const tileArea = ({ MR, NR }: Tiling, m: number, n: number) => roundUp(m, MR) * roundUp(n, NR);

/**
 * The kernel's `direct` bits for a rows×cols part (1: A read in place, 2: B). A in place needs
 * its rows side by side; B, its columns side by side and whole panels (a panel reads NR columns
 * of every row, and past the last row only what the part has). "auto" reads in place only
 * operands small enough to stay in cache, where packing costs more than the strided reads.
 */
function directOperands({ NR, KC }: Tiling, a: MatrixView, b: MatrixView, rows: number, cols: number): number {
  const mode = matmulSettings.direct;
  if (mode === "never") return 0;
  const always = mode === "always";
  // Measured on one thread: 256×64×10 with Aᵀ (as Cᵀ, both read in place) 14.3 → 9.3 µs;
  // B in place for 64×784×256 475 → 452 µs, 64×784×512 1040 → 970, but 32×784×1024 1190 →
  // 1960 (a panel's k steps 4 KB apart: a page each, all on one cache set); A in place for
  // 784×64×256 with Aᵀ: 464 → 487 µs (steps 3 KB apart). Hence the limits on a panel's span.
  const stepsBytes = Math.min(a.cols, KC) * 4;
  const directA = a.rowStride === 1 && (always || a.colStride * stepsBytes <= DIRECT_A_MAX_SPAN);
  const directB = b.colStride === 1 && cols % NR === 0 && (always || (rows <= DIRECT_B_MAX_ROWS && b.rowStride * stepsBytes <= DIRECT_B_MAX_SPAN));
  return (directA ? 1 : 0) | (directB ? 2 : 0);
}
/** "auto" reads A in place when one panel's k steps span at most this many bytes. */
const DIRECT_A_MAX_SPAN = 32 * 1024;
/** "auto" reads B in place for at most this many rows of A (each of B's panels serves rows/MR tiles, too few to pay for packing it), its panels spanning at most this many bytes. */
const DIRECT_B_MAX_ROWS = 128;
const DIRECT_B_MAX_SPAN = 800 * 1024;

/** Floats of a thread's packing space, for either product: A's block, B's block, the tiles on their way to C (at most a row of them, gemm.wat). */
function packingFloats({ LARGE_MR, NR, MC, ...tiling }: Tiling, k: number, cols: number): number {
  const KC = Math.max(tiling.KC, tiling.LARGE_KC), NC = Math.max(tiling.NC, tiling.LARGE_NC);
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
  const work = m * k * n;
  const threads = work * count >= matmulSettings.parallelMinWork ? pool.threads : 1;
  const large = work >= matmulSettings.largeMinWork, product = large ? "gemmLarge" : "gemm";
  const swap = !large && matmulSettings.swap === "auto" && tileArea(tiling, n, m) < tileArea(tiling, m, n);
  const splitEach = work >= matmulSettings.parallelMinWork;
  const parts = threads === 1 ? null : swap ? partsOf(tiling.MR, tiling.NR, n, m, threads, splitEach) : partsOf(large ? tiling.LARGE_MR : tiling.MR, tiling.NR, m, n, threads, splitEach);
  const aSpan = count === 1 ? { first: aOffsets[0], floats: spanOf(a) } : extent(a, aOffsets);
  const bSpan = count === 1 ? { first: bOffsets[0], floats: spanOf(b) } : extent(b, bOffsets);
  const outFloats = count * m * n;
  let aAt = residentAt(memory, a.values, aSpan.first), bAt = residentAt(memory, b.values, bSpan.first);
  let cAt = residentAt(memory, out, outOffset);
  const aFloats = aAt === undefined ? aligned(aSpan.floats) : 0, bFloats = bAt === undefined ? aligned(bSpan.floats) : 0;
  const staged = cAt === undefined, cFloats = staged ? aligned(outFloats) : 0;
  const packing = packingFloats(tiling, k, parts ? parts[0].cols : swap ? m : n);
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
  // The kernel's left and right operands: A and B, or Bᵀ and Aᵀ for Cᵀ (stored as C, transposed).
  const left = swap ? { view: transposed(b), at: bAt, first: bSpan.first, offsets: bOffsets } : { view: a, at: aAt, first: aSpan.first, offsets: aOffsets };
  const right = swap ? { view: transposed(a), at: aAt, first: aSpan.first, offsets: aOffsets } : { view: b, at: bAt, first: bSpan.first, offsets: bOffsets };
  const [rowsOfC, colsOfC, ldc, cStep] = swap ? [n, m, 1, n] : [m, n, n, 1];
  const lv = left.view, rv = right.view;
  if (!parts) {
    // One call a product on this thread, its arguments listed (no array or spread: a small
    // product's call costs about as much as its arithmetic).
    const gemm = pool.exports(kernel)[product] as (...args: number[]) => void;
    const direct = large ? 0 : directOperands(tiling, lv, rv, rowsOfC, colsOfC);
    for (let i = 0; i < count; i++) {
      gemm(left.at + (left.offsets[i] - left.first) * 4, lv.rowStride, lv.colStride, right.at + (right.offsets[i] - right.first) * 4, rv.rowStride, rv.colStride,
        cAt + i * m * n * 4, ldc, cStep, rowsOfC, k, colsOfC, flag, direct, packingAt, packing * 4, 0);
    }
  } else {
    const calls = left.offsets.flatMap((leftOffset, i) => parts.map(({ row, rows, col, cols }) => [
      left.at + (leftOffset - left.first + row * lv.rowStride) * 4, lv.rowStride, lv.colStride,
      right.at + (right.offsets[i] - right.first + col * rv.colStride) * 4, rv.rowStride, rv.colStride,
      cAt! + (i * m * n + row * ldc + col * cStep) * 4, ldc, cStep, rows, k, cols, flag,
      large ? 0 : directOperands(tiling, lv, rv, rows, cols),
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
