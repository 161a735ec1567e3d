import { test } from "node:test";
import assert from "node:assert/strict";
import { parseNotebook, serializeNotebook } from "../kernel/notebook-file";
import { CELL_LANGUAGE, fromPlainNotebook, isCellLanguage, toPlainNotebook, toPlainOutput, fromPlainOutput, STDOUT_MIME, ERROR_MIME, type PlainCell } from "./notebook-data";

const file = `{
 "cells": [
  {
   "cell_type": "markdown",
   "id": "intro",
   "metadata": {"tags": ["teach"]},
   "source": ["# Gradients\\n", "of w squared"]
  },
  {
   "cell_type": "code",
   "execution_count": 3,
   "id": "grad",
   "metadata": {"collapsed": false, "custom": {"keep": 1}},
   "outputs": [
    {"name": "stdout", "output_type": "stream", "text": ["step 1\\n", "step 2\\n"]},
    {"data": {"application/vnd.agnb.tensor+json": {"structure": "single", "entries": []}, "text/plain": ["tf.Tensor(10.0, shape=(), dtype=float32)"]},
     "execution_count": 3, "metadata": {}, "output_type": "execute_result"},
    {"ename": "Error", "evalue": "boom", "output_type": "error", "traceback": ["Cell In[3], line 2, column 1", "Error: boom"]}
   ],
   "source": ["const w = new tf.Variable(5);\\n", "w"]
  }
 ],
 "metadata": {"kernelspec": {"name": "agnb-typescript", "display_name": "TypeScript (Autograd)", "language": "typescript"}, "mine": {"x": 1}},
 "nbformat": 4,
 "nbformat_minor": 5,
 "extra_top_level": true
}
`;

test("a notebook read into the editor and saved unchanged is written back byte for byte", () => {
  const notebook = parseNotebook(file, "t.agnb");
  const roundTrip = serializeNotebook(fromPlainNotebook(toPlainNotebook(notebook)));
  assert.equal(roundTrip, serializeNotebook(notebook));
  assert.match(roundTrip, /"mine": \{\n   "x": 1/);
  assert.match(roundTrip, /"extra_top_level": true/);
});

test("cells become editor cells: markdown as markup, code as TypeScript (Autograd) with its execution count", () => {
  const plain = toPlainNotebook(parseNotebook(file, "t.agnb"));
  const [markdown, code] = plain.cells;
  assert.equal(markdown.kind, "markup");
  assert.equal(markdown.value, "# Gradients\nof w squared");
  assert.equal(code.kind, "code");
  assert.equal(code.languageId, "agnb-typescript");
  assert.equal(CELL_LANGUAGE, "agnb-typescript");
  assert.equal(code.executionOrder, 3);
  assert.deepEqual(code.outputs.map((o) => o.items.map((i) => i.mime)), [
    [STDOUT_MIME], ["application/vnd.agnb.tensor+json", "text/plain"], [ERROR_MIME],
  ]);
  assert.equal(new TextDecoder().decode(code.outputs[0].items[0].data), "step 1\nstep 2\n");
  assert.deepEqual(JSON.parse(new TextDecoder().decode(code.outputs[2].items[0].data)), { name: "Error", message: "boom", stack: "Cell In[3], line 2, column 1\nError: boom" });
});

test("edits in the editor are saved: changed source, new cells with fresh ids, cleared outputs", () => {
  const plain = toPlainNotebook(parseNotebook(file, "t.agnb"));
  plain.cells[1].value = "const w = new tf.Variable(6);";
  plain.cells[1].outputs = [];
  delete plain.cells[1].executionOrder;
  const added: PlainCell = { kind: "code", value: "w.square()", languageId: "typescript", outputs: [], metadata: {} };
  plain.cells.push(added);
  const saved = fromPlainNotebook(plain);
  assert.equal(saved.cells[1].source, "const w = new tf.Variable(6);");
  assert.deepEqual(saved.cells[1].outputs, []);
  assert.equal(saved.cells[1].execution_count, null);
  assert.deepEqual(saved.cells[1].metadata, { collapsed: false, custom: { keep: 1 } });
  assert.match(saved.cells[2].id, /^[a-zA-Z0-9-_]{1,64}$/);
  assert.notEqual(saved.cells[2].id, saved.cells[1].id);
  assert.equal(saved.cells[2].cell_type, "code");
  // What is written is a notebook the file module reads back.
  assert.equal(parseNotebook(serializeNotebook(saved), "saved.agnb").cells.length, 3);
});

test("live kernel outputs become file outputs: display ids stay out of the file", () => {
  const plain = toPlainOutput({ output_type: "display_data", data: { "application/vnd.plotly.v1+json": { data: [] }, "text/plain": "epoch 1/10" }, metadata: {}, transient: { display_id: "fit-1" } } as never);
  assert.equal(plain.metadata.displayId, "fit-1");
  const back = fromPlainOutput(plain);
  assert.deepEqual(back, { output_type: "display_data", data: { "application/vnd.plotly.v1+json": { data: [] }, "text/plain": "epoch 1/10" }, metadata: {} });
  const streamed = fromPlainOutput({ items: [{ mime: STDOUT_MIME, data: new TextEncoder().encode("a") }, { mime: STDOUT_MIME, data: new TextEncoder().encode("b\n") }], metadata: { outputType: "stream" } });
  assert.deepEqual(streamed, { output_type: "stream", name: "stdout", text: "ab\n" });
});

test("a Hessian is shown as a heatmap first, yet saved with its data in file order", () => {
  const output = { output_type: "execute_result", execution_count: 4, metadata: {},
    data: { "text/plain": "tf.Tensor(...)", "application/vnd.agnb.tensor+json": { structure: "single", entries: [] }, "application/vnd.agnb.jacobian+json": { kind: "hessian" } } } as never;
  const plain = toPlainOutput(output);
  assert.deepEqual(plain.items.map((i) => i.mime), ["application/vnd.agnb.jacobian+json", "application/vnd.agnb.tensor+json", "text/plain"]);
  assert.deepEqual(Object.keys((fromPlainOutput(plain) as { data: object }).data), ["text/plain", "application/vnd.agnb.tensor+json", "application/vnd.agnb.jacobian+json"]);
});

test("the editor's language of cells stays out of the file: cells saying typescript or agnb-typescript save alike", () => {
  const asRead = toPlainNotebook(parseNotebook(file, "t.agnb"));
  const saved = (languageId: string) => {
    const plain = toPlainNotebook(parseNotebook(file, "t.agnb"));
    plain.cells[1].languageId = languageId;
    plain.cells.push({ kind: "code", value: "w.square()", languageId, outputs: [], metadata: { id: "added" } });
    return serializeNotebook(fromPlainNotebook(plain));
  };
  assert.equal(saved("typescript"), saved(CELL_LANGUAGE));
  assert.equal(saved(CELL_LANGUAGE).split("agnb-typescript").length - 1, 1, "only the kernelspec names agnb-typescript");
  assert.equal(serializeNotebook(fromPlainNotebook(asRead)), serializeNotebook(parseNotebook(file, "t.agnb")));
  assert.ok(isCellLanguage("typescript") && isCellLanguage("agnb-typescript") && !isCellLanguage("python"));
});
