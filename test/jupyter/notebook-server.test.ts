/**
 * Debian's classic Jupyter Notebook server on loopback runs a converted notebook, driven from
 * Node with @jupyterlab/services over its REST and websocket API, as JupyterLab would.
 */
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { randomUUID } from "node:crypto";
import { mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { setTimeout as delay } from "node:timers/promises";
import { ContentsManager, KernelManager, KernelSpecAPI, ServerConnection, type KernelMessage } from "@jupyterlab/services";
import WebSocket from "ws";
import { ROOT } from "../../kernel/bundles";
import { KERNEL_NAME, jupyterEnvironment, outputTexts, type JupyterEnv } from "./jupyter-env";
import { freePorts } from "./zeromq-client";

const NOTEBOOK = "01-gradient-tape-basics";
const token = randomUUID();
let jupyter: JupyterEnv;
let server: ChildProcess | undefined;
let serverLog = "";
let baseUrl: string;

before(async () => {
  jupyter = await jupyterEnvironment();
  const [port] = await freePorts(1);
  baseUrl = `http://127.0.0.1:${port}/`;
  const folder = join(jupyter.home, "notebooks");
  mkdirSync(folder);
  server = spawn("jupyter", ["notebook", "--no-browser", "--port", String(port), "--ip", "127.0.0.1", `--NotebookApp.token=${token}`, `--notebook-dir=${folder}`, "--NotebookApp.port_retries=0",
    // The server refuses to run as root without this; the test machines run tests as root.
    ...(process.getuid?.() === 0 ? ["--allow-root"] : [])], { env: jupyter.env, cwd: folder });
  server.stdout!.on("data", (chunk) => { serverLog += chunk; });
  server.stderr!.on("data", (chunk) => { serverLog += chunk; });
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    const status = await fetch(`${baseUrl}api/status`, { headers: { Authorization: `token ${token}` } }).then((r) => r.status, () => 0);
    if (status === 200) return;
    if (server.exitCode !== null) break;
    await delay(250);
  }
  throw new Error(`the notebook server did not come up:\n${serverLog}`);
});

after(async () => {
  if (server && server.exitCode === null) {
    const exited = new Promise((resolve) => server!.once("exit", resolve));
    server.kill("SIGTERM");
    const forced = setTimeout(() => server!.kill("SIGKILL"), 10_000);
    await exited;
    clearTimeout(forced);
  }
  jupyter?.cleanup();
});

const codeCells = (notebook: { cells: Array<Record<string, any>> }) => notebook.cells.filter((cell) => cell.cell_type === "code");

test("the notebook server lists our kernelspec and runs a converted notebook over REST and websockets", { timeout: 120_000 }, async () => {
  const serverSettings = ServerConnection.makeSettings({ baseUrl, wsUrl: baseUrl.replace("http", "ws"), token, WebSocket: WebSocket as unknown as typeof globalThis.WebSocket, fetch });
  const spec = (await KernelSpecAPI.getSpecs(serverSettings)).kernelspecs[KERNEL_NAME];
  assert.equal(spec?.display_name, "TypeScript (Autograd)");
  assert.ok(spec?.resources["logo-64x64"], "the logo is served");

  // The notebook goes to the server through its contents API, and is read back from it.
  const converted = join(jupyter.home, `${NOTEBOOK}.ipynb`);
  assert.equal(jupyter.agnb(["convert", join(ROOT, "notebooks", `${NOTEBOOK}.agnb`), "--to", "ipynb", "--output", converted]).code, 0);
  const contents = new ContentsManager({ serverSettings });
  await contents.save(`${NOTEBOOK}.ipynb`, { type: "notebook", format: "json", content: JSON.parse(readFileSync(converted, "utf8")) });
  const stored = (await contents.get(`${NOTEBOOK}.ipynb`)).content as { metadata: Record<string, any>; cells: Array<Record<string, any>> };
  assert.equal(stored.metadata.kernelspec.name, KERNEL_NAME);

  const ran = join(jupyter.home, "ran");
  assert.equal(jupyter.agnb(["run", join(ROOT, "notebooks", `${NOTEBOOK}.agnb`), "--out", ran, "--quiet"]).code, 0);
  const expected = codeCells(JSON.parse(readFileSync(join(ran, `${NOTEBOOK}.agnb`), "utf8")));

  const kernels = new KernelManager({ serverSettings });
  const kernel = await kernels.startNew({ name: KERNEL_NAME });
  try {
    const info = await kernel.info;
    assert.equal(info.language_info.name, "typescript");
    const cells = codeCells(stored);
    for (const [index, cell] of cells.entries()) {
      const outputs: Array<Record<string, any>> = [];
      const future = kernel.requestExecute({ code: Array.isArray(cell.source) ? cell.source.join("") : cell.source });
      future.onIOPub = (message: KernelMessage.IIOPubMessage) => {
        const type = message.header.msg_type;
        if (type === "stream" || type === "display_data" || type === "execute_result" || type === "error") outputs.push({ output_type: type, ...message.content });
      };
      const reply = await future.done;
      assert.equal(reply.content.status, "ok", `cell ${index + 1}`);
      assert.deepEqual(outputTexts(outputs), outputTexts(expected[index].outputs), `cell ${index + 1}: text`);
      // Rich outputs arrive whole: the same MIME types as agnb run records.
      const mimeTypes = (list: Array<Record<string, any>>) => list.flatMap((output) => Object.keys(output.data ?? {}).sort());
      assert.deepEqual(mimeTypes(outputs), mimeTypes(expected[index].outputs), `cell ${index + 1}: MIME types`);
    }
    assert.ok(cells.some((cell) => mimeTypes(cell).length), "the notebook has rich outputs");
  } finally {
    await kernel.shutdown();
    kernel.dispose();
    // The managers poll the server; disposed, they let the test process end.
    for (const manager of [kernels, contents]) manager.dispose();
  }
});

const mimeTypes = (cell: Record<string, any>) => (cell.outputs as Array<Record<string, any>>).flatMap((output) => Object.keys(output.data ?? {}));
