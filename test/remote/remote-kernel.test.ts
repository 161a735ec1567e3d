/**
 * Remote kernels on Debian's classic Notebook server (a "remote machine" on 127.0.0.1 with our
 * kernelspec in its own Jupyter home): the seed notebooks through RemoteKernelClient, eight at
 * once, and through `agnb run --server`, with exactly the outputs of a local run of the same
 * notebooks; interrupt, restart, a refused
 * token, an unreachable server, a missing kernelspec, and a server that goes away mid-cell.
 */
import assert from "node:assert/strict";
import { mkdtempSync, readdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { ROOT } from "../../kernel/bundles";
import { readNotebookFile, serializeNotebook, newNotebook, type Notebook } from "../../kernel/notebook-file";
import { runNotebook } from "../../kernel/run-notebook";
import { RemoteKernelClient } from "../../kernel/remote/remote-client";
import { parseServer, type RemoteServer } from "../../kernel/remote/server";
import { freePorts } from "../jupyter/zeromq-client";
import { startNotebookServer, type NotebookServer } from "./notebook-server";

const NOTEBOOKS = join(ROOT, "notebooks");
const SEEDS = readdirSync(NOTEBOOKS).filter((name) => /^0[1-7]-.*\.agnb$/.test(name)).sort();
let server: NotebookServer;
let remote: RemoteServer;
/** Each seed notebook as a local kernel runs it. */
const localRuns = new Map<string, Notebook>();

before(async () => {
  server = await startNotebookServer();
  remote = parseServer(server.baseUrl, server.token);
  await Promise.all(SEEDS.map(async (name) => {
    const result = await runNotebook(blank(await readNotebookFile(join(NOTEBOOKS, name))), { kernelScript: server.jupyter.env.AGNB_KERNEL!, folder: NOTEBOOKS, timeoutSeconds: 240 });
    assert.equal(result.failure, null, `${name} locally: ${result.failure?.message}`);
    localRuns.set(name, result.notebook);
  }));
});
after(async () => server?.cleanup());

const blank = (notebook: Notebook): Notebook => ({ ...notebook, cells: notebook.cells.map((cell) => ({ ...cell, outputs: cell.cell_type === "code" ? [] : cell.outputs, execution_count: null })) });
const cellsOf = (notebook: Notebook) => notebook.cells.map((cell) => ({ count: cell.execution_count ?? null, outputs: cell.outputs ?? [] }));
const plainText = (result: { iopub: Array<{ header: { msg_type: string }; content: any }> }) =>
  result.iopub.flatMap((message) => message.header.msg_type === "stream" ? [message.content.text] : message.content.data?.["text/plain"] ?? (message.header.msg_type === "error" ? [`${message.content.ename}: ${message.content.evalue}`] : []));

test("eight notebooks run at once on the server's kernels, each with exactly the outputs of a local run", { timeout: 300_000 }, async () => {
  assert.equal(SEEDS.length, 7);
  const names = [...SEEDS, SEEDS[6]];
  const kernelIds = new Set<string>();
  const results = await Promise.all(names.map(async (name) => {
    const result = await runNotebook(blank(await readNotebookFile(join(NOTEBOOKS, name))), {
      kernelScript: "unused: the kernel runs on the server", folder: NOTEBOOKS, timeoutSeconds: 240,
      kernel: () => {
        const client = new RemoteKernelClient({ server: remote });
        client.on("status", () => { if (client.id) kernelIds.add(client.id); });
        return client;
      },
    });
    return { name, result };
  }));
  for (const { name, result } of results) {
    assert.equal(result.failure, null, `${name}: ${result.failure?.message}`);
    assert.deepEqual(cellsOf(result.notebook), cellsOf(localRuns.get(name)!), `${name}: outputs differ from the local run`);
  }
  assert.equal(kernelIds.size, 8, "one kernel of its own for each notebook");
  // Each kernel was shut down when its notebook finished.
  const running = await fetch(`${server.baseUrl}api/kernels`, { headers: { Authorization: `token ${server.token}` } }).then((r) => r.json()) as unknown[];
  assert.equal(running.length, 0);
});

test("agnb run --server writes the outputs a local run writes, and fails with the same line and exit code", { timeout: 180_000 }, async () => {
  const out = mkdtempSync(join(server.jupyter.home, "ran-"));
  const notebooks = ["01-gradient-tape-basics.agnb", "07-keras-linear-regression.agnb"].map((name) => join(NOTEBOOKS, name));
  const env = { ...server.jupyter.env, AGNB_SERVER_TOKEN: server.token };
  const ran = server.jupyter.agnb(["run", ...notebooks, "--server", server.baseUrl, "--out", out], env);
  assert.equal(ran.code, 0, ran.stderr);
  assert.doesNotMatch(ran.stdout, /WebSocket|reconnecting/, "the library's own logging stays out of the output");
  assert.match(ran.stdout, /── cell 6\nEpoch 0\/1000\n/);
  assert.match(ran.stdout, /Weight \(W\): tf\.Tensor\(\n\[\[1\.99\d*\]\]/);
  for (const file of notebooks) {
    const name = file.split("/").pop()!;
    assert.deepEqual(cellsOf(await readNotebookFile(join(out, name))), cellsOf(localRuns.get(name)!), name);
  }

  const broken = join(mkdtempSync(join(tmpdir(), "agnb-remote-")), "broken.agnb");
  writeFileSync(broken, serializeNotebook(newNotebook([{ cell_type: "code", source: "const a = 1;" }, { cell_type: "code", source: "const b = 2;\nthrow new RangeError(`bad ${a + b}`);" }])));
  const local = server.jupyter.agnb(["run", broken, "--quiet"]);
  const remotely = server.jupyter.agnb(["run", broken, "--quiet", "--server", server.baseUrl, "--token", server.token]);
  assert.equal(local.code, 1);
  assert.equal(remotely.code, local.code);
  assert.match(local.stderr, /cell 2 \(In\[2\]\), line 2, column \d+: RangeError: bad 3/);
  assert.equal(remotely.stderr, local.stderr);
});

test("an interrupted cell stops and the kernel keeps its variables; restart gives a fresh kernel", { timeout: 60_000 }, async () => {
  const client = new RemoteKernelClient({ server: remote });
  await client.start();
  try {
    await client.execute("let counter = 41;");
    const spinning = client.execute("counter += 1;\nwhile (true) {}");
    setTimeout(() => client.interrupt(), 1000);
    const interrupted = await spinning;
    assert.equal(interrupted.reply.content.status, "error");
    assert.deepEqual(plainText(await client.execute("counter")), ["42"]);
    const awaiting = client.execute("counter += 1;\nawait new Promise(() => {});");
    setTimeout(() => client.interrupt(), 1000);
    assert.equal((await awaiting).reply.content.status, "error");
    assert.deepEqual(plainText(await client.execute("counter")), ["43"]);

    const info = await client.restart();
    assert.equal(info.content.language_info.name, "typescript");
    assert.deepEqual(plainText(await client.execute("typeof (globalThis as any).counter")), ["'undefined'"]);
  } finally {
    await client.shutdown();
  }
});

test("a wrong token, an unreachable server and a missing kernelspec each get one line naming the URL, never the token", { timeout: 60_000 }, async () => {
  const wrongToken = "not-the-token-0123456789";
  await assert.rejects(new RemoteKernelClient({ server: parseServer(server.baseUrl, wrongToken) }).start(),
    (error: Error) => error.message.includes(`the Jupyter server at ${server.baseUrl} refused the token (HTTP 403)`) && !error.message.includes(wrongToken));
  const cli = server.jupyter.agnb(["run", join(NOTEBOOKS, SEEDS[0]), "--server", `${server.baseUrl}?token=${wrongToken}`]);
  assert.equal(cli.code, 1);
  assert.equal(cli.stderr, `agnb: the Jupyter server at ${server.baseUrl} refused the token (HTTP 403); give the server's token or a JupyterHub API token\n`);
  assert.equal(cli.stdout, "");

  const [closedPort] = await freePorts(1);
  await assert.rejects(new RemoteKernelClient({ server: parseServer(`http://127.0.0.1:${closedPort}/`, "t") }).start(),
    { message: `cannot reach the Jupyter server at http://127.0.0.1:${closedPort}/: ECONNREFUSED` });
  await assert.rejects(new RemoteKernelClient({ server: remote, kernelName: "agnb-typescript-elsewhere" }).start(),
    /the Jupyter server at http:\/\/127\.0\.0\.1:\d+\/ has no agnb-typescript-elsewhere kernelspec \(it has: agnb-typescript, python3\)/);
  assert.throws(() => parseServer("127.0.0.1:8888"), /"127\.0\.0\.1:8888" is not an http\(s\) URL|is not a URL/);
});

// Last: it stops the server.
test("the server going away mid-cell fails the cell at once with a line naming the server, and reports the kernel gone", { timeout: 60_000 }, async () => {
  const client = new RemoteKernelClient({ server: remote, reconnectTimeoutMs: 3000 });
  await client.start();
  const connection: string[] = [];
  client.on("connection", (status: string) => connection.push(status));
  const exited = new Promise<{ expected: boolean; reason?: string }>((resolve) => client.once("exit", resolve));
  const outputs: string[] = [];
  const running = client.execute("for (let i = 0; ; i++) { console.log(`tick ${i}`); await new Promise((r) => setTimeout(r, 100)); }", {
    onIopub: (message) => { if (message.header.msg_type === "stream") outputs.push(message.content.text); },
  });
  while (outputs.length < 3) await new Promise((resolve) => setTimeout(resolve, 50));
  const stoppedAt = Date.now();
  await server.stop("SIGKILL");
  await assert.rejects(running, { message: `the connection to the Jupyter server at ${server.baseUrl} was lost` });
  assert.ok(Date.now() - stoppedAt < 10_000, "the loss is reported within the reconnect timeout");
  assert.equal(connection[0], "connecting", "the dropped websocket is reported at once");
  const exit = await exited;
  assert.equal(exit.expected, false);
  assert.match(outputs.join(""), /^tick 0\ntick 1\ntick 2\n/);
  assert.equal(client.alive, false);
});
