import { test } from "node:test";
import assert from "node:assert/strict";
import { parseArguments, plan } from "./run";
import type { BenchRow } from "./table";

const row = (group: string): BenchRow => ({ group, name: "x", unit: "ms", ours: 1, peers: {} });

test("--only takes repeated and comma-separated groups, --json a file, in both spellings", () => {
  assert.deepEqual(parseArguments(["--only", "matmul,chain", "--only=mlp", "--json", "out/bench.json"]), {
    only: ["matmul", "chain", "mlp"], json: "out/bench.json",
  });
  assert.deepEqual(parseArguments(["--json=r.json"]), { only: [], json: "r.json" });
});

test("bad arguments are refused with the usage line", () => {
  assert.throws(() => parseArguments(["--fast"]), /unknown argument "--fast"\nusage:/);
  assert.throws(() => parseArguments(["--json"]), /--json needs a value/);
  assert.throws(() => parseArguments(["--only="]), /--only needs a value/);
});

test("no --only runs everything", () => {
  const everything = plan([]);
  assert.equal(everything.runEngine, true);
  assert.equal(everything.engineGroups, undefined);
  assert.deepEqual(everything.optional.map((suite) => suite.name), ["training", "kernel", "interrupt", "zeromq", "remote", "extension", "conv", "intelligence"]);
  assert.equal(everything.keepRow("kernel", row("startup")), true);
});

test("engine groups run only those engine rows and no optional suite", () => {
  const subset = plan(["matmul", "jacobian"]);
  assert.equal(subset.runEngine, true);
  assert.deepEqual(subset.engineGroups, ["matmul", "jacobian"]);
  assert.deepEqual(subset.optional, []);
});

test("a suite name runs that suite whole; other names filter the optional suites' rows", () => {
  const kernelOnly = plan(["kernel"]);
  assert.equal(kernelOnly.runEngine, false);
  assert.deepEqual(kernelOnly.optional.map((suite) => suite.name), ["kernel"]);
  assert.equal(kernelOnly.keepRow("kernel", row("anything")), true);

  const byRowGroup = plan(["fit"]);
  assert.equal(byRowGroup.runEngine, false);
  assert.equal(byRowGroup.keepRow("training", row("fit")), true);
  assert.equal(byRowGroup.keepRow("training", row("predict")), false);

  assert.equal(plan(["engine"]).engineGroups, undefined, "the whole engine suite");
});
