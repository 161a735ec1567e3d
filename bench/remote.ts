/**
 * The kernel on a Jupyter server over loopback (Debian's classic Notebook server, reached with
 * RemoteKernelClient: REST and websocket) beside the same kernel over the local transport: a
 * trivial cell's round trip, a completion request's (on control, as the editor asks), and Run
 * All of notebook 07 (Keras linear regression, 1000 epochs with a live loss curve). Requests
 * alternate between the two so that load hits both alike.
 * Target: the remote trivial cell within 10 ms (median).
 */
import { join } from "node:path";
import { KernelClient } from "../kernel/client";
import { ROOT } from "../kernel/bundles";
import type { ExecutingKernel } from "../kernel/executing-kernel";
import { readNotebookFile } from "../kernel/notebook-file";
import { RemoteKernelClient } from "../kernel/remote/remote-client";
import { parseServer } from "../kernel/remote/server";
import { quietLibraryConsole } from "../kernel/remote/run-on-server";
import { runNotebook } from "../kernel/run-notebook";
import { startNotebookServer } from "../test/remote/notebook-server";
import { median } from "./measure";
import type { BenchRow, BenchTarget } from "./table";

const GROUP = "remote kernel (loopback)";
const LOCAL = "local transport";
const TRIVIAL_CELLS = 200;
const COMPLETIONS = 50;
const WARM_UP_CELLS = 10;
const RUN_ALLS = 3;
const NOTEBOOK = join(ROOT, "notebooks", "07-keras-linear-regression.agnb");

/** The median time of `ask` on each kernel, taken in turns after a few untimed rounds. */
async function roundTrips(kernels: ExecutingKernel[], rounds: number, ask: (kernel: ExecutingKernel) => Promise<unknown>): Promise<number[]> {
  for (const kernel of kernels) for (let i = 0; i < WARM_UP_CELLS; i++) await ask(kernel);
  const times = kernels.map(() => [] as number[]);
  for (let i = 0; i < rounds; i++) {
    for (const [index, kernel] of kernels.entries()) {
      const start = performance.now();
      await ask(kernel);
      times[index].push(performance.now() - start);
    }
  }
  return times.map(median);
}

export async function runRemoteBench(): Promise<BenchRow[]> {
  const server = await startNotebookServer();
  quietLibraryConsole();
  try {
    const remoteServer = parseServer(server.baseUrl, server.token);
    const kernelScript = server.jupyter.env.AGNB_KERNEL!;
    const local = new KernelClient({ kernelScript, cwd: ROOT });
    const remote = new RemoteKernelClient({ server: remoteServer });
    await Promise.all([local.start(), remote.start()]);
    let trivial: number[];
    let completion: number[];
    try {
      trivial = await roundTrips([local, remote], TRIVIAL_CELLS, (kernel) => kernel.execute("1"));
      await Promise.all([local, remote].map((kernel) => kernel.execute("const w = new tf.Variable([[1, 2], [3, 4]]);")));
      completion = await roundTrips([local, remote], COMPLETIONS, (kernel) => kernel.request("control", "complete_request", { code: "w.assi", cursor_pos: 6 }));
    } finally {
      await Promise.all([local.shutdown(), remote.shutdown()]);
    }
    const notebook = await readNotebookFile(NOTEBOOK);
    const runAll = { local: [] as number[], remote: [] as number[] };
    for (let i = 0; i < RUN_ALLS; i++) {
      for (const where of ["local", "remote"] as const) {
        const result = await runNotebook(notebook, {
          kernelScript, folder: join(ROOT, "notebooks"),
          kernel: where === "remote" ? () => new RemoteKernelClient({ server: remoteServer }) : undefined,
        });
        if (result.failure) throw new Error(`notebook 07 failed ${where}: ${result.failure.message}`);
        runAll[where].push(result.seconds * 1000);
      }
    }
    return [
      { group: GROUP, name: "trivial cell round trip", unit: "ms", ours: trivial[1], peers: { [LOCAL]: trivial[0] }, note: `median of ${TRIVIAL_CELLS}, execute_request → reply and idle` },
      { group: GROUP, name: "completion request round trip", unit: "ms", ours: completion[1], peers: { [LOCAL]: completion[0] }, note: `median of ${COMPLETIONS}, \`w.assi\` on control → typed matches` },
      { group: GROUP, name: "Run All of notebook 07", unit: "ms", ours: median(runAll.remote), peers: { [LOCAL]: median(runAll.local) }, note: `median of ${RUN_ALLS}: kernel start, every cell, shutdown` },
    ];
  } finally {
    await server.cleanup();
  }
}

export const REMOTE_TARGETS: BenchTarget[] = [{
  description: "remote trivial cell round trip ≤ 10 ms (median, loopback)",
  check: (rows) => {
    const found = rows.find((r) => r.group === GROUP && r.name === "trivial cell round trip");
    return found ? found.ours <= 10 : undefined;
  },
}];
