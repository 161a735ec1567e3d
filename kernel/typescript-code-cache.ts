/**
 * Loads the TypeScript compiler with V8's code cache, kept in the user's cache folder: compiling
 * its 9 MB of JavaScript (and the checker's functions, compiled lazily as they first run) is a
 * good part of the checker's start. The first kernel writes the cache after its warm-up; later
 * ones load compiled code. Without a usable cache, TypeScript loads as usual.
 *
 * Importing this module registers the compiler in `require`'s cache, so it must be imported
 * before anything that imports "typescript".
 */
import { createHash } from "node:crypto";
import { mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import Module from "node:module";
import { homedir } from "node:os";
import { dirname, join } from "node:path";
import vm from "node:vm";

const compilerFile = require.resolve("typescript");
const version = (JSON.parse(readFileSync(join(dirname(compilerFile), "..", "package.json"), "utf8")) as { version: string }).version;
// V8 refuses a cache made under other flags (the kernel runs with --max-semi-space-size, tools
// and tests without), so each set of flags keeps its own rather than overwriting the other's.
const flags = createHash("sha1").update(`${process.execArgv.join(" ")}\u0000${process.env.NODE_OPTIONS ?? ""}`).digest("hex").slice(0, 8);
const cacheFile = join(
  process.env.XDG_CACHE_HOME ?? join(homedir(), ".cache"), "autograd-notebook",
  `typescript-${version}-node${process.version}-${process.arch}-${flags}.v8cache`,
);

let script: vm.Script | null = null;
let stale = true;
try {
  let cached: Buffer | undefined;
  try { cached = readFileSync(cacheFile); } catch { /* first run */ }
  script = new vm.Script(Module.wrap(readFileSync(compilerFile, "utf8")), { filename: compilerFile, cachedData: cached });
  stale = cached === undefined || script.cachedDataRejected === true;
  const compiler = new Module(compilerFile);
  compiler.filename = compilerFile;
  compiler.paths = (Module as unknown as { _nodeModulePaths(dir: string): string[] })._nodeModulePaths(dirname(compilerFile));
  (script.runInThisContext() as (...args: unknown[]) => void)
    .call(compiler.exports, compiler.exports, Module.createRequire(compilerFile), compiler, compilerFile, dirname(compilerFile));
  compiler.loaded = true;
  require.cache[compilerFile] = compiler;
} catch {
  // `require("typescript")` loads it the usual way.
  script = null;
}

/** Whether the compiler was loaded from a cache V8 accepted. */
export const loadedFromCodeCache = script !== null && !stale;

/** Writes the cache when there was none (or V8 refused it); call once the checker has run. */
export function saveTypeScriptCodeCache(): void {
  if (!script || !stale) return;
  stale = false;
  try {
    mkdirSync(dirname(cacheFile), { recursive: true });
    const partial = `${cacheFile}.${process.pid}.tmp`;
    writeFileSync(partial, script.createCachedData());
    renameSync(partial, cacheFile);
  } catch {
    // A cache that cannot be written only costs time.
  }
}
