/**
 * Checks analytic gradients against central finite differences in float64 — the same check the
 * engine's own tests use, available to notebooks as tf.test.gradCheck.
 */
import { cast, mul } from "../ops/elementwise";
import { toTensor, type TensorLike } from "../ops/convert";
import { reduceSum } from "../ops/reduce";
import { GradientTape } from "./tape";
import { Tensor } from "../storage/tensor";
import { Random } from "../ops/random";

export interface GradCheckResult {
  ok: boolean;
  /** Largest |analytic − numeric| / max(1, |numeric|) over every input element. */
  maxError: number;
  analytic: Tensor[];
  numeric: Tensor[];
}

export interface GradCheckOptions {
  /** Finite-difference step (default 1e-6). */
  eps?: number;
  /** Largest acceptable error (default 1e-5). */
  tolerance?: number;
  /** Seed of the random output weights that reduce a non-scalar output to a scalar. */
  seed?: number;
}

export function gradCheck(f: (...xs: Tensor[]) => Tensor, inputs: TensorLike[], options: GradCheckOptions = {}): GradCheckResult {
  const { eps = 1e-6, tolerance = 1e-5, seed = 7 } = options;
  const xs = inputs.map((x) => cast(toTensor(x, "gradCheck"), "float64"));
  let weights: Tensor | undefined;
  // A fixed random weighting turns any output into a scalar whose gradient covers every element.
  const scalarize = (y: Tensor): number => {
    const y64 = cast(y, "float64");
    if (!weights) {
      const rng = new Random(seed);
      weights = new Tensor(Float64Array.from({ length: y64.size }, () => rng.next() + 0.5), y64.shape, "float64");
    }
    return reduceSum(mul(y64, weights)).values[0];
  };
  const tape = new GradientTape();
  const out = tape.record(() => {
    tape.watch(xs);
    const y = cast(f(...xs), "float64");
    scalarize(y);
    return reduceSum(mul(y, weights!));
  });
  const analytic = (tape.gradient(out, xs, { unconnectedGradients: "zero" }) as Tensor[]);
  let maxError = 0;
  const numeric = xs.map((x, k) => {
    const g = new Float64Array(x.size);
    for (let i = 0; i < x.size; i++) {
      const at = (delta: number): number => {
        const v = Float64Array.from(x.values);
        v[i] += delta;
        const args = xs.slice();
        args[k] = new Tensor(v, x.shape, "float64");
        return scalarize(f(...args));
      };
      g[i] = (at(eps) - at(-eps)) / (2 * eps);
      const a = analytic[k].values[i];
      maxError = Math.max(maxError, Math.abs(a - g[i]) / Math.max(1, Math.abs(g[i])));
    }
    return new Tensor(g, x.shape, "float64");
  });
  return { ok: maxError <= tolerance, maxError, analytic, numeric };
}
