// A plotly `{data, layout}` payload (loss curves, an optimiser's path) as a static line chart:
// each scatter trace a polyline in its colour (dashed when plotly's is), markers where asked,
// axes with round ticks (log scale when the layout says so), and a legend naming each trace's
// last value, the number a reader looks for under a loss curve.
import type { PlotlyPayload } from "../contract";
import { formatNumber } from "../format";
import { LIGHT, pictureFrame, truncate, type PictureTheme } from "./frame";
import { el, px, type SvgNode } from "./svg";

const PLOT_WIDTH = 560;
const PLOT_HEIGHT = 240;
const LEFT = 58;
const PALETTE = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b"];
/** Points kept a trace: beyond this each stretch keeps its lowest and highest point. */
const MAX_POINTS = 400;
const MAX_MARKERS = 100;

interface Trace { name: string; xs: number[]; ys: (number | null)[]; colour: string; dashed: boolean; markers: boolean; lines: boolean; right: boolean }

const text = (value: unknown): string | undefined =>
  typeof value === "string" ? value : typeof value === "object" && value !== null && typeof (value as { text?: unknown }).text === "string" ? (value as { text: string }).text : undefined;
const numberOrNull = (v: unknown) => (typeof v === "number" && Number.isFinite(v) ? v : null);

function traces(plot: PlotlyPayload): Trace[] {
  return plot.data.flatMap((raw, i) => {
    const ys = Array.isArray(raw.y) ? raw.y.map(numberOrNull) : [];
    if (!ys.length) return [];
    const xs = Array.isArray(raw.x) && raw.x.length === ys.length ? raw.x.map((x, j) => numberOrNull(x) ?? j) : ys.map((_, j) => j);
    const line = (raw.line ?? {}) as { color?: unknown; dash?: unknown };
    const mode = typeof raw.mode === "string" ? raw.mode : ys.length > 1 ? "lines" : "markers";
    const colour = typeof line.color === "string" && /^#[0-9a-f]{3,8}$/i.test(line.color) ? line.color : PALETTE[i % PALETTE.length];
    return [{ name: typeof raw.name === "string" ? raw.name : `trace ${i}`, xs, ys, colour, dashed: typeof line.dash === "string" && line.dash !== "solid",
      markers: mode.includes("markers"), lines: mode.includes("lines"), right: raw.yaxis === "y2" }];
  });
}

/** Indices to draw: all of a short trace; of a long one, the lowest and highest of each stretch. */
function keptIndices(ys: (number | null)[], max = MAX_POINTS): number[] {
  if (ys.length <= max) return ys.map((_, i) => i);
  const stretch = Math.ceil((2 * ys.length) / max);
  const kept: number[] = [];
  for (let start = 0; start < ys.length; start += stretch) {
    let low = -1;
    let high = -1;
    for (let i = start; i < Math.min(ys.length, start + stretch); i++) {
      const y = ys[i];
      if (y === null) continue;
      if (low < 0 || y < ys[low]!) low = i;
      if (high < 0 || y > ys[high]!) high = i;
    }
    for (const i of low < 0 ? [] : low === high ? [low] : [Math.min(low, high), Math.max(low, high)]) kept.push(i);
  }
  if (kept[kept.length - 1] !== ys.length - 1 && ys[ys.length - 1] !== null) kept.push(ys.length - 1);
  return kept;
}

interface Scale { at(v: number): number; ticks: number[] }

function linearScale(min: number, max: number, from: number, to: number): Scale {
  if (min === max) { min -= Math.abs(min) * 0.1 || 1; max += Math.abs(max) * 0.1 || 1; }
  const rough = (max - min) / 5;
  const power = 10 ** Math.floor(Math.log10(rough));
  const step = [1, 2, 5, 10].map((m) => m * power).find((s) => s >= rough) ?? rough;
  const ticks: number[] = [];
  for (let t = Math.ceil(min / step) * step; t <= max + step * 1e-9; t += step) ticks.push(Number(t.toPrecision(12)));
  return { at: (v) => from + ((v - min) / (max - min)) * (to - from), ticks };
}

function logScale(min: number, max: number, from: number, to: number): Scale {
  const [lo, hi] = [Math.log10(min), Math.log10(max) === Math.log10(min) ? Math.log10(min) + 1 : Math.log10(max)];
  const ticks: number[] = [];
  for (let p = Math.ceil(lo); p <= Math.floor(hi); p++) ticks.push(10 ** p);
  return { at: (v) => from + ((Math.log10(Math.max(v, min)) - lo) / (hi - lo)) * (to - from), ticks };
}

function extent(values: number[]): [number, number] {
  let [min, max] = [Infinity, -Infinity];
  for (const v of values) { if (v < min) min = v; if (v > max) max = v; }
  return [min, max];
}

export function drawLineChart(plot: PlotlyPayload, theme?: PictureTheme): SvgNode {
  const layout = (plot.layout ?? {}) as Record<string, unknown>;
  const axis = (key: string) => (layout[key] ?? {}) as { title?: unknown; type?: unknown };
  const all = traces(plot);
  const hasRight = all.some((t) => t.right);
  const right = LEFT + PLOT_WIDTH;
  const xScale = linearScale(...extentOr(all.flatMap((t) => t.xs), [0, 1]), LEFT, right);
  const yScaleFor = (onRight: boolean) => {
    const ys = all.filter((t) => t.right === onRight).flatMap((t) => t.ys).filter((y): y is number => y !== null);
    const log = axis(onRight ? "yaxis2" : "yaxis").type === "log" && ys.length > 0 && ys.every((y) => y > 0);
    const [min, max] = extentOr(ys, [0, 1]);
    return log ? logScale(min, max, PLOT_HEIGHT, 0) : linearScale(min, max, PLOT_HEIGHT, 0);
  };
  const yLeft = yScaleFor(false);
  const yRight = hasRight ? yScaleFor(true) : null;
  const body: SvgNode[] = [el("rect", { x: LEFT, y: 0, width: PLOT_WIDTH, height: PLOT_HEIGHT, class: "plot" })];
  for (const t of xScale.ticks) {
    const x = px(xScale.at(t));
    body.push(el("line", { class: "grid", x1: x, x2: x, y1: 0, y2: PLOT_HEIGHT }), el("text", { class: "muted", x, y: PLOT_HEIGHT + 14, "text-anchor": "middle" }, formatNumber(t)));
  }
  for (const [scale, onRight] of [[yLeft, false], [yRight, true]] as const) {
    if (!scale) continue;
    for (const t of scale.ticks) {
      const y = px(scale.at(t));
      if (!onRight) body.push(el("line", { class: "grid", x1: LEFT, x2: right, y1: y, y2: y }));
      body.push(el("text", { class: "muted", x: onRight ? right + 4 : LEFT - 4, y: px(scale.at(t) + 4), "text-anchor": onRight ? "start" : "end" }, formatNumber(t)));
    }
  }
  const xTitle = text(axis("xaxis").title);
  const yTitle = text(axis("yaxis").title);
  if (xTitle) body.push(el("text", { class: "muted", x: px(LEFT + PLOT_WIDTH / 2), y: PLOT_HEIGHT + 30, "text-anchor": "middle" }, truncate(xTitle, 60)));
  if (yTitle) body.push(el("text", { class: "muted", "text-anchor": "middle", transform: `translate(12,${PLOT_HEIGHT / 2}) rotate(-90)` }, truncate(yTitle, 40)));
  for (const trace of all) {
    const y = trace.right && yRight ? yRight : yLeft;
    const kept = keptIndices(trace.ys);
    if (trace.lines) {
      // A null breaks the line, as in plotly.
      const runs: string[] = [];
      let current = "";
      for (const i of kept) {
        const v = trace.ys[i];
        if (v === null) { if (current) runs.push(current); current = ""; continue; }
        current += `${current ? "L" : "M"}${px(xScale.at(trace.xs[i]))},${px(y.at(v))}`;
      }
      if (current) runs.push(current);
      body.push(el("path", { class: "trace", d: runs.join(""), stroke: trace.colour, "stroke-dasharray": trace.dashed ? "6 4" : undefined }));
    }
    if (trace.markers) {
      for (const i of kept.slice(0, MAX_MARKERS)) {
        const v = trace.ys[i];
        if (v !== null) body.push(el("circle", { cx: px(xScale.at(trace.xs[i])), cy: px(y.at(v)), r: 3, fill: trace.colour }));
      }
    }
  }
  let legendX = LEFT;
  const legendY = PLOT_HEIGHT + 48;
  for (const trace of all) {
    const last = [...trace.ys].reverse().find((v) => v !== null);
    const label = truncate(`${trace.name}${last !== undefined ? `: last ${formatNumber(last)}` : ""}`, 48);
    body.push(el("line", { x1: legendX, x2: legendX + 18, y1: legendY - 4, y2: legendY - 4, stroke: trace.colour, "stroke-width": 2.5, "stroke-dasharray": trace.dashed ? "4 3" : undefined }),
      el("text", { class: "legend", x: legendX + 22, y: legendY }, label));
    legendX += 30 + label.length * 7;
  }
  const title = text(layout.title) ?? "plot";
  const muted = (theme ?? LIGHT).muted;
  const style = `.plot{fill:none;stroke:${muted};stroke-opacity:.6}.grid{stroke:${muted};stroke-opacity:.2}.trace{fill:none;stroke-width:2}`;
  return pictureFrame({ width: Math.max(right + (hasRight ? 60 : 16), legendX), height: legendY + 6, title, style, theme }, body);
}

function extentOr(values: number[], fallback: [number, number]): [number, number] {
  return values.length ? extent(values) : fallback;
}
