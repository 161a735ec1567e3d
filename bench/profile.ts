/**
 * Where our engine spends its time on one workload: runs it for a few seconds under V8's
 * sampling profiler and prints the functions with the most self time.
 *
 *   node --import tsx bench/profile.ts "add 1e6" [--seconds 3] [--top 15] [--save FILE.cpuprofile]
 *
 * The saved profile opens in Chrome DevTools or VS Code for a flame chart.
 */
import { writeFileSync } from "node:fs";
import { Session, type Profiler } from "node:inspector";
import { relative } from "node:path";
import { fileURLToPath } from "node:url";
import { loadOurWorkloads, workloadSpecs } from "./engine";
import { formatNumber } from "./table";

const post = <T>(session: Session, method: string, params?: object) =>
  new Promise<T>((resolve, reject) => session.post(method, params ?? {}, (error, result) => (error ? reject(error) : resolve(result as T))));

export interface HotFunction {
  name: string;
  location: string;
  selfMs: number;
  share: number;
}

/**
 * Self time per function (summed over its nodes in the call tree), largest first. Only samples
 * inside `window` (the profiler's monotonic clock, µs) count: the rest belong to starting and
 * stopping the profiler.
 */
export function hottestFunctions(
  profile: Profiler.Profile,
  root = process.cwd(),
  window = { fromMicros: -Infinity, untilMicros: Infinity },
): HotFunction[] {
  const intervals = profile.timeDeltas ?? [];
  const selfMs = new Map<number, number>();
  let at = profile.startTime;
  profile.samples?.forEach((nodeId, i) => {
    at += intervals[i] ?? 0;
    if (at >= window.fromMicros && at <= window.untilMicros) selfMs.set(nodeId, (selfMs.get(nodeId) ?? 0) + (intervals[i] ?? 0) / 1000);
  });
  const byFunction = new Map<string, HotFunction>();
  let total = 0;
  for (const node of profile.nodes) {
    const ms = selfMs.get(node.id) ?? 0;
    total += ms;
    const { functionName, url, lineNumber, columnNumber } = node.callFrame;
    // Positions are in tsx's transpiled output, so only the file is shown; they still tell
    // apart functions of the same name. Code built by `new Function` has no file.
    const vmEntry = functionName.startsWith("(") && !url; // (garbage collector), (program), (idle)
    const location = url.startsWith("file://") ? relative(root, fileURLToPath(url)) : url || (vmEntry ? "" : "(generated code)");
    const key = `${functionName}@${url}:${lineNumber}:${columnNumber}`;
    const entry = byFunction.get(key) ?? { name: functionName || "(anonymous)", location, selfMs: 0, share: 0 };
    entry.selfMs += ms;
    byFunction.set(key, entry);
  }
  return [...byFunction.values()]
    .map((entry) => ({ ...entry, share: total > 0 ? entry.selfMs / total : 0 }))
    .sort((a, b) => b.selfMs - a.selfMs);
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const option = (flag: string) => {
    const at = args.indexOf(flag);
    return at >= 0 ? args.splice(at, 2)[1] : undefined;
  };
  const seconds = Number(option("--seconds") ?? 3);
  const top = Number(option("--top") ?? 15);
  const save = option("--save");
  const specs = workloadSpecs();
  const spec = specs.find((candidate) => candidate.name === args[0]);
  if (!spec || !(seconds > 0) || !(top > 0)) {
    throw new Error(`usage: bench/profile.ts WORKLOAD [--seconds S] [--top N] [--save FILE]\nworkloads: ${specs.map((s) => `"${s.name}"`).join(", ")}`);
  }
  const ours = await loadOurWorkloads((line) => console.log(line));
  if (ours instanceof Error) throw ours;
  const workload = spec.prepare(ours);
  workload.run(); // compile and warm up outside the profile

  const session = new Session();
  session.connect();
  await post(session, "Profiler.enable");
  await post(session, "Profiler.setSamplingInterval", { interval: 100 });
  await post(session, "Profiler.start");
  let runs = 0;
  // V8's profiler clock is the monotonic clock hrtime reads, in microseconds.
  const monotonicMicros = () => Number(process.hrtime.bigint() / 1000n);
  const loopStart = monotonicMicros();
  const end = performance.now() + seconds * 1000;
  while (performance.now() < end) {
    workload.run();
    runs++;
  }
  const loopEnd = monotonicMicros();
  const { profile } = await post<{ profile: Profiler.Profile }>(session, "Profiler.stop");
  session.disconnect();

  console.log(`${spec.name}: ${runs} runs in ${seconds} s, ${formatNumber((seconds * 1000) / runs)} ms a run`);
  for (const hot of hottestFunctions(profile, process.cwd(), { fromMicros: loopStart, untilMicros: loopEnd }).slice(0, top)) {
    console.log(`${(hot.share * 100).toFixed(1).padStart(5)} %  ${hot.name}  ${hot.location}`);
  }
  if (save) {
    writeFileSync(save, JSON.stringify(profile));
    console.log(`profile saved to ${save}`);
  }
}

// Importing this module (for hottestFunctions) must not start a profile.
if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  main().catch((error: Error) => {
    process.stderr.write(`profile: ${error.message}\n`);
    process.exitCode = 1;
  });
}
