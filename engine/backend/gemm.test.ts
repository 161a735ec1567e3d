/**
 * The gemm against float64 products and the JavaScript backend's loops: both products (5×8
 * tiles, on packed operands and on operands read in place, with narrow products computed as
 * their transposes; and the 6×8 tiles of the largest products), both builds of the kernel (fused
 * multiply-add and separate multiply and add, the latter also where the runtime has FMA), on
 * one thread and split across
 * the pool, over shapes with odd sizes, 1×k, k = 1, transposes, offsets (batches) and
 * accumulation, depths cut into several blocks, and batches in one call; tf.matmul on the wasm backend against the js backend for batched, broadcast and
 * transposed operands; and a product interrupted by SIGINT leaving the pool clean.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import fc from "fast-check";
import * as tf from "../core";
import { chosenVariant, matmulBatchInto, matmulInto, matmulSettings, matrix, relaxedSimdAvailable, storedMatrix, type GemmVariant, type MatrixView } from "./gemm";
import { jsBackend } from "./js";
import { threadCount } from "./threads";
import { GEMM_WASM } from "./wasm/gemm-wasm";
import { GEMM_MUL_ADD_WASM } from "./wasm/gemm-mul-add-wasm";

const root = fileURLToPath(new URL("../..", import.meta.url));

function seeded(size: number, seed: number): Float32Array {
  let state = seed;
  return Float32Array.from({ length: size }, () => {
    state = (state * 1103515245 + 12345) % 2147483648;
    return state / 1073741824 - 1;
  });
}

const at = (view: MatrixView, i: number, j: number) => view.values[(view.offset ?? 0) + i * view.rowStride + j * view.colStride];

/** a·b in float64, and Σ|a||b| per entry (the scale of float32's rounding error). */
function reference(a: MatrixView, b: MatrixView): { product: Float64Array; magnitude: Float64Array } {
  const product = new Float64Array(a.rows * b.cols), magnitude = new Float64Array(a.rows * b.cols);
  for (let i = 0; i < a.rows; i++)
    for (let j = 0; j < b.cols; j++) {
      let sum = 0, size = 0;
      for (let p = 0; p < a.cols; p++) {
        const term = at(a, i, p) * at(b, p, j);
        sum += term;
        size += Math.abs(term);
      }
      product[i * b.cols + j] = sum;
      magnitude[i * b.cols + j] = size;
    }
  return { product, magnitude };
}

/** Float32 products of k terms are within about k roundings of Σ|a||b| of the exact value. */
function assertProduct(actual: Float32Array, offset: number, a: MatrixView, b: MatrixView, start: Float32Array | undefined, what: string) {
  const { product, magnitude } = reference(a, b);
  product.forEach((expected, i) => {
    const base = start ? start[offset + i] : 0;
    const bound = 2 ** -22 * (a.cols + 2) * (magnitude[i] + Math.abs(base)) + 1e-30;
    const got = actual[offset + i];
    assert.ok(Math.abs(got - (expected + base)) <= bound, `${what}[${i}]: ${got} vs ${expected + base} (bound ${bound})`);
  });
}

/** Which tiles and operands a product runs on: 5×8 tiles on packed operands, 5×8 reading them in place where their layout allows (and Cᵀ = Bᵀ·Aᵀ for narrow C), or 6×8. */
type Kernel = "5×8 packed" | "5×8 in place" | "6×8";
const KERNELS: Kernel[] = ["5×8 packed", "5×8 in place", "6×8"];

function withSettings(variant: GemmVariant, split: boolean, kernel: Kernel, body: () => void) {
  const saved = { ...matmulSettings };
  matmulSettings.variant = variant;
  matmulSettings.wasmMinWork = 1;
  matmulSettings.parallelMinWork = split ? 0 : Infinity;
  matmulSettings.largeMinWork = kernel === "6×8" ? 0 : Infinity;
  matmulSettings.direct = kernel === "5×8 in place" ? "always" : "never";
  matmulSettings.swap = kernel === "5×8 in place" ? "auto" : "never";
  try {
    body();
  } finally {
    Object.assign(matmulSettings, saved);
  }
}

const VARIANTS: GemmVariant[] = ["fused", "separate"];

test("relaxed SIMD is switched on where this Node needs a flag, and the fused build is the default then", () => {
  assert.equal(relaxedSimdAvailable(), true, "this machine's Node 20 validates relaxed SIMD once its flag is set");
  assert.equal(chosenVariant(), "fused");
});

for (const variant of VARIANTS) {
  for (const [split, kernel] of [false, true].flatMap((split) => KERNELS.map((kernel) => [split, kernel] as const))) {
    const how = `${kernel} tiles, ${variant} multiply-add, ${split ? `split across ${threadCount()} threads` : "one thread"}`;

    test(`gemm (${how}) matches float64 products over shapes, transposes, offsets and accumulation`, () => {
      const size = fc.oneof(fc.integer({ min: 1, max: 4 }), fc.integer({ min: 1, max: 70 }), fc.constantFrom(7, 8, 9, 33, 129));
      const shape = fc.record({
        m: size, k: size, n: size,
        transposeA: fc.boolean(), transposeB: fc.boolean(), accumulate: fc.boolean(),
        aOffset: fc.integer({ min: 0, max: 5 }), bOffset: fc.integer({ min: 0, max: 5 }), outOffset: fc.integer({ min: 0, max: 5 }),
        seed: fc.integer({ min: 1, max: 1e6 }),
      });
      withSettings(variant, split, kernel, () => {
        fc.assert(fc.property(shape, ({ m, k, n, transposeA, transposeB, accumulate, aOffset, bOffset, outOffset, seed }) => {
          const a = storedMatrix(seeded(aOffset + m * k, seed), aOffset, m, k, transposeA);
          const b = storedMatrix(seeded(bOffset + k * n, seed + 1), bOffset, k, n, transposeB);
          const start = seeded(outOffset + m * n, seed + 2);
          const out = start.slice();
          matmulInto(a, b, out, accumulate, outOffset);
          const what = `${m}×${k}×${n}${transposeA ? " Aᵀ" : ""}${transposeB ? " Bᵀ" : ""}`;
          assertProduct(out, outOffset, a, b, accumulate ? start : undefined, what);
          assert.deepEqual(out.subarray(0, outOffset), start.subarray(0, outOffset), "values before the output are kept");
          // The JavaScript backend's loops agree to float32 rounding too.
          const loops = new Float32Array(outOffset + m * n);
          jsBackend.matmul(a.values, aOffset, b.values, bOffset, loops, outOffset, m, k, n, transposeA, transposeB);
          const { magnitude } = reference(a, b);
          for (let i = 0; i < m * n; i++) {
            const got = out[outOffset + i] - (accumulate ? start[outOffset + i] : 0);
            const bound = 2 ** -21 * (k + 2) * (magnitude[i] + (accumulate ? Math.abs(start[outOffset + i]) : 0)) + 1e-30;
            assert.ok(Math.abs(got - loops[outOffset + i]) <= bound, `${what} vs js backend [${i}]: ${got} vs ${loops[outOffset + i]}`);
          }
        }), { numRuns: 150 });
      });
    });

    test(`gemm (${how}): a batch in one call equals its products one by one, offsets shared or not`, () => {
      const batch = fc.record({
        m: fc.integer({ min: 1, max: 40 }), k: fc.integer({ min: 1, max: 40 }), n: fc.integer({ min: 1, max: 40 }),
        transposeA: fc.boolean(), transposeB: fc.boolean(), seed: fc.integer({ min: 1, max: 1e6 }),
        picks: fc.array(fc.tuple(fc.integer({ min: 0, max: 3 }), fc.integer({ min: 0, max: 3 })), { minLength: 1, maxLength: 12 }),
      });
      withSettings(variant, split, kernel, () => {
        fc.assert(fc.property(batch, ({ m, k, n, transposeA, transposeB, seed, picks }) => {
          // Four matrices on each side, picked in any order and repeated, as broadcasting does.
          const aValues = seeded(4 * m * k, seed), bValues = seeded(4 * k * n, seed + 1);
          const aOffsets = picks.map(([i]) => i * m * k), bOffsets = picks.map(([, j]) => j * k * n);
          const out = seeded(picks.length * m * n + 3, seed + 2), before = out[0];
          matmulBatchInto(storedMatrix(aValues, 0, m, k, transposeA), storedMatrix(bValues, 0, k, n, transposeB), out, aOffsets, bOffsets, 1);
          assert.equal(out[0], before, "values before the batch are kept");
          picks.forEach((_, i) => {
            const a = storedMatrix(aValues, aOffsets[i], m, k, transposeA), b = storedMatrix(bValues, bOffsets[i], k, n, transposeB);
            assertProduct(out, 1 + i * m * n, a, b, undefined, `product ${i} of ${picks.length}, ${m}×${k}×${n}`);
          });
        }), { numRuns: 80 });
      });
    });

    test(`gemm (${how}) over depths of one to four blocks, cut evenly`, () => {
      // Depths around and between multiples of the block depth, where the cut moves.
      const shape = fc.record({
        m: fc.integer({ min: 1, max: 12 }), k: fc.integer({ min: 300, max: 2048 }), n: fc.integer({ min: 1, max: 20 }),
        transposeA: fc.boolean(), transposeB: fc.boolean(), accumulate: fc.boolean(), seed: fc.integer({ min: 1, max: 1e6 }),
      });
      withSettings(variant, split, kernel, () => {
        fc.assert(fc.property(shape, ({ m, k, n, transposeA, transposeB, accumulate, seed }) => {
          const a = storedMatrix(seeded(m * k, seed), 0, m, k, transposeA), b = storedMatrix(seeded(k * n, seed + 1), 0, k, n, transposeB);
          const start = seeded(m * n, seed + 2), out = start.slice();
          matmulInto(a, b, out, accumulate);
          assertProduct(out, 0, a, b, accumulate ? start : undefined, `${m}×${k}×${n}${transposeA ? " Aᵀ" : ""}${transposeB ? " Bᵀ" : ""}`);
        }), { numRuns: 40 });
      });
    });

    test(`gemm (${how}) on the MLP's products and past every cache block`, () => {
      withSettings(variant, split, kernel, () => {
        for (const [m, k, n, transposeA, transposeB] of [[64, 784, 256, false, false], [784, 64, 256, true, false], [64, 256, 784, false, true], [64, 10, 256, false, true], [64, 256, 10, false, false], [256, 64, 10, true, false], [200, 600, 530, true, true], [40, 800, 24, true, false], [9, 1000, 10, true, false], [1, 300, 1100, false, false], [1030, 2, 1, false, true]] as const) {
          const a = storedMatrix(seeded(m * k, m + k), 0, m, k, transposeA), b = storedMatrix(seeded(k * n, k + n), 0, k, n, transposeB);
          const out = new Float32Array(m * n);
          matmulInto(a, b, out, false);
          assertProduct(out, 0, a, b, undefined, `${m}×${k}×${n}`);
        }
      });
    });
  }
}

test("a batch of 100,000 small products in one call (more than a call takes arguments)", () => {
  const count = 100_000, aValues = seeded(count * 6, 11), bValues = seeded(6, 12);
  const out = new Float32Array(count * 4);
  const aOffsets = Array.from({ length: count }, (_, i) => i * 6), bOffsets = new Array<number>(count).fill(0);
  matmulBatchInto(matrix(aValues, 2, 3), matrix(bValues, 3, 2), out, aOffsets, bOffsets);
  for (const i of [0, 1, 4567, count - 1]) assertProduct(out, i * 4, matrix(aValues, 2, 3, i * 6), matrix(bValues, 3, 2), undefined, `product ${i}`);
});

test("the plain loops give the same products (the js backend's path)", () => {
  const saved = matmulSettings.useWasm;
  matmulSettings.useWasm = false;
  try {
    const a = storedMatrix(seeded(37 * 50, 3), 0, 37, 50, true), b = matrix(seeded(50 * 13, 4), 50, 13);
    const out = new Float32Array(37 * 13);
    matmulInto(a, b, out, false);
    assertProduct(out, 0, a, b, undefined, "loops");
  } finally {
    matmulSettings.useWasm = saved;
  }
});

test("matmulInto rejects mismatched inner dimensions", () => {
  assert.throws(() => matmulInto(matrix(new Float32Array(6), 2, 3), matrix(new Float32Array(8), 4, 2), new Float32Array(4), false), /inner dimensions differ \(2×3 · 4×2\)/);
});

test("tf.matmul on the wasm backend matches the js backend: batched, broadcast and transposed", async () => {
  const before = tf.getBackend();
  const dims = fc.record({
    m: fc.integer({ min: 1, max: 40 }), k: fc.integer({ min: 1, max: 40 }), n: fc.integer({ min: 1, max: 40 }),
    batchA: fc.constantFrom([], [3], [2, 1]), batchB: fc.constantFrom([], [3], [1, 3]),
    transposeA: fc.boolean(), transposeB: fc.boolean(), seed: fc.integer({ min: 1, max: 1e6 }),
  });
  try {
    await fc.assert(fc.asyncProperty(dims, async ({ m, k, n, batchA, batchB, transposeA, transposeB, seed }) => {
      const aShape = [...batchA, ...(transposeA ? [k, m] : [m, k])], bShape = [...batchB, ...(transposeB ? [n, k] : [k, n])];
      if (aShape.length < 2 || bShape.length < 2) return;
      const a = tf.random.uniform(aShape, { minval: -1, maxval: 1, seed }), b = tf.random.uniform(bShape, { minval: -1, maxval: 1, seed: seed + 1 });
      await tf.setBackend("js");
      const expected = tf.matmul(a, b, transposeA, transposeB);
      await tf.setBackend("wasm");
      const actual = tf.matmul(a, b, transposeA, transposeB);
      assert.deepEqual(actual.shape, expected.shape);
      const e = expected.dataSync(), g = actual.dataSync();
      e.forEach((value, i) => assert.ok(Math.abs(value - g[i]) <= 2 ** -21 * (k + 2), `${aShape}·${bShape} [${i}]: ${g[i]} vs ${value}`));
    }), { numRuns: 80 });
  } finally {
    await tf.setBackend(before);
  }
});

test("the shipped kernel bytes are the .wat sources compiled (run engine/backend/wasm/compile.mjs after editing one)", async () => {
  const { MODULES, compileWat, moduleText } = await import("./wasm/compile.mjs" as string);
  for (const entry of MODULES) {
    const base64 = await compileWat(entry.source, entry.rewrite);
    assert.equal(readFileSync(entry.output, "utf8"), moduleText(entry, base64), String(entry.source));
  }
  assert.ok(readFileSync(new URL("./wasm/gemm-wasm.ts", import.meta.url), "utf8").includes(GEMM_WASM));
  assert.ok(readFileSync(new URL("./wasm/gemm-mul-add-wasm.ts", import.meta.url), "utf8").includes(GEMM_MUL_ADD_WASM));
});

test("gemm.wat is what gemm-wat.mjs writes (run it after editing the tiling or the kernel)", async () => {
  const { GEMM_WAT, TILING, LARGE_TILING, gemmWat } = await import("./wasm/gemm-wat.mjs" as string);
  assert.equal(readFileSync(GEMM_WAT, "utf8"), gemmWat(TILING, LARGE_TILING));
  assert.throws(() => gemmWat({ ...TILING, MR: 7, MC: 140 }), /MR must be at least 4 and not 3 past a multiple of 4/);
  assert.throws(() => gemmWat({ ...TILING, MC: 96 }), /MC must be a multiple of MR/);
  assert.throws(() => gemmWat(TILING, { ...LARGE_TILING, MC: 240 }), /only MR, KC and NC may differ/);
});

test("the separate build validates where relaxed SIMD does not (a Node 20 without the flag), the fused one only with it", () => {
  const validate = (base64: string, flags: string[]) => spawnSync(process.execPath, [...flags, "-e",
    `process.stdout.write(String(WebAssembly.validate(Buffer.from(${JSON.stringify(base64)}, "base64"))))`], { encoding: "utf8" }).stdout;
  assert.equal(validate(GEMM_MUL_ADD_WASM, []), "true");
  assert.equal(validate(GEMM_WASM, ["--experimental-wasm-relaxed-simd"]), "true");
  assert.equal(validate(GEMM_WASM, []), "false", "Node 20 validates relaxed SIMD only behind its flag");
});

test("a product stopped by SIGINT leaves the pool clean: the next products are right and the script exits by itself", () => {
  const script = `
    const vm = require("node:vm");
    const { Worker } = require("node:worker_threads");
    const { matmulInto, matrix } = require("./engine/backend/gemm.ts");
    const n = 1024, a = new Float32Array(n * n).fill(1), b = new Float32Array(n * n).fill(0.5), out = new Float32Array(n * n);
    globalThis.product = () => { for (let i = 0; i < 200; i++) matmulInto(matrix(a, n, n), matrix(b, n, n), out, false); };
    matmulInto(matrix(a, n, n), matrix(b, n, n), out, false);
    new Worker("setTimeout(() => process.kill(process.pid, 'SIGINT'), 300)", { eval: true });
    let stopped = false;
    try { vm.runInThisContext("product()", { breakOnSigint: true }); } catch (error) { stopped = error.code === "ERR_SCRIPT_EXECUTION_INTERRUPTED"; }
    const small = new Float32Array(3 * 5);
    matmulInto(matrix(new Float32Array(3 * 2000).fill(2), 3, 2000), matrix(new Float32Array(2000 * 5).fill(0.25), 2000, 5), small, false);
    out.fill(0);
    matmulInto(matrix(a, n, n), matrix(b, n, n), out, false);
    console.log(JSON.stringify({ stopped, small: [...new Set(small)], large: [...new Set(out)] }));
  `;
  const run = spawnSync(process.execPath, ["--import", "tsx", "-e", script], { cwd: root, encoding: "utf8", timeout: 60_000 });
  assert.equal(run.status, 0, run.stderr);
  assert.deepEqual(JSON.parse(run.stdout), { stopped: true, small: [1000], large: [512] });
});
