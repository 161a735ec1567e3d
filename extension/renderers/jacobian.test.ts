import { test } from "node:test";
import assert from "node:assert/strict";
import { renderJacobian, unflatten, describeEntry } from "./jacobian";
import { divergingColor, parseColor } from "./colors";
import { syntheticJacobian } from "./fixtures";
import { renderOutput } from "./agnb.renderer";
import { makeOutputElement, texts } from "./test-dom";

const hessian = { kind: "hessian" as const, title: "∂²loss/∂W∂b", targetShape: [2], sourceShape: [2], rows: 2, cols: 2, values: [9.33, 4, 4, -2] };

test("a small Hessian is a coloured table with values, labelled axes and a legend", () => {
  const element = makeOutputElement();
  renderJacobian(hessian, element);
  assert.deepEqual(texts(element, ".agnb-heat-table td"), ["9.33", "4", "4", "-2"]);
  assert.match(texts(element, ".axis-x")[0], /∂ second/);
  assert.match(texts(element, ".axis-y")[0], /∂ first/);
  assert.deepEqual(texts(element, ".agnb-legend span"), ["+9.33", "-9.33"]);
  assert.equal(texts(element, ".agnb-label")[0], "∂²loss/∂W∂b");
  assert.match(element.textContent!, /Hessian 2 × 2/);
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
  const cells = [...element.querySelectorAll<HTMLElement>(".agnb-heat-table td")].map((td) => td.getAttribute("style"));
  assert.match(cells[0]!, /background:rgb\(220, 60, 50\)/, "the largest positive entry has the full positive colour");
});

test("hover names the indices of the entry within the target and source shapes", () => {
  const jac = { kind: "jacobian" as const, targetShape: [2, 3], sourceShape: [4], rows: 6, cols: 4, values: Array.from({ length: 24 }, (_, i) => i) };
  assert.deepEqual(unflatten(5, [2, 3]), [1, 2]);
  assert.equal(describeEntry(jac, 5, 3), "row 5 [1, 2], column 3 [3]: 23");
  const element = makeOutputElement();
  renderJacobian(jac, element);
  const cell = element.querySelector('td[data-row="1"][data-col="2"]')!;
  assert.equal(cell.getAttribute("title"), "row 1 [0, 1], column 2 [2]: 6");
  cell.dispatchEvent(new (element.ownerDocument.defaultView as unknown as typeof globalThis).Event("mouseenter"));
  assert.equal(element.querySelector(".agnb-detail")!.textContent, "row 1 [0, 1], column 2 [2]: 6");
});

test("a 100×100 Jacobian is one canvas pixel per entry, scaled up", () => {
  const element = makeOutputElement();
  renderJacobian(syntheticJacobian(100, 100), element);
  const canvas = element.querySelector("canvas")!;
  assert.equal(canvas.getAttribute("width"), "100");
  assert.equal(canvas.getAttribute("height"), "100");
  assert.match(canvas.getAttribute("style")!, /width:400px;height:400px/);
  assert.equal(element.querySelectorAll("td").length, 0);
});

test("a Jacobian whose values do not fill rows × cols is refused with the counts", async () => {
  const element = makeOutputElement();
  await renderOutput("application/vnd.agnb.jacobian+json", () => ({ ...hessian, values: [1, 2, 3] }), element);
  assert.match(element.textContent!, /'values' has 3 entries but rows × cols = 2 × 2 = 4/);
});
