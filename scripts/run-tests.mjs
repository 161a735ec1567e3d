// Finds every *.test.ts below the given folders (default: the project's source folders)
// and runs them with Node's test runner, TypeScript loaded through tsx.
import { readdirSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { spawnSync } from "node:child_process";

const root = new URL("..", import.meta.url).pathname;
const args = process.argv.slice(2);
const roots = args.length ? args : ["engine", "kernel", "extension", "test", "bench"];

function findTests(path, out) {
  let stat;
  try { stat = statSync(path); } catch { return out; }
  if (stat.isFile()) { if (path.endsWith(".test.ts")) out.push(path); return out; }
  for (const name of readdirSync(path)) {
    if (name === "node_modules" || name.startsWith(".")) continue;
    findTests(join(path, name), out);
  }
  return out;
}

const files = roots.flatMap((r) => findTests(join(root, r), [])).map((f) => relative(root, f)).sort();
if (files.length === 0) {
  console.error(`no test files found under ${roots.join(", ")}`);
  process.exit(1);
}
const result = spawnSync(process.execPath, ["--import", "tsx", "--test", "--test-concurrency=2", ...files], {
  cwd: root,
  stdio: "inherit",
});
process.exit(result.status ?? 1);
