// Builds every bundle the package ships. Entries whose source does not exist yet are skipped,
// so each part of the project can be built on its own.
import { build } from "esbuild";
import { spawn } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { emitEngineDeclarations } from "./engine-declarations.mjs";

const root = new URL("..", import.meta.url).pathname;
const at = (p) => join(root, p);

const node = { bundle: true, platform: "node", target: "node20", format: "cjs", sourcemap: "linked", logLevel: "warning" };
const nodeBundles = [
  // The engine as a library: `import * as tf from "autograd-notebook"`.
  { entry: "engine/index.ts", out: "dist/engine.cjs" },
  // The kernel process and the `agnb` command line; esbuild transpiles cells at run time.
  { entry: "kernel/main.ts", out: "dist/kernel.cjs", external: ["esbuild", "typescript", "@types/node/package.json"] },
  { entry: "kernel/cli.ts", out: "dist/cli.cjs", external: ["esbuild", "typescript", "@types/node/package.json"] },
  // The kernel's transport thread: its I/O and message encoding; zeromq's addon loads from node_modules.
  { entry: "kernel/transport/thread.ts", out: "dist/kernel-transport.cjs", external: ["zeromq"] },
  // Type-checks cells on its own thread; the TypeScript compiler is loaded from node_modules.
  { entry: "kernel/type-check-worker.ts", out: "dist/type-check-worker.cjs", external: ["typescript"] },
  // The VS Code extension host side.
  { entry: "extension/extension.ts", out: "dist/extension.cjs", external: ["vscode", "esbuild"] },
];

const jobs = [];
for (const { entry, out, external = [] } of nodeBundles) {
  if (!existsSync(at(entry))) continue;
  jobs.push(build({ ...node, entryPoints: [at(entry)], outfile: at(out), external }));
}

// VS Code's TypeScript server loads plugins as packages from the extension's node_modules
// (extension/ts-plugin/plugin.ts); vsce packages it because npm lists it there.
const tsserverPlugin = "node_modules/agnb-tsserver-plugin";
if (existsSync(at("extension/ts-plugin/plugin.ts"))) {
  mkdirSync(at(tsserverPlugin), { recursive: true });
  writeFileSync(at(`${tsserverPlugin}/package.json`), JSON.stringify({ name: "agnb-tsserver-plugin", version: "0.1.0", private: true, main: "index.js" }, null, 1) + "\n");
  jobs.push(build({
    ...node, sourcemap: false, entryPoints: [at("extension/ts-plugin/plugin.ts")], outfile: at(`${tsserverPlugin}/index.js`),
    // The server requires the module and calls what it exports.
    footer: { js: "module.exports = module.exports.default;" },
  }));
}

// Renderers run in the notebook webview: ESM for the browser, one bundle per *.renderer.ts.
const rendererDir = at("extension/renderers");
const renderers = existsSync(rendererDir)
  ? readdirSync(rendererDir).filter((f) => f.endsWith(".renderer.ts")).map((f) => join(rendererDir, f))
  : [];
if (renderers.length) {
  jobs.push(build({
    entryPoints: renderers, outdir: at("dist/renderers"), bundle: true, format: "esm",
    platform: "browser", target: "es2022", splitting: true, sourcemap: "linked",
    outExtension: { ".js": ".js" }, logLevel: "warning", minify: true,
  }));
}

// Cells are type-checked against the engine's declarations (and packages importing it get them);
// the details of completing the engine's API are worked out from them once.
jobs.push(emitEngineDeclarations(root).then(writeCompletionDetails));

/** dist/types/engine-completions.json (kernel/completion-details.ts), when what it is made from changed. */
async function writeCompletionDetails() {
  const out = at("dist/types/engine-completions.json");
  const inputs = ["dist/types/engine/.built", "kernel/cell-globals.d.ts", "kernel/completion-details.ts", "kernel/generate-completion-details.ts", "kernel/language-service.ts", "kernel/type-checker.ts"];
  if (existsSync(out) && statSync(out).mtimeMs > Math.max(...inputs.map((input) => statSync(at(input)).mtimeMs))) return;
  const run = spawn(process.execPath, ["--import", "tsx", at("kernel/generate-completion-details.ts"), at("dist/types")], { cwd: root, stdio: ["ignore", "ignore", "inherit"] });
  const code = await new Promise((resolve) => run.on("close", resolve));
  if (code !== 0) throw new Error(`kernel/generate-completion-details.ts exited with code ${code}`);
}

await Promise.all(jobs);
console.log(`built ${jobs.length} bundle group(s)`);
