/**
 * `npm run bench`: runs the engine suite and any optional suite present (training, kernel,
 * extension), then prints one table of our figures beside the peers'.
 *
 *   node --import tsx bench/run.ts [--only GROUP[,GROUP...]]... [--json FILE]
 *
 * GROUP is a suite (engine, training, kernel, extension) or a group of rows (matmul,
 * elementwise, chain, jacobian, mlp, or any group an optional suite reports).
 */
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { ResultMismatchError } from "./crosscheck";
import { ENGINE_GROUPS, ENGINE_TARGETS, runEngineBench } from "./engine";
import { describeMachine, formatTable, writeResultsJson, type BenchRow, type BenchTarget } from "./table";

interface OptionalSuite {
  name: string;
  file: string;
  run(module: Record<string, unknown>): Promise<BenchRow[]>;
  /** The suite's own goals, if it exports them (e.g. TRAINING_TARGETS), for the summary line. */
  targets(module: Record<string, unknown>): BenchTarget[];
}

const optionalSuite = (name: string, file: string, exportName: string): OptionalSuite => ({
  name,
  file,
  run(module) {
    const suite = module[exportName];
    if (typeof suite !== "function") throw new Error(`bench/${file} does not export ${exportName}()`);
    return (suite as () => Promise<BenchRow[]>)();
  },
  targets(module) {
    const targets = module[`${name.toUpperCase()}_TARGETS`];
    return Array.isArray(targets) ? (targets as BenchTarget[]) : [];
  },
});

const OPTIONAL_SUITES = [
  optionalSuite("training", "training.ts", "runTrainingBench"),
  optionalSuite("kernel", "kernel.ts", "runKernelBench"),
  optionalSuite("interrupt", "interrupt.ts", "runInterruptBench"),
  optionalSuite("zeromq", "kernel-zeromq.ts", "runZeroMQBench"),
  optionalSuite("remote", "remote.ts", "runRemoteBench"),
  optionalSuite("extension", "extension.ts", "runExtensionBench"),
  optionalSuite("conv", "conv.ts", "runConvBench"),
  optionalSuite("intelligence", "intelligence.ts", "runIntelligenceBench"),
];
const SUITE_NAMES = ["engine", ...OPTIONAL_SUITES.map((suite) => suite.name)];

const USAGE = "usage: node --import tsx bench/run.ts [--only GROUP[,GROUP...]]... [--json FILE]";

export interface RunOptions {
  only: string[];
  json?: string;
}

export function parseArguments(argv: string[]): RunOptions {
  const options: RunOptions = { only: [] };
  for (let i = 0; i < argv.length; i++) {
    const argument = argv[i];
    const [flag, inlineValue] = argument.startsWith("--") && argument.includes("=") ? argument.split(/=(.*)/s) : [argument];
    const value = () => {
      const next = inlineValue ?? argv[++i];
      if (next === undefined || next === "") throw new Error(`${flag} needs a value\n${USAGE}`);
      return next;
    };
    if (flag === "--only") options.only.push(...value().split(",").map((group) => group.trim()).filter(Boolean));
    else if (flag === "--json") options.json = value();
    else if (flag === "--help" || flag === "-h") throw new Error(USAGE);
    else throw new Error(`unknown argument "${argument}"\n${USAGE}`);
  }
  return options;
}

/** Which suites run, and which engine groups, for the `--only` list. */
export function plan(only: string[]) {
  const everything = only.length === 0;
  const rowGroups = only.filter((group) => !SUITE_NAMES.includes(group));
  const engineGroups = rowGroups.filter((group) => ENGINE_GROUPS.includes(group));
  // Names that are neither suites nor engine groups may be groups an optional suite reports.
  const otherGroups = rowGroups.filter((group) => !ENGINE_GROUPS.includes(group));
  const runEngine = everything || only.includes("engine") || engineGroups.length > 0;
  return {
    runEngine,
    engineGroups: everything || only.includes("engine") ? undefined : engineGroups,
    optional: OPTIONAL_SUITES.filter((suite) => everything || only.includes(suite.name) || otherGroups.length > 0),
    /** Rows of optional suites are kept only if their suite or their group was asked for. */
    keepRow: (suite: string, row: BenchRow) => everything || only.includes(suite) || otherGroups.includes(row.group),
  };
}

/** Runs a suite and says how long it took: a full run should stay within about three minutes. */
async function timed<T>(suite: string, run: () => Promise<T>): Promise<T> {
  const start = performance.now();
  const result = await run();
  process.stderr.write(`${suite}: done in ${((performance.now() - start) / 1000).toFixed(1)} s\n`);
  return result;
}

interface SuiteResult {
  rows: BenchRow[];
  targets: BenchTarget[];
}

async function runOptionalSuite(suite: OptionalSuite): Promise<SuiteResult> {
  const path = fileURLToPath(new URL(`./${suite.file}`, import.meta.url));
  if (!existsSync(path)) return { rows: [], targets: [] };
  try {
    process.stderr.write(`${suite.name}: running\n`);
    const module = await import(`./${suite.file}`);
    const rows = await timed(suite.name, () => suite.run(module));
    return { rows, targets: suite.targets(module) };
  } catch (error) {
    // An optional suite failing must not cost the rest of the run its figures.
    process.stderr.write(`${suite.name}: suite failed, continuing without it: ${(error as Error).stack ?? error}\n`);
    return { rows: [], targets: [] };
  }
}

async function main(): Promise<void> {
  const options = parseArguments(process.argv.slice(2));
  const { runEngine, engineGroups, optional, keepRow } = plan(options.only);
  const machine = describeMachine();
  const rows: BenchRow[] = [];
  const targets = [...ENGINE_TARGETS];
  if (runEngine) rows.push(...(await timed("engine", () => runEngineBench({ groups: engineGroups }))));
  for (const suite of optional) {
    const result = await runOptionalSuite(suite);
    rows.push(...result.rows.filter((row) => keepRow(suite.name, row)));
    targets.push(...result.targets);
  }
  if (rows.length === 0) {
    throw new Error(`no rows for --only ${options.only.join(",")}; suites: ${SUITE_NAMES.join(", ")}; engine groups: ${ENGINE_GROUPS.join(", ")}`);
  }
  console.log(machine.summary);
  console.log(formatTable(rows, targets));
  if (options.json) {
    writeResultsJson(options.json, rows, targets, machine);
    console.log(`results saved to ${options.json}`);
  }
}

// Importing this module (for its argument parsing) must not start a run.
if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  main().catch((error: Error) => {
    const prefix = error instanceof ResultMismatchError ? "bench aborted: " : "bench: ";
    process.stderr.write(`${prefix}${error.message}\n`);
    process.exitCode = 1;
  });
}
