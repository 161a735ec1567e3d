// Writes the engine's declaration files to dist/types/engine, the types of `tf` in cells and of
// the package. Declaration emit type-checks the engine (seconds), so it runs only when an engine
// source is newer than the last output.
import { mkdirSync, readdirSync, renameSync, statSync, writeFileSync, copyFileSync } from "node:fs";
import { dirname, join } from "node:path";
import ts from "typescript";

function newestSource(dir) {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestSource(path));
    else if (entry.name.endsWith(".ts") && !entry.name.endsWith(".test.ts")) newest = Math.max(newest, statSync(path).mtimeMs);
  }
  return newest;
}

export async function emitEngineDeclarations(root) {
  const outDir = join(root, "dist/types/engine");
  const stamp = join(outDir, ".built");
  // The globals every cell sees (`tf`, `display`) sit next to the engine's types.
  mkdirSync(join(root, "dist/types"), { recursive: true });
  copyFileSync(join(root, "kernel/cell-globals.d.ts"), join(root, "dist/types/cell-globals.d.ts"));
  let built = 0;
  try { built = statSync(stamp).mtimeMs; } catch { /* never built */ }
  // The engine re-exports the display contract, whose declarations are written beside it.
  if (built > Math.max(newestSource(join(root, "engine")), newestSource(join(root, "display")))) return;

  const options = {
    target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.ESNext, moduleResolution: ts.ModuleResolutionKind.Bundler,
    lib: ["lib.es2023.d.ts", "lib.dom.d.ts"], types: ["node"], strict: true, skipLibCheck: true, resolveJsonModule: true,
    declaration: true, emitDeclarationOnly: true, rootDir: root, outDir: join(root, "dist/types"),
  };
  const program = ts.createProgram([join(root, "engine/index.ts")], options);
  // Each file is renamed into place whole, so a build running meanwhile never reads half a file.
  const writeWhole = (fileName, text) => {
    mkdirSync(dirname(fileName), { recursive: true });
    const partial = `${fileName}.${process.pid}.partial`;
    writeFileSync(partial, text);
    renameSync(partial, fileName);
  };
  const result = program.emit(undefined, writeWhole);
  // The engine's own type errors are `npm run typecheck`'s to report; these are the ones that
  // make declarations impossible to write.
  const errors = (diagnostics) => diagnostics.filter((d) => d.category === ts.DiagnosticCategory.Error);
  report(root, errors(result.diagnostics));
  // Declaration emit can write a name without its import; the files must stand on their own.
  const emitted = ts.createProgram([join(outDir, "index.d.ts")], { ...options, skipLibCheck: false, noEmit: true, declaration: false, emitDeclarationOnly: false });
  report(root, errors(ts.getPreEmitDiagnostics(emitted)).filter((d) => d.file?.fileName.startsWith(join(root, "dist/types"))));
  writeFileSync(stamp, new Date().toISOString());
}

function report(root, problems) {
  if (!problems.length) return;
  const host = { getCanonicalFileName: (f) => f, getCurrentDirectory: () => root, getNewLine: () => "\n" };
  throw new Error(`engine declarations:\n${ts.formatDiagnostics(problems, host)}`);
}
