/**
 * The benchmark table: one row per workload, our figure beside each peer's, and the ratio
 * between them. Every suite returns `BenchRow[]`; `formatTable` prints them all as one table.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import os from "node:os";
import { dirname } from "node:path";
import { relaxedSimdSupported, wasmSimdSupported } from "../engine/backend";

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

/** A goal the figures are checked against, reported on the summary line. */
export interface BenchTarget {
  description: string;
  /** `undefined` when no row it needs was measured in this run (e.g. filtered out by --only). */
  check(rows: BenchRow[]): boolean | undefined;
}

export interface TargetResult {
  description: string;
  met: boolean | undefined;
}

/** Peers listed first, in this order, when present; any other peer follows alphabetically. */
export const KNOWN_PEERS = ["tfjs-cpu", "tfjs-wasm"];

const isMeasured = (value: number | undefined): value is number =>
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

/** Peer names appearing in the rows: the known peers first, then the rest sorted. */
export function peerNames(rows: BenchRow[]): string[] {
  const seen = new Set(rows.flatMap((row) => Object.keys(row.peers)));
  const known = KNOWN_PEERS.filter((name) => seen.has(name));
  const others = [...seen].filter((name) => !KNOWN_PEERS.includes(name)).sort();
  return [...known, ...others];
}

/** Target: better than `peer` on every row that has a figure for it. */
export function beatsPeerOnEveryRow(peer: string): BenchTarget {
  return {
    description: `faster than ${peer} on every row`,
    check(rows) {
      const factors = rows.map((row) => speedup(row.ours, row.peers[peer], row.higherIsBetter));
      const compared = factors.filter((factor): factor is number => factor !== undefined);
      return compared.length === 0 ? undefined : compared.every((factor) => factor > 1);
    },
  };
}

/**
 * Target: on every named row measured for `peer`, ours is within `factor` of the peer's figure
 * (factor 1: at least as good). Undefined when none of them was measured.
 */
export function withinFactorOfPeer(peer: string, names: string[], factor: number, description: string): BenchTarget {
  return {
    description,
    check(rows) {
      const factors = rows.filter((row) => names.includes(row.name)).map((row) => speedup(row.ours, row.peers[peer], row.higherIsBetter));
      const compared = factors.filter((value): value is number => value !== undefined);
      return compared.length === 0 ? undefined : compared.every((value) => value * factor >= 1);
    },
  };
}

/** Target: our figure on one row stays under `limit` (in the row's unit). */
export function rowBelow(group: string, name: string, limit: number, unit: string): BenchTarget {
  return {
    description: `${name} under ${formatNumber(limit)} ${unit}`,
    check(rows) {
      const row = rows.find((candidate) => candidate.group === group && candidate.name === name);
      return row && isMeasured(row.ours) ? row.ours < limit : undefined;
    },
  };
}

export function evaluateTargets(rows: BenchRow[], targets: BenchTarget[]): TargetResult[] {
  return targets.map((target) => ({ description: target.description, met: target.check(rows) }));
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

/** The table as lines of text: header, separator, one line per row, then the target summary. */
export function formatTable(rows: BenchRow[], targets: BenchTarget[] = []): string {
  const peers = peerNames(rows);
  const header = ["group", "name", "unit", "ours", ...peers.flatMap((peer) => [peer, `vs ${peer}`]), "note"];
  const body = rows.map((row) => [
    row.group,
    row.name,
    row.higherIsBetter ? `${row.unit} ↑` : row.unit,
    formatNumber(row.ours),
    ...peers.flatMap((peer) => [formatNumber(row.peers[peer]), formatRatio(row.ours, row.peers[peer], row.higherIsBetter)]),
    row.note ?? "",
  ]);
  const numeric = new Set(header.map((_, index) => index).filter((index) => index >= 3 && index < header.length - 1));
  const widths = header.map((title, index) => Math.max(width(title), ...body.map((cells) => width(cells[index]))));
  const line = (cells: string[]) =>
    cells
      .map((cell, index) => (numeric.has(index) ? padStart(cell, widths[index]) : padEnd(cell, widths[index])))
      .join("  ")
      .trimEnd();
  const separator = widths.map((w) => "-".repeat(w)).join("  ");
  return [line(header), separator, ...body.map(line), "", formatTargetSummary(evaluateTargets(rows, targets))].join("\n");
}

export interface MachineInfo {
  node: string;
  platform: string;
  cpus: number;
  cpuModel: string;
  /** Threads the runtime may use (os.availableParallelism). */
  threads: number;
  /** WebAssembly SIMD support: "simd128", "simd128 + relaxed" or "none". */
  simd: string;
  /** One-minute load average when the run started: other work running alongside skews figures. */
  loadAverage: number;
  summary: string;
}

/** Node options every engine in the run shares (the kernel runs with the same ones). */
function nodeOptions(): string {
  const flags = process.execArgv.filter((a) => a.startsWith("--max-"));
  return flags.length ? ` (${flags.join(" ")})` : "";
}

export function describeMachine(): MachineInfo {
  const cpus = os.cpus();
  const loadAverage = Number(os.loadavg()[0].toFixed(2));
  const busy = loadAverage > cpus.length / 2 ? " — the machine was busy: figures are noisy" : "";
  const threads = os.availableParallelism();
  const simd = wasmSimdSupported() ? (relaxedSimdSupported() ? "simd128 + relaxed" : "simd128") : "none";
  return {
    node: process.version,
    platform: `${process.platform}-${process.arch}`,
    cpus: cpus.length,
    cpuModel: cpus[0]?.model ?? "unknown",
    threads,
    simd,
    loadAverage,
    summary: `machine: ${cpus.length} × ${cpus[0]?.model ?? "unknown cpu"}, ${threads} threads, WebAssembly SIMD: ${simd}, Node ${process.version}${nodeOptions()}, load average ${loadAverage} at start${busy}`,
  };
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
