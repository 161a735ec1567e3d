/**
 * A throwaway Jupyter installation for one test file: a temporary HOME whose Jupyter folders
 * (data, runtime, config) live inside it, our kernelspec installed with `agnb kernel install
 * --prefix` into it, and the kernel bundle built from the current sources (AGNB_KERNEL).
 * Everything runs on 127.0.0.1 with Debian's Jupyter (/usr/bin).
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { buildKernelBundles, ROOT } from "../../kernel/bundles";

export const KERNEL_NAME = "agnb-typescript";
export const PYTHON = "/usr/bin/python3";
export const AGNB_BIN = join(ROOT, "bin", "agnb.cjs");

export interface JupyterEnv {
  home: string;
  prefix: string;
  env: NodeJS.ProcessEnv;
  /** The agnb command line bundle, built from the sources. */
  cli: string;
  /** Runs the agnb command line. */
  agnb(args: string[], env?: NodeJS.ProcessEnv): { code: number | null; stdout: string; stderr: string };
  cleanup(): void;
}

export async function jupyterEnvironment(options: { signalKernel?: boolean } = {}): Promise<JupyterEnv> {
  const bundles = await buildKernelBundles();
  const home = mkdtempSync(join(tmpdir(), "agnb-jupyter-"));
  const prefix = join(home, "prefix");
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    HOME: home,
    PATH: `/usr/bin:/bin:${process.env.PATH ?? ""}`,
    JUPYTER_PATH: join(prefix, "share", "jupyter"),
    JUPYTER_DATA_DIR: join(home, "data"),
    JUPYTER_RUNTIME_DIR: join(home, "runtime"),
    JUPYTER_CONFIG_DIR: join(home, "config"),
    IPYTHONDIR: join(home, "ipython"),
    AGNB_KERNEL: bundles.kernel,
    PYTHONDONTWRITEBYTECODE: "1",
  };
  const agnb = (args: string[], withEnv = env) => {
    const result = spawnSync(process.execPath, [bundles.cli, ...args], { env: withEnv, encoding: "utf8", cwd: home });
    return { code: result.status, stdout: result.stdout, stderr: result.stderr };
  };
  const installs = [["--prefix", prefix], ...(options.signalKernel ? [["--prefix", prefix, "--name", `${KERNEL_NAME}-signal`, "--interrupt-mode", "signal"]] : [])];
  for (const flags of installs) {
    const installed = agnb(["kernel", "install", ...flags]);
    if (installed.code !== 0) throw new Error(`agnb kernel install failed: ${installed.stderr}`);
  }
  return {
    home, prefix, env, agnb, cli: bundles.cli,
    cleanup() {
      killKernelsUnder(home);
      rmSync(home, { recursive: true, force: true });
    },
  };
}

/** Ends any kernel a failed test left behind: those whose command line names a file under `folder`. */
export function killKernelsUnder(folder: string): void {
  for (const pid of readdirSync("/proc").filter((name) => /^\d+$/.test(name))) {
    let commandLine: string;
    try {
      commandLine = readFileSync(`/proc/${pid}/cmdline`, "utf8");
    } catch {
      continue;
    }
    if (Number(pid) !== process.pid && commandLine.includes(AGNB_BIN) && commandLine.includes(folder)) {
      try { process.kill(Number(pid), "SIGKILL"); } catch { /* already gone */ }
    }
  }
}

/** Text a user reads in an output: stream text and text/plain, as nbformat stores them. */
export function outputTexts(outputs: Array<Record<string, any>>): string[] {
  return outputs.flatMap((output) => {
    if (output.output_type === "stream") return [joinText(output.text)];
    if (output.output_type === "error") return [`${output.ename}: ${output.evalue}`];
    const plain = output.data?.["text/plain"];
    return plain === undefined ? [] : [joinText(plain)];
  });
}

const joinText = (text: string | string[]) => (Array.isArray(text) ? text.join("") : text);
