/**
 * The engine rows: each workload on our engine and on tfjs's cpu and wasm backends, results
 * cross-checked between engines, then timed the same way for all of them.
 */
import { existsSync, readdirSync, statSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { assertSameResults } from "./crosscheck";
import { ENGINE_GROUPS, ENGINE_TARGETS, workloadSpecs, type WorkloadSpec } from "./engine-rows";
import type { BenchRow } from "./figures";
import { measureInterleaved } from "./measure";
import { NUMPY, numpyWorkload, runNumpyReference } from "./numpy";
import { ourWorkloads } from "./ours";
import { simdPeakRow } from "./simd-peak";
import { TFJS_PEERS, tfjsWorkloads, useTfjsBackend, type TfjsPeer } from "./tfjs";
import { ELEMENTWISE_SIZE, MATMUL_SIZES, type EngineWorkloads, type PreparedWorkload } from "./workloads";

export { ENGINE_GROUPS, ENGINE_TARGETS, workloadSpecs, type WorkloadSpec };

export const OURS = "ours";

export interface EngineBenchOptions {
  /** Only these groups (all when absent). */
  groups?: string[];
  log?: (line: string) => void;
}

/** Our engine's workloads, where they were loaded from, or the reason they could not be. */
export async function loadOurWorkloads(log: (line: string) => void): Promise<EngineWorkloads | Error> {
  try {
    const bundle = fileURLToPath(new URL("../dist/engine.cjs", import.meta.url));
    const staleBecause = bundleStaleness(bundle, fileURLToPath(new URL("../engine", import.meta.url)));
    if (!staleBecause) {
      log(`engine: ours is the shipped bundle dist/engine.cjs`);
      return ourWorkloads(createRequire(import.meta.url)(bundle));
    }
    // The sources run through tsx, whose module getters slow down every cross-module call.
    log(`engine: ours is loaded from the sources, figures are pessimistic: ${staleBecause} (npm run build fixes it)`);
    return ourWorkloads(await import("../engine/core"));
  } catch (error) {
    return error instanceof Error ? error : new Error(String(error));
  }
}

/** Why the bundle cannot stand for the sources (missing, or older than one of them), or undefined. */
export function bundleStaleness(bundle: string, sources: string): string | undefined {
  if (!existsSync(bundle)) return "dist/engine.cjs does not exist";
  const built = statSync(bundle).mtimeMs;
  const newer = (readdirSync(sources, { recursive: true }) as string[]).find(
    (file) => file.endsWith(".ts") && !file.endsWith(".test.ts") && statSync(join(sources, file)).mtimeMs > built,
  );
  return newer ? `engine/${newer} is newer than dist/engine.cjs` : undefined;
}

interface Engine {
  name: string;
  /** Makes this engine current (tfjs switches backend) and returns its workloads. */
  select(): Promise<EngineWorkloads>;
}

interface Entrant {
  name: string;
  engine: Engine;
  workload: PreparedWorkload;
}

/**
 * Prepares `spec` on every engine and cross-checks each result against the first engine's
 * (ours, when it loads). Engines that cannot start are removed from `engines`; peers the row
 * sits out are left out, their reason added to the row's notes.
 */
async function prepareEntrants(spec: WorkloadSpec, engines: Engine[], rowNotes: string[], log: (line: string) => void) {
  const entrants: Entrant[] = [];
  let reference: { name: string; values: Float32Array } | undefined;
  try {
    for (const engine of [...engines]) {
      const skipped = spec.skip?.[engine.name];
      if (skipped) {
        rowNotes.push(skipped);
        continue;
      }
      let workloads: EngineWorkloads;
      try {
        workloads = await engine.select();
      } catch (error) {
        log(`engine: ${engine.name} unavailable: ${(error as Error).message}`);
        engines.splice(engines.indexOf(engine), 1);
        continue;
      }
      let workload: PreparedWorkload | undefined;
      let values: Float32Array;
      try {
        workload = spec.prepare(workloads);
        values = workload.values();
      } catch (error) {
        workload?.dispose();
        rowNotes.push(`${engine.name} failed: ${(error as Error).message}`);
        log(`engine: ${spec.name}: ${engine.name} failed: ${(error as Error).stack ?? error}`);
        continue;
      }
      entrants.push({ name: engine.name, engine, workload });
      if (reference) assertSameResults(spec.name, { actual: engine.name, expected: reference.name }, values, reference.values, spec.tolerance);
      else reference = { name: engine.name, values };
    }
    return entrants;
  } catch (error) {
    for (const entrant of entrants) entrant.workload.dispose();
    throw error;
  }
}

/** Each workload is timed on every engine in interleaved rounds, so load on the machine skews all alike. */
export async function runEngineBench(options: EngineBenchOptions = {}): Promise<BenchRow[]> {
  const log = options.log ?? ((line: string) => process.stderr.write(line + "\n"));
  const specs = workloadSpecs().filter((spec) => !options.groups || options.groups.includes(spec.group));

  const ours = await loadOurWorkloads(log);
  if (ours instanceof Error) log(`engine: our engine could not be loaded, peers only: ${ours.message}`);
  const engines: Engine[] = [
    ...(ours instanceof Error ? [] : [{ name: OURS, select: async () => ours }]),
    ...(Object.keys(TFJS_PEERS) as TfjsPeer[]).map((peer) => ({
      name: peer,
      select: async () => (await useTfjsBackend(peer), tfjsWorkloads),
    })),
  ];
  const numpy = numpyColumn(specs, log);
  const rows: BenchRow[] = [];
  for (const spec of specs) {
    const rowNotes: string[] = [];
    const entrants = await prepareEntrants(spec, engines, rowNotes, log);
    const figures: Record<string, number> = {};
    try {
      const contenders = entrants.map(({ engine, workload }) => ({ enter: async () => void (await engine.select()), run: () => workload.run() }));
      // Each workload ran once for the cross-check: a call that alone exceeds the budget is timed once more, not twice.
      const measurements = await measureInterleaved(contenders, { warmedUp: true, ...spec.measure });
      entrants.forEach(({ name }, i) => {
        figures[name] = spec.figure(measurements[i].medianMs);
        log(`engine: ${spec.name}: ${name} ${figures[name].toPrecision(3)} ${spec.unit}`);
      });
    } catch (error) {
      rowNotes.push(`timing failed: ${(error as Error).message}`);
      log(`engine: ${spec.name}: timing failed: ${(error as Error).stack ?? error}`);
    } finally {
      for (const entrant of entrants) entrant.workload.dispose();
    }
    const numpyMs = numpy.ms.get(spec.name);
    if (numpyMs !== undefined) figures[NUMPY] = spec.figure(numpyMs);
    const numpyNote = numpyMs !== undefined && !numpy.described ? numpy.description : undefined;
    if (numpyNote) numpy.described = true;
    const { [OURS]: ourFigure = Number.NaN, ...peers } = figures;
    rows.push({
      group: spec.group, name: spec.name, unit: spec.unit, higherIsBetter: spec.higherIsBetter,
      note: [spec.note, numpyNote, ...rowNotes].filter(Boolean).join("; ") || undefined,
      ours: ourFigure, peers,
    });
  }
  if (specs.some((spec) => spec.group === "matmul")) rows.push(await simdPeakRow(rows, log));
  return rows;
}

/**
 * NumPy's median ms by row name, for the matmul and elementwise rows in this run (none if it
 * cannot run), and which BLAS kernel produced them (the first such row's note says it).
 */
function numpyColumn(specs: WorkloadSpec[], log: (line: string) => void) {
  const column = { ms: new Map<string, number>(), description: "", described: false };
  const wanted = specs.filter((spec) => numpyWorkload(spec.group, spec.name) !== undefined);
  if (wanted.length === 0) return column;
  const reference = runNumpyReference(MATMUL_SIZES.filter((n) => wanted.some((spec) => spec.name === `matmul ${n}`)), ELEMENTWISE_SIZE);
  if (reference instanceof Error) {
    log(`engine: no numpy column: ${reference.message}`);
    return column;
  }
  log(`engine: ${reference.description}`);
  column.description = reference.description;
  for (const spec of wanted) {
    const ms = reference.ms[numpyWorkload(spec.group, spec.name)!];
    if (ms !== undefined) column.ms.set(spec.name, ms);
  }
  return column;
}
