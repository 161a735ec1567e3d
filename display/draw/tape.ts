// The recorded tape as a picture: one function draws each edge and each node, used by the
// static SVG (every item at once) and by the webview renderer (items as they come into view).
// A tape too large for the picture's budget is drawn with its middle collapsed into one node.
import type { TapePayload, TensorData } from "../contract";
import { formatNumber, formatShape } from "../format";
import { el, px, type SvgNode } from "./svg";
import { layoutTape, NODE_HEIGHT, NODE_WIDTH, type LaidOutEdge, type LaidOutNode, type TapeLayout } from "./tape-layout";
import { pictureFrame, truncate, type PictureTheme } from "./frame";

export interface Box { minX: number; maxX: number; minY: number; maxY: number }
export interface TapeItem { box: Box; nodes: SvgNode[]; key?: string }

/** Short text for a node: a scalar's value, a small vector's values, or a shape. */
export function briefValue(data: TensorData | undefined): string {
  if (!data) return "";
  if (data.values !== undefined && data.shape.length === 0) return formatNumber(data.values as number);
  if (data.values !== undefined && data.shape.length === 1 && data.shape[0] <= 3) {
    return `[${(data.values as number[]).map(formatNumber).join(", ")}]`;
  }
  return formatShape(data.shape);
}

export function tapeSummary(tape: TapePayload): string {
  const ops = tape.nodes.length;
  return [`GradientTape${tape.persistent ? " (persistent)" : ""}`, `${ops} op${ops === 1 ? "" : "s"}`,
    `${tape.sources.length} watched`, tape.targets.length ? "gradient taken: path from target to sources highlighted" : "no gradient taken yet",
    tape.recording ? "recording" : ""].filter(Boolean).join(" · ");
}

function edgeItem(edge: LaidOutEdge, a: LaidOutNode, b: LaidOutNode): TapeItem {
  const [x1, y1, x2, y2] = [a.x + NODE_WIDTH, a.y + NODE_HEIGHT / 2, b.x, b.y + NODE_HEIGHT / 2];
  const bend = Math.max(24, (x2 - x1) / 2);
  const path = el("path", { class: `edge${edge.onPath ? " on-path" : ""}`, d: `M${px(x1)},${px(y1)}C${px(x1 + bend)},${px(y1)} ${px(x2 - bend)},${px(y2)} ${px(x2)},${px(y2)}` });
  const label = edge.tensor && el("text", { class: "edge-label", x: px((x1 + x2) / 2), y: px((y1 + y2) / 2 - 3), "text-anchor": "middle" }, formatShape(edge.tensor.shape));
  return { box: { minX: x1, maxX: x2, minY: Math.min(y1, y2) - 12, maxY: Math.max(y1, y2) }, nodes: label ? [path, label] : [path] };
}

function nodeItem(node: LaidOutNode): TapeItem {
  const gradient = node.tensor?.gradient;
  const second = gradient ? `∂ ${briefValue(gradient)}` : node.kind === "op" ? "" : briefValue(node.tensor?.value) || formatShape(node.tensor?.shape ?? []);
  const group = el("g", { class: `node ${node.kind}${node.onPath ? " on-path" : ""}`, transform: `translate(${px(node.x)},${px(node.y)})`, "data-key": node.key },
    el("rect", { width: NODE_WIDTH, height: NODE_HEIGHT, rx: node.kind === "op" ? 4 : 14 }),
    el("text", { class: "label", x: NODE_WIDTH / 2, y: 15, "text-anchor": "middle" }, truncate(node.label, 16)),
    second && el("text", { class: gradient ? "grad" : "edge-label", x: NODE_WIDTH / 2, y: 30, "text-anchor": "middle" }, truncate(second, 18)));
  return { box: { minX: node.x, maxX: node.x + NODE_WIDTH, minY: node.y, maxY: node.y + NODE_HEIGHT }, nodes: [group], key: node.key };
}

/** Every edge, then every node (nodes are drawn over the edges that meet them). */
export function tapeItems(layout: TapeLayout): TapeItem[] {
  const byKey = new Map(layout.nodes.map((n) => [n.key, n]));
  return [...layout.edges.map((e) => edgeItem(e, byKey.get(e.from)!, byKey.get(e.to)!)), ...layout.nodes.map(nodeItem)];
}

/**
 * The tape with its ops after the first `head` and before the last `tail` collapsed into one
 * node, which takes the elided ops' inputs and gives their outputs, so the picture stays a DAG
 * from sources to targets.
 */
export function elideTape(tape: TapePayload, head: number, tail: number): TapePayload {
  if (tape.nodes.length <= head + tail + 1) return tape;
  const kept = [...tape.nodes.slice(0, head), ...tape.nodes.slice(tape.nodes.length - tail)];
  const elided = tape.nodes.slice(head, tape.nodes.length - tail);
  const madeInside = new Set(elided.flatMap((n) => n.outputs));
  const usedOutside = new Set(kept.flatMap((n) => n.inputs));
  for (const id of [...tape.targets, ...tape.tensors.filter((t) => t.role === "target").map((t) => t.id)]) usedOutside.add(id);
  // Constants used only inside the collapsed stretch vanish with it.
  const madeByKept = new Set(kept.flatMap((n) => n.outputs));
  const shownAlone = new Set([...tape.sources, ...madeByKept]);
  const inputs = [...new Set(elided.flatMap((n) => n.inputs).filter((id) => !madeInside.has(id) && shownAlone.has(id)))];
  const outputs = [...madeInside].filter((id) => usedOutside.has(id));
  const collapsed = { id: -1, op: `… ${elided.length} ops …`, inputs, outputs, onGradientPath: elided.some((n) => n.onGradientPath) };
  return { ...tape, nodes: [...kept.slice(0, head), collapsed, ...kept.slice(head)] };
}

export const TAPE_STYLE = `.node text{font-size:11px}.edge{stroke:#888;stroke-width:1.2;fill:none}.edge-label{fill:#777;font-size:10px}
.on-path.edge{stroke:#d18616;stroke-width:2.5}.node rect{stroke:#333;stroke-width:1}.op rect{fill:#f3f3f3}
.source rect{fill:#a3cdf7}.constant rect{fill:#e4e4e4}.target rect{fill:#a9d3a6}.on-path rect{stroke:#d18616;stroke-width:2.5}.grad{font-size:10px;font-weight:600}`;

/** The whole tape as one standalone picture: title line, then the graph. */
export function drawTape(tape: TapePayload, theme?: PictureTheme): SvgNode {
  const layout = layoutTape(tape);
  const note = tape.truncatedNodes ? `${tape.truncatedNodes} more ops not sent` : undefined;
  return pictureFrame({ width: layout.width, height: layout.height, title: tapeSummary(tape), note, style: TAPE_STYLE, theme },
    tapeItems(layout).flatMap((item) => item.nodes));
}
