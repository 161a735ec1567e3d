import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { matmulInto, matmulSettings, matrix, transposed, type MatrixView } from "./gemm";
import { GEMM_WASM } from "./wasm/gemm-wasm";

function seeded(size: number, seed: number): Float32Array {
  let state = seed;
  return Float32Array.from({ length: size }, () => {
    state = (state * 1103515245 + 12345) % 2147483648;
    return state / 1073741824 - 1;
  });
}

function reference(a: MatrixView, b: MatrixView): Float64Array {
  const out = new Float64Array(a.rows * b.cols);
  for (let i = 0; i < a.rows; i++)
    for (let j = 0; j < b.cols; j++) {
      let sum = 0;
      for (let p = 0; p < a.cols; p++) sum += a.values[i * a.rowStride + p * a.colStride] * b.values[p * b.rowStride + j * b.colStride];
      out[i * b.cols + j] = sum;
    }
  return out;
}

function assertClose(actual: Float32Array, expected: Float64Array, what: string) {
  assert.equal(actual.length, expected.length);
  actual.forEach((v, i) => assert.ok(Math.abs(v - expected[i]) <= 1e-4 * (1 + Math.abs(expected[i])), `${what}[${i}]: ${v} vs ${expected[i]}`));
}

for (const useWasm of [true, false]) {
  test(`matmulInto (${useWasm ? "WebAssembly SIMD kernel" : "plain loops"}) matches float64 products for padded and transposed shapes`, () => {
    matmulSettings.useWasm = useWasm;
    try {
      for (const [m, k, n] of [[64, 784, 256], [64, 256, 10], [37, 50, 13], [5, 300, 9], [32, 1, 1]]) {
        const a = matrix(seeded(m * k, m + k), m, k);
        const b = matrix(seeded(k * n, k + n), k, n);
        const out = new Float32Array(m * n);
        matmulInto(a, b, out, false);
        assertClose(out, reference(a, b), `${m}x${k}x${n}`);
        // Accumulating adds to what is there.
        const start = seeded(m * n, 3);
        const accumulated = start.slice();
        matmulInto(a, b, accumulated, true);
        assertClose(accumulated, reference(a, b).map((v, i) => v + start[i]), `${m}x${k}x${n} accumulate`);
        // aᵀ·c and c·bᵀ, the two products of a Dense layer's backward pass.
        const c = matrix(seeded(m * n, 5), m, n);
        const dB = new Float32Array(k * n);
        matmulInto(transposed(a), c, dB, false);
        assertClose(dB, reference(transposed(a), c), `${m}x${k}x${n} aᵀc`);
        const dA = new Float32Array(m * k);
        matmulInto(c, transposed(b), dA, false);
        assertClose(dA, reference(c, transposed(b)), `${m}x${k}x${n} cbᵀ`);
      }
    } finally {
      matmulSettings.useWasm = true;
    }
  });
}

test("matmulInto rejects mismatched inner dimensions", () => {
  assert.throws(() => matmulInto(matrix(new Float32Array(6), 2, 3), matrix(new Float32Array(8), 4, 2), new Float32Array(4), false), /inner dimensions differ \(2×3 · 4×2\)/);
});

test("the shipped kernel bytes are the .wat sources compiled (run engine/backend/wasm/compile.mjs after editing one)", async () => {
  const { MODULES, compileWat, moduleText } = await import("./wasm/compile.mjs" as string);
  for (const entry of MODULES) {
    const base64 = await compileWat(entry.source);
    assert.equal(readFileSync(entry.output, "utf8"), moduleText(entry, base64), String(entry.source));
  }
  assert.ok(MODULES.some((entry: { source: URL }) => readFileSync(entry.source, "utf8").includes("gemm")));
  assert.ok(readFileSync(new URL("./wasm/gemm-wasm.ts", import.meta.url), "utf8").includes(GEMM_WASM));
});
