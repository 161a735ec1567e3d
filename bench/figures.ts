/**
 * One benchmark row (our figure beside each peer's) and how figures compare and print.
 */

export interface BenchRow {
  group: string;
  name: string;
  unit: string;
  ours: number;
  /** Peer name (e.g. "tfjs-cpu") → its figure in the same unit; a peer that could not run is absent. */
  peers: Record<string, number>;
  note?: string;
  /** True for throughputs such as GFLOP/s; times (the default) are better when lower. */
  higherIsBetter?: boolean;
}

export const isMeasured = (value: number | undefined): value is number =>
  typeof value === "number" && Number.isFinite(value) && value > 0;

/**
 * How many times better our figure is than the peer's (above 1: we are faster), respecting
 * `higherIsBetter`. `undefined` when either side is missing or not a positive figure.
 */
export function speedup(ours: number, peer: number | undefined, higherIsBetter = false): number | undefined {
  if (!isMeasured(ours) || !isMeasured(peer)) return undefined;
  return higherIsBetter ? ours / peer : peer / ours;
}

/** "×3.2 faster", "×1.5 slower", "same" (within 0.5 %), or "—" when it cannot be computed. */
export function formatRatio(ours: number, peer: number | undefined, higherIsBetter = false): string {
  const factor = speedup(ours, peer, higherIsBetter);
  if (factor === undefined) return "—";
  if (Math.abs(factor - 1) < 0.005) return "same";
  return factor > 1 ? `×${formatNumber(factor)} faster` : `×${formatNumber(1 / factor)} slower`;
}

/** Three significant digits without exponent noise for the magnitudes benchmarks produce. */
export function formatNumber(value: number | undefined): string {
  if (value === undefined || Number.isNaN(value)) return "—";
  if (!Number.isFinite(value)) return value > 0 ? "∞" : "-∞";
  if (value === 0) return "0";
  const magnitude = Math.abs(value);
  if (magnitude >= 1e6 || magnitude < 1e-3) return value.toExponential(2);
  if (magnitude >= 100) return Math.round(value).toString();
  return Number(value.toPrecision(3)).toString();
}
