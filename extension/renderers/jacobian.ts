// application/vnd.agnb.jacobian+json: a Jacobian or Hessian as a heatmap on a diverging scale
// centred on 0. Small matrices are a coloured table that also shows each value; large ones are a
// canvas with one pixel per entry, scaled up, with the value under the pointer shown on hover.
import type { JacobianPayload } from "../../engine/mime";
import { MIME } from "../../engine/mime";
import { formatNumber, formatShape, html, PayloadError, requireArray, requireObject, themeColor } from "./dom";
import { divergingColor, parseColor, toCss, type Rgb } from "./colors";

const M = MIME.jacobian;
/** Up to this many entries the matrix is a table with the numbers written in. */
const TABLE_LIMIT = 144;
const TARGET_PIXELS = 480;

export function renderJacobian(payload: unknown, element: HTMLElement): void {
  const jac = checkJacobianPayload(payload);
  const limit = jac.values.reduce<number>((m, v) => (v !== null && Number.isFinite(v) ? Math.max(m, Math.abs(v)) : m), 0);
  const background = parseColor(themeColor(element, "--vscode-editor-background", "#ffffff")) ?? [255, 255, 255];
  const colour = (v: number | null) => divergingColor(v, limit, background);

  const root = html(element, "div", { class: "agnb agnb-jacobian", "data-rows": jac.rows, "data-cols": jac.cols });
  const what = jac.kind === "hessian" ? "Hessian" : "Jacobian";
  root.append(html(root, "div", {}, jac.title ? html(root, "span", { class: "agnb-label" }, jac.title) : null,
    html(root, "span", { class: "agnb-meta" }, `${what} ${jac.rows} × ${jac.cols} · target ${formatShape(jac.targetShape)} · source ${formatShape(jac.sourceShape)}`)));
  const detail = html(root, "div", { class: "agnb-detail agnb-meta" }, "Hover over an entry to see its indices and value.");
  const describe = (row: number, col: number) => describeEntry(jac, row, col);

  const grid = html(root, "div", { class: "agnb-heatmap" });
  const rowAxis = jac.kind === "hessian" ? "∂ first" : "target (row)";
  const colAxis = jac.kind === "hessian" ? "∂ second" : "source (column)";
  grid.append(html(root, "div", {}), html(root, "div", { class: "agnb-axis axis-x" }, `${colAxis} → ${formatShape(jac.sourceShape)}`), html(root, "div", {}));
  grid.append(html(root, "div", { class: "agnb-axis axis-y" }, `${rowAxis} ↓ ${formatShape(jac.targetShape)}`));
  grid.append(jac.rows * jac.cols <= TABLE_LIMIT ? heatTable(root, jac, colour, describe, detail) : heatCanvas(root, jac, colour, describe, detail));
  grid.append(legend(root, limit, colour));
  root.append(grid, detail);
  element.replaceChildren(root);
}

export function checkJacobianPayload(payload: unknown): JacobianPayload {
  const body = requireObject(M, payload, "the payload");
  if (body.kind !== "jacobian" && body.kind !== "hessian") {
    throw new PayloadError(M, `'kind' must be "jacobian" or "hessian", got ${JSON.stringify(body.kind)}`);
  }
  for (const field of ["rows", "cols"] as const) {
    if (!Number.isInteger(body[field]) || (body[field] as number) < 0) {
      throw new PayloadError(M, `'${field}' must be a non-negative integer, got ${JSON.stringify(body[field])}`);
    }
  }
  requireArray(M, body.targetShape, "'targetShape'");
  requireArray(M, body.sourceShape, "'sourceShape'");
  const values = requireArray(M, body.values, "'values'");
  const expected = (body.rows as number) * (body.cols as number);
  if (values.length !== expected) {
    throw new PayloadError(M, `'values' has ${values.length} entries but rows × cols = ${body.rows} × ${body.cols} = ${expected}`);
  }
  return payload as JacobianPayload;
}

/** Row-major flat index → indices within `shape` (the shape a row or column flattens). */
export function unflatten(index: number, shape: number[]): number[] {
  const out: number[] = [];
  for (let i = shape.length - 1; i >= 0; i--) {
    out.unshift(index % shape[i]);
    index = Math.floor(index / shape[i]);
  }
  return out;
}

export function describeEntry(jac: JacobianPayload, row: number, col: number): string {
  const rowName = jac.rowLabels?.[row] ?? `[${unflatten(row, jac.targetShape).join(", ")}]`;
  const colName = jac.colLabels?.[col] ?? `[${unflatten(col, jac.sourceShape).join(", ")}]`;
  const value = jac.values[row * jac.cols + col];
  return `row ${row} ${rowName}, column ${col} ${colName}: ${formatNumber(value)}`;
}

type Colour = (v: number | null) => Rgb;
type Describe = (row: number, col: number) => string;

function heatTable(context: Node, jac: JacobianPayload, colour: Colour, describe: Describe, detail: HTMLElement): HTMLElement {
  const table = html(context, "table", { class: "agnb-table agnb-heat-table" });
  const head = html(context, "tr", {}, html(context, "th", {}, ""));
  for (let c = 0; c < jac.cols; c++) head.append(html(context, "th", {}, jac.colLabels?.[c] ?? String(c)));
  table.append(head);
  for (let r = 0; r < jac.rows; r++) {
    const tr = html(context, "tr", {}, html(context, "th", {}, jac.rowLabels?.[r] ?? String(r)));
    for (let c = 0; c < jac.cols; c++) {
      const value = jac.values[r * jac.cols + c];
      const rgb = colour(value);
      const ink = rgb[0] * 0.299 + rgb[1] * 0.587 + rgb[2] * 0.114 > 140 ? "#000" : "#fff";
      const td = html(context, "td", { style: `background:${toCss(rgb)};color:${ink}`, title: describe(r, c), "data-row": r, "data-col": c }, formatNumber(value));
      td.addEventListener("mouseenter", () => { detail.textContent = describe(r, c); });
      tr.append(td);
    }
    table.append(tr);
  }
  return table;
}

function heatCanvas(context: Node, jac: JacobianPayload, colour: Colour, describe: Describe, detail: HTMLElement): HTMLElement {
  const cell = Math.max(1, Math.min(24, Math.floor(TARGET_PIXELS / Math.max(jac.rows, jac.cols, 1))));
  const canvas = html(context, "canvas", { width: jac.cols, height: jac.rows, style: `width:${jac.cols * cell}px;height:${jac.rows * cell}px` });
  const drawing = canvas.getContext?.("2d");
  if (drawing) {
    const image = drawing.createImageData(jac.cols, jac.rows);
    jac.values.forEach((value, i) => {
      const [r, g, b] = colour(value);
      image.data.set([r, g, b, 255], i * 4);
    });
    drawing.putImageData(image, 0, 0);
  }
  canvas.addEventListener("mousemove", (event) => {
    const box = canvas.getBoundingClientRect();
    const col = Math.floor(((event.clientX - box.left) / box.width) * jac.cols);
    const row = Math.floor(((event.clientY - box.top) / box.height) * jac.rows);
    if (row >= 0 && row < jac.rows && col >= 0 && col < jac.cols) {
      detail.textContent = describe(row, col);
      canvas.title = detail.textContent;
    }
  });
  return canvas;
}

function legend(context: Node, limit: number, colour: Colour): HTMLElement {
  const stops = [1, 0.5, 0, -0.5, -1].map((t, i) => `${toCss(colour(t * limit))} ${i * 25}%`);
  return html(context, "div", { class: "agnb-legend" },
    html(context, "span", {}, `+${formatNumber(limit)}`),
    html(context, "div", { class: "bar", style: `background:linear-gradient(${stops.join(", ")})` }),
    html(context, "span", {}, `-${formatNumber(limit)}`));
}
