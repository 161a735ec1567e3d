// application/vnd.agnb.jacobian+json: a Jacobian or Hessian as a heatmap on a diverging scale
// centred on 0, drawn by display/draw/heatmap (the static picture's code) in the theme's colours.
// Hover names the entry under the pointer: its indices within the target and source shapes.
import type { JacobianPayload } from "../../display/contract";
import { MIME } from "../../display/contract";
import { formatNumber, formatShape, html, PayloadError, pictureTheme, requireArray, requireObject } from "./dom";
import { checkLabels, checkOptional, checkShape, elementCount, requireNumber } from "./payload-checks";
import { drawHeatmap } from "../../display/draw/heatmap";
import { toDom } from "../../display/draw/svg";

const M = MIME.jacobian;
/** Squares a side in VS Code; beyond it the matrix is binned, as the static picture is (sooner). */
const RENDERER_SIDE = 200;

export function renderJacobian(payload: unknown, element: HTMLElement): void {
  const jac = checkJacobianPayload(payload);
  const picture = drawHeatmap(jac, { maxSide: RENDERER_SIDE, theme: pictureTheme(element) });
  const root = html(element, "div", { class: "agnb agnb-jacobian", "data-rows": jac.rows, "data-cols": jac.cols });
  const detail = html(root, "div", { class: "agnb-detail agnb-meta" }, "Hover over an entry to see its indices and value.");
  const drawing = toDom(root, picture.svg);
  drawing.classList.add("agnb-heatmap");
  root.append(drawing, detail);
  const show = (row: number, col: number) => { detail.textContent = describeEntry(jac, row, col); };
  for (const square of drawing.querySelectorAll("rect[data-row]")) {
    const [row, col] = [Number(square.getAttribute("data-row")), Number(square.getAttribute("data-col"))];
    square.append(toDom(root, { tag: "title", attrs: {}, children: [describeEntry(jac, row, col)] }));
    square.addEventListener("mouseenter", () => show(row, col));
  }
  const cells = drawing.querySelector<SVGGElement>("g.cells");
  const { grid } = picture;
  if (cells && !drawing.querySelector("rect[data-row]")) {
    drawing.addEventListener("mousemove", (event) => {
      const box = cells.getBoundingClientRect();
      const col = Math.floor(((event.clientX - box.left) / box.width) * grid.cols);
      const row = Math.floor(((event.clientY - box.top) / box.height) * grid.rows);
      if (row >= 0 && row < grid.rows && col >= 0 && col < grid.cols) show(row * grid.binRows, col * grid.binCols);
    });
  }
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
  // Rows flatten the target's shape and columns the source's: each must count what it flattens.
  for (const [field, count] of [["targetShape", "rows"], ["sourceShape", "cols"]] as const) {
    const shape = checkShape(M, body[field], `'${field}'`);
    const flattened = elementCount(M, shape, `'${field}'`);
    if (flattened !== body[count]) throw new PayloadError(M, `'${field}' ${formatShape(shape)} flattens to ${flattened} but '${count}' is ${body[count]}`);
  }
  const values = requireArray(M, body.values, "'values'");
  const expected = (body.rows as number) * (body.cols as number);
  if (values.length !== expected) {
    throw new PayloadError(M, `'values' has ${values.length} entries but rows × cols = ${body.rows} × ${body.cols} = ${expected}`);
  }
  values.forEach((value, i) => requireNumber(M, value, `values[${i}]`));
  checkLabels(M, body.rowLabels, body.rows as number, "'rowLabels'");
  checkLabels(M, body.colLabels, body.cols as number, "'colLabels'");
  checkOptional(M, body.title, "'title'", (title) => typeof title === "string", "a string");
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
