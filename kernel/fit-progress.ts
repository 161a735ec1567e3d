/**
 * The live display of `await model.fit(...)`: epoch k/N, the current loss and a loss curve,
 * refreshed a few times a second; also the place where an interrupt stops training, since the
 * engine stops `fit` when an observer throws.
 */
import { MIME, type MimeBundle, type PlotlyPayload } from "../display/contract";
import { withStaticPictures } from "./static-pictures";
import { KeyboardInterrupt } from "./errors";

type Logs = Record<string, number | undefined>;

export interface FitObserver {
  onTrainBegin?(info: { epochs: number; stepsPerEpoch?: number }): void;
  onBatchEnd?(batch: number, logs: Logs): void;
  onEpochEnd?(epoch: number, logs: Logs): void;
  onTrainEnd?(history: unknown): void;
}
export type FitObservable = (observer: FitObserver) => () => void;

/** Refreshes at most this often (the final state is always shown). */
export const REFRESH_INTERVAL_MS = 250;

interface Training {
  id: string;
  epochs: number;
  curves: Map<string, number[]>;
  lastRefresh: number;
  stopRequested: boolean;
}

export class FitProgressDisplay {
  private training: Training | null = null;
  private count = 0;

  constructor(
    observe: FitObservable,
    private readonly show: (bundle: MimeBundle, displayId: string, update: boolean) => void,
  ) {
    observe({
      onTrainBegin: (info) => this.begin(info.epochs),
      onBatchEnd: () => this.stopIfRequested(),
      onEpochEnd: (epoch, logs) => this.epochEnd(epoch, logs),
      onTrainEnd: () => this.end(),
    });
  }

  /** Makes the running fit stop at its next batch (the cell awaiting it may be gone by then). */
  stop(): void {
    if (this.training) this.training.stopRequested = true;
  }

  private stopIfRequested(): void {
    if (this.training?.stopRequested) {
      this.end();
      throw new KeyboardInterrupt();
    }
  }

  private begin(epochs: number): void {
    const training: Training = { id: `fit-progress-${++this.count}`, epochs, curves: new Map(), lastRefresh: Date.now(), stopRequested: false };
    this.training = training;
    this.show(progressBundle(training), training.id, false);
  }

  private epochEnd(epoch: number, logs: Logs): void {
    const training = this.training;
    if (!training) return;
    this.stopIfRequested();
    for (const [name, value] of Object.entries(logs)) {
      if (typeof value !== "number") continue;
      const curve = training.curves.get(name) ?? [];
      curve[epoch] = value;
      training.curves.set(name, curve);
    }
    if (Date.now() - training.lastRefresh >= REFRESH_INTERVAL_MS) {
      training.lastRefresh = Date.now();
      this.show(progressBundle(training), training.id, true);
    }
  }

  private end(): void {
    const training = this.training;
    this.training = null;
    if (training) this.show(progressBundle(training), training.id, true);
  }
}

function progressBundle(training: Training): MimeBundle {
  const loss = training.curves.get("loss") ?? [];
  const done = loss.length;
  const metrics = [...training.curves].map(([name, values]) => `${name}: ${formatNumber(values[values.length - 1])}`);
  const text = `Epoch ${done}/${training.epochs}${metrics.length ? ` - ${metrics.join(" - ")}` : ""}`;
  const plot: PlotlyPayload = {
    data: [...training.curves].filter(([name]) => name.includes("loss")).map(([name, values]) => ({
      type: "scatter",
      mode: "lines",
      name,
      x: values.map((_, epoch) => epoch + 1),
      y: values,
    })),
    layout: {
      title: { text: text },
      xaxis: { title: { text: "epoch" }, range: [1, Math.max(training.epochs, 2)] },
      yaxis: { title: { text: "loss" } },
      height: 320,
    },
  };
  return withStaticPictures({ [MIME.plotly]: plot, [MIME.text]: text });
}

function formatNumber(value: number | undefined): string {
  return value === undefined ? "-" : Number(value.toPrecision(5)).toString();
}
