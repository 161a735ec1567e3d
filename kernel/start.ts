/**
 * Starts a kernel on this process's stdio (PROTOCOL.md). Kept apart from main.ts so that the
 * process wiring does not depend on which engine build is bundled.
 */
import { Kernel } from "./kernel";
import { StdinReader } from "./stdin-reader";

export function startKernelProcess(engine: Record<string, unknown>, engineVersion: string, docs: Record<string, string> = {}): Kernel {
  // Taken before user code can replace process.stdout.write; on Linux, writes to a pipe are
  // synchronous, so protocol lines go out even while a cell spins.
  const writeProtocolLine = process.stdout.write.bind(process.stdout);
  const stdin = new StdinReader();
  const kernel = new Kernel({
    interruptFlag: stdin.interruptFlag,
    engine,
    engineVersion,
    folder: process.cwd(),
    docs,
    writeLine: (line) => { writeProtocolLine(line); },
    exit: (code) => process.exit(code),
  });
  process.on("SIGINT", () => kernel.interrupt());
  process.on("uncaughtException", (error) => kernel.reportBackgroundError(error));
  process.on("unhandledRejection", (reason) => kernel.reportBackgroundError(reason));
  process.stdout.on("error", () => process.exit(0)); // the parent has gone away
  stdin.on("data", (chunk: string) => kernel.feed(chunk));
  stdin.on("end", () => process.exit(0)); // the parent has gone away
  stdin.on("error", (error: Error) => {
    process.stderr.write(`kernel: cannot read stdin: ${error.message}\n`);
    process.exit(1);
  });
  kernel.start();
  return kernel;
}
