/** The `agnb` command line, run as a process the way a user runs it. */
import { before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { buildKernelBundles } from "../kernel/bundles";
import { newNotebook, parseNotebook, serializeNotebook } from "../kernel/notebook-file";

let cli: string;
const folder = mkdtempSync(join(tmpdir(), "agnb-cli-"));

function agnb(...args: string[]) {
  const result = spawnSync(process.execPath, [cli, ...args], { cwd: folder, encoding: "utf8", timeout: 60_000 });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** Debian's nbformat.validate on each file; returns its complaints (empty when all are valid). */
function nbformatComplaints(...paths: string[]): string {
  return execFileSync("/usr/bin/python3", ["-c", [
    "import sys, nbformat",
    "for path in sys.argv[1:]:",
    "    try: nbformat.validate(nbformat.read(path, as_version=4))",
    "    except Exception as error: print(path, str(error).splitlines()[0])",
  ].join("\n"), ...paths], { encoding: "utf8" });
}

/** One line per problem, naming it, and nothing a terminal would act on. */
function assertOneClearLine(stderr: string, expected: RegExp): void {
  assert.match(stderr, expected);
  assert.doesNotMatch(stderr, /\n\s+at |[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/, `no stack trace, no raw control characters:\n${stderr}`);
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
    assert.match(agnb("convert", "ok.agnb", "--to", "pdf").stderr, /--to must be "ipynb", "agnb" or "html"/);
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

  test("--inplace after a failure: the cells that ran get new outputs, the cells after keep theirs", () => {
    const notebook = newNotebook([{ cell_type: "code", source: "1 + 1" }, { cell_type: "code", source: "throw new Error('stop here')" }, { cell_type: "code", source: "'never'" }]);
    const saved = [{ output_type: "stream" as const, name: "stdout" as const, text: "saved earlier\n" }];
    notebook.cells[2].outputs = saved;
    notebook.cells[2].execution_count = 7;
    const path = join(folder, "keep.agnb");
    writeFileSync(path, serializeNotebook(notebook));
    const { code, stderr } = agnb("run", "keep.agnb", "--inplace");
    assert.equal(code, 1);
    assert.match(stderr, /keep\.agnb: cell 2 \(In\[2\]\), line 1, column 7: Error: stop here/);
    const after = parseNotebook(readFileSync(path, "utf8"));
    assert.equal(after.cells[0].outputs![0].output_type === "execute_result" && after.cells[0].outputs![0].data["text/plain"], "2");
    assert.equal(after.cells[1].outputs![0].output_type, "error");
    assert.deepEqual([after.cells[2].outputs, after.cells[2].execution_count], [saved, 7]);
    assert.equal(nbformatComplaints(path), "");
  });

  test("--out keeps a folder's sub-folders, and refuses to merge two notebooks or to write over an original", () => {
    for (const sub of ["a", "b"]) {
      mkdirSync(join(folder, "tree", sub), { recursive: true });
      writeFileSync(join(folder, "tree", sub, "same.agnb"), serializeNotebook(newNotebook([{ cell_type: "code", source: `'${sub}'` }])));
    }
    assert.equal(agnb("run", "tree", "--out", "copies", "--quiet").code, 0);
    for (const sub of ["a", "b"]) {
      const copy = parseNotebook(readFileSync(join(folder, "copies", sub, "same.agnb"), "utf8"));
      assert.equal(copy.cells[0].outputs![0].output_type === "execute_result" && copy.cells[0].outputs![0].data["text/plain"], `'${sub}'`);
    }
    const merged = agnb("run", "tree/a/same.agnb", "tree/b/same.agnb", "--out", "flat");
    assert.equal(merged.code, 2);
    assertOneClearLine(merged.stderr, /tree\/a\/same\.agnb and tree\/b\/same\.agnb would both be written to flat\/same\.agnb/);
    assert.ok(!existsSync(join(folder, "flat")), "nothing ran, nothing was written");
    const before = readFileSync(join(folder, "tree", "a", "same.agnb"), "utf8");
    const over = agnb("run", "tree/a/same.agnb", "--out", "tree/a");
    assert.equal(over.code, 2);
    assertOneClearLine(over.stderr, /--out tree\/a would write over the notebook tree\/a\/same\.agnb; use --inplace/);
    assert.equal(readFileSync(join(folder, "tree", "a", "same.agnb"), "utf8"), before);
  });

  test("bad paths and bad files get one clear line each, quickly, and are left as they were", () => {
    mkdirSync(join(folder, "empty"), { recursive: true });
    execFileSync("mkfifo", [join(folder, "pipe.agnb")]);
    symlinkSync("loop.agnb", join(folder, "loop.agnb"));
    mkdirSync(join(folder, "cycle"), { recursive: true });
    symlinkSync(".", join(folder, "cycle", "self"));
    writeFileSync(join(folder, "cycle", "inner.agnb"), serializeNotebook(newNotebook([{ cell_type: "code", source: "'inner'" }])));
    const hostile = '{"nbformat": 4, "cells": [{"cell_type": "\\u001b[2J\\u001b]0;owned\\u0007", "source": ""}], "metadata": {}}';
    writeFileSync(join(folder, "hostile.agnb"), hostile);
    writeFileSync(join(folder, "raw-escape.agnb"), "{\"nbformat\": 4, \u001b[31m");
    writeFileSync(join(folder, "deep.agnb"), `{"nbformat": 4, "cells": [], "metadata": {"x": ${"[".repeat(100_000)}${"]".repeat(100_000)}}}`);

    const empty = agnb("run", "empty");
    assert.equal(empty.code, 2);
    assertOneClearLine(empty.stderr, /no \.agnb notebooks in empty/);
    const cases: Array<[string, RegExp]> = [
      ["pipe.agnb", /pipe\.agnb: is neither a notebook file nor a folder/],
      ["loop.agnb", /loop\.agnb: is a loop of symbolic links/],
      ["hostile.agnb", /hostile\.agnb: cells\[0\]\.cell_type must be "code", "markdown" or "raw", not "\\u001b\[2J/],
      ["raw-escape.agnb", /raw-escape\.agnb: not valid JSON/],
      ["deep.agnb", /deep\.agnb: nested more than 500 levels deep/],
    ];
    for (const [name, expected] of cases) {
      const started = performance.now();
      const { code, stderr } = agnb("run", name, "--inplace");
      assert.equal(code, 1, `${name}: ${stderr}`);
      assertOneClearLine(stderr, expected);
      assert.ok(performance.now() - started < 10_000, `${name} took ${performance.now() - started} ms`);
    }
    assert.equal(readFileSync(join(folder, "hostile.agnb"), "utf8"), hostile);
    const walked = agnb("run", "cycle", "--quiet");
    assert.equal(walked.code, 0, walked.stderr);
    assert.equal((walked.stdout.match(/inner\.agnb: ok/g) ?? []).length, 1, "a folder linked into itself is walked once");
  });

  test("displays of circular values and junk display methods are saved as valid nbformat", () => {
    const path = writeNotebook("junk.agnb", [
      ["code", "const c: any = {};\nc.self = c;\nc"],
      ["code", "const junk = (bundle: unknown) => ({ [Symbol.for('Jupyter.display')]: () => bundle });\ndisplay(junk([1, 2]));\ndisplay(junk({ 'text/plain': 5 }));"],
      ["code", "display(junk({ 'text/html': { not: 'text' }, 'not a mime': 'x', 'application/json': 10n }));"],
      ["code", "const loop: any = { a: 1 }; loop.loop = loop;\ndisplay(junk({ 'application/vnd.agnb.tensor+json': loop, 'text/plain': 'cyclic payload' }));"],
      ["code", "display(junk({ 'application/json': { big: 'x'.repeat(9_000_000) }, 'text/plain': 'huge payload' }));"],
      ["code", "display({ 'text/plain': ['a', 'b'], 'image/png': 42 }, { raw: true });"],
    ]);
    const { code, stdout, stderr } = agnb("run", "junk.agnb", "--inplace");
    assert.equal(code, 0, stderr);
    assert.match(stdout, /<ref \*1> \{ self: \[Circular \*1\] \}/);
    assert.equal(nbformatComplaints(path), "");
    const texts = parseNotebook(readFileSync(path, "utf8")).cells.flatMap((cell) => cell.outputs!.map((o) => (o as { data?: Record<string, unknown> }).data?.["text/plain"]));
    assert.match(String(texts[1]), /returned an array \[ 1, 2 \], not a MIME bundle/);
    assert.match(String(texts[2]), /\[text\/plain left out: must be text, not number 5\]/);
    assert.match(String(texts[3]), /\[text\/html left out: must be text.*; "not a mime" left out: not a MIME type; application\/json left out: not JSON\]/);
    assert.match(String(texts[4]), /cyclic payload\n\[application\/vnd\.agnb\.tensor\+json left out: not JSON\]/);
    assert.match(String(texts[5]), /huge payload\n\[application\/json left out: larger than 8000 kB\]/);
    assert.match(String(texts[6]), /^ab\n\[image\/png left out: must be text, not number 42\]/);
  });
});
