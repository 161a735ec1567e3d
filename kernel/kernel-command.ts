/** `agnb kernel install | uninstall`: the kernelspec from the command line (see kernelspec.ts). */
import { parseArgs } from "node:util";
import {
  DEFAULT_DISPLAY_NAME, DEFAULT_KERNEL_NAME, KernelspecError, installKernelspec, kernelArgv, packageRoot, kernelJson, kernelsFolder, uninstallKernelspec,
  type InterruptMode, type KernelspecLocation,
} from "./kernelspec";

export const KERNEL_USAGE = `  agnb kernel install [--user | --sys-prefix | --prefix DIR] [--name NAME] [--display-name TEXT]
                      [--interrupt-mode message|signal]
      Installs the Jupyter kernelspec (default name ${DEFAULT_KERNEL_NAME}) so that Jupyter,
      nbconvert and jupyter console can run notebooks. Where: --user (default)
      ~/.local/share/jupyter/kernels, --sys-prefix the share/jupyter/kernels of the Python that
      runs \`jupyter\`, --prefix DIR DIR/share/jupyter/kernels. The spec runs \`agnb kernel\` when
      the agnb on PATH is this package; otherwise this Node and this package's bin/agnb.cjs by
      absolute path (install again after moving the package). Interrupts arrive as
      interrupt_request messages by default, or as SIGINT with --interrupt-mode signal.
  agnb kernel uninstall [--name NAME] [--user | --sys-prefix | --prefix DIR]
  agnb kernel --connection-file FILE
      Serves one Jupyter frontend over ZeroMQ, on the sockets FILE names (what the kernelspec runs).
`;

const LOCATION_OPTIONS = { user: { type: "boolean" }, "sys-prefix": { type: "boolean" }, prefix: { type: "string" }, name: { type: "string" } } as const;

function location(values: { user?: boolean; "sys-prefix"?: boolean; prefix?: string }): KernelspecLocation {
  const chosen = [values.user && "--user", values["sys-prefix"] && "--sys-prefix", values.prefix !== undefined && "--prefix"].filter(Boolean);
  if (chosen.length > 1) throw new KernelspecError(`kernel: ${chosen.join(" and ")} exclude each other`);
  if (values.prefix !== undefined) return { kind: "prefix", dir: values.prefix };
  return values["sys-prefix"] ? { kind: "sys-prefix" } : { kind: "user" };
}

/** Runs `agnb kernel ...`; returns the exit code. */
export async function kernelCommand(args: string[], bundleFolder: string): Promise<number> {
  const [action, ...rest] = args;
  try {
    if (action === "install") {
      const { values } = parseArgs({
        args: rest,
        options: { ...LOCATION_OPTIONS, "display-name": { type: "string" }, "interrupt-mode": { type: "string" } },
      });
      const interruptMode = values["interrupt-mode"] ?? "message";
      if (interruptMode !== "message" && interruptMode !== "signal") throw new KernelspecError(`kernel: --interrupt-mode must be "message" or "signal", not ${JSON.stringify(interruptMode)}`);
      const { argv, note } = kernelArgv(packageRoot(bundleFolder));
      const spec = kernelJson(argv, values["display-name"] ?? DEFAULT_DISPLAY_NAME, interruptMode as InterruptMode);
      const folder = await installKernelspec(kernelsFolder(location(values)), values.name ?? DEFAULT_KERNEL_NAME, spec);
      if (note) process.stderr.write(`agnb: note: ${note}\n`);
      process.stdout.write(`installed kernelspec ${values.name ?? DEFAULT_KERNEL_NAME} in ${folder}\n`);
      return 0;
    }
    if (action === "uninstall") {
      const { values } = parseArgs({ args: rest, options: LOCATION_OPTIONS });
      const folder = await uninstallKernelspec(kernelsFolder(location(values)), values.name ?? DEFAULT_KERNEL_NAME);
      process.stdout.write(`removed ${folder}\n`);
      return 0;
    }
    const why = action === "--connection-file" ? "`agnb kernel --connection-file FILE` is run by bin/agnb.cjs" : `unknown kernel action ${JSON.stringify(action ?? "")}`;
    process.stderr.write(`agnb: ${why}\n\nUsage:\n${KERNEL_USAGE}`);
    return 2;
  } catch (error) {
    if (!(error instanceof KernelspecError)) throw error;
    process.stderr.write(`agnb: ${error.message}\n`);
    return 1;
  }
}
