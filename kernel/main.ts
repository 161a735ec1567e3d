/**
 * The kernel process (dist/kernel.cjs): the engine, served over the local transport (fd 3), or
 * over ZeroMQ with `--connection-file FILE`. See PROTOCOL.md.
 */
// First: the checker thread loads while the rest does.
import "./checker-first";
import * as tf from "../engine/index";
import { version } from "../package.json";
import engineDocs from "./engine-docs.json";
import { startKernelProcess, transportFromArguments } from "./start";

let transport;
try {
  transport = transportFromArguments(process.argv.slice(2));
} catch (error) {
  process.stderr.write(`kernel: ${(error as Error).message}\n`);
  process.exit(2);
}
startKernelProcess(tf as unknown as Record<string, unknown>, version, engineDocs, transport);
