import { test } from "node:test";
import assert from "node:assert/strict";
import { renderJacobian, unflatten, describeEntry } from "./jacobian";
import { divergingColor, parseColor } from "../../display/draw/colors";
import { syntheticJacobian } from "./fixtures";
import { heatmapPicture } from "../../display/draw";
import { renderOutput } from "./agnb.renderer";
import { makeOutputElement, texts } from "./test-dom";

const hessian = { kind: "hessian" as const, title: "∂²loss/∂W∂b", targetShape: [2], sourceShape: [2], rows: 2, cols: 2, values: [9.33, 4, 4, -2] };

test("a small Hessian is a heatmap with each value written in, labelled axes and a legend", () => {
  const element = makeOutputElement();
  renderJacobian(hessian, element);
  assert.deepEqual(texts(element, "g.cells text"), ["9.33", "4", "4", "-2"]);
  const labels = texts(element, "svg text");
  assert.ok(labels.some((t) => /^∂ second → \(2,\)$/.test(t)), labels.join(" | "));
  assert.ok(labels.some((t) => /^∂ first ↓ \(2,\)$/.test(t)));
  assert.ok(labels.includes("+9.33") && labels.includes("-9.33"));
  assert.match(labels[0], /^∂²loss\/∂W∂b · Hessian 2 × 2/);
});

test("colours diverge around 0: positive red, negative blue, zero the background", () => {
  const white: [number, number, number] = [255, 255, 255];
  assert.deepEqual(divergingColor(0, 5, white), white);
  const [r, , b] = divergingColor(5, 5, white);
  assert.ok(r > b, "positive is red");
  const [r2, , b2] = divergingColor(-5, 5, white);
  assert.ok(b2 > r2, "negative is blue");
  const half = divergingColor(2.5, 5, white);
  assert.ok(half[0] > half[2] && half[1] < 255 && half[1] > divergingColor(5, 5, white)[1], "half the limit is a lighter red");
  assert.deepEqual(parseColor("#1e1e1e"), [30, 30, 30]);
  assert.deepEqual(parseColor("rgb(1, 2, 3)"), [1, 2, 3]);
  const element = makeOutputElement();
  renderJacobian(hessian, element);
  const fills = [...element.querySelectorAll("g.cells rect")].map((rect) => rect.getAttribute("fill"));
  assert.equal(fills[0], "#dc3c32", "the largest positive entry has the full positive colour");
  assert.equal(fills.length, 4);
});

test("the heatmap takes the theme's background: zero blends into a dark editor", () => {
  const element = makeOutputElement();
  element.style.setProperty("--vscode-editor-background", "#1e1e1e");
  renderJacobian({ ...hessian, values: [1, 0, 0, -1] }, element);
  const fills = [...element.querySelectorAll("g.cells rect")].map((rect) => rect.getAttribute("fill"));
  assert.equal(fills[1], "#1e1e1e");
  assert.equal(element.querySelector("svg > rect")!.getAttribute("fill"), "#1e1e1e");
});

test("hover names the indices of the entry within the target and source shapes", () => {
  const jac = { kind: "jacobian" as const, targetShape: [2, 3], sourceShape: [4], rows: 6, cols: 4, values: Array.from({ length: 24 }, (_, i) => i) };
  assert.deepEqual(unflatten(5, [2, 3]), [1, 2]);
  assert.equal(describeEntry(jac, 5, 3), "row 5 [1, 2], column 3 [3]: 23");
  const element = makeOutputElement();
  renderJacobian(jac, element);
  const square = element.querySelector('rect[data-row="1"][data-col="2"]')!;
  assert.equal(square.querySelector("title")!.textContent, "row 1 [0, 1], column 2 [2]: 6");
  square.dispatchEvent(new (element.ownerDocument.defaultView as unknown as typeof globalThis).Event("mouseenter"));
  assert.equal(element.querySelector(".agnb-detail")!.textContent, "row 1 [0, 1], column 2 [2]: 6");
});

test("a 100×100 Jacobian is drawn whole, four pixels a square, in one path per colour", () => {
  const element = makeOutputElement();
  renderJacobian(syntheticJacobian(100, 100), element);
  assert.match(element.querySelector("g.cells")!.getAttribute("transform")!, /scale\(4\)/);
  assert.equal(element.querySelectorAll("rect[data-row]").length, 0);
  const paths = [...element.querySelectorAll("g.cells path")];
  assert.ok(paths.length > 10 && paths.length <= 49, `${paths.length} colours`);
  const squares = paths.reduce((n, p) => n + p.getAttribute("d")!.split("M").length - 1, 0);
  assert.ok(squares >= 100 && squares <= 10_000, "runs of equal colour cover every row");
});

test("the renderer draws the picture the bundle carries as image/svg+xml", () => {
  const element = makeOutputElement();
  renderJacobian(hessian, element);
  const drawn = element.querySelector("svg")!;
  const picture = new (element.ownerDocument.defaultView as unknown as typeof globalThis).DOMParser().parseFromString(heatmapPicture(hessian), "image/svg+xml").documentElement;
  const shapes = (root: Element) => [...root.querySelectorAll("g.cells rect, g.cells text")].map((n) => `${n.tagName}:${n.getAttribute("x")},${n.getAttribute("y")}:${n.getAttribute("fill") ?? n.textContent}`);
  assert.deepEqual(shapes(drawn), shapes(picture));
});

test("a Jacobian whose values do not fill rows × cols is refused with the counts", async () => {
  const element = makeOutputElement();
  await renderOutput("application/vnd.agnb.jacobian+json", () => ({ ...hessian, values: [1, 2, 3] }), element);
  assert.match(element.textContent!, /'values' has 3 entries but rows × cols = 2 × 2 = 4/);
});
