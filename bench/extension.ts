// Extension benchmarks: render time of the heaviest outputs (a 100×100 Jacobian heatmap and a
// 500-op tape, drawn in Chromium), and, in a real VS Code (code-server, when
// scripts/install-vscode.sh has installed it), the extension's activation time and the time
// from Run All to the end of notebook 07.
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, copyFileSync } from "node:fs";
import { homedir, tmpdir } from "node:os";
import { join } from "node:path";
import { build } from "esbuild";
import { chromium } from "playwright-core";
import { rowBelow, type BenchRow, type BenchTarget } from "./table";

const GROUP = "extension";
const root = new URL("..", import.meta.url).pathname;

export const EXTENSION_TARGETS: BenchTarget[] = [
  rowBelow(GROUP, "activation (code-server)", 50, "ms"),
  rowBelow(GROUP, "render 100×100 Jacobian heatmap", 100, "ms"),
  rowBelow(GROUP, "render 500-op tape", 100, "ms"),
];

/** Renders in Debian's Chromium (what the notebook webview is), timing DOM building and layout. */
async function renderRows(): Promise<BenchRow[]> {
  const bundle = await build({
    entryPoints: [join(root, "extension/renderers/bench-entry.ts")], bundle: true, write: false,
    format: "iife", platform: "browser", target: "es2022", minify: true, logLevel: "error",
  });
  const browser = await chromium.launch({ executablePath: "/usr/bin/chromium", args: ["--no-sandbox", "--disable-gpu"] });
  try {
    const page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
    await page.setContent("<!doctype html><html><body></body></html>");
    await page.addScriptTag({ content: bundle.outputFiles[0].text });
    const result = (await page.evaluate("agnbRenderBench(15)")) as { jacobianMs: number; tapeMs: number };
    return [
      { group: GROUP, name: "render 100×100 Jacobian heatmap", unit: "ms", ours: result.jacobianMs, peers: {}, note: "Chromium, median of 15" },
      { group: GROUP, name: "render 500-op tape", unit: "ms", ours: result.tapeMs, peers: {}, note: "Chromium, layout + SVG, median of 15" },
    ];
  } finally {
    await browser.close();
  }
}

function codeServerInstalled(): boolean {
  const cache = process.env.AGNB_VSCODE_CACHE ?? join(process.env.XDG_CACHE_HOME ?? join(homedir(), ".cache"), "autograd-notebook");
  return existsSync(join(cache, "code-server-4.139.1/.installed"));
}

async function codeServerRows(): Promise<BenchRow[]> {
  const { installVSCode, packageExtension, prepareProfile, startCodeServer } = await import("../test/e2e/code-server");
  const { launchBrowser, openNotebook, openWorkbench, runCommand, waitForRunToFinish } = await import("../test/e2e/workbench");
  const install = installVSCode();
  const vsix = packageExtension();
  const scratch = mkdtempSync(join(tmpdir(), "agnb-bench-"));
  const workspace = join(scratch, "workspace");
  mkdirSync(workspace);
  const notebook = readdirSync(join(root, "notebooks")).find((name) => name.startsWith("07"));
  if (!notebook) throw new Error("notebooks/07-*.agnb is missing");
  copyFileSync(join(root, "notebooks", notebook), join(workspace, notebook));
  const profile = prepareProfile(install, join(scratch, "profile"), vsix);
  const server = await startCodeServer(install, profile, workspace);
  const browser = await launchBrowser();
  try {
    const page = await openWorkbench(browser, server.url);
    await openNotebook(page, notebook);
    const started = Date.now();
    await runCommand(page, "Notebook: Run All");
    const finished = await waitForRunToFinish(page, 5 * 60_000);
    const activation = readActivationTime(profile.userData);
    return [
      { group: GROUP, name: "activation (code-server)", unit: "ms", ours: activation, peers: {}, note: "bundle load + activate()" },
      { group: GROUP, name: "Run All → last output, notebook 07", unit: "ms", ours: finished - started, peers: {}, note: "code-server, includes kernel start" },
    ];
  } finally {
    await browser.close();
    await server.stop();
    rmSync(scratch, { recursive: true, force: true });
  }
}

/** The extension logs "activated in N ms" to its output channel, which VS Code writes to disk. */
function readActivationTime(userData: string): number {
  const logs: string[] = [];
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.name === "Autograd Notebook.log") logs.push(path);
    }
  };
  walk(join(userData, "logs"));
  for (const log of logs) {
    const match = /activated in ([\d.]+) ms/.exec(readFileSync(log, "utf8"));
    if (match) return Number(match[1]);
  }
  throw new Error("the extension's log has no activation time");
}

export async function runExtensionBench(): Promise<BenchRow[]> {
  const rows = await renderRows();
  if (!codeServerInstalled()) {
    console.error("extension bench: code-server is not installed (run scripts/install-vscode.sh); activation and Run All rows skipped");
    return rows;
  }
  return [...rows, ...(await codeServerRows())];
}
