// application/vnd.agnb.tape+json: the recorded graph as an SVG DAG, pannable by dragging and
// zoomable with the toolbar or Ctrl+wheel (a plain wheel keeps scrolling the notebook). Edges
// and nodes are drawn by display/draw/tape, the code that draws the static picture.
import type { TapePayload, TensorData } from "../../display/contract";
import { MIME } from "../../display/contract";
import { describe, formatNumber, formatShape, html, PayloadError, requireArray, requireObject, svg } from "./dom";
import { checkOptional, checkShape, checkTensorData } from "./payload-checks";
import { layoutTape, type LaidOutNode, type TapeLayout } from "../../display/draw/tape-layout";
import { tapeItems, tapeSummary } from "../../display/draw/tape";
import { toDom } from "../../display/draw/svg";

const M = MIME.tape;
const VIEW_HEIGHT = 560;
const FALLBACK_VIEW_WIDTH = 900;
const MIN_READABLE_SCALE = 0.8;

export function renderTape(payload: unknown, element: HTMLElement): void {
  const tape = checkTapePayload(payload);
  const layout = layoutTape(tape);
  const root = html(element, "div", { class: "agnb agnb-tape" });
  root.append(html(root, "div", { class: "agnb-meta" }, tapeSummary(tape)));
  if (tape.truncatedNodes) {
    root.append(html(root, "div", { class: "agnb-warn" }, `${tape.truncatedNodes} more ops not shown (tape too large to send whole)`));
  }
  const detail = html(root, "div", { class: "agnb-detail agnb-meta" }, "Hover over a node to see its values and gradient.");
  const toolbar = html(root, "div", { class: "agnb-toolbar" });
  const frame = html(root, "div", { class: "agnb-graph" });
  root.append(toolbar, frame, detail);
  const view = drawGraph(frame, layout, detail);
  for (const [label, title, action] of [
    ["−", "zoom out", () => view.zoom(1 / 1.25)], ["+", "zoom in", () => view.zoom(1.25)],
    ["Fit", "fit the whole graph", () => view.fit()], ["1:1", "actual size", () => view.reset()],
  ] as const) {
    const button = html(toolbar, "button", { type: "button", title }, label);
    button.addEventListener("click", action);
    toolbar.append(button);
  }
  element.replaceChildren(root);
}

const ROLES = new Set(["source", "target", "intermediate", "constant"]);
const isCount = (value: unknown) => Number.isSafeInteger(value) && (value as number) >= 0;

export function checkTapePayload(payload: unknown): TapePayload {
  const body = requireObject(M, payload, "the payload");
  const nodes = requireArray(M, body.nodes, "'nodes'");
  const tensors = requireArray(M, body.tensors, "'tensors'");
  for (const field of ["persistent", "recording"]) checkOptional(M, body[field], `'${field}'`, (flag) => typeof flag === "boolean", "true or false");
  checkOptional(M, body.truncatedNodes, "'truncatedNodes'", isCount, "a non-negative integer");
  const known = new Set<unknown>();
  tensors.forEach((tensor, i) => {
    const where = `tensors[${i}]`;
    const fields = requireObject(M, tensor, where);
    if (!Number.isSafeInteger(fields.id)) throw new PayloadError(M, `${where}.id must be an integer, got ${describe(fields.id)}`);
    if (known.has(fields.id)) throw new PayloadError(M, `${where}.id ${fields.id} is used by an earlier tensor too`);
    known.add(fields.id);
    const shape = checkShape(M, fields.shape, `${where}.shape`);
    if (typeof fields.dtype !== "string") throw new PayloadError(M, `${where}.dtype must be a string, got ${describe(fields.dtype)}`);
    if (!ROLES.has(fields.role as string)) throw new PayloadError(M, `${where}.role must be one of ${[...ROLES].join(", ")}, got ${describe(fields.role)}`);
    checkOptional(M, fields.name, `${where}.name`, (name) => typeof name === "string", "a string");
    for (const field of ["value", "gradient"] as const) {
      if (fields[field] === undefined) continue;
      const data = checkTensorData(M, fields[field], `${where}.${field}`);
      if (formatShape(data.shape) !== formatShape(shape)) {
        throw new PayloadError(M, `${where}.${field} has shape ${formatShape(data.shape)} but the tensor's shape is ${formatShape(shape)}`);
      }
    }
  });
  const checkIds = (ids: unknown, where: string) => {
    for (const id of requireArray(M, ids, where)) {
      if (!known.has(id)) throw new PayloadError(M, `${where} names tensor ${JSON.stringify(id)}, which is not in 'tensors'`);
    }
  };
  checkIds(body.sources, "'sources'");
  checkIds(body.targets, "'targets'");
  nodes.forEach((node, i) => {
    const op = requireObject(M, node, `nodes[${i}]`);
    if (typeof op.op !== "string") throw new PayloadError(M, `nodes[${i}].op must be a string, got ${describe(op.op)}`);
    for (const field of ["inputs", "outputs"] as const) checkIds(op[field], `nodes[${i}].${field}`);
  });
  return payload as TapePayload;
}

function describeNode(node: LaidOutNode): string {
  const t = node.tensor;
  const lines = [node.kind === "op" ? `op ${node.label}` : `${node.kind} ${node.label}`];
  if (t) {
    lines.push(`${node.kind === "op" ? "output " : ""}shape ${formatShape(t.shape)} ${t.dtype}`);
    if (t.value) lines.push(`value ${valueText(t.value)}`);
    if (t.gradient) lines.push(`gradient ${valueText(t.gradient)}`);
  }
  return lines.join("\n");
}

function valueText(data: TensorData): string {
  if (data.values !== undefined) return JSON.stringify(data.values, (_k, v) => (typeof v === "number" ? Number(formatNumber(v)) : v));
  if (data.summary) return `${formatShape(data.shape)} min ${formatNumber(data.summary.min)} max ${formatNumber(data.summary.max)} mean ${formatNumber(data.summary.mean)}`;
  return formatShape(data.shape);
}

interface GraphView { zoom(factor: number): void; fit(): void; reset(): void }

interface Drawable { minX: number; maxX: number; minY: number; maxY: number; make(): SVGElement[]; made?: SVGElement[] }

function drawGraph(frame: HTMLElement, layout: TapeLayout, detail: HTMLElement): GraphView {
  const viewWidth = () => frame.clientWidth || FALLBACK_VIEW_WIDTH;
  const canvas = svg(frame, "svg", { width: "100%", role: "img", "aria-label": "recorded tape graph" });
  const scene = svg(frame, "g", {});
  canvas.append(scene);
  const byKey = new Map(layout.nodes.map((n) => [n.key, n]));

  // Elements are made the first time they come into view and only what is in view (with a
  // margin) is in the document, so a 500-op tape costs what the visible part costs.
  const items: Drawable[] = tapeItems(layout).map((item) => ({
    ...item.box,
    make() {
      const made = item.nodes.map((node) => toDom(frame, node));
      const node = item.key ? byKey.get(item.key) : undefined;
      if (node) {
        const group = made[0];
        group.addEventListener("mouseenter", () => { detail.textContent = describeNode(node); });
        group.addEventListener("click", () => {
          frame.querySelector(".node.selected")?.classList.remove("selected");
          group.classList.add("selected");
          detail.textContent = describeNode(node);
        });
      }
      return made;
    },
  }));

  const state = { scale: 1, x: 0, y: 0 };
  const paint = () => {
    const margin = 0.5;
    const width = viewWidth() / state.scale;
    const height = VIEW_HEIGHT / state.scale;
    const left = -state.x / state.scale - width * margin;
    const top = -state.y / state.scale - height * margin;
    const right = left + width * (1 + 2 * margin);
    const bottom = top + height * (1 + 2 * margin);
    const visible: SVGElement[] = [];
    for (const item of items) {
      if (item.maxX < left || item.minX > right || item.maxY < top || item.minY > bottom) continue;
      item.made ??= item.make();
      visible.push(...item.made);
    }
    scene.replaceChildren(...visible);
  };
  let pending = false;
  const apply = (immediately = false) => {
    canvas.setAttribute("height", String(Math.min(VIEW_HEIGHT, Math.ceil(layout.height * state.scale) + 4)));
    scene.setAttribute("transform", `translate(${state.x},${state.y}) scale(${state.scale})`);
    const view = frame.ownerDocument.defaultView;
    if (immediately || !view?.requestAnimationFrame) return paint();
    if (pending) return;
    pending = true;
    view.requestAnimationFrame(() => { pending = false; paint(); });
  };
  const view: GraphView = {
    zoom(factor) { state.scale = Math.min(4, Math.max(0.05, state.scale * factor)); apply(true); },
    fit() {
      state.scale = Math.min(1, viewWidth() / layout.width, VIEW_HEIGHT / layout.height);
      state.x = 0; state.y = 0; apply(true);
    },
    reset() { state.scale = 1; state.x = 0; state.y = 0; apply(true); },
  };
  // Large tapes open at the smallest scale that keeps labels readable; the rest is a drag away.
  state.scale = Math.max(MIN_READABLE_SCALE, Math.min(1, viewWidth() / layout.width, VIEW_HEIGHT / layout.height));
  const firstColumnTop = Math.min(...layout.nodes.filter((n) => n.layer === 0).map((n) => n.y));
  if (layout.height * state.scale > VIEW_HEIGHT) state.y = -Math.max(0, firstColumnTop - 12) * state.scale;
  apply(true);

  let drag: { x: number; y: number } | null = null;
  frame.addEventListener("pointerdown", (e) => { drag = { x: e.clientX - state.x, y: e.clientY - state.y }; frame.style.cursor = "grabbing"; });
  frame.addEventListener("pointermove", (e) => { if (drag) { state.x = e.clientX - drag.x; state.y = e.clientY - drag.y; apply(); } });
  const stop = () => { drag = null; frame.style.cursor = ""; };
  frame.addEventListener("pointerup", stop);
  frame.addEventListener("pointerleave", stop);
  frame.addEventListener("wheel", (e) => {
    if (!e.ctrlKey) return;
    e.preventDefault();
    view.zoom(e.deltaY < 0 ? 1.15 : 1 / 1.15);
  }, { passive: false });
  frame.append(canvas);
  return view;
}
