import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  NotebookFormatError, makeCell, newNotebook, parseNotebook, readNotebookFile, serializeNotebook, writeNotebookFile,
} from "./notebook-file";

const folder = mkdtempSync(join(tmpdir(), "agnb-file-"));

function validateWithNbformat(path: string): void {
  execFileSync("/usr/bin/python3", ["-c", "import sys, nbformat; nbformat.validate(nbformat.read(sys.argv[1], as_version=4))", path], {
    stdio: "pipe",
  });
}

const handWritten = `{
 "metadata": {
  "kernelspec": {"name": "agnb-typescript", "display_name": "TypeScript (Autograd)", "language": "typescript"},
  "custom": {"keep": [1, 2, 3]}
 },
 "cells": [
  {"cell_type": "markdown", "id": "intro", "metadata": {"tags": ["x"]}, "source": ["# Title\\n", "text"]},
  {"cell_type": "code", "id": "c1", "metadata": {}, "execution_count": 2, "source": "const w = 5;\\nw * w",
   "outputs": [
    {"output_type": "stream", "name": "stdout", "text": ["a\\n", "b\\n"]},
    {"output_type": "execute_result", "execution_count": 2, "metadata": {},
     "data": {"text/plain": ["25"], "application/vnd.agnb.tensor+json": {"structure": "single", "entries": []}}}
   ]}
 ],
 "nbformat": 4,
 "nbformat_minor": 5
}`;

test("a notebook reads into plain strings and keeps unknown metadata and key order", () => {
  const notebook = parseNotebook(handWritten, "hand.agnb");
  assert.deepEqual(Object.keys(notebook), ["metadata", "cells", "nbformat", "nbformat_minor"]);
  assert.deepEqual(notebook.metadata.custom, { keep: [1, 2, 3] });
  assert.equal(notebook.cells[0].source, "# Title\ntext");
  assert.deepEqual(notebook.cells[0].metadata, { tags: ["x"] });
  assert.equal(notebook.cells[1].source, "const w = 5;\nw * w");
  const [stream, result] = notebook.cells[1].outputs!;
  assert.equal(stream.output_type === "stream" && stream.text, "a\nb\n");
  assert.equal(result.output_type === "execute_result" && result.data["text/plain"], "25");
});

test("writing is stable: one-space indent, line arrays, trailing newline, same text on a second round", () => {
  const first = serializeNotebook(parseNotebook(handWritten, "hand.agnb"));
  const second = serializeNotebook(parseNotebook(first, "again.agnb"));
  assert.equal(second, first);
  assert.ok(first.endsWith("}\n"));
  assert.match(first, /\n "cells": \[\n  \{/);
  assert.match(first, /"source": \[\n {4}"const w = 5;\\n",\n {4}"w \* w"\n {3}\]/);
});

test("written notebooks are valid nbformat 4.5, including ones read without cell ids", () => {
  const old = JSON.parse(handWritten);
  old.nbformat_minor = 4;
  for (const cell of old.cells) delete cell.id;
  const notebook = parseNotebook(JSON.stringify(old), "old.agnb");
  assert.equal(notebook.nbformat_minor, 5);
  assert.ok(notebook.cells.every((cell) => /^[0-9a-f]{12}$/.test(cell.id)));
  const path = join(folder, "valid.agnb");
  writeFileSync(path, serializeNotebook(notebook));
  validateWithNbformat(path);
  const fresh = join(folder, "fresh.agnb");
  writeFileSync(fresh, serializeNotebook(newNotebook([{ cell_type: "code", source: "1 + 1" }, { cell_type: "markdown", source: "# x" }])));
  validateWithNbformat(fresh);
});

test("malformed files give an error naming the file and the problem", () => {
  const cases: Array<[string, RegExp]> = [
    ["", /bad\.agnb: the file is empty/],
    ['{"cells": [', /bad\.agnb: not valid JSON: .*line 1, column 12/],
    ["[]", /bad\.agnb: expected a JSON object/],
    ['{"nbformat": 3, "cells": []}', /bad\.agnb: unsupported nbformat 3/],
    ['{"nbformat": 4}', /bad\.agnb: missing "cells" array/],
    ['{"nbformat": 4, "cells": [{"cell_type": "python", "source": ""}]}', /bad\.agnb: cells\[0\]\.cell_type must be/],
    ['{"nbformat": 4, "cells": [{"cell_type": "code", "source": 5}]}', /bad\.agnb: cells\[0\]\.source must be a string/],
    ['{"nbformat": 4, "cells": [{"cell_type": "code", "id": "a b", "source": ""}]}', /cells\[0\]\.id "a b" is not a valid cell id/],
    ['{"nbformat": 4, "cells": [{"cell_type": "code", "source": "", "outputs": [{"output_type": "pic"}]}]}', /cells\[0\]\.outputs\[0\]\.output_type/],
  ];
  for (const [text, expected] of cases) {
    assert.throws(() => parseNotebook(text, "bad.agnb"), (error: Error) => {
      assert.ok(error instanceof NotebookFormatError, `${text} → ${error}`);
      assert.match(error.message, expected);
      return true;
    });
  }
});

test("a failed write leaves the previous file whole and no temporary file behind", async () => {
  const path = join(folder, "keep.agnb");
  const notebook = newNotebook([{ cell_type: "code", source: "const precious = 1" }]);
  await writeNotebookFile(path, notebook);
  const before = readFileSync(path, "utf8");
  const broken = newNotebook([{ cell_type: "code", source: "x" }]);
  broken.metadata.unserialisable = 10n;
  await assert.rejects(writeNotebookFile(path, broken), /BigInt/);
  await assert.rejects(writeNotebookFile(join(folder, "missing-dir", "x.agnb"), notebook), /ENOENT/);
  assert.equal(readFileSync(path, "utf8"), before);
  assert.deepEqual(readdirSync(folder).filter((name) => name.endsWith(".tmp")), []);
  assert.equal((await readNotebookFile(path)).cells[0].source, "const precious = 1");
});

test("duplicate cell ids are made unique so the notebook stays valid", () => {
  const cell = makeCell("code", "1");
  const text = JSON.stringify({ nbformat: 4, nbformat_minor: 5, metadata: {}, cells: [cell, { ...cell }] });
  const notebook = parseNotebook(text, "dup.agnb");
  assert.notEqual(notebook.cells[0].id, notebook.cells[1].id);
});
