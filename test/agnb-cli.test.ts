/** The `agnb` command line, run as a process the way a user runs it. */
import { before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { buildKernelBundles } from "../kernel/bundles";
import { newNotebook, parseNotebook, serializeNotebook } from "../kernel/notebook-file";

let cli: string;
const folder = mkdtempSync(join(tmpdir(), "agnb-cli-"));

function agnb(...args: string[]) {
  const result = spawnSync(process.execPath, [cli, ...args], { cwd: folder, encoding: "utf8" });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

function writeNotebook(name: string, cells: Array<["code" | "markdown", string]>): string {
  const path = join(folder, name);
  writeFileSync(path, serializeNotebook(newNotebook(cells.map(([cell_type, source]) => ({ cell_type, source })))));
  return path;
}

describe("agnb", { timeout: 120_000 }, () => {
  before(async () => {
    cli = (await buildKernelBundles()).cli;
  });

  test("run --inplace prints each cell's output and saves outputs, keeping the sources", () => {
    const path = writeNotebook("ok.agnb", [["markdown", "# Title"], ["code", "const w = new tf.Variable(5.0);\nconsole.log('hello');"], ["code", "tf.square(w)"]]);
    const before = parseNotebook(readFileSync(path, "utf8"));
    const { code, stdout } = agnb("run", "ok.agnb", "--inplace");
    assert.equal(code, 0, stdout);
    assert.match(stdout, /hello\n/);
    assert.match(stdout, /tf\.Tensor\(25\.0, shape=\(\), dtype=float32\)/);
    const after = parseNotebook(readFileSync(path, "utf8"));
    assert.deepEqual(after.cells.map((c) => c.source), before.cells.map((c) => c.source));
    assert.deepEqual(after.cells.map((c) => c.id), before.cells.map((c) => c.id));
    assert.deepEqual(after.cells.map((c) => c.execution_count ?? null), [null, 1, 2]);
    assert.equal(after.cells[2].outputs![0].output_type, "execute_result");
  });

  test("saved outputs hold the final state of displays, updated from later cells, and of cleared output", () => {
    writeNotebook("displays.agnb", [
      ["code", "const status = display('working', { id: 'status' });"],
      ["code", "status.update('done');\nconsole.log('old');\nclearOutput(true);\nconsole.log('new');"],
    ]);
    assert.equal(agnb("run", "displays.agnb", "--inplace").code, 0);
    const saved = parseNotebook(readFileSync(join(folder, "displays.agnb"), "utf8"));
    const [first, second] = saved.cells.map((cell) => cell.outputs!);
    assert.deepEqual(first.map((o) => o.output_type === "display_data" && o.data["text/plain"]), ["'done'"]);
    assert.deepEqual(second, [{ output_type: "stream", name: "stdout", text: "new\n" }]);
  });

  test("an error exits non-zero naming the notebook, cell and line; later cells do not run", () => {
    writeNotebook("fails.agnb", [["code", "const a = 1;"], ["markdown", "text"], ["code", "const b = 2;\nJSON.parse('null').boom();"], ["code", "console.log('never')"]]);
    const { code, stdout, stderr } = agnb("run", "fails.agnb", "--out", "out");
    assert.equal(code, 1);
    assert.match(stderr, /fails\.agnb: cell 3 \(In\[2\]\), line 2, column \d+: TypeError: Cannot read properties of null/);
    assert.doesNotMatch(stdout, /never/);
    const written = parseNotebook(readFileSync(join(folder, "out", "fails.agnb"), "utf8"));
    assert.equal(written.cells[2].outputs![0].output_type, "error");
    assert.deepEqual(written.cells[3].outputs, []);
  });

  test("a type error exits non-zero naming the cell, line and column; the cell and those after it do not run", () => {
    writeNotebook("typed.agnb", [["code", "let rate = 0.1;"], ["code", "console.log('ran');\nrate = 'fast';"], ["code", "console.log('never')"]]);
    const { code, stdout, stderr } = agnb("run", "typed.agnb", "--out", "out");
    assert.equal(code, 1);
    assert.equal(stderr, "agnb: typed.agnb: cell 2 (In[2]), line 2, column 1: TypeScriptError: Type 'string' is not assignable to type 'number'. (TS2322)\n");
    assert.doesNotMatch(stdout, /ran|never/);
    const written = parseNotebook(readFileSync(join(folder, "out", "typed.agnb"), "utf8"));
    assert.deepEqual(written.cells[1].outputs, [{
      output_type: "error",
      ename: "TypeScriptError",
      evalue: "Type 'string' is not assignable to type 'number'. (TS2322)",
      traceback: ["Cell In[2], line 2, column 1", "    rate = 'fast';", "    ^", "TS2322: Type 'string' is not assignable to type 'number'."],
    }]);
  });

  test("--timeout interrupts a cell that runs too long and says so", () => {
    writeNotebook("slow.agnb", [["code", "let kept = 1;"], ["code", "while (true) {}"]]);
    const { code, stderr } = agnb("run", "slow.agnb", "--timeout", "1");
    assert.equal(code, 1);
    assert.match(stderr, /slow\.agnb: cell 2 \(In\[2\]\): timed out after 1 s/);
  });

  test("a malformed notebook is named with its problem and left untouched", () => {
    const path = join(folder, "broken.agnb");
    writeFileSync(path, '{"nbformat": 4, "cells": [');
    const { code, stderr } = agnb("run", "broken.agnb", "--inplace");
    assert.equal(code, 1);
    assert.match(stderr, /broken\.agnb: not valid JSON/);
    assert.equal(readFileSync(path, "utf8"), '{"nbformat": 4, "cells": [');
  });

  test("bad arguments explain themselves", () => {
    assert.match(agnb("run").stderr, /name at least one notebook or folder/);
    assert.match(agnb("run", "ok.agnb", "--inplace", "--out", "x").stderr, /--inplace and --out exclude each other/);
    assert.match(agnb("run", "ok.agnb", "--timeout", "soon").stderr, /--timeout must be a positive number of seconds, not "soon"/);
    assert.match(agnb("run", "missing.agnb").stderr, /missing\.agnb does not exist/);
    assert.match(agnb("convert", "ok.agnb", "--to", "pdf").stderr, /--to must be "ipynb" or "agnb"/);
    assert.equal(agnb("frobnicate").code, 2);
  });

  test("convert to ipynb and back keeps cells and outputs, and never overwrites without --force", () => {
    writeNotebook("round.agnb", [["code", "1 + 1"]]);
    assert.equal(agnb("run", "round.agnb", "--inplace").code, 0);
    assert.equal(agnb("convert", "round.agnb", "--to", "ipynb").code, 0);
    const ipynb = parseNotebook(readFileSync(join(folder, "round.ipynb"), "utf8"));
    assert.equal(ipynb.cells[0].outputs![0].output_type, "execute_result");
    const refused = agnb("convert", "round.ipynb", "--to", "agnb");
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /round\.agnb exists; add --force/);
    assert.equal(agnb("convert", "round.ipynb", "--to", "agnb", "--output", "again.agnb").code, 0);
    const back = parseNotebook(readFileSync(join(folder, "again.agnb"), "utf8"));
    assert.deepEqual(back.cells, parseNotebook(readFileSync(join(folder, "round.agnb"), "utf8")).cells);
    assert.equal((back.metadata.kernelspec as { name: string }).name, "agnb-typescript");
    assert.ok(existsSync(join(folder, "round.agnb")));
  });
});
