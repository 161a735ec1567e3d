/**
 * One way of timing, used for our engine and for every peer alike: warm up, group calls into
 * samples long enough for the clock to resolve them, repeat until a minimum time has passed,
 * and report the median time of one call (robust to a stray GC pause or scheduler hiccup).
 */
import { performance } from "node:perf_hooks";

export interface MeasureOptions {
  /** Calls made before timing starts, so JIT compilation and caches settle. */
  warmupCalls?: number;
  /**
   * Calls go on before timing until this much time has passed too: a training step reaches its
   * steady state only after its memory pools have grown to their working size (hundreds of steps).
   * Calls longer than the budget skip it, as they skip further warm-up calls.
   */
  warmupMs?: number;
  /** Keep sampling until this much time has been spent timing. */
  minTimeMs?: number;
  /** At least this many samples, however long they take. */
  minSamples?: number;
  /** Stop after this many samples even if minTimeMs has not passed. */
  maxSamples?: number;
  /** Calls are batched so that one sample lasts at least this long. */
  minSampleMs?: number;
  /**
   * A slow workload stops early after this much timing, once it has three samples; a call
   * longer than the whole budget is timed once (after its warm-up call).
   */
  budgetMs?: number;
  /**
   * The workload has run before (e.g. for the cross-check), so its first call here is warm: a
   * first call longer than the budget is then the one sample, instead of running it again.
   */
  warmedUp?: boolean;
}

export interface Measurement {
  /** Median time of one call, in milliseconds. */
  medianMs: number;
  /** Fastest sample's time per call, in milliseconds. */
  minMs: number;
  /** Calls per sample. */
  batch: number;
  samples: number;
}

export const DEFAULT_MEASURE_OPTIONS: Required<MeasureOptions> = {
  warmupCalls: 2,
  warmupMs: 0,
  minTimeMs: 400,
  minSamples: 5,
  maxSamples: 200,
  minSampleMs: 10,
  budgetMs: 4000,
  warmedUp: false,
};

const FEWEST_SAMPLES = 3;

type Workload = () => unknown;

/** Runs `fn`, awaiting it only when it returns a promise, so synchronous work pays no await. */
async function call(fn: Workload): Promise<void> {
  const result = fn();
  if (result instanceof Promise) await result;
}

async function timeBatch(fn: Workload, batch: number): Promise<number> {
  const start = performance.now();
  for (let i = 0; i < batch; i++) await call(fn);
  return performance.now() - start;
}

export function median(values: number[]): number {
  if (values.length === 0) throw new Error("median of no values");
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

/**
 * A workload warmed up and calibrated, ready to take samples, possibly in several rounds with
 * other workloads sampled in between.
 */
export interface Sampler {
  /** Takes samples until `ms` more have been spent and at least `atLeast` more taken, or done. */
  sampleFor(ms: number, atLeast: number): Promise<void>;
  /** True once the budget or maxSamples says to stop. */
  readonly done: boolean;
  result(): Measurement;
}

export async function startSampler(fn: Workload, options: MeasureOptions = {}): Promise<Sampler> {
  const settings = { ...DEFAULT_MEASURE_OPTIONS, ...options };
  // The first call is untimed unless warm and over budget; further warm-up is skipped for calls that are slow anyway.
  let lastCallMs = await timeBatch(fn, 1);
  if (settings.warmedUp && lastCallMs > settings.budgetMs) return finishedSampler(lastCallMs);
  let fastestCallMs = lastCallMs;
  for (let i = 1; i < settings.warmupCalls && lastCallMs < settings.minTimeMs; i++) {
    lastCallMs = await timeBatch(fn, 1);
    fastestCallMs = Math.min(fastestCallMs, lastCallMs);
  }
  if (settings.warmupMs > 0 && lastCallMs < settings.budgetMs) {
    const until = performance.now() + settings.warmupMs;
    while (performance.now() < until) fastestCallMs = Math.min(fastestCallMs, await timeBatch(fn, 1));
  }

  // Grow the batch until one sample is long enough to time reliably (judged by the fastest
  // warm-up call, since one call can be stretched by a GC pause or another process).
  let batch = 1;
  let perCallMs = Math.max(fastestCallMs, 1e-6);
  while (batch * perCallMs < settings.minSampleMs) {
    batch = Math.min(Math.ceil((settings.minSampleMs * 1.2) / perCallMs), batch * 100);
    perCallMs = (await timeBatch(fn, batch)) / batch;
  }

  const perCall: number[] = [];
  let spentMs = 0;
  let done = false;
  return {
    get done() {
      return done;
    },
    async sampleFor(ms, atLeast) {
      const [startSpent, startCount] = [spentMs, perCall.length];
      while (!done && (perCall.length - startCount < atLeast || spentMs - startSpent < ms)) {
        const sampleMs = await timeBatch(fn, batch);
        spentMs += sampleMs;
        perCall.push(sampleMs / batch);
        const overBudget = spentMs > settings.budgetMs && (perCall.length >= FEWEST_SAMPLES || sampleMs > settings.budgetMs);
        done = overBudget || perCall.length >= settings.maxSamples;
      }
    },
    result() {
      if (perCall.length === 0) throw new Error("no samples taken");
      return { medianMs: median(perCall), minMs: Math.min(...perCall), batch, samples: perCall.length };
    },
  };
}

/** A sampler whose one sample is a single call of `callMs`. */
function finishedSampler(callMs: number): Sampler {
  return {
    done: true,
    async sampleFor() {},
    result: () => ({ medianMs: callMs, minMs: callMs, batch: 1, samples: 1 }),
  };
}

/** Times `fn` (sync or async) and returns the median time per call. */
export async function measure(fn: Workload, options: MeasureOptions = {}): Promise<Measurement> {
  const settings = { ...DEFAULT_MEASURE_OPTIONS, ...options };
  const sampler = await startSampler(fn, settings);
  await sampler.sampleFor(settings.minTimeMs, settings.minSamples);
  return sampler.result();
}

export interface Contender {
  /** Called before each of this contender's turns (e.g. to switch a library's backend). */
  enter(): Promise<void>;
  run: Workload;
}

/**
 * Times several workloads in interleaved rounds (A B C A B C ...), so that other work on the
 * machine, which comes and goes, weighs on all of them alike. Each gets the time and sample
 * count `measure` would give it, spread over the rounds; results are in the contenders' order.
 */
export async function measureInterleaved(contenders: Contender[], options: MeasureOptions = {}, rounds = 3): Promise<Measurement[]> {
  const settings = { ...DEFAULT_MEASURE_OPTIONS, ...options };
  const samplers: Sampler[] = [];
  for (const contender of contenders) {
    await contender.enter();
    samplers.push(await startSampler(contender.run, settings));
  }
  for (let round = 0; round < rounds; round++) {
    for (const [i, contender] of contenders.entries()) {
      if (samplers[i].done) continue;
      await contender.enter();
      await samplers[i].sampleFor(settings.minTimeMs / rounds, Math.ceil(settings.minSamples / rounds));
    }
  }
  return samplers.map((sampler) => sampler.result());
}
