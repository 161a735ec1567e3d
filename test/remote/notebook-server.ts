/**
 * Debian's classic Jupyter Notebook server on 127.0.0.1, in a throwaway Jupyter home
 * (../jupyter/jupyter-env.ts) with our kernelspec installed: the "remote machine" of the remote
 * kernel tests. Started once per test file.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { randomUUID } from "node:crypto";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { setTimeout as delay } from "node:timers/promises";
import { jupyterEnvironment, type JupyterEnv } from "../jupyter/jupyter-env";
import { freePorts } from "../jupyter/zeromq-client";

export interface NotebookServer {
  jupyter: JupyterEnv;
  baseUrl: string;
  token: string;
  /** What the server printed (for failure messages). */
  log(): string;
  /** Ends the server (SIGTERM, then SIGKILL); the Jupyter home stays until cleanup(). */
  stop(signal?: NodeJS.Signals): Promise<void>;
  cleanup(): Promise<void>;
}

/** Waits until `url` answers 200 with the token, or throws with the server's log. */
export async function waitForServer(url: string, token: string, process: ChildProcess, log: () => string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const status = await fetch(url, { headers: { Authorization: `token ${token}` } }).then((response) => response.status, () => 0);
    if (status === 200) return;
    if (process.exitCode !== null || process.signalCode !== null) break;
    await delay(200);
  }
  throw new Error(`${url} did not come up:\n${log()}`);
}

/** Ends a server process and waits for it. */
export async function stopProcess(child: ChildProcess, signal: NodeJS.Signals = "SIGTERM"): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once("exit", resolve));
  child.kill(signal);
  const forced = setTimeout(() => child.kill("SIGKILL"), 10_000);
  await exited;
  clearTimeout(forced);
}

export async function startNotebookServer(): Promise<NotebookServer> {
  const jupyter = await jupyterEnvironment();
  const token = randomUUID();
  const [port] = await freePorts(1);
  const baseUrl = `http://127.0.0.1:${port}/`;
  const folder = join(jupyter.home, "notebooks");
  mkdirSync(folder);
  let output = "";
  const server = spawn("jupyter", ["notebook", "--no-browser", "--port", String(port), "--ip", "127.0.0.1", `--NotebookApp.token=${token}`,
    `--notebook-dir=${folder}`, "--NotebookApp.port_retries=0", ...(process.getuid?.() === 0 ? ["--allow-root"] : [])], { env: jupyter.env, cwd: folder });
  server.stdout!.on("data", (chunk) => { output += chunk; });
  server.stderr!.on("data", (chunk) => { output += chunk; });
  await waitForServer(`${baseUrl}api/status`, token, server, () => output);
  return {
    jupyter, baseUrl, token,
    log: () => output,
    stop: (signal) => stopProcess(server, signal),
    async cleanup() {
      await stopProcess(server);
      jupyter.cleanup();
    },
  };
}
