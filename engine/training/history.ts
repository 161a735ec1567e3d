/** What `fit` returns: the per-epoch logs, drawn as a loss curve in notebooks. */
import { MIME, type MimeBundle, type PlotlyPayload } from "../../display/contract";

export class History {
  /** Metric name → one value per epoch, e.g. `{loss: [...], val_loss: [...]}`. */
  readonly history: Record<string, number[]> = {};
  /** Epoch indices (0-based), one per entry of each list in `history`. */
  readonly epoch: number[] = [];
  /** True when training ended early (stopTraining, an abort signal). */
  stoppedEarly = false;

  constructor(readonly params: { epochs: number; steps: number; samples: number }) {}

  record(epoch: number, logs: Record<string, number>): void {
    this.epoch.push(epoch);
    for (const [name, value] of Object.entries(logs)) (this.history[name] ??= []).push(value);
  }

  toString(): string {
    const epochs = this.epoch.length;
    const lines = Object.entries(this.history).map(([name, values]) => `  ${name}: ${format(values[0])} → ${format(values[values.length - 1])}`);
    const stopped = this.stoppedEarly ? ` (stopped early, of ${this.params.epochs})` : "";
    return [`History: ${epochs} epoch${epochs === 1 ? "" : "s"}${stopped}`, ...lines].join("\n");
  }

  toPlotly(): PlotlyPayload {
    return historyPlot(this.epoch, this.history);
  }

  [Symbol.for("Jupyter.display")](): MimeBundle {
    return { [MIME.plotly]: this.toPlotly(), [MIME.text]: this.toString() };
  }
}

function format(value: number | undefined): string {
  if (value === undefined) return "—";
  return Number.isFinite(value) ? Number(value.toPrecision(5)).toString() : String(value);
}

const finiteOrNull = (v: number) => (Number.isFinite(v) ? v : null);

/**
 * Loss-like series on the left axis (log scale when they span more than two decades), other
 * metrics such as accuracy on the right; validation series dashed in the same colour.
 */
export function historyPlot(epochs: number[], history: Record<string, number[]>): PlotlyPayload {
  const names = Object.keys(history).filter((name) => !name.startsWith("val_"));
  const palette = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b"];
  const isLossLike = (name: string) => name === "loss" || /error|crossentropy|mse|mae/.test(name);
  const data: Record<string, unknown>[] = [];
  names.forEach((name, i) => {
    const axis = isLossLike(name) ? "y" : "y2";
    for (const key of [name, `val_${name}`]) {
      const values = history[key];
      if (!values) continue;
      data.push({
        type: "scatter",
        mode: values.length > 1 ? "lines" : "markers",
        name: key,
        x: epochs.map((e) => e + 1),
        y: values.map(finiteOrNull),
        yaxis: axis,
        line: { color: palette[i % palette.length], dash: key === name ? "solid" : "dash" },
      });
    }
  });
  const lossValues = Object.entries(history)
    .filter(([name]) => isLossLike(name.replace(/^val_/, "")))
    .flatMap(([, values]) => values.filter(Number.isFinite));
  const positive = lossValues.length > 0 && lossValues.every((v) => v > 0);
  const logScale = positive && Math.max(...lossValues) / Math.min(...lossValues) > 100;
  const layout: Record<string, unknown> = {
    title: { text: "Training history" },
    xaxis: { title: { text: "epoch" } },
    yaxis: { title: { text: "loss" }, type: logScale ? "log" : "linear" },
    legend: { orientation: "h" },
  };
  if (names.some((name) => !isLossLike(name))) {
    layout.yaxis2 = { title: { text: "metric" }, overlaying: "y", side: "right" };
  }
  return { data, layout };
}
