import { test } from "node:test";
import assert from "node:assert/strict";
import { numpyEnvironment, numpyWorkload } from "./numpy";
import { withinFactorOfPeer, type BenchRow } from "./table";

test("the NumPy command runs without OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE, everything else kept", () => {
  const environment = numpyEnvironment({ OPENBLAS_CORETYPE: "Haswell", OPENBLAS_L2_SIZE: "1048576", PATH: "/usr/bin", OPENBLAS_NUM_THREADS: "2" });
  assert.deepEqual(environment, { PATH: "/usr/bin", OPENBLAS_NUM_THREADS: "2" });
});

test("matmul and elementwise rows map to NumPy workloads; the other groups have none", () => {
  assert.equal(numpyWorkload("matmul", "matmul 512"), "matmul 512");
  assert.equal(numpyWorkload("elementwise", "exp 1e6"), "exp");
  assert.equal(numpyWorkload("chain", "scalar chain forward"), undefined);
});

test("a within-factor target compares only the named rows that have the peer's figure", () => {
  const row = (name: string, ours: number, numpy?: number): BenchRow => ({ group: "elementwise", name, unit: "ms", ours, peers: numpy ? { numpy } : {} });
  const target = withinFactorOfPeer("numpy", ["add 1e6", "mul 1e6"], 1.5, "add and mul within 1.5× of numpy");
  assert.equal(target.check([row("add 1e6", 0.6, 0.41), row("mul 1e6", 0.5, 0.41), row("exp 1e6", 9, 1)]), true);
  assert.equal(target.check([row("add 1e6", 0.7, 0.41)]), false);
  assert.equal(target.check([row("add 1e6", 0.7)]), undefined);
});
