// Finds every *.test.ts below the given folders (default: the project's source folders)
// and runs them with Node's test runner, TypeScript loaded through tsx. When engine tests are
// among them, they run a second time on the JavaScript backend (AGNB_BACKEND=js), so every
// gradient and op test holds on both backends; engine/backend/ is left out of that pass, as its
// tests name the backend they test.
import { readdirSync, statSync } from "node:fs";
import { join, relative, sep } from "node:path";
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

function runTests(files, env = process.env) {
  const result = spawnSync(process.execPath, ["--import", "tsx", "--test", "--test-concurrency=2", ...files], {
    cwd: root,
    env,
    stdio: "inherit",
  });
  return result.status ?? 1;
}

const files = [...new Set(roots.flatMap((r) => findTests(join(root, r), [])).map((f) => relative(root, f)))].sort();
if (files.length === 0) {
  console.error(`no test files found under ${roots.join(", ")}`);
  process.exit(1);
}
const status = runTests(files);

const onBothBackends = files.filter((file) => file.startsWith(`engine${sep}`) && !file.startsWith(join("engine", "backend") + sep));
let jsStatus = 0;
if (onBothBackends.length > 0) {
  console.log(`\n# the engine's ${onBothBackends.length} test file${onBothBackends.length === 1 ? "" : "s"} again, on the JavaScript backend (AGNB_BACKEND=js)`);
  jsStatus = runTests(onBothBackends, { ...process.env, AGNB_BACKEND: "js" });
}
process.exit(status || jsStatus);
