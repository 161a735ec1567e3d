/**
 * The engine rows: each workload on our engine and on tfjs's cpu and wasm backends, results
 * cross-checked between engines, then timed the same way for all of them.
 */
import { existsSync, readdirSync, statSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { assertSameResults, type Tolerance } from "./crosscheck";
import { measureInterleaved } from "./measure";
import { beatsPeerOnEveryRow, rowBelow, withinFactorOfPeer, type BenchRow, type BenchTarget } from "./table";
import { NUMPY, numpyWorkload, runNumpyReference } from "./numpy";
import { ourWorkloads } from "./ours";
import { TFJS_PEERS, tfjsWorkloads, useTfjsBackend, type TfjsPeer } from "./tfjs";
import {
  CHAIN_OPS, ELEMENTWISE_SIZE, JACOBIAN_SIZE, MATMUL_SIZES, MLP, mlpParameters, seededUniform,
  type EngineWorkloads, type PreparedWorkload,
} from "./workloads";

export const OURS = "ours";

export interface WorkloadSpec {
  group: string;
  name: string;
  unit: string;
  higherIsBetter?: boolean;
  note?: string;
  tolerance: Tolerance;
  prepare(engine: EngineWorkloads): PreparedWorkload;
  /** Converts a median time per call (ms) to the row's unit. */
  figure(ms: number): number;
}

const CHAIN_ROW = "scalar chain fwd+bwd";
const JACOBIAN_ROW = `jacobian ${JACOBIAN_SIZE}×${JACOBIAN_SIZE} tanh(Wx)`;

export const ENGINE_TARGETS: BenchTarget[] = [
  beatsPeerOnEveryRow("tfjs-cpu"),
  rowBelow("chain", CHAIN_ROW, 1, "µs/op"),
  rowBelow("jacobian", JACOBIAN_ROW, 1, "ms"),
  withinFactorOfPeer("tfjs-wasm", ["add 1e6", "mul 1e6", "exp 1e6", "sum 1e6", ...MATMUL_SIZES.map((n) => `matmul ${n}`)], 1,
    "ahead of tfjs-wasm on add, mul, exp, sum and matmul"),
  withinFactorOfPeer(NUMPY, ["add 1e6", "mul 1e6"], 1.5, "add and mul 1e6 within 1.5× of numpy"),
];

export function workloadSpecs(): WorkloadSpec[] {
  const milliseconds = (ms: number) => ms;
  const a = seededUniform(ELEMENTWISE_SIZE, 1);
  const b = seededUniform(ELEMENTWISE_SIZE, 2);
  const sumOfMagnitudes = a.reduce((total, value) => total + Math.abs(value), 0);
  const elementwiseOps: Pick<WorkloadSpec, "name" | "prepare" | "tolerance">[] = [
    { name: "add", prepare: (engine) => engine.add(a, b), tolerance: { relative: 1e-6, absolute: 0 } },
    { name: "mul", prepare: (engine) => engine.mul(a, b), tolerance: { relative: 1e-6, absolute: 0 } },
    { name: "exp", prepare: (engine) => engine.exp(a), tolerance: { relative: 2e-6, absolute: 0 } },
    // Summation order differs between engines and float32 rounding grows with the magnitudes
    // summed (tfjs-wasm is 0.007 off here); 0.025 still catches a dropped element (mean |a| 0.5).
    { name: "sum", prepare: (engine) => engine.sum(a), tolerance: { relative: 0, absolute: 5e-8 * sumOfMagnitudes } },
  ];
  const elementwise: WorkloadSpec[] = elementwiseOps.map((spec) => ({
    ...spec, group: "elementwise", name: `${spec.name} 1e6`, unit: "ms", figure: milliseconds,
  }));

  const matmul: WorkloadSpec[] = MATMUL_SIZES.map((n) => {
    const [left, right] = [seededUniform(n * n, 100 + n), seededUniform(n * n, 200 + n)];
    return {
      group: "matmul", name: `matmul ${n}`, unit: "GFLOP/s", higherIsBetter: true,
      prepare: (engine) => engine.matmul(left, right, n),
      figure: (ms) => (2 * n ** 3) / (ms * 1e6),
      tolerance: { relative: 1e-4, absolute: 2e-6 * n },
    };
  });

  const perOp = (ms: number) => (ms * 1000) / CHAIN_OPS;
  const chain: WorkloadSpec[] = [
    { group: "chain", name: "scalar chain forward", unit: "µs/op", figure: perOp,
      prepare: (engine) => engine.chainForward(CHAIN_OPS), tolerance: { relative: 1e-4, absolute: 0 } },
    { group: "chain", name: CHAIN_ROW, unit: "µs/op", figure: perOp,
      prepare: (engine) => engine.chainForwardBackward(CHAIN_OPS), tolerance: { relative: 1e-4, absolute: 0 } },
  ];

  // Small weights keep tanh away from saturation, so the Jacobian's entries are all informative.
  const weights = seededUniform(JACOBIAN_SIZE * JACOBIAN_SIZE, 31, -0.1, 0.1);
  const input = seededUniform(JACOBIAN_SIZE, 32);
  const parameters = mlpParameters();
  const rest: WorkloadSpec[] = [
    { group: "jacobian", name: JACOBIAN_ROW, unit: "ms", figure: milliseconds, note: "tfjs: one VJP per row",
      prepare: (engine) => engine.jacobian(weights, input, JACOBIAN_SIZE), tolerance: { relative: 1e-4, absolute: 1e-6 } },
    { group: "mlp", name: `MLP ${MLP.inputs}-${MLP.hidden}-${MLP.outputs} SGD step, batch ${MLP.batch}`, unit: "ms",
      figure: milliseconds, prepare: (engine) => engine.mlpStep(parameters), tolerance: { relative: 1e-3, absolute: 1e-5 } },
  ];
  return [...matmul, ...elementwise, ...chain, ...rest];
}

export const ENGINE_GROUPS = ["matmul", "elementwise", "chain", "jacobian", "mlp"];

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
 * (ours, when it loads). Engines that cannot start are removed from `engines`.
 */
async function prepareEntrants(spec: WorkloadSpec, engines: Engine[], failures: string[], log: (line: string) => void) {
  const entrants: Entrant[] = [];
  let reference: { name: string; values: Float32Array } | undefined;
  try {
    for (const engine of [...engines]) {
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
        failures.push(`${engine.name} failed: ${(error as Error).message}`);
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
    const failures: string[] = [];
    const entrants = await prepareEntrants(spec, engines, failures, log);
    const figures: Record<string, number> = {};
    try {
      const contenders = entrants.map(({ engine, workload }) => ({ enter: async () => void (await engine.select()), run: () => workload.run() }));
      const measurements = await measureInterleaved(contenders);
      entrants.forEach(({ name }, i) => {
        figures[name] = spec.figure(measurements[i].medianMs);
        log(`engine: ${spec.name}: ${name} ${figures[name].toPrecision(3)} ${spec.unit}`);
      });
    } catch (error) {
      failures.push(`timing failed: ${(error as Error).message}`);
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
      note: [spec.note, numpyNote, ...failures].filter(Boolean).join("; ") || undefined,
      ours: ourFigure, peers,
    });
  }
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
