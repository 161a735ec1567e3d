/**
 * The benchmark table: one row per workload, our figure beside each peer's, the ratio between
 * them, and the verdict of the targets that concern the row. Every suite returns `BenchRow[]`;
 * `formatTable` prints them all as one table.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { formatNumber, formatRatio, speedup, type BenchRow } from "./figures";
import { describeMachine } from "./machine";
import { evaluateTargets, formatTargetSummary, rowVerdicts, type BenchTarget } from "./targets";

export { formatNumber, formatRatio, speedup, type BenchRow } from "./figures";
export { describeMachine, type MachineInfo } from "./machine";
export {
  beatsPeerOnEveryRow, evaluateTargets, formatTargetSummary, rowBelow, rowWithinFactorOfRow, timesPeer, withinFactorOfPeer,
  type BenchTarget, type TargetResult,
} from "./targets";

/** Peers listed first, in this order, when present; any other peer follows alphabetically. */
export const KNOWN_PEERS = ["tfjs-cpu", "tfjs-wasm"];

/** Peer names appearing in the rows: the known peers first, then the rest sorted. */
export function peerNames(rows: BenchRow[]): string[] {
  const seen = new Set(rows.flatMap((row) => Object.keys(row.peers)));
  const known = KNOWN_PEERS.filter((name) => seen.has(name));
  const others = [...seen].filter((name) => !KNOWN_PEERS.includes(name)).sort();
  return [...known, ...others];
}

/** The table as lines of text: header, separator, one line per row, then the target summary. */
export function formatTable(rows: BenchRow[], targets: BenchTarget[] = []): string {
  const peers = peerNames(rows);
  const verdicts = rows.map((row) => rowVerdicts(row, rows, targets));
  const withTargets = verdicts.some(Boolean);
  const header = ["group", "name", "unit", "ours", ...peers.flatMap((peer) => [peer, `vs ${peer}`]), ...(withTargets ? ["target"] : []), "note"];
  const body = rows.map((row, i) => [
    row.group,
    row.name,
    row.higherIsBetter ? `${row.unit} ↑` : row.unit,
    formatNumber(row.ours),
    ...peers.flatMap((peer) => [formatNumber(row.peers[peer]), formatRatio(row.ours, row.peers[peer], row.higherIsBetter)]),
    ...(withTargets ? [verdicts[i]] : []),
    row.note ?? "",
  ]);
  const firstText = header.length - (withTargets ? 2 : 1);
  const numeric = new Set(header.map((_, index) => index).filter((index) => index >= 3 && index < firstText));
  const widths = header.map((title, index) => Math.max(width(title), ...body.map((cells) => width(cells[index]))));
  const line = (cells: string[]) =>
    cells
      .map((cell, index) => (numeric.has(index) ? padStart(cell, widths[index]) : padEnd(cell, widths[index])))
      .join("  ")
      .trimEnd();
  const separator = widths.map((w) => "-".repeat(w)).join("  ");
  return [line(header), separator, ...body.map(line), "", formatTargetSummary(evaluateTargets(rows, targets))].join("\n");
}

/** Saves rows, peers and target results as JSON (the `--json FILE` option), creating folders. */
export function writeResultsJson(file: string, rows: BenchRow[], targets: BenchTarget[] = [], machine = describeMachine()): void {
  const { summary: _summary, ...machineFields } = machine;
  const results = {
    date: new Date().toISOString(),
    machine: machineFields,
    peers: peerNames(rows),
    rows: rows.map((row) => ({
      ...row,
      speedups: Object.fromEntries(
        Object.entries(row.peers).map(([peer, figure]) => [peer, speedup(row.ours, figure, row.higherIsBetter) ?? null]),
      ),
    })),
    targets: evaluateTargets(rows, targets).map(({ description, met }) => ({ description, met: met ?? null })),
  };
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, JSON.stringify(results, null, 2) + "\n");
}

// "×" and the arrows are one column wide; padStart/padEnd count UTF-16 units, which matches here.
const width = (text: string) => [...text].length;
const padEnd = (text: string, to: number) => text + " ".repeat(Math.max(0, to - width(text)));
const padStart = (text: string, to: number) => " ".repeat(Math.max(0, to - width(text))) + text;
