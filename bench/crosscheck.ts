/**
 * Results are compared between engines before any figure is reported: a fast wrong answer is
 * worthless, so a difference beyond tolerance stops the benchmark.
 */

/** |actual − expected| ≤ absolute + relative·|expected|, element by element. */
export interface Tolerance {
  relative: number;
  absolute: number;
}

export interface Mismatch {
  index: number;
  actual: number;
  expected: number;
  allowed: number;
}

export class ResultMismatchError extends Error {
  override name = "ResultMismatchError";
}

/** The first element out of tolerance (NaN matches only NaN), or undefined when all agree. */
export function firstMismatch(actual: ArrayLike<number>, expected: ArrayLike<number>, tolerance: Tolerance): Mismatch | undefined {
  if (actual.length !== expected.length) {
    return { index: -1, actual: actual.length, expected: expected.length, allowed: 0 };
  }
  for (let index = 0; index < expected.length; index++) {
    const [a, e] = [actual[index], expected[index]];
    const allowed = tolerance.absolute + tolerance.relative * Math.abs(e);
    const agree = Number.isNaN(e) ? Number.isNaN(a) : a === e || Math.abs(a - e) <= allowed;
    if (!agree) return { index, actual: a, expected: e, allowed };
  }
  return undefined;
}

/**
 * Throws a ResultMismatchError naming the workload, both engines and the first differing element.
 */
export function assertSameResults(
  workload: string,
  engines: { actual: string; expected: string },
  actual: ArrayLike<number>,
  expected: ArrayLike<number>,
  tolerance: Tolerance,
): void {
  const mismatch = firstMismatch(actual, expected, tolerance);
  if (!mismatch) return;
  const what =
    mismatch.index < 0
      ? `${engines.actual} returned ${mismatch.actual} numbers, ${engines.expected} ${mismatch.expected}`
      : `element ${mismatch.index} of ${expected.length} is ${mismatch.actual} from ${engines.actual} but ` +
        `${mismatch.expected} from ${engines.expected} (allowed difference ${mismatch.allowed.toPrecision(3)})`;
  throw new ResultMismatchError(`${workload}: results differ: ${what}. Benchmark aborted: a fast wrong answer is worthless.`);
}
