// An error output saved without a traceback (a hand-edited file, another kernel's output) opens
// in the editor as an error with its name and message, and is written back unchanged.
import { test } from "node:test";
import assert from "node:assert/strict";
import { parseNotebook, serializeNotebook } from "../kernel/notebook-file";
import { ERROR_MIME, fromPlainNotebook, toPlainNotebook } from "./notebook-data";

const notebookWith = (output: object) => JSON.stringify({
  cells: [{ cell_type: "code", execution_count: 1, id: "failed", metadata: {}, outputs: [output], source: "explode()" }],
  metadata: { kernelspec: { name: "agnb-typescript", display_name: "TypeScript (Autograd)", language: "typescript" } },
  nbformat: 4, nbformat_minor: 5,
});

for (const [name, output, shown] of [
  ["no traceback", { output_type: "error", ename: "RangeError", evalue: "too far" }, { name: "RangeError", message: "too far", stack: "" }],
  ["nothing but its type", { output_type: "error" }, { name: "Error", message: "", stack: "" }],
] as const) {
  test(`an error output with ${name} opens as an error and saves back byte for byte`, () => {
    const saved = parseNotebook(notebookWith(output), "failed.agnb");
    const opened = toPlainNotebook(saved);
    const items = opened.cells[0].outputs[0].items;
    assert.deepEqual(items.map((item) => item.mime), [ERROR_MIME]);
    assert.deepEqual(JSON.parse(new TextDecoder().decode(items[0].data)), shown);
    assert.equal(serializeNotebook(fromPlainNotebook(opened)), serializeNotebook(saved));
  });
}
