// The renderers and the drawing module know only the display contract: none of their files may
// import the engine (directly or through another module), the kernel, or Node.
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";

const ROOT = join(__dirname, "../..");

function importsOf(file: string): string[] {
  const source = readFileSync(file, "utf8");
  return [...source.matchAll(/(?:^|\n)\s*(?:import|export)[^;]*?from\s+["']([^"']+)["']|import\(\s*["']([^"']+)["']\s*\)/g)].map((m) => m[1] ?? m[2]);
}

function resolveLocal(from: string, specifier: string): string | null {
  if (!specifier.startsWith(".")) return null;
  const base = resolve(dirname(from), specifier);
  return [base, `${base}.ts`, join(base, "index.ts")].find((p) => existsSync(p) && statSync(p).isFile()) ?? null;
}

/** Every file reachable from `entry` through relative imports, with the packages they name. */
function reachable(entry: string): { files: Set<string>; packages: Set<string> } {
  const files = new Set<string>();
  const packages = new Set<string>();
  const visit = (file: string) => {
    if (files.has(file)) return;
    files.add(file);
    for (const specifier of importsOf(file)) {
      const local = resolveLocal(file, specifier);
      if (local) visit(local);
      else if (!specifier.startsWith(".")) packages.add(specifier);
    }
  };
  visit(entry);
  return { files, packages };
}

test("the renderer bundle reaches no file of engine/, kernel/ or extension/ outside renderers/", () => {
  const renderers = join(ROOT, "extension/renderers");
  const entries = readdirSync(renderers).filter((f) => f.endsWith(".ts") && !f.endsWith(".test.ts") && f !== "test-dom.ts").map((f) => join(renderers, f));
  for (const entry of entries) {
    const { files, packages } = reachable(entry);
    const outside = [...files].map((f) => relative(ROOT, f)).filter((f) => !f.startsWith("extension/renderers/") && !f.startsWith("display/"));
    assert.deepEqual(outside, [], `${relative(ROOT, entry)} reaches ${outside.join(", ")}`);
    assert.deepEqual([...packages].filter((p) => !["plotly.js-dist", "vscode-notebook-renderer"].includes(p)), [], `${relative(ROOT, entry)} imports packages`);
  }
});

test("the display module imports only itself", () => {
  const { files, packages } = reachable(join(ROOT, "display/draw/index.ts"));
  assert.ok(files.size >= 8, `${files.size} files`);
  assert.deepEqual([...files].map((f) => relative(ROOT, f)).filter((f) => !f.startsWith("display/")), []);
  assert.deepEqual([...packages], []);
});
