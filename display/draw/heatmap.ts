// A Jacobian or Hessian as a heatmap on a diverging scale centred on 0 (blue negative, red
// positive, zero the background). Small matrices get each value written in its square; large
// ones are binned to at most `maxSide` squares a side, each the mean of its block, and squares of
// one colour share a path, which keeps a 100×100 picture within a few tens of kilobytes.
import type { JacobianPayload } from "../contract";
import { formatNumber, formatShape } from "../format";
import { divergingColor, parseColor, type Rgb } from "./colors";
import { LIGHT, pictureFrame, truncate, type PictureTheme } from "./frame";
import { el, px, type SvgNode } from "./svg";

/** Up to this many entries each value is written in its square. */
const VALUES_WRITTEN_LIMIT = 144;
const TARGET_PIXELS = 420;
/** Colour steps per sign: finer steps cannot be told apart and cost a path each. */
const LEVELS = 24;

export interface HeatmapOptions { maxSide?: number; theme?: PictureTheme }

export interface HeatGrid {
  rows: number;
  cols: number;
  /** Entries a square stands for, down and across (1 when not binned). */
  binRows: number;
  binCols: number;
  values: (number | null)[];
  limit: number;
}

function heatGrid(jac: JacobianPayload, maxSide = Infinity): HeatGrid {
  const binRows = Math.max(1, Math.ceil(jac.rows / maxSide));
  const binCols = Math.max(1, Math.ceil(jac.cols / maxSide));
  const rows = Math.ceil(jac.rows / binRows);
  const cols = Math.ceil(jac.cols / binCols);
  const values: (number | null)[] = new Array(rows * cols).fill(null);
  let limit = 0;
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      let sum = 0;
      let count = 0;
      for (let i = r * binRows; i < Math.min(jac.rows, (r + 1) * binRows); i++) {
        for (let j = c * binCols; j < Math.min(jac.cols, (c + 1) * binCols); j++) {
          const v = jac.values[i * jac.cols + j];
          if (typeof v === "number" && Number.isFinite(v)) { sum += v; count++; }
        }
      }
      if (count) { values[r * cols + c] = sum / count; limit = Math.max(limit, Math.abs(sum / count)); }
    }
  }
  return { rows, cols, binRows, binCols, values, limit };
}

function axisNames(jac: JacobianPayload): { rows: string; cols: string } {
  return jac.kind === "hessian" ? { rows: "∂ first", cols: "∂ second" } : { rows: "target (row)", cols: "source (column)" };
}

function heatmapSummary(jac: JacobianPayload): string {
  const what = jac.kind === "hessian" ? "Hessian" : "Jacobian";
  return `${jac.title ? `${jac.title} · ` : ""}${what} ${jac.rows} × ${jac.cols} · target ${formatShape(jac.targetShape)} · source ${formatShape(jac.sourceShape)}`;
}

const hex = ([r, g, b]: Rgb) => `#${[r, g, b].map((v) => v.toString(16).padStart(2, "0")).join("")}`;
const quantise = (v: number | null, limit: number) => (v === null || limit === 0 ? v : Math.round((v / limit) * LEVELS) / LEVELS * limit);

/** A value short enough for its square: four significant digits. */
function cellText(value: number | null): string {
  return typeof value === "number" && Number.isFinite(value) ? truncate(formatNumber(Number(value.toPrecision(4))), 8) : formatNumber(value);
}

/** The picture, and the grid it drew (binned or not), for a renderer's hover. */
export interface HeatmapPicture { svg: SvgNode; grid: HeatGrid }

export function drawHeatmap(jac: JacobianPayload, options: HeatmapOptions = {}): HeatmapPicture {
  const theme = options.theme ?? LIGHT;
  const background = parseColor(theme.background) ?? [255, 255, 255];
  const grid = heatGrid(jac, options.maxSide);
  const binned = grid.binRows > 1 || grid.binCols > 1;
  const written = !binned && jac.rows * jac.cols <= VALUES_WRITTEN_LIMIT;
  const cell = written ? 52 : Math.max(2, Math.min(24, Math.floor(TARGET_PIXELS / Math.max(grid.rows, grid.cols, 1))));
  const names = axisNames(jac);
  const left = 54;
  const top = 18;
  const body: SvgNode[] = [
    el("text", { class: "muted", x: left, y: 11 }, `${names.cols} → ${formatShape(jac.sourceShape)}`),
    el("text", { class: "muted", transform: `translate(12,${top}) rotate(90)` }, `${names.rows} ↓ ${formatShape(jac.targetShape)}`),
  ];
  const colour = (v: number | null) => hex(divergingColor(v, grid.limit, background));
  const squares: SvgNode[] = [];
  if (written) {
    for (let r = 0; r < grid.rows; r++) {
      for (let c = 0; c < grid.cols; c++) {
        const v = grid.values[r * grid.cols + c];
        const rgb = divergingColor(v, grid.limit, background);
        const ink = rgb[0] * 0.299 + rgb[1] * 0.587 + rgb[2] * 0.114 > 140 ? "#000" : "#fff";
        squares.push(el("rect", { x: c * cell, y: r * cell, width: cell, height: cell, fill: hex(rgb), "data-row": r, "data-col": c }),
          el("text", { x: c * cell + cell / 2, y: r * cell + cell / 2 + 4, "text-anchor": "middle", style: `fill:${ink}` }, cellText(jac.values[r * jac.cols + c])));
      }
    }
  } else {
    // One path per colour; a run of equal colours along a row is one rectangle.
    const runs = new Map<string, string[]>();
    for (let r = 0; r < grid.rows; r++) {
      for (let c = 0; c < grid.cols;) {
        const fill = colour(quantise(grid.values[r * grid.cols + c], grid.limit));
        let end = c + 1;
        while (end < grid.cols && colour(quantise(grid.values[r * grid.cols + end], grid.limit)) === fill) end++;
        (runs.get(fill) ?? runs.set(fill, []).get(fill)!).push(`M${c} ${r}h${end - c}v1h${c - end}z`);
        c = end;
      }
    }
    for (const [fill, parts] of runs) squares.push(el("path", { fill, d: parts.join("") }));
  }
  const width = grid.cols * cell;
  const height = grid.rows * cell;
  const matrix = el("g", { class: "cells", transform: `translate(${left},${top})${written ? "" : ` scale(${cell})`}`, "data-cell": cell }, ...squares);
  body.push(matrix, el("rect", { x: left, y: top, width, height, fill: "none", stroke: theme.muted, "stroke-width": 1 }));
  if (written) {
    for (let c = 0; c < grid.cols; c++) body.push(el("text", { class: "muted", x: left + c * cell + cell / 2, y: top + height + 13, "text-anchor": "middle" }, truncate(jac.colLabels?.[c] ?? String(c), 7)));
    for (let r = 0; r < grid.rows; r++) body.push(el("text", { class: "muted", x: left - 4, y: top + r * cell + cell / 2 + 4, "text-anchor": "end" }, truncate(jac.rowLabels?.[r] ?? String(r), 6)));
  }
  const legendX = left + width + 16;
  const legendHeight = Math.max(60, Math.min(160, height));
  const steps = 9;
  for (let i = 0; i < steps; i++) {
    const t = 1 - (2 * i) / (steps - 1);
    body.push(el("rect", { x: legendX, y: px(top + (i * legendHeight) / steps), width: 14, height: px(legendHeight / steps + 0.5), fill: colour(t * grid.limit) }));
  }
  body.push(el("text", { class: "muted", x: legendX + 18, y: top + 9 }, `+${formatNumber(grid.limit)}`),
    el("text", { class: "muted", x: legendX + 18, y: top + legendHeight }, `-${formatNumber(grid.limit)}`));
  const note = binned ? `drawn ${grid.rows} × ${grid.cols}: each square is the mean of a ${grid.binRows} × ${grid.binCols} block` : undefined;
  const rowAxisLength = (names.rows.length + formatShape(jac.targetShape).length + 3) * 7;
  const svg = pictureFrame({ width: legendX + 80, height: Math.max(top + height + 18, top + legendHeight + 4, top + rowAxisLength), title: heatmapSummary(jac), note, theme }, body);
  return { svg, grid };
}
