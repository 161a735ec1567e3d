// npm run test:vscode: the in-host suite (in-host/suite.ts) in a desktop VS Code downloaded by
// @vscode/test-electron, for machines that can download it. The extension runs from this
// checkout's build; the workspace is a temporary copy of notebooks/ plus the scratch notebooks.
import { runTests } from "@vscode/test-electron";
import { build } from "esbuild";
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { spawnSync } from "node:child_process";
import { SCRATCH_NOTEBOOKS } from "./scratch-notebooks";

const root = new URL("../..", import.meta.url).pathname;

async function main(): Promise<void> {
  const built = spawnSync(process.execPath, [join(root, "scripts/build.mjs")], { stdio: "inherit" });
  if (built.status !== 0) process.exit(built.status ?? 1);
  const suite = join(root, "dist/test/in-host-suite.cjs");
  await build({ entryPoints: [join(root, "test/e2e/in-host/suite.ts")], outfile: suite, bundle: true, platform: "node", format: "cjs", external: ["vscode"], logLevel: "warning" });

  const scratch = mkdtempSync(join(tmpdir(), "agnb-vscode-"));
  const workspace = join(scratch, "workspace");
  mkdirSync(workspace);
  for (const name of readdirSync(join(root, "notebooks")).filter((f) => f.endsWith(".agnb"))) copyFileSync(join(root, "notebooks", name), join(workspace, name));
  for (const [name, text] of Object.entries(SCRATCH_NOTEBOOKS)) writeFileSync(join(workspace, name), text);
  try {
    await runTests({
      version: "1.90.0",
      extensionDevelopmentPath: root,
      extensionTestsPath: suite,
      launchArgs: [workspace, "--disable-extensions", "--disable-workspace-trust", "--user-data-dir", join(scratch, "user-data")],
    });
    console.log("in-host checks passed");
  } catch (error) {
    console.error(`in-host checks failed: ${(error as Error).message}`);
    process.exitCode = 1;
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

void main();
