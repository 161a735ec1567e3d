/** Keras's built-in callbacks: EarlyStopping. */
import type * as tf from "../core";
import type { FitCallbacks, Logs } from "./fit";
import type { Model } from "./model";

export interface EarlyStoppingOptions {
  /** The log to watch, default 'val_loss'. */
  monitor?: string;
  /** A change smaller than this is no improvement. */
  minDelta?: number;
  /** Epochs without improvement before training stops. */
  patience?: number;
  /** 'auto' watches for a rise when the name has 'acc' in it, else for a fall. */
  mode?: "auto" | "min" | "max";
  /** Training stops if the monitored value is not better than this. */
  baseline?: number;
  /** At the end, put back the weights of the best epoch. */
  restoreBestWeights?: boolean;
}

/** Stops `fit` once the monitored value has not improved for `patience` epochs, as Keras's EarlyStopping. */
export class EarlyStopping implements FitCallbacks {
  readonly monitor: string;
  readonly minDelta: number;
  readonly patience: number;
  readonly baseline?: number;
  readonly restoreBestWeights: boolean;
  /** The epoch (0-based) at which training was stopped, or 0 if it was not. */
  stoppedEpoch = 0;
  bestEpoch = 0;
  best = Infinity;
  wait = 0;
  private readonly higherIsBetter: boolean;
  private model?: Model;
  private bestWeights?: tf.Tensor[];

  constructor(options: EarlyStoppingOptions = {}) {
    this.monitor = options.monitor ?? "val_loss";
    this.minDelta = Math.abs(options.minDelta ?? 0);
    this.patience = options.patience ?? 0;
    this.baseline = options.baseline;
    this.restoreBestWeights = options.restoreBestWeights ?? false;
    const mode = options.mode ?? "auto";
    if (!["auto", "min", "max"].includes(mode)) throw new Error(`EarlyStopping: mode must be 'auto', 'min' or 'max', got '${mode}'`);
    this.higherIsBetter = mode === "max" || (mode === "auto" && /acc/.test(this.monitor));
  }

  setModel(model: Model): void {
    this.model = model;
  }

  private improves(value: number, reference: number): boolean {
    return this.higherIsBetter ? value - this.minDelta > reference : value + this.minDelta < reference;
  }

  onTrainBegin(): void {
    this.wait = 0;
    this.stoppedEpoch = 0;
    this.bestEpoch = 0;
    this.best = this.higherIsBetter ? -Infinity : Infinity;
    this.bestWeights = undefined;
  }

  onEpochEnd(epoch: number, logs: Logs): void {
    const value = logs[this.monitor];
    if (value === undefined) {
      throw new Error(`EarlyStopping: the monitored '${this.monitor}' is not in the logs (available: ${Object.keys(logs).join(", ")}); pass validationData or validationSplit for 'val_' values`);
    }
    const model = this.requireModel();
    if (this.restoreBestWeights && !this.bestWeights) this.bestWeights = model.getWeights();
    this.wait++;
    if (this.improves(value, this.best)) {
      this.best = value;
      this.bestEpoch = epoch;
      if (this.restoreBestWeights) this.bestWeights = model.getWeights();
      if (this.baseline === undefined || this.improves(value, this.baseline)) {
        this.wait = 0;
        return;
      }
    }
    if (this.wait >= this.patience && epoch > 0) {
      this.stoppedEpoch = epoch;
      model.stopTraining = true;
      if (this.restoreBestWeights && this.bestWeights) model.setWeights(this.bestWeights);
    }
  }

  private requireModel(): Model {
    if (!this.model) throw new Error("EarlyStopping: pass it to model.fit({callbacks: [...]}), which gives it the model");
    return this.model;
  }
}
