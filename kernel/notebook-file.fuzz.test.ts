/**
 * Random damage to a valid notebook file: truncation, junk bytes, wrong values at random places.
 * readNotebookFile either returns a notebook that writes back valid (judged by Debian's
 * nbformat.validate; keys nbformat does not know pass through as read, by design) or throws NotebookFormatError naming the file, quickly, without ever
 * changing the file, and without raw control characters in its message. What is read also opens
 * in VS Code's data shape (extension/notebook-data.ts) and saves back valid from there.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { NotebookFormatError, readNotebookFile, serializeNotebook } from "./notebook-file";
import { fromPlainNotebook, toPlainNotebook, toPlainOutput } from "../extension/notebook-data";

const folder = mkdtempSync(join(tmpdir(), "agnb-fuzz-"));

const valid = {
  metadata: {
    kernelspec: { name: "agnb-typescript", display_name: "TypeScript (Autograd)", language: "typescript" },
    language_info: { name: "typescript", file_extension: ".ts", mimetype: "text/typescript" },
    custom: { nested: [1, { deeper: true }] },
  },
  cells: [
    { cell_type: "markdown", id: "intro", metadata: { tags: ["a"] }, source: ["# Title\n", "text"], attachments: { "p.png": { "image/png": "iVBOR" } } },
    {
      cell_type: "code", id: "c1", metadata: { collapsed: false, execution: { "iopub.status.busy": "2026-12-01T00:00:00Z" } }, execution_count: 3, source: "const w = 5;\nw * w",
      outputs: [
        { output_type: "stream", name: "stdout", text: ["a\n", "b\n"] },
        { output_type: "execute_result", execution_count: 3, metadata: {}, data: { "text/plain": ["25"], "application/vnd.agnb.tensor+json": { structure: "single", entries: [] } } },
        { output_type: "display_data", metadata: { isolated: true }, data: { "image/svg+xml": ["<svg/>"], "text/plain": "pic" } },
        { output_type: "error", ename: "RangeError", evalue: "boom", traceback: ["Cell In[3], line 1", "RangeError: boom"] },
      ],
    },
    { cell_type: "raw", id: "r", metadata: { format: "text/plain" }, source: "" },
  ],
  nbformat: 4,
  nbformat_minor: 5,
};
const validText = JSON.stringify(valid, null, 1);

/** Every place in the notebook's JSON, as a path of keys. */
function paths(value: unknown, prefix: Array<string | number> = []): Array<Array<string | number>> {
  if (typeof value !== "object" || value === null) return [prefix];
  const children = Array.isArray(value) ? value.map((child, i) => paths(child, [...prefix, i])) : Object.entries(value).map(([k, child]) => paths(child, [...prefix, k]));
  return [prefix, ...children.flat()];
}
const allPaths = paths(valid).filter((path) => path.length > 0);

function replaceAt(path: Array<string | number>, replacement: unknown, extraKey: string | null): string {
  const copy = JSON.parse(validText);
  let parent = copy;
  for (const key of path.slice(0, -1)) parent = parent[key];
  parent[path[path.length - 1]] = replacement;
  if (extraKey !== null && typeof parent === "object" && !Array.isArray(parent)) parent[extraKey] = replacement;
  return JSON.stringify(copy);
}

const junk = fc.uint8Array({ minLength: 1, maxLength: 12 }).map((bytes) => Buffer.from(bytes));
const damaged: fc.Arbitrary<Buffer> = fc.oneof(
  fc.nat({ max: validText.length - 1 }).map((at) => Buffer.from(validText.slice(0, at))),
  fc.tuple(fc.nat({ max: validText.length }), junk).map(([at, bytes]) => Buffer.concat([Buffer.from(validText.slice(0, at)), bytes, Buffer.from(validText.slice(at))])),
  fc.tuple(fc.constantFrom(...allPaths), fc.jsonValue({ maxDepth: 2 }), fc.option(fc.string({ maxLength: 8 }), { freq: 4 }))
    .map(([path, value, extra]) => Buffer.from(replaceAt(path, value, extra))),
);

test("damaged notebook files are read valid or refused with the file's name, never changed", async () => {
  const accepted: string[] = [];
  let refused = 0;
  await fc.assert(fc.asyncProperty(damaged, async (bytes) => {
    const path = join(folder, `case-${accepted.length + refused}.agnb`);
    writeFileSync(path, bytes);
    const started = performance.now();
    try {
      const notebook = await readNotebookFile(path);
      const written = join(folder, `accepted-${accepted.length}.agnb`);
      writeFileSync(written, serializeNotebook(notebook));
      const savedFromEditor = join(folder, `editor-${accepted.length}.agnb`);
      writeFileSync(savedFromEditor, serializeNotebook(fromPlainNotebook(toPlainNotebook(notebook))));
      accepted.push(written, savedFromEditor);
    } catch (error) {
      assert.ok(error instanceof NotebookFormatError, `not a NotebookFormatError: ${(error as Error)?.stack}`);
      assert.ok(error.message.startsWith(`${path}: `), error.message);
      assert.doesNotMatch(error.message, /[\u0000-\u001f\u007f-\u009f]/, "control characters are escaped");
      refused++;
    }
    assert.ok(performance.now() - started < 500, "a small file is judged quickly");
    assert.deepEqual(readFileSync(path), bytes, "the file is left as it was");
  }), { numRuns: 400, seed: 20261201 });
  assert.ok(accepted.length > 40 && refused > 20, `both outcomes occur (${accepted.length} accepted, ${refused} refused)`);
  // Keys nbformat does not know are kept as read (by design); everything else must be valid.
  const invalid = execFileSync("/usr/bin/python3", ["-c", [
    "import sys, json, nbformat",
    "known = {'notebook': {'cells', 'metadata', 'nbformat', 'nbformat_minor'}, 'code': {'id', 'cell_type', 'metadata', 'source', 'outputs', 'execution_count'},",
    "         'markdown': {'id', 'cell_type', 'metadata', 'source', 'attachments'}, 'stream': {'output_type', 'name', 'text'},",
    "         'display_data': {'output_type', 'data', 'metadata'}, 'execute_result': {'output_type', 'data', 'metadata', 'execution_count'},",
    "         'error': {'output_type', 'ename', 'evalue', 'traceback'}}",
    "def only_known(value, kind): return {k: v for k, v in value.items() if k in known[kind]}",
    "for path in sys.argv[1:]:",
    "    notebook = only_known(json.load(open(path)), 'notebook')",
    "    cells = [only_known(c, 'code' if c['cell_type'] == 'code' else 'markdown') for c in notebook['cells']]",
    "    for c in cells:",
    "        if 'outputs' in c: c['outputs'] = [only_known(o, o['output_type']) for o in c['outputs']]",
    "    notebook['cells'] = cells",
    "    try: nbformat.validate(nbformat.from_dict(notebook))",
    "    except Exception as error: print(path, str(error).splitlines()[0])",
  ].join("\n"), ...accepted], { encoding: "utf8" });
  assert.equal(invalid, "", "every accepted notebook writes back valid nbformat");
});

test("a 100,000-deep nest, a huge file and a folder named like a notebook are refused with one line", async () => {
  const deep = join(folder, "deep.agnb");
  writeFileSync(deep, `{"nbformat": 4, "cells": [], "metadata": {"x": ${"[".repeat(100_000)}${"]".repeat(100_000)}}}`);
  await assert.rejects(readNotebookFile(deep), /deep\.agnb: nested more than 500 levels deep/);
  const huge = join(folder, "huge.agnb");
  execFileSync("truncate", ["-s", "300M", huge]);
  const started = performance.now();
  await assert.rejects(readNotebookFile(huge), /huge\.agnb: is 315 MB; notebooks larger than 256 MB are not read/);
  assert.ok(performance.now() - started < 200);
  await assert.rejects(readNotebookFile(folder), /is a folder, not a notebook file/);
  await assert.rejects(readNotebookFile("/dev/null"), /dev\/null: is not a regular file/);
  await assert.rejects(readNotebookFile(join(folder, "missing.agnb")), /missing\.agnb: cannot be read: it does not exist/);
});

test("an error output saved without a traceback is read with an empty one and writes back valid", async () => {
  const path = join(folder, "no-traceback.agnb");
  const notebook = JSON.parse(validText);
  notebook.cells[1].outputs = [{ output_type: "error", ename: "Oops" }];
  writeFileSync(path, JSON.stringify(notebook));
  const read = await readNotebookFile(path);
  assert.deepEqual(read.cells[1].outputs, [{ output_type: "error", ename: "Oops", evalue: "", traceback: [] }]);
  assert.match(serializeNotebook(read), /"traceback": \[\]/);
  // Sent by a kernel without one, it opens in the editor too.
  const shown = toPlainOutput({ output_type: "error", ename: "Oops" } as never);
  assert.deepEqual(JSON.parse(new TextDecoder().decode(shown.items[0].data)), { name: "Oops", message: "", stack: "" });
});
