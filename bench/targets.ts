/**
 * The goals figures are checked against. A target that judges rows one by one also says its
 * verdict beside each row it concerns (the table's "target" column); every target is summed up
 * on the summary line under the table.
 */
import { formatNumber, isMeasured, speedup, type BenchRow } from "./figures";

export interface BenchTarget {
  description: string;
  /** `undefined` when no row it needs was measured in this run (e.g. filtered out by --only). */
  check(rows: BenchRow[]): boolean | undefined;
  /** Short form for the target column, e.g. "≥ 3× tfjs-wasm". */
  label?: string;
  /** The verdict on one row; `undefined` when the target does not concern that row or it was not measured. */
  judge?(row: BenchRow, rows: BenchRow[]): boolean | undefined;
}

export interface TargetResult {
  description: string;
  met: boolean | undefined;
}


/** A target met when every row it judges meets it (undefined when it judged none). */
export function rowByRowTarget(description: string, label: string, judge: (row: BenchRow, rows: BenchRow[]) => boolean | undefined): BenchTarget {
  return {
    description,
    label,
    judge,
    check(rows) {
      const verdicts = rows.map((row) => judge(row, rows)).filter((verdict): verdict is boolean => verdict !== undefined);
      return verdicts.length === 0 ? undefined : verdicts.every(Boolean);
    },
  };
}

/** Ours at least `times` as good as `peer` on the chosen rows: times 1 is "ahead of", 1/3 "within 3× of". */
export function timesPeer(peer: string, times: number, concerns: (row: BenchRow) => boolean, description: string): BenchTarget {
  const label = times === 1 ? `> ${peer}` : times > 1 ? `≥ ${formatNumber(times)}× ${peer}` : `within ${formatNumber(1 / times)}× of ${peer}`;
  return rowByRowTarget(description, label, (row) => {
    const factor = concerns(row) ? speedup(row.ours, row.peers[peer], row.higherIsBetter) : undefined;
    return factor === undefined ? undefined : times === 1 ? factor > 1 : factor >= times;
  });
}

/** Target: better than `peer` on every row that has a figure for it (only rows of `groups`, if given). */
export function beatsPeerOnEveryRow(peer: string, groups?: string[], description?: string): BenchTarget {
  const where = groups ? ` on every ${groups.join(", ")} row` : " on every row";
  return timesPeer(peer, 1, (row) => !groups || groups.includes(row.group), description ?? `faster than ${peer}${where}`);
}

/** Target: on every named row measured for `peer`, ours is within `factor` of the peer's figure (factor 1: at least as good). */
export function withinFactorOfPeer(peer: string, names: string[], factor: number, description: string): BenchTarget {
  return timesPeer(peer, 1 / factor, (row) => names.includes(row.name), description);
}

/** Target: our figure on one row stays under `limit` (in the row's unit). */
export function rowBelow(group: string, name: string, limit: number, unit: string, description = `${name} under ${formatNumber(limit)} ${unit}`): BenchTarget {
  return rowByRowTarget(description, `< ${formatNumber(limit)} ${unit}`, (row) =>
    row.group === group && row.name === name && isMeasured(row.ours) ? row.ours < limit : undefined,
  );
}

/**
 * Target: our figure on row `name` is at most `factor` times our figure on row `reference` (both
 * times, in the same unit): e.g. a cost per op that stays flat as the work grows.
 */
export function rowWithinFactorOfRow(name: string, reference: string, factor: number, description: string): BenchTarget {
  return rowByRowTarget(description, `≤ ${formatNumber(factor)}× "${reference}"`, (row, rows) => {
    if (row.name !== name || !isMeasured(row.ours)) return undefined;
    const base = rows.find((candidate) => candidate.name === reference)?.ours;
    return isMeasured(base) ? row.ours <= factor * base : undefined;
  });
}

export function evaluateTargets(rows: BenchRow[], targets: BenchTarget[]): TargetResult[] {
  return targets.map((target) => ({ description: target.description, met: target.check(rows) }));
}

/** "✓ > tfjs-wasm; ✗ ≥ 3× tfjs-wasm": the verdicts of the row-by-row targets that concern `row`. */
export function rowVerdicts(row: BenchRow, rows: BenchRow[], targets: BenchTarget[]): string {
  return targets
    .flatMap((target) => {
      const verdict = target.judge?.(row, rows);
      return verdict === undefined ? [] : [`${verdict ? "✓" : "✗"} ${target.label ?? target.description}`];
    })
    .join("; ");
}

/** "targets: 2/3 met — ✓ a; ✗ b; ? c (not measured)". */
export function formatTargetSummary(results: TargetResult[]): string {
  if (results.length === 0) return "targets: none defined";
  const measured = results.filter((result) => result.met !== undefined);
  const met = measured.filter((result) => result.met).length;
  const parts = results.map((result) =>
    result.met === undefined ? `? ${result.description} (not measured)` : `${result.met ? "✓" : "✗"} ${result.description}`,
  );
  return `targets: ${met}/${measured.length} met — ${parts.join("; ")}`;
}
