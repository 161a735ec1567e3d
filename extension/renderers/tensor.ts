// application/vnd.agnb.tensor+json: one tensor, or a structure of them such as a gradient list.
import type { NestedValues, TensorData, TensorEntry, TensorPayload, TensorSummary } from "../../display/contract";
import { MIME } from "../../display/contract";
import { formatElement, formatNumber, formatShape, html, PayloadError, requireArray, requireObject } from "./dom";
import { checkOptional, checkTensorData as checkData } from "./payload-checks";
import { sequentialColor, toCss } from "../../display/draw/colors";

const M = MIME.tensor;
/** Slices drawn for a tensor of rank 3 or more before the rest is only counted. */
const MAX_SLICES = 8;

export function renderTensor(payload: unknown, element: HTMLElement): void {
  const { structure, entries } = checkTensorPayload(payload);
  const root = html(element, "div", { class: "agnb agnb-tensor", "data-structure": structure });
  for (const entry of entries) root.append(renderEntry(root, entry, structure !== "single"));
  element.replaceChildren(root);
}

export function checkTensorPayload(payload: unknown): TensorPayload {
  const body = requireObject(M, payload, "the payload");
  if (!["single", "array", "object"].includes(body.structure as string)) {
    throw new PayloadError(M, `'structure' must be "single", "array" or "object", got ${JSON.stringify(body.structure)}`);
  }
  const entries = requireArray(M, body.entries, "'entries'");
  entries.forEach((entry, index) => {
    const fields = requireObject(M, entry, `entries[${index}]`);
    checkOptional(M, fields.label, `entries[${index}].label`, (label) => label === null || typeof label === "string", "a string or null");
    checkOptional(M, fields.name, `entries[${index}].name`, (name) => typeof name === "string", "a string");
    if (fields.data !== null) checkTensorData(fields.data, `entries[${index}].data`);
  });
  return payload as TensorPayload;
}

export function checkTensorData(data: unknown, where: string): TensorData {
  return checkData(M, data, where);
}

function renderEntry(context: Node, entry: TensorEntry, labelled: boolean): HTMLElement {
  const box = html(context, "div", { class: "agnb-entry" });
  const header = html(box, "div", {});
  if (labelled || entry.label) header.append(html(box, "span", { class: "agnb-label" }, entry.label ?? entry.name ?? "?"));
  if (entry.data === null) {
    header.append(html(box, "span", { class: "agnb-meta" }, "None — no gradient reached this source"));
    box.append(header);
    return box;
  }
  const data = entry.data;
  const isScalar = data.shape.length === 0 && data.values !== undefined;
  if (isScalar) header.append(html(box, "span", { class: "agnb-scalar agnb-value" }, formatElement(data.values as number, data.dtype)));
  const described = [entry.kind === "variable" ? "Variable" : "Tensor", entry.name && entry.name !== entry.label ? `'${entry.name}'` : "",
    `shape=${formatShape(data.shape)}`, `dtype=${data.dtype}`].filter(Boolean).join(" ");
  header.append(html(box, "span", { class: "agnb-meta" }, described));
  box.append(header);
  if (isScalar) return box;
  if (data.values !== undefined) box.append(renderValues(box, data.values, data.shape, data.dtype));
  else if (data.summary) box.append(renderSummary(box, data.summary, data.size));
  return box;
}

function renderValues(context: Node, values: NestedValues, shape: number[], dtype: string): HTMLElement {
  if (shape.length <= 2) return valuesTable(context, values, shape, dtype);
  // Rank ≥ 3: one table per trailing 2-D slice, labelled with its leading indices as in NumPy.
  const container = html(context, "div", { class: "agnb-slices" });
  const slices: Array<[number[], NestedValues]> = [];
  const walk = (node: NestedValues, prefix: number[]) => {
    if (slices.length >= MAX_SLICES) return;
    if (prefix.length === shape.length - 2) { slices.push([prefix, node]); return; }
    (node as NestedValues[]).forEach((child, i) => walk(child, [...prefix, i]));
  };
  walk(values, []);
  for (const [prefix, slice] of slices) {
    container.append(html(context, "div", { class: "agnb-meta" }, `[${prefix.join(", ")}, :, :]`));
    container.append(valuesTable(context, slice, shape.slice(-2), dtype));
  }
  const total = shape.slice(0, -2).reduce((a, b) => a * b, 1);
  if (total > slices.length) container.append(html(context, "div", { class: "agnb-meta" }, `… ${total - slices.length} more slices`));
  return container;
}

function valuesTable(context: Node, values: NestedValues, shape: number[], dtype: string): HTMLTableElement {
  const rows = shape.length === 2 ? (values as NestedValues[]) : [values];
  const table = html(context, "table", { class: "agnb-table agnb-values" });
  const columns = shape.length === 0 ? 1 : shape[shape.length - 1];
  const head = html(context, "tr", {}, html(context, "th", {}, ""));
  for (let c = 0; c < columns; c++) head.append(html(context, "th", {}, String(c)));
  if (shape.length >= 1) table.append(head);
  rows.forEach((row, r) => {
    const cells = Array.isArray(row) ? row : [row];
    const tr = html(context, "tr", {});
    if (shape.length >= 1) tr.append(html(context, "th", {}, shape.length === 2 ? String(r) : ""));
    for (const cell of cells) tr.append(html(context, "td", {}, formatElement(cell as number, dtype)));
    table.append(tr);
  });
  return table;
}

function renderSummary(context: Node, summary: TensorSummary, size: number): HTMLElement {
  const box = html(context, "div", { class: "agnb-summary" });
  const table = html(context, "table", { class: "agnb-table" });
  const stats: Array<[string, number]> = [["size", size], ["min", summary.min], ["max", summary.max], ["mean", summary.mean], ["std", summary.std]];
  const head = html(context, "tr", {});
  const body = html(context, "tr", {});
  for (const [name, value] of stats) {
    head.append(html(context, "th", {}, name));
    body.append(html(context, "td", { "data-stat": name }, formatNumber(value)));
  }
  table.append(head, body);
  box.append(table);
  if (summary.nonFinite > 0) {
    box.append(html(context, "div", { class: "agnb-warn" }, `${summary.nonFinite} values are NaN or infinite`));
  }
  box.append(heatStrip(context, summary));
  return box;
}

/** The flattened values in order, averaged into bins: where a tensor is large, small or odd. */
function heatStrip(context: Node, summary: TensorSummary): HTMLElement {
  const strip = html(context, "div", { class: "agnb-strip", title: "values in order, averaged into bins (min → max colour)" });
  const range = summary.max - summary.min;
  for (const bin of summary.strip) {
    const t = range > 0 ? (bin - summary.min) / range : 0.5;
    strip.append(html(context, "span", { style: `background:${toCss(sequentialColor(t))}`, title: formatNumber(bin) }));
  }
  return strip;
}
