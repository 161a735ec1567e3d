import { test } from "node:test";
import assert from "node:assert/strict";
import type { TensorPayload } from "../../display/contract";
import { MIME } from "../../display/contract";
import { renderTensor } from "./tensor";
import { renderOutput } from "./agnb.renderer";
import { makeOutputElement, texts } from "./test-dom";

test("a scalar tensor is a large number with its dtype and name", () => {
  const element = makeOutputElement();
  const payload: TensorPayload = { structure: "single", entries: [
    { label: null, kind: "tensor", name: "loss", data: { dtype: "float32", shape: [], size: 1, values: 10 } },
  ] };
  renderTensor(payload, element);
  assert.deepEqual(texts(element, ".agnb-scalar"), ["10.0"]);
  const meta = texts(element, ".agnb-meta").join(" ");
  assert.match(meta, /'loss'/);
  assert.match(meta, /shape=\(\)/);
  assert.match(meta, /dtype=float32/);
});

test("a matrix is a table with row and column indices, shape and dtype", () => {
  const element = makeOutputElement();
  renderTensor({ structure: "single", entries: [
    { label: null, kind: "variable", name: "W", data: { dtype: "float64", shape: [2, 3], size: 6, values: [[1, 2.5, 3], [4, 5, 0.1234567]] } },
  ] }, element);
  const rows = [...element.querySelectorAll("table.agnb-values tr")].map((tr) => [...tr.children].map((c) => c.textContent));
  assert.deepEqual(rows, [["", "0", "1", "2"], ["0", "1.0", "2.5", "3.0"], ["1", "4.0", "5.0", "0.123457"]]);
  assert.match(texts(element, ".agnb-meta")[0], /^Variable 'W' shape=\(2, 3\) dtype=float64$/);
});

test("a large tensor is summarised with statistics and a heat strip instead of its values", () => {
  const element = makeOutputElement();
  const strip = Array.from({ length: 64 }, (_, i) => i / 63);
  renderTensor({ structure: "single", entries: [
    { label: null, kind: "tensor", data: { dtype: "float32", shape: [1000, 1000], size: 1e6,
      summary: { min: -3, max: 4, mean: 0.5, std: 1, nonFinite: 2, strip } } },
  ] }, element);
  assert.equal(element.querySelectorAll("td").length, 5);
  assert.equal(element.querySelector('[data-stat="min"]')!.textContent, "-3");
  assert.equal(element.querySelector('[data-stat="max"]')!.textContent, "4");
  assert.equal(element.querySelector('[data-stat="mean"]')!.textContent, "0.5");
  assert.equal(element.querySelectorAll(".agnb-strip > span").length, 64);
  assert.match(texts(element, ".agnb-warn")[0], /2 values are NaN or infinite/);
  assert.match(element.textContent!, /shape=\(1000, 1000\)/);
});

test("a gradient list labels each entry with its source and marks unconnected ones", () => {
  const element = makeOutputElement();
  renderTensor({ structure: "array", entries: [
    { label: "W", kind: "tensor", data: { dtype: "float32", shape: [1], size: 1, values: [-18.5] } },
    { label: "b", kind: "tensor", data: { dtype: "float32", shape: [], size: 1, values: -8 } },
    { label: "unused", kind: "tensor", data: null },
  ] }, element);
  assert.deepEqual(texts(element, ".agnb-label"), ["W", "b", "unused"]);
  assert.deepEqual(texts(element, ".agnb-scalar"), ["-8.0"]);
  assert.equal(element.querySelector(".agnb-entry td")!.textContent, "-18.5");
  assert.match(element.querySelectorAll(".agnb-entry")[2].textContent!, /None/);
});

test("rank-3 tensors are drawn as labelled 2-D slices", () => {
  const element = makeOutputElement();
  renderTensor({ structure: "single", entries: [
    { label: null, kind: "tensor", data: { dtype: "int32", shape: [2, 1, 2], size: 4, values: [[[1, 2]], [[3, 4]]] } },
  ] }, element);
  assert.deepEqual(texts(element, ".agnb-slices > .agnb-meta"), ["[0, :, :]", "[1, :, :]"]);
  assert.deepEqual(texts(element, "td"), ["1", "2", "3", "4"]);
});

test("a malformed tensor payload shows an error naming the problem", async () => {
  const element = makeOutputElement();
  await renderOutput(MIME.tensor, () => ({ structure: "single", entries: [{ label: null, kind: "tensor", data: { dtype: "float32", shape: "2x2" } }] }), element);
  assert.match(element.textContent!, /entries\[0\]\.data\.shape must be an array/);
  const broken = makeOutputElement();
  await renderOutput(MIME.tensor, () => JSON.parse("{oops"), broken);
  assert.match(broken.textContent!, /not valid JSON/);
});

test("text from an output is never parsed as HTML", () => {
  const element = makeOutputElement();
  renderTensor({ structure: "object", entries: [
    { label: "<img src=x onerror=alert(1)>", kind: "tensor", data: { dtype: "float32", shape: [], size: 1, values: 1 } },
  ] }, element);
  assert.equal(element.querySelector("img"), null);
  assert.equal(texts(element, ".agnb-label")[0], "<img src=x onerror=alert(1)>");
});
