import { test } from "node:test";
import assert from "node:assert/strict";
import { checkPlotlyPayload, themedLayout } from "./plot";
import { renderOutput } from "./agnb.renderer";
import { makeOutputElement } from "./test-dom";

const curve = { data: [{ x: [1, 2, 3], y: [4, 2, 1], type: "scatter", name: "loss" }], layout: { title: { text: "loss" }, yaxis: { title: { text: "loss" } } } };

test("the plot layout takes the theme's colours and keeps the payload's titles", () => {
  const element = makeOutputElement();
  element.style.setProperty("--vscode-editor-foreground", "#d4d4d4");
  const layout = themedLayout(curve, element, false) as Record<string, any>;
  assert.equal(layout.font.color, "#d4d4d4");
  assert.equal(layout.paper_bgcolor, "rgba(0,0,0,0)");
  assert.deepEqual(layout.title, { text: "loss" });
  assert.deepEqual(layout.yaxis.title, { text: "loss" });
  assert.equal(layout.yaxis.type, "linear");
  assert.equal((themedLayout(curve, element, true) as Record<string, any>).yaxis.type, "log");
});

test("a plot payload without a data array is refused clearly", async () => {
  assert.throws(() => checkPlotlyPayload({ layout: {} }), /'data' must be an array, got undefined/);
  const element = makeOutputElement();
  await renderOutput("application/vnd.plotly.v1+json", () => ({ data: [3] }), element);
  assert.match(element.textContent!, /data\[0\] must be an object, got number 3/);
});
