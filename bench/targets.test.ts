import { test } from "node:test";
import assert from "node:assert/strict";
import type { BenchRow } from "./figures";
import { formatTable } from "./table";
import { beatsPeerOnEveryRow, rowBelow, rowVerdicts, rowWithinFactorOfRow, timesPeer, withinFactorOfPeer } from "./targets";

const matmul = (ours: number, wasm: number, numpy: number): BenchRow => ({
  group: "matmul", name: "matmul 1024", unit: "GFLOP/s", higherIsBetter: true, ours, peers: { "tfjs-wasm": wasm, numpy },
});
const chain = (ops: number, ours: number): BenchRow => ({
  group: "chain", name: `chain ${ops}`, unit: "µs/op", ours, peers: { "tfjs-wasm": 20 },
});
const fit: BenchRow = { group: "fit", name: "seed fit", unit: "µs/step", ours: 50, peers: { "tfjs-wasm": 40 } };

test("a times-peer target asks for that many times the peer's figure, on the rows it concerns only", () => {
  const threeTimes = timesPeer("tfjs-wasm", 3, (row) => row.name === "matmul 1024", "matmul 1024 ≥ 3× tfjs-wasm");
  assert.equal(threeTimes.check([matmul(100, 30, 280)]), true);
  assert.equal(threeTimes.check([matmul(89, 30, 280)]), false);
  assert.equal(threeTimes.check([chain(10, 0.1)]), undefined, "no row it concerns");
  assert.equal(threeTimes.label, "≥ 3× tfjs-wasm");
  const withinThree = withinFactorOfPeer("numpy", ["matmul 1024"], 3, "within 3× of numpy");
  assert.equal(withinThree.label, "within 3× of numpy");
  assert.deepEqual([withinThree.check([matmul(95, 30, 280)]), withinThree.check([matmul(90, 30, 280)])], [true, false]);
});

test("beating a peer can be limited to some groups: other suites' rows do not count", () => {
  const engineRows = beatsPeerOnEveryRow("tfjs-wasm", ["matmul", "chain"]);
  assert.equal(engineRows.description, "faster than tfjs-wasm on every matmul, chain row");
  assert.equal(engineRows.check([matmul(40, 30, 280), chain(10, 0.4), fit]), true, "fit is slower but not an engine row");
  assert.equal(beatsPeerOnEveryRow("tfjs-wasm").check([matmul(40, 30, 280), fit]), false);
});

test("a cost that must stay flat compares one row of ours with another", () => {
  const flat = rowWithinFactorOfRow("chain 100000", "chain 10000", 1.5, "flat per op");
  assert.equal(flat.check([chain(10000, 0.4), chain(100000, 0.59)]), true);
  assert.equal(flat.check([chain(10000, 0.4), chain(100000, 1.6)]), false);
  assert.equal(flat.check([chain(100000, 1.6)]), undefined, "without the reference row there is no verdict");
});

test("each row shows the verdicts of the targets that concern it, in the table's target column", () => {
  const rows = [matmul(60, 30, 280), chain(10000, 0.4), chain(100000, 1.6)];
  const targets = [
    beatsPeerOnEveryRow("tfjs-wasm"),
    timesPeer("tfjs-wasm", 3, (row) => row.name === "matmul 1024", "matmul 1024 ≥ 3× tfjs-wasm"),
    rowWithinFactorOfRow("chain 100000", "chain 10000", 1.5, "flat per op"),
    rowBelow("chain", "chain 10000", 0.5, "µs/op"),
  ];
  assert.equal(rowVerdicts(rows[0], rows, targets), "✓ > tfjs-wasm; ✗ ≥ 3× tfjs-wasm");
  assert.equal(rowVerdicts(rows[2], rows, targets), '✓ > tfjs-wasm; ✗ ≤ 1.5× "chain 10000"');
  const lines = formatTable(rows, targets).split("\n");
  assert.match(lines[0], /\s+vs numpy\s+target\s+note$/);
  assert.match(lines.find((line) => line.includes("chain 10000"))!, /✓ > tfjs-wasm; ✓ < 0\.5 µs\/op$/);
  assert.match(lines.at(-1)!, /^targets: 2\/4 met — ✓ faster than tfjs-wasm on every row; ✗ matmul 1024 ≥ 3× tfjs-wasm; ✗ flat per op; ✓ chain 10000 under 0.5 µs\/op$/);
  assert.doesNotMatch(formatTable(rows).split("\n")[0], /target/, "no target column without row-by-row targets");
});
