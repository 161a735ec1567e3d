import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";

/** Loads the compiler in a fresh process, as a checker thread does, with the given cache folder. */
function load(cacheHome: string) {
  const script = `
    const cache = require("./kernel/typescript-code-cache.ts");
    const ts = require("typescript");
    ts.createSourceFile("x.ts", "const x: number = 1", ts.ScriptTarget.ES2022);
    cache.saveTypeScriptCodeCache();
    console.log(JSON.stringify({ fromCache: cache.loadedFromCodeCache, version: ts.version }));`;
  const run = spawnSync(process.execPath, ["--import", "tsx", "-e", script], {
    cwd: join(__dirname, ".."), env: { ...process.env, XDG_CACHE_HOME: cacheHome }, encoding: "utf8",
  });
  assert.equal(run.status, 0, run.stderr);
  return JSON.parse(run.stdout.trim().split("\n").pop()!) as { fromCache: boolean; version: string };
}

test("the compiler is compiled once, then loaded from V8's code cache in the user's cache folder", () => {
  const cacheHome = mkdtempSync(join(tmpdir(), "agnb-cache-"));
  const first = load(cacheHome);
  assert.equal(first.fromCache, false);
  assert.deepEqual(readdirSync(join(cacheHome, "autograd-notebook")), [`typescript-${first.version}-node${process.version}-${process.arch}.v8cache`]);
  assert.deepEqual(load(cacheHome), { fromCache: true, version: first.version });
});
