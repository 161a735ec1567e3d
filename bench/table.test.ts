import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  beatsPeerOnEveryRow,
  formatNumber,
  formatRatio,
  formatTable,
  formatTargetSummary,
  evaluateTargets,
  peerNames,
  rowBelow,
  speedup,
  writeResultsJson,
  type BenchRow,
} from "./table";

const matmul: BenchRow = {
  group: "engine", name: "matmul 512", unit: "GFLOP/s", ours: 10, peers: { "tfjs-cpu": 1, "tfjs-wasm": 40 }, higherIsBetter: true,
};
const chain: BenchRow = {
  group: "engine", name: "scalar chain fwd+bwd", unit: "µs/op", ours: 0.5, peers: { "tfjs-cpu": 13, "tfjs-wasm": 0.25 },
};
const jacobian: BenchRow = {
  group: "engine", name: "jacobian 100×100", unit: "ms", ours: 2, peers: { "tfjs-cpu": 9 }, note: "100 VJPs for tfjs",
};

test("a time is better when lower: the peer taking longer makes us faster", () => {
  assert.equal(speedup(2, 8), 4);
  assert.equal(formatRatio(2, 8), "×4 faster");
  assert.equal(formatRatio(8, 2), "×4 slower");
});

test("a throughput with higherIsBetter is better when higher", () => {
  assert.equal(speedup(10, 40, true), 0.25);
  assert.equal(formatRatio(10, 40, true), "×4 slower");
  assert.equal(formatRatio(40, 10, true), "×4 faster");
});

test("ratios that cannot be computed show a dash instead of a misleading number", () => {
  assert.equal(formatRatio(1, undefined), "—");
  assert.equal(formatRatio(Number.NaN, 3), "—");
  assert.equal(formatRatio(0, 3), "—");
  assert.equal(formatRatio(1, 1.001), "same");
});

test("numbers print with three significant digits", () => {
  assert.equal(formatNumber(0.97), "0.97");
  assert.equal(formatNumber(13.333), "13.3");
  assert.equal(formatNumber(1234.6), "1235");
  assert.equal(formatNumber(0.012345), "0.0123");
  assert.equal(formatNumber(2.5e-5), "2.50e-5");
  assert.equal(formatNumber(undefined), "—");
});

test("known peers come first in a fixed order, others after them alphabetically", () => {
  const rows: BenchRow[] = [{ ...chain, peers: { numpy: 1, "tfjs-wasm": 2, aaa: 3, "tfjs-cpu": 4 } }];
  assert.deepEqual(peerNames(rows), ["tfjs-cpu", "tfjs-wasm", "aaa", "numpy"]);
});

test("the table aligns columns and shows each peer's figure and ratio", () => {
  const lines = formatTable([matmul, chain, jacobian]).split("\n");
  assert.match(lines[0], /^group\s+name\s+unit\s+ours\s+tfjs-cpu\s+vs tfjs-cpu\s+tfjs-wasm\s+vs tfjs-wasm\s+note$/);
  assert.match(lines[1], /^-+( {2}-+)+$/);
  const matmulLine = lines.find((line) => line.includes("matmul 512"))!;
  assert.match(matmulLine, /GFLOP\/s ↑\s+10\s+1\s+×10 faster\s+40\s+×4 slower/);
  const jacobianLine = lines.find((line) => line.includes("jacobian"))!;
  assert.match(jacobianLine, /×4\.5 faster\s+—\s+—\s+100 VJPs for tfjs$/);
  // Every data line has its "ours" figure ending at the same column as the header's "ours".
  const oursEnd = lines[0].indexOf("ours") + "ours".length;
  for (const [line, figure] of [[matmulLine, "10"], [jacobianLine, "2"]] as const) {
    const at = line.indexOf(` ${figure} `, lines[0].indexOf("unit") + 4);
    assert.equal(at + 1 + figure.length, oursEnd, `"${figure}" misaligned in: ${line}`);
  }
});

test("targets: beating a peer on every row fails when one row is slower", () => {
  const target = beatsPeerOnEveryRow("tfjs-wasm");
  assert.equal(target.check([chain]), false);
  assert.equal(target.check([{ ...chain, ours: 0.1 }]), true);
  assert.equal(target.check([jacobian]), undefined, "no row has a tfjs-wasm figure");
  assert.equal(beatsPeerOnEveryRow("tfjs-cpu").check([matmul, chain, jacobian]), true);
});

test("targets: a row under a limit, and the summary line", () => {
  const underOneMs = rowBelow("engine", "jacobian 100×100", 1, "ms");
  const underOneUs = rowBelow("engine", "scalar chain fwd+bwd", 1, "µs/op");
  const missing = rowBelow("engine", "no such row", 1, "ms");
  const results = evaluateTargets([chain, jacobian], [underOneUs, underOneMs, missing]);
  assert.deepEqual(results.map((result) => result.met), [true, false, undefined]);
  assert.equal(
    formatTargetSummary(results),
    "targets: 1/2 met — ✓ scalar chain fwd+bwd under 1 µs/op; ✗ jacobian 100×100 under 1 ms; ? no such row under 1 ms (not measured)",
  );
  assert.ok(formatTable([chain, jacobian], [underOneUs, underOneMs]).endsWith(formatTargetSummary(results.slice(0, 2))));
});

test("--json output holds every row with its speedups and the target results", () => {
  const folder = mkdtempSync(join(tmpdir(), "bench-json-"));
  try {
    const file = join(folder, "nested", "results.json");
    writeResultsJson(file, [matmul, jacobian], [beatsPeerOnEveryRow("tfjs-cpu")]);
    const saved = JSON.parse(readFileSync(file, "utf8"));
    assert.deepEqual(saved.peers, ["tfjs-cpu", "tfjs-wasm"]);
    assert.equal(saved.rows.length, 2);
    assert.deepEqual(saved.rows[0].speedups, { "tfjs-cpu": 10, "tfjs-wasm": 0.25 });
    assert.equal(saved.rows[1].speedups["tfjs-cpu"], 4.5);
    assert.deepEqual(saved.targets, [{ description: "faster than tfjs-cpu on every row", met: true }]);
  } finally {
    rmSync(folder, { recursive: true, force: true });
  }
});
