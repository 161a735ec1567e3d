import { test } from "node:test";
import assert from "node:assert/strict";
import { checkPlotlyPayload, renderPlot, themedLayout } from "./plot";
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

test("until plotly.js has loaded, the output shows the static line chart, in the editor's colours", () => {
  const element = makeOutputElement();
  element.style.setProperty("--vscode-editor-background", "#1e1e1e");
  const drawing = renderPlot(curve, element);
  const picture = element.querySelector(".agnb-plot svg.agnb-pic")!;
  assert.ok(picture, "the static chart is in place at once");
  assert.equal(picture.querySelector(":scope > rect")!.getAttribute("fill"), "#1e1e1e");
  assert.ok([...picture.querySelectorAll("text")].some((t) => t.textContent === "loss: last 1"));
  // The output is thrown away before plotly.js arrives; the pending draw must not fail the test.
  drawing.catch(() => undefined);
});
