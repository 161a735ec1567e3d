import { test } from "node:test";
import assert from "node:assert/strict";
import type { TapePayload } from "../../display/contract";
import { renderTape } from "./tape";
import { layoutTape } from "../../display/draw/tape-layout";
import { syntheticTape } from "./fixtures";
import { renderOutput } from "./agnb.renderer";
import { tapePicture } from "../../display/draw";
import { makeOutputElement, texts } from "./test-dom";

const scalar = (v: number) => ({ dtype: "float32" as const, shape: [], size: 1, values: v });

/** loss = mean((y - (W·x + b))²), after tape.gradient(loss, [W, b]). */
const regression: TapePayload = {
  persistent: false, recording: false,
  tensors: [
    { id: 1, shape: [], dtype: "float32", name: "W", role: "source", value: scalar(0.5), gradient: scalar(-18.67) },
    { id: 2, shape: [], dtype: "float32", name: "b", role: "source", value: scalar(0.1), gradient: scalar(-8.4) },
    { id: 3, shape: [3, 1], dtype: "float32", name: "x", role: "constant" },
    { id: 4, shape: [3, 1], dtype: "float32", name: "y", role: "constant" },
    { id: 5, shape: [3, 1], dtype: "float32", role: "intermediate" },
    { id: 6, shape: [3, 1], dtype: "float32", role: "intermediate" },
    { id: 7, shape: [3, 1], dtype: "float32", role: "intermediate" },
    { id: 8, shape: [3, 1], dtype: "float32", role: "intermediate" },
    { id: 9, shape: [], dtype: "float32", name: "loss", role: "target", value: scalar(15.2), gradient: scalar(1) },
    { id: 10, shape: [], dtype: "float32", name: "unused", role: "source" },
  ],
  nodes: [
    { id: 1, op: "mul", inputs: [1, 3], outputs: [5], onGradientPath: true },
    { id: 2, op: "add", inputs: [5, 2], outputs: [6], onGradientPath: true },
    { id: 3, op: "sub", inputs: [4, 6], outputs: [7], onGradientPath: true },
    { id: 4, op: "square", inputs: [7], outputs: [8], onGradientPath: true },
    { id: 5, op: "reduceMean", inputs: [8], outputs: [9], onGradientPath: true },
  ],
  sources: [1, 2, 10], targets: [9],
};

test("the tape is drawn left to right: sources, ops in order, then the target", () => {
  const element = makeOutputElement();
  renderTape(regression, element);
  const column = (key: string) => Number(/translate\(([\d.]+)/.exec(element.querySelector(`[data-key="${key}"]`)!.getAttribute("transform")!)![1]);
  assert.deepEqual(texts(element, ".node.op .label"), ["mul", "add", "sub", "square", "reduceMean"]);
  assert.deepEqual(texts(element, ".node.source .label").sort(), ["W", "b", "unused"]);
  assert.deepEqual(texts(element, ".node.target .label"), ["loss"]);
  assert.ok(column("t1") < column("op1") && column("op1") < column("op2") && column("op5") < column("t9"));
  assert.ok(column("op2") < column("op3"), "sub comes after the add it consumes");
});

test("edges carry the shapes of the tensors that flow along them", () => {
  const element = makeOutputElement();
  renderTape(regression, element);
  const labels = texts(element, "svg > g > text.edge-label");
  assert.equal(labels.filter((l) => l === "(3, 1)").length, 6);
  assert.ok(labels.includes("()"));
});

test("after gradient() the path from target to sources is highlighted and gradients are shown", () => {
  const element = makeOutputElement();
  renderTape(regression, element);
  const onPath = [...element.querySelectorAll(".node.on-path")].map((n) => n.getAttribute("data-key"));
  assert.deepEqual(onPath.sort(), ["op1", "op2", "op3", "op4", "op5", "t1", "t2", "t9"]);
  assert.equal(element.querySelector('[data-key="t10"]')!.classList.contains("on-path"), false);
  assert.equal(element.querySelector('[data-key="t3"]')!.classList.contains("on-path"), false, "x is a constant: no gradient");
  assert.equal(element.querySelector('[data-key="t1"] .grad')!.textContent, "∂ -18.67");
  assert.ok(element.querySelectorAll("path.edge.on-path").length >= 5);
  assert.match(texts(element, ".agnb-meta")[0], /highlighted/);
});

test("hovering a node shows its values and gradient", () => {
  const element = makeOutputElement();
  renderTape(regression, element);
  const node = element.querySelector('[data-key="t1"]')!;
  node.dispatchEvent(new (element.ownerDocument.defaultView as unknown as typeof globalThis).Event("mouseenter"));
  assert.match(element.querySelector(".agnb-detail")!.textContent!, /source W\nshape \(\) float32\nvalue 0\.5\ngradient -18\.67/);
});

test("a 500-op tape lays out without overlaps and opens at a readable scale", () => {
  const tape = syntheticTape(500);
  const layout = layoutTape(tape);
  assert.equal(layout.nodes.filter((n) => n.kind === "op").length, 500);
  const seen = new Set(layout.nodes.map((n) => `${n.x},${n.y}`));
  assert.equal(seen.size, layout.nodes.length, "no two nodes share a position");
  for (const edge of layout.edges) {
    const from = layout.nodes.find((n) => n.key === edge.from)!;
    const to = layout.nodes.find((n) => n.key === edge.to)!;
    assert.ok(from.x < to.x, `edge ${edge.from} → ${edge.to} runs left to right`);
  }
  const element = makeOutputElement();
  renderTape(tape, element);
  const scale = Number(/scale\(([\d.]+)\)/.exec(element.querySelector("svg > g")!.getAttribute("transform")!)![1]);
  assert.ok(scale >= 0.8, `scale ${scale} keeps labels readable`);
  const shown = element.querySelectorAll(".node.op").length;
  assert.ok(shown > 0 && shown < 100, `only the part in view is in the document (${shown} ops)`);
  assert.ok(element.querySelector('[data-key="op0"]'), "the graph opens at its start");
  (element.querySelector('button[title="fit the whole graph"]') as HTMLButtonElement).click();
  assert.equal(element.querySelectorAll(".node.op").length, 500, "Fit shows every op");
});

test("toolbar zoom changes the scale; a tape naming unknown tensors is refused clearly", async () => {
  const element = makeOutputElement();
  renderTape(regression, element);
  const group = element.querySelector("svg > g")!;
  const before = group.getAttribute("transform");
  (element.querySelector('button[title="zoom in"]') as HTMLButtonElement).click();
  assert.notEqual(group.getAttribute("transform"), before);
  const bad = makeOutputElement();
  await renderOutput("application/vnd.agnb.tape+json", () => ({ ...regression, nodes: [{ id: 1, op: "mul", inputs: [99], outputs: [5] }] }), bad);
  assert.match(bad.textContent!, /nodes\[0\]\.inputs names tensor 99, which is not in 'tensors'/);
});

test("the renderer draws the nodes and edges of the picture the bundle carries as image/svg+xml", () => {
  const element = makeOutputElement();
  renderTape(regression, element);
  (element.querySelector('button[title="fit the whole graph"]') as HTMLButtonElement).click();
  const picture = new (element.ownerDocument.defaultView as unknown as typeof globalThis).DOMParser().parseFromString(tapePicture(regression), "image/svg+xml").documentElement;
  const shapes = (root: Element) => [...root.querySelectorAll(".node, path.edge")].map((n) => n.outerHTML).sort();
  assert.equal(shapes(picture).length, 11 + 9, "11 nodes, 9 edges");
  assert.deepEqual(shapes(element.querySelector("svg")!), shapes(picture));
});
