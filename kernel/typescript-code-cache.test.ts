import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";

/** Loads the compiler in a fresh process, as a checker thread does, with the given cache folder. */
function load(cacheHome: string, nodeFlags: string[] = []) {
  const script = `
    const cache = require("./kernel/typescript-code-cache.ts");
    const ts = require("typescript");
    ts.createSourceFile("x.ts", "const x: number = 1", ts.ScriptTarget.ES2022);
    cache.saveTypeScriptCodeCache();
    console.log(JSON.stringify({ fromCache: cache.loadedFromCodeCache, version: ts.version }));`;
  const run = spawnSync(process.execPath, [...nodeFlags, "--import", "tsx", "-e", script], {
    cwd: join(__dirname, ".."), env: { ...process.env, XDG_CACHE_HOME: cacheHome }, encoding: "utf8",
  });
  assert.equal(run.status, 0, run.stderr);
  return JSON.parse(run.stdout.trim().split("\n").pop()!) as { fromCache: boolean; version: string };
}

test("the compiler is compiled once, then loaded from V8's code cache in the user's cache folder", () => {
  const cacheHome = mkdtempSync(join(tmpdir(), "agnb-cache-"));
  const first = load(cacheHome);
  assert.equal(first.fromCache, false);
  const [file, ...others] = readdirSync(join(cacheHome, "autograd-notebook"));
  assert.deepEqual(others, []);
  assert.match(file, new RegExp(`^typescript-${first.version.replace(/\./g, "\\.")}-node${process.version.replace(/\./g, "\\.")}-${process.arch}-[0-9a-f]{8}\\.v8cache$`));
  assert.deepEqual(load(cacheHome), { fromCache: true, version: first.version });
});

test("processes with other V8 flags (the kernel's) keep their own cache, so neither refuses the other's", () => {
  const cacheHome = mkdtempSync(join(tmpdir(), "agnb-cache-"));
  const kernelFlags = ["--max-semi-space-size=64"];
  assert.equal(load(cacheHome).fromCache, false);
  assert.equal(load(cacheHome, kernelFlags).fromCache, false);
  assert.equal(readdirSync(join(cacheHome, "autograd-notebook")).length, 2);
  assert.equal(load(cacheHome).fromCache, true);
  assert.equal(load(cacheHome, kernelFlags).fromCache, true);
});
