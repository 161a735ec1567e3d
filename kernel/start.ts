/**
 * Starts a kernel in this process: the core on the main thread, the transport on its own thread
 * (transport/bridge.ts). Kept apart from main.ts so that the process wiring does not depend on
 * which engine build is bundled.
 */
import { writeSync } from "node:fs";
import { Kernel, kernelInfoContent } from "./kernel";
import type { TransportOptions } from "./transport/adapter";
import { TransportBridge } from "./transport/bridge";
import { SHARED_MEMORY } from "./transport/shared-state";

/** The transport the command line asks for: `--connection-file FILE` is ZeroMQ, nothing is local. */
export function transportFromArguments(args: string[]): TransportOptions {
  if (args.length === 0) return { kind: "local" };
  const [flag, value] = args[0].includes("=") ? [args[0].slice(0, args[0].indexOf("=")), args[0].slice(args[0].indexOf("=") + 1)] : [args[0], args[1]];
  const extra = args.slice(args[0].includes("=") ? 1 : 2);
  if (flag !== "--connection-file") throw new Error(`unknown argument ${args[0]} (the kernel takes --connection-file FILE, or nothing for the local transport)`);
  if (!value) throw new Error("--connection-file needs the connection file's path");
  if (extra.length) throw new Error(`unexpected argument ${extra[0]} after --connection-file ${value}`);
  return { kind: "zeromq", connectionFile: value };
}

export function startKernelProcess(
  engine: Record<string, unknown>,
  engineVersion: string,
  docs: Record<string, string> = {},
  transport: TransportOptions = { kind: "local" },
): Kernel {
  // Without shared memory the flag is this thread's own, set here on an interrupt or a SIGINT.
  const interruptFlag = SHARED_MEMORY ? new Int32Array(new SharedArrayBuffer(4)) : new Int32Array(1);
  let kernel: Kernel | undefined;
  const bridge = new TransportBridge(transport, kernelInfoContent(engineVersion), interruptFlag, {
    message: (message, arrival) => kernel!.receive(message, arrival),
    interrupt: () => kernel!.interrupt(),
    shutdown: () => process.exit(0),
    introspect: (kind, code, cursorPos) => kernel!.introspect(kind, code, cursorPos),
    exit: (code, reason) => {
      if (code !== 0) writeLine(reason);
      process.exit(code);
    },
  });
  const pollInterrupt = SHARED_MEMORY ? undefined : () => bridge.pollInterrupt();
  kernel = new Kernel({ engine, engineVersion, folder: process.cwd(), docs, link: bridge, interruptFlag, pollInterrupt });
  process.on("uncaughtException", (error) => kernel!.reportBackgroundError(error));
  process.on("unhandledRejection", (reason) => kernel!.reportBackgroundError(reason));
  // Also for a cell's own process.exit(): what it printed just before still reaches the frontend.
  process.on("exit", () => {
    kernel!.flushOutput();
    bridge.flushSync({ close: true });
  });
  kernel.start();
  return kernel;
}

function writeLine(line: string): void {
  try {
    writeSync(2, `${line}\n`);
  } catch {
    // No stderr to report on.
  }
}
