import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { bundleStaleness, workloadSpecs } from "./engine";

test("the bundle stands for the sources only when it exists and no source is newer", () => {
  const folder = mkdtempSync(join(tmpdir(), "bench-bundle-"));
  try {
    const bundle = join(folder, "engine.cjs");
    const sources = join(folder, "engine");
    mkdirSync(join(sources, "ops"), { recursive: true });
    const at = (file: string, seconds: number) => {
      writeFileSync(file, "");
      utimesSync(file, seconds, seconds);
    };
    at(join(sources, "core.ts"), 1000);
    at(join(sources, "ops", "linalg.ts"), 1000);
    at(join(sources, "ops", "linalg.test.ts"), 3000); // tests are not in the bundle
    assert.equal(bundleStaleness(bundle, sources), "dist/engine.cjs does not exist");
    at(bundle, 2000);
    assert.equal(bundleStaleness(bundle, sources), undefined);
    at(join(sources, "ops", "linalg.ts"), 2500);
    assert.equal(bundleStaleness(bundle, sources), `engine/${join("ops", "linalg.ts")} is newer than dist/engine.cjs`);
  } finally {
    rmSync(folder, { recursive: true, force: true });
  }
});

test("every row the issue asks for is there, with units a reader expects", () => {
  const rows = workloadSpecs().map((spec) => `${spec.group} | ${spec.name} | ${spec.unit}${spec.higherIsBetter ? " ↑" : ""}`);
  assert.deepEqual(rows, [
    "matmul | matmul 64 | GFLOP/s ↑",
    "matmul | matmul 128 | GFLOP/s ↑",
    "matmul | matmul 256 | GFLOP/s ↑",
    "matmul | matmul 512 | GFLOP/s ↑",
    "matmul | matmul 1024 | GFLOP/s ↑",
    "matmul | matmul 2048 | GFLOP/s ↑",
    "elementwise | add 1e6 | ms",
    "elementwise | mul 1e6 | ms",
    "elementwise | exp 1e6 | ms",
    "elementwise | sum 1e6 | ms",
    "chain | scalar chain forward, 10,000 ops | µs/op",
    "chain | scalar chain fwd+bwd, 10,000 ops | µs/op",
    "chain | scalar chain fwd+bwd, 100,000 ops | µs/op",
    "jacobian | jacobian 100×100 tanh(Wx) | ms",
    "jacobian | jacobian 1000×1000 tanh(Wx) | ms",
    "mlp | MLP 784-256-10 SGD step, batch 64 | ms",
    "mlp | MLP 784-256-10 SGD step, batch 512 | ms",
  ]);
  const matmul512 = workloadSpecs().find((spec) => spec.name === "matmul 512")!;
  assert.equal(matmul512.figure(1000), (2 * 512 ** 3) / 1e9, "2n³ flops in 1 s");
  const [short, long] = workloadSpecs().filter((spec) => spec.name.startsWith("scalar chain fwd+bwd"));
  assert.equal(short.figure(10), 1, "10 ms for 10,000 ops is 1 µs an op");
  assert.equal(long.figure(100), 1, "100 ms for 100,000 ops is 1 µs an op: both rows print a cost per op");
  const skipped = workloadSpecs().filter((spec) => spec.skip).map((spec) => [spec.name, Object.keys(spec.skip!)]);
  assert.deepEqual(skipped, [["matmul 2048", ["tfjs-cpu"]]], "only tfjs-cpu's 2048 product sits out, with its reason");
});
