// application/vnd.plotly.v1+json: loss curves. plotly.js is a large bundle, so it is imported
// only when a plot is first shown; tensors, tapes and heatmaps never wait for it. A re-render of
// the same output (update_display_data while `fit` runs) redraws in place with Plotly.react and
// keeps the user's log-scale choice. Until plotly.js has loaded, the output shows the static
// line chart that display/draw makes for frontends without plotly.
import type { PlotlyPayload } from "../../display/contract";
import { MIME } from "../../display/contract";
import { html, PayloadError, pictureTheme, requireArray, requireObject, themeColor } from "./dom";
import { drawLineChart } from "../../display/draw/line-chart";
import { toDom } from "../../display/draw/svg";

const M = MIME.plotly;

interface PlotlyApi {
  react(root: HTMLElement, data: unknown[], layout: Record<string, unknown>, config: Record<string, unknown>): Promise<unknown>;
  purge(root: HTMLElement): void;
}

let plotly: Promise<PlotlyApi> | undefined;
/** Loads plotly.js once, on first use. */
export function loadPlotly(): Promise<PlotlyApi> {
  plotly ??= import("plotly.js-dist").then((module) => ((module as { default?: PlotlyApi }).default ?? module) as PlotlyApi);
  return plotly;
}

export function checkPlotlyPayload(payload: unknown): PlotlyPayload {
  const body = requireObject(M, payload, "the payload");
  requireArray(M, body.data, "'data'").forEach((trace, i) => {
    const fields = requireObject(M, trace, `data[${i}]`);
    // A curve's points: x and y (when both are given) pair up one to one.
    const axes = (["x", "y"] as const).filter((axis) => fields[axis] !== undefined);
    for (const axis of axes) requireArray(M, fields[axis], `data[${i}].${axis}`);
    if (axes.length === 2 && (fields.x as unknown[]).length !== (fields.y as unknown[]).length) {
      throw new PayloadError(M, `data[${i}] has ${(fields.x as unknown[]).length} x values but ${(fields.y as unknown[]).length} y values`);
    }
  });
  if (body.layout !== undefined) requireObject(M, body.layout, "'layout'");
  if (body.config !== undefined) requireObject(M, body.config, "'config'");
  return payload as PlotlyPayload;
}

/** The payload's layout with VS Code's theme colours and the chosen y-axis scale. */
export function themedLayout(payload: PlotlyPayload, element: Element, logScale: boolean): Record<string, unknown> {
  const foreground = themeColor(element, "--vscode-editor-foreground", "#333333");
  const grid = themeColor(element, "--vscode-editorWidget-border", "rgba(128,128,128,0.3)");
  const layout = { ...(payload.layout ?? {}) } as Record<string, unknown>;
  const axis = (key: string, extra: Record<string, unknown> = {}) => ({
    gridcolor: grid, zerolinecolor: grid, linecolor: grid, ...(layout[key] as object | undefined), ...extra,
  });
  return {
    autosize: true, height: 320, margin: { l: 60, r: 20, t: 40, b: 50 },
    ...layout,
    paper_bgcolor: "rgba(0,0,0,0)", plot_bgcolor: "rgba(0,0,0,0)",
    font: { ...(layout.font as object | undefined), color: foreground },
    xaxis: axis("xaxis"),
    yaxis: axis("yaxis", { type: logScale ? "log" : "linear" }),
  };
}

export async function renderPlot(payload: unknown, element: HTMLElement, signal?: AbortSignal): Promise<void> {
  const plot = checkPlotlyPayload(payload);
  let root = element.querySelector<HTMLElement>(":scope > .agnb-plot-root");
  if (!root) {
    root = html(element, "div", { class: "agnb agnb-plot-root", "data-log": "false" });
    const toolbar = html(root, "div", { class: "agnb-toolbar" });
    const toggle = html(root, "button", { type: "button", class: "agnb-log-toggle", "aria-pressed": "false", title: "logarithmic y axis" }, "log scale");
    const target = html(root, "div", { class: "agnb-plot" }, toDom(root, drawLineChart(plot, pictureTheme(element))));
    toolbar.append(toggle);
    root.append(toolbar, target);
    element.replaceChildren(root);
    toggle.addEventListener("click", () => {
      const log = root!.dataset.log !== "true";
      root!.dataset.log = String(log);
      toggle.setAttribute("aria-pressed", String(log));
      void draw(root!, JSON.parse(root!.dataset.payload!) as PlotlyPayload);
    });
  }
  root.dataset.payload = JSON.stringify(plot);
  const api = await loadPlotly();
  if (signal?.aborted) return;
  await draw(root, plot, api);
}

async function draw(root: HTMLElement, plot: PlotlyPayload, api?: PlotlyApi): Promise<void> {
  const target = root.querySelector<HTMLElement>(".agnb-plot")!;
  if (!target.classList.contains("js-plotly-plot")) target.replaceChildren();
  const layout = themedLayout(plot, root, root.dataset.log === "true");
  await (api ?? (await loadPlotly())).react(target, plot.data, layout, { responsive: true, displaylogo: false, ...plot.config });
}
