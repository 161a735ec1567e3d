/**
 * The Jupyter kernelspec `agnb-typescript`: where Jupyter looks for it, what kernel.json holds,
 * and installing it so that a failure leaves nothing half-written (the spec is written to a
 * temporary folder beside its destination, then renamed into place).
 */
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync, realpathSync } from "node:fs";
import { mkdir, mkdtemp, rename, rm, writeFile } from "node:fs/promises";
import { homedir } from "node:os";
import { delimiter, dirname, join } from "node:path";
import { logoPng } from "./logo/logo";

export const DEFAULT_KERNEL_NAME = "agnb-typescript";
export const DEFAULT_DISPLAY_NAME = "TypeScript (Autograd)";
export type InterruptMode = "message" | "signal";

export type KernelspecLocation = { kind: "user" } | { kind: "sys-prefix" } | { kind: "prefix"; dir: string };

/** A failure to report in one line, with a non-zero exit. */
export class KernelspecError extends Error {}

/** The `kernels` folder Jupyter reads for a location (jupyter_core's rules for the user folder). */
export function kernelsFolder(location: KernelspecLocation, env: NodeJS.ProcessEnv = process.env): string {
  if (location.kind === "prefix") return join(location.dir, "share", "jupyter", "kernels");
  if (location.kind === "sys-prefix") return join(jupyterSysPrefix(env), "share", "jupyter", "kernels");
  if (env.JUPYTER_DATA_DIR) return join(env.JUPYTER_DATA_DIR, "kernels");
  const home = env.HOME || homedir();
  if (process.platform === "darwin") return join(home, "Library", "Jupyter", "kernels");
  if (process.platform === "win32") return join(env.APPDATA || home, "jupyter", "kernels");
  return join(env.XDG_DATA_HOME || join(home, ".local", "share"), "jupyter", "kernels");
}

/** sys.prefix of the Python that runs `jupyter` (its script's #! line), else of python3. */
function jupyterSysPrefix(env: NodeJS.ProcessEnv): string {
  const jupyter = findOnPath("jupyter", env);
  const shebang = jupyter ? /^#!\s*(\S+)(?:\s+(\S+))?/.exec(readFileSync(jupyter, "utf8").split("\n", 1)[0]) : null;
  const python = shebang ? (shebang[1].endsWith("/env") ? shebang[2] : shebang[1]) : "python3";
  const result = spawnSync(python, ["-c", "import sys; print(sys.prefix)"], { encoding: "utf8", env });
  const prefix = result.stdout?.trim();
  if (result.status !== 0 || !prefix) throw new KernelspecError(`cannot find sys.prefix: \`${python} -c "import sys; print(sys.prefix)"\` failed${result.error ? ` (${result.error.message})` : ""}`);
  return prefix;
}

function findOnPath(command: string, env: NodeJS.ProcessEnv): string | undefined {
  return (env.PATH ?? "").split(delimiter).filter(Boolean).map((dir) => join(dir, command)).find((path) => existsSync(path));
}

/** The folder of this package (autograd-notebook) at or above `start`, where bin/agnb.cjs lives. */
export function packageRoot(start: string): string {
  for (let dir = start; ; dir = dirname(dir)) {
    const manifest = join(dir, "package.json");
    if (existsSync(manifest) && JSON.parse(readFileSync(manifest, "utf8")).name === "autograd-notebook") return dir;
    if (dirname(dir) === dir) throw new KernelspecError(`cannot find the autograd-notebook package above ${start}`);
  }
}

/**
 * The command Jupyter runs. `agnb` itself when the `agnb` on PATH is this package, so the spec
 * survives the package moving or updating. Otherwise this Node and this package's bin/agnb.cjs
 * by absolute path (not dist/: bin/agnb.cjs finds the current build), with a note saying so.
 */
export function kernelArgv(packageRoot: string, env: NodeJS.ProcessEnv = process.env): { argv: string[]; note?: string } {
  const tail = ["kernel", "--connection-file", "{connection_file}"];
  const ownBin = realpathSync(join(packageRoot, "bin", "agnb.cjs"));
  const onPath = findOnPath("agnb", env);
  if (onPath && realpathSync(onPath) === ownBin) return { argv: ["agnb", ...tail] };
  const note = `\`agnb\` on PATH is ${onPath ? `another copy (${onPath})` : "missing"}, so the kernelspec runs ${ownBin} with ${process.execPath}; ` +
    "run `agnb kernel install` again if either moves (or install the package globally, `npm install -g`, and reinstall the kernelspec)";
  return { argv: [process.execPath, ownBin, ...tail], note };
}

export function kernelJson(argv: string[], displayName: string, interruptMode: InterruptMode) {
  return {
    argv,
    display_name: displayName,
    language: "typescript",
    interrupt_mode: interruptMode,
    env: {},
    metadata: { debugger: false, agnb: { protocol: "jupyter-5.3" } },
  };
}

export function checkKernelName(name: string): string {
  // jupyter_client accepts only these characters in kernel names.
  if (!/^[a-z0-9._-]+$/i.test(name)) throw new KernelspecError(`kernel name ${JSON.stringify(name)} may hold only letters, digits, ".", "_" and "-"`);
  return name;
}

function describeFsError(error: unknown): string {
  const code = (error as NodeJS.ErrnoException).code;
  return ({ EACCES: "permission denied", EPERM: "not permitted", EROFS: "read-only file system", ENOTDIR: "a part of the path is a file", ENOSPC: "no space left" } as Record<string, string>)[code ?? ""] ?? (error as Error).message;
}

/** Writes NAME/kernel.json and the logos under `kernels`, replacing an older spec of that name. */
export async function installKernelspec(kernels: string, name: string, spec: ReturnType<typeof kernelJson>): Promise<string> {
  const destination = join(kernels, checkKernelName(name));
  let staging: string | undefined;
  try {
    await mkdir(kernels, { recursive: true });
    staging = await mkdtemp(join(kernels, `.${name}-`));
    await writeFile(join(staging, "kernel.json"), `${JSON.stringify(spec, null, 1)}\n`);
    await writeFile(join(staging, "logo-32x32.png"), logoPng(32));
    await writeFile(join(staging, "logo-64x64.png"), logoPng(64));
    if (existsSync(destination)) {
      const previous = `${staging}.previous`;
      await rename(destination, previous);
      await rename(staging, destination);
      await rm(previous, { recursive: true, force: true });
    } else {
      await rename(staging, destination);
    }
    return destination;
  } catch (error) {
    if (staging) await rm(staging, { recursive: true, force: true }).catch(() => {});
    throw new KernelspecError(`cannot write the kernelspec to ${destination}: ${describeFsError(error)}`);
  }
}

export async function uninstallKernelspec(kernels: string, name: string): Promise<string> {
  const folder = join(kernels, checkKernelName(name));
  if (!existsSync(join(folder, "kernel.json"))) throw new KernelspecError(`no kernelspec ${name} in ${kernels}`);
  try {
    await rm(folder, { recursive: true });
  } catch (error) {
    throw new KernelspecError(`cannot remove the kernelspec ${folder}: ${describeFsError(error)}`);
  }
  return folder;
}
