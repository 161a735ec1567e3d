// Outputs read back from a saved file that was edited by hand: whatever they hold, the renderer
// shows either the drawing (for what the engine writes) or one line naming the field and the
// problem; it never throws, never hangs on a huge stored count, never draws garbage.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import fc from "fast-check";
import { MIME } from "../../display/contract";
import { parseNotebook } from "../../kernel/notebook-file";
import { renderOutput } from "./agnb.renderer";
import { checkPlotlyPayload } from "./plot";
import { syntheticJacobian, syntheticTape } from "./fixtures";
import { makeOutputElement } from "./test-dom";

/** Renders through the notebook renderer's entry point; returns the error line, or null if it drew. */
async function shown(mime: string, payload: unknown): Promise<string | null> {
  const element = makeOutputElement();
  await renderOutput(mime, () => structuredClone(payload), element);
  const errors = element.querySelectorAll(".agnb-error");
  if (errors.length === 0) {
    assert.ok(element.children.length > 0, "something is drawn");
    return null;
  }
  assert.equal(errors.length, 1, "one error line");
  assert.equal(element.children.length, 1, "the error line alone, nothing half drawn");
  const text = errors[0].textContent!;
  assert.doesNotMatch(text, /\n/, "a single line");
  return text;
}

const single = (data: unknown) => ({ structure: "single", entries: [{ label: null, kind: "tensor", data }] });
const summary = { min: 0, max: 1, mean: 0.5, std: 0.5, nonFinite: 0, strip: [0, 1] };
const withTensor = (change: (tape: ReturnType<typeof syntheticTape>) => void) => {
  const tape = syntheticTape(3);
  change(tape);
  return tape;
};

const BAD: Array<[string, string, unknown, RegExp]> = [
  ["shape (2, 3) but five values", MIME.tensor, single({ dtype: "float32", shape: [2, 3], size: 6, values: [[1, 2, 3], [4, 5]] }),
    /entries\[0\]\.data\.values\[1\] has 2 entries but shape \(2, 3\) needs 3 on axis 1/],
  ["flat values for a matrix", MIME.tensor, single({ dtype: "float32", shape: [2, 3], size: 6, values: [1, 2, 3, 4, 5, 6] }),
    /values has 6 entries but shape \(2, 3\) needs 2 on axis 0/],
  ["an array for a scalar", MIME.tensor, single({ dtype: "float32", shape: [], size: 1, values: [1, 2] }),
    /values must be a number \(or null\), got an array/],
  ["size disagrees with the shape", MIME.tensor, single({ dtype: "float32", shape: [2], size: 7, values: [1, 2] }),
    /size is number 7 but shape \(2,\) holds 2 elements/],
  ["size missing", MIME.tensor, single({ dtype: "float32", shape: [2], values: [1, 2] }), /size is undefined but shape \(2,\) holds 2/],
  ["NaN in a shape (saved as null)", MIME.tensor, single({ dtype: "float32", shape: [null, 2], size: 2, values: [[1, 2]] }),
    /shape\[0\] must be a non-negative integer, got null/],
  ["a huge shape", MIME.tensor, single({ dtype: "float32", shape: [1e9, 1e9, 1e9], size: 1, values: [[[1]]] }),
    /shape \(1000000000, 1000000000, 1000000000\) holds more elements than can be counted/],
  ["a huge summarised shape", MIME.tensor, single({ dtype: "float32", shape: [1e9, 1e9], size: 1e18, summary }), /holds more elements than can be counted/],
  ["dtype missing", MIME.tensor, single({ shape: [2], size: 2, values: [1, 2] }), /dtype must be one of float32, float64, int32, bool, got undefined/],
  ["a string among the values", MIME.tensor, single({ dtype: "float32", shape: [2], size: 2, values: [1, "<b>x</b>"] }),
    /values\[1\] must be a number \(or null\), got string "<b>x<\/b>"/],
  ["a summary without its strip", MIME.tensor, single({ dtype: "float32", shape: [2000], size: 2000, summary: { ...summary, strip: undefined } }),
    /summary\.strip must be an array, got undefined/],
  ["a summary with a text minimum", MIME.tensor, single({ dtype: "float32", shape: [2000], size: 2000, summary: { ...summary, min: "x" } }),
    /summary\.min must be a number \(or null\), got string "x"/],
  ["a label that is a number", MIME.tensor, { structure: "array", entries: [{ label: 5, kind: "tensor", data: null }] }, /entries\[0\]\.label must be a string or null/],
  ["jacobian rows saved as null", MIME.jacobian, { ...syntheticJacobian(2, 2), rows: null }, /'rows' must be a non-negative integer, got null/],
  ["jacobian target shape disagrees with rows", MIME.jacobian, { ...syntheticJacobian(2, 3), targetShape: [5] }, /'targetShape' \(5,\) flattens to 5 but 'rows' is 2/],
  ["jacobian rows × cols huge", MIME.jacobian, { ...syntheticJacobian(1, 1), rows: 1e9, cols: 1e9, targetShape: [1e9], sourceShape: [1e9] },
    /'values' has 1 entries but rows × cols = 1000000000 × 1000000000/],
  ["jacobian text value", MIME.jacobian, { ...syntheticJacobian(1, 2), values: [1, "x"] }, /values\[1\] must be a number \(or null\), got string "x"/],
  ["jacobian labels for fewer rows", MIME.jacobian, { ...syntheticJacobian(2, 2), rowLabels: ["a"] }, /'rowLabels' has 1 labels for 2 entries/],
  ["jacobian shape of text", MIME.jacobian, { ...syntheticJacobian(2, 2), targetShape: ["a"] }, /'targetShape'\[0\] must be a non-negative integer, got string "a"/],
  ["tape tensor with a text shape", MIME.tape, withTensor((t) => { (t.tensors[1] as { shape: unknown }).shape = "x"; }), /tensors\[1\]\.shape must be an array, got string "x"/],
  ["tape gradient shorter than its shape", MIME.tape, withTensor((t) => { t.tensors[0].gradient = { dtype: "float32", shape: [4], size: 4, values: [1, 2] }; }),
    /tensors\[0\]\.gradient\.values has 2 entries but shape \(4,\) needs 4/],
  ["tape gradient of another shape", MIME.tape, withTensor((t) => { t.tensors[0].gradient = { dtype: "float32", shape: [2], size: 2, values: [1, 2] }; }),
    /tensors\[0\]\.gradient has shape \(2,\) but the tensor's shape is \(4,\)/],
  ["tape source that is not a tensor", MIME.tape, { ...syntheticTape(3), sources: [99] }, /'sources' names tensor 99, which is not in 'tensors'/],
  ["tape node without its op", MIME.tape, withTensor((t) => { delete (t.nodes[0] as { op?: string }).op; }), /nodes\[0\]\.op must be a string, got undefined/],
  ["tape tensor id used twice", MIME.tape, withTensor((t) => { t.tensors[2].id = t.tensors[1].id; }), /tensors\[2\]\.id 1 is used by an earlier tensor too/],
  ["plot x and y of different lengths", MIME.plotly, { data: [{ x: [1, 2, 3], y: [1, 2] }] }, /data\[0\] has 3 x values but 2 y values/],
  ["plot y that is text", MIME.plotly, { data: [{ y: "abc" }] }, /data\[0\]\.y must be an array, got string "abc"/],
];

for (const [name, mime, payload, problem] of BAD) {
  test(`one line names the problem: ${name}`, async () => {
    const started = performance.now();
    const line = await shown(mime, payload);
    assert.ok(line, "an error line is shown");
    assert.match(line, new RegExp(`^Cannot draw this output\\. ${mime.replace(/[.+]/g, "\\$&")} output: `));
    assert.match(line, problem);
    assert.ok(performance.now() - started < 1000, "checked in time proportional to the payload, not to the counts it claims");
  });
}

test("every output the example notebooks saved passes the checks and draws", async () => {
  const folder = join(__dirname, "..", "..", "notebooks");
  let checked = 0;
  for (const file of readdirSync(folder).filter((name) => name.endsWith(".agnb"))) {
    const notebook = parseNotebook(readFileSync(join(folder, file)), file);
    for (const cell of notebook.cells) {
      for (const output of cell.cell_type === "code" ? cell.outputs ?? [] : []) {
        const data = (output as { data?: Record<string, unknown> }).data ?? {};
        for (const mime of [MIME.tensor, MIME.jacobian, MIME.tape] as string[]) {
          if (data[mime] === undefined) continue;
          assert.equal(await shown(mime, data[mime]), null, `${file}: ${mime}`);
          checked++;
        }
        // plotly.js itself does not load outside a browser; its payload checks do not need it.
        if (data[MIME.plotly] !== undefined) assert.doesNotThrow(() => checkPlotlyPayload(data[MIME.plotly]), file);
      }
    }
  }
  assert.ok(checked > 20, `the notebooks hold drawn outputs (${checked})`);
});

/** Values nested as numpy() nests them for `shape`. */
const nested = (shape: number[], axis = 0): unknown => axis === shape.length ? 0.5 : Array.from({ length: shape[axis] }, () => nested(shape, axis + 1));
const shapeArbitrary = fc.array(fc.nat({ max: 3 }), { maxLength: 4 });

test("a stored shape is accepted exactly when its values are nested that way (property, against numpy's nesting)", async () => {
  await fc.assert(fc.asyncProperty(shapeArbitrary, shapeArbitrary, async (stored, actual) => {
    const size = stored.reduce((a, b) => a * b, 1);
    const line = await shown(MIME.tensor, single({ dtype: "float32", shape: stored, size, values: nested(actual) }));
    const agrees = JSON.stringify(nested(stored)) === JSON.stringify(nested(actual));
    assert.equal(line === null, agrees, `${JSON.stringify(stored)} with values of ${JSON.stringify(actual)}: ${line}`);
    if (!agrees) assert.match(line!, /entries\[0\]\.data\.values/);
  }), { seed: 14, numRuns: 150 });
});

test("a heatmap is accepted exactly when its shapes, rows, columns and values agree (property)", async () => {
  await fc.assert(fc.asyncProperty(shapeArbitrary, shapeArbitrary, fc.nat({ max: 12 }), fc.nat({ max: 12 }), fc.nat({ max: 150 }),
    async (targetShape, sourceShape, rows, cols, count) => {
      const payload = { kind: "jacobian", targetShape, sourceShape, rows, cols, values: Array.from({ length: count }, (_, i) => Math.sin(i)) };
      const line = await shown(MIME.jacobian, payload);
      const product = (shape: number[]) => shape.reduce((a, b) => a * b, 1);
      const agrees = product(targetShape) === rows && product(sourceShape) === cols && count === rows * cols;
      assert.equal(line === null, agrees, `${JSON.stringify({ targetShape, sourceShape, rows, cols, count })}: ${line}`);
    }), { seed: 14, numRuns: 150 });
});
