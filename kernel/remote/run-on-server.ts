/**
 * `agnb run --server URL [--token T]`: the server is checked once, before any notebook runs
 * (so a wrong token or URL gives one line, not one per notebook), then each notebook gets a
 * kernel of its own there.
 */
import type { ExecutingKernel } from "../executing-kernel";
import { RemoteKernelClient } from "./remote-client";
import { checkServer, parseServer } from "./server";

export const SERVER_TOKEN_VARIABLE = "AGNB_SERVER_TOKEN";

export async function remoteKernels(url: string, token = process.env[SERVER_TOKEN_VARIABLE]): Promise<() => ExecutingKernel> {
  const server = parseServer(url, token || undefined);
  await checkServer(server);
  quietLibraryConsole();
  return () => new RemoteKernelClient({ server });
}

/**
 * @jupyterlab/services narrates its websocket on the console (console.debug is stdout in Node);
 * the run's output is the cells' output, and a lost connection is reported by the run itself.
 */
export function quietLibraryConsole(): void {
  console.debug = () => undefined;
  const warn = console.warn.bind(console);
  console.warn = (...args: unknown[]) => {
    if (typeof args[0] === "string" && args[0].startsWith("Connection lost, reconnecting")) return;
    warn(...args);
  };
}
