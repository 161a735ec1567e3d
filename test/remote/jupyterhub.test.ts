/**
 * JupyterHub (Debian's, on 127.0.0.1) with two users: each user's notebook runs on that user's
 * own server and kernel, and one user's token cannot reach, list, interrupt, start or execute
 * on the other's kernels (403 from the user's server).
 */
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, test } from "node:test";
import WebSocket from "ws";
import { ROOT } from "../../kernel/bundles";
import { RemoteKernelClient } from "../../kernel/remote/remote-client";
import { parseServer } from "../../kernel/remote/server";
import { HUB_USERS, startJupyterHub, type Hub } from "./jupyterhub";

const NOTEBOOK = join(ROOT, "notebooks", "01-gradient-tape-basics.agnb");
let hub: Hub;
before(async () => { hub = await startJupyterHub(); });
after(async () => hub?.cleanup());

const valueOf = (result: { iopub: Array<{ header: { msg_type: string }; content: any }> }) =>
  result.iopub.find((message) => message.header.msg_type === "execute_result")?.content.data["text/plain"];

test("each user's notebook runs on that user's own server and kernel, with the outputs of a local run", { timeout: 180_000 }, async () => {
  const out = mkdtempSync(join(hub.jupyter.home, "local-"));
  assert.equal(hub.jupyter.agnb(["run", NOTEBOOK, "--out", out, "--quiet"]).code, 0);
  const local = JSON.parse(readFileSync(join(out, "01-gradient-tape-basics.agnb"), "utf8")).cells;
  for (const user of HUB_USERS) {
    const { serverUrl, token } = hub.users[user];
    const remoteOut = mkdtempSync(join(hub.jupyter.home, `${user}-`));
    const ran = hub.jupyter.agnb(["run", NOTEBOOK, "--out", remoteOut, "--quiet", "--server", serverUrl], { ...hub.jupyter.env, AGNB_SERVER_TOKEN: token });
    assert.equal(ran.code, 0, ran.stderr);
    assert.deepEqual(JSON.parse(readFileSync(join(remoteOut, "01-gradient-tape-basics.agnb"), "utf8")).cells, local, user);

    const client = new RemoteKernelClient({ server: parseServer(serverUrl, token) });
    await client.start();
    try {
      assert.equal(valueOf(await client.execute("process.env.JUPYTERHUB_USER")), `'${user}'`);
      assert.equal(valueOf(await client.execute("process.env.HOME!.split('/').pop()")), `'${user}'`);
      // The editor's requests pass the hub's proxy too, to this user's kernel.
      await client.execute(`const ${user}Weights = new tf.Variable([1, 2]);`);
      const { reply } = await client.request("control", "complete_request", { code: `${user}Weights.assi`, cursor_pos: user.length + 12 });
      assert.ok(reply.content.matches.includes("assignAdd"), JSON.stringify(reply.content.matches));
    } finally {
      await client.shutdown();
    }
  }
});

test("one user's token cannot reach, list, interrupt, start or execute on the other user's kernels", { timeout: 120_000 }, async () => {
  const alice = hub.users.alice;
  const bob = hub.users.bob;
  const client = new RemoteKernelClient({ server: parseServer(alice.serverUrl, alice.token) });
  await client.start();
  try {
    await client.execute("const secret = 'alice only';");
    const kernelId = client.id!;
    const as = (token: string) => ({ headers: { Authorization: `token ${token}` }, redirect: "manual" as const });
    const status = async (url: string, token: string, method = "GET") => (await fetch(url, { ...as(token), method })).status;
    const kernelUrl = `${alice.serverUrl}api/kernels/${kernelId}`;

    // Alice herself reaches her kernel.
    assert.equal(await status(`${alice.serverUrl}api/kernels`, alice.token), 200);
    assert.equal(await status(kernelUrl, alice.token), 200);
    // Bob does not: not the list, not the kernel, not its interrupt, not a new kernel there.
    assert.equal(await status(`${alice.serverUrl}api/kernels`, bob.token), 403);
    assert.equal(await status(`${alice.serverUrl}api/sessions`, bob.token), 403);
    assert.equal(await status(kernelUrl, bob.token), 403);
    assert.equal(await status(`${kernelUrl}/interrupt`, bob.token, "POST"), 403);
    assert.equal(await status(`${kernelUrl}/restart`, bob.token, "POST"), 403);
    assert.equal(await status(`${alice.serverUrl}api/kernels`, bob.token, "POST"), 403);
    // Nor its websocket, where cells are executed.
    const refused = await new Promise<number>((resolve) => {
      const socket = new WebSocket(`${kernelUrl.replace(/^http/, "ws")}/channels?token=${bob.token}`);
      socket.on("unexpected-response", (_request, response) => resolve(response.statusCode ?? 0));
      socket.on("open", () => { socket.close(); resolve(101); });
      socket.on("error", () => resolve(-1));
    });
    assert.equal(refused, 403);
    await assert.rejects(new RemoteKernelClient({ server: parseServer(alice.serverUrl, bob.token) }).start(),
      { message: `the Jupyter server at ${alice.serverUrl} refused the token (HTTP 403); give the server's token or a JupyterHub API token` });
    // Bob's own server does not list alice's kernel, and alice's token does not open bob's.
    const bobsKernels = await (await fetch(`${bob.serverUrl}api/kernels`, as(bob.token))).json() as Array<{ id: string }>;
    assert.ok(!bobsKernels.some((kernel) => kernel.id === kernelId));
    assert.equal(await status(`${bob.serverUrl}api/kernels`, alice.token), 403);

    // Alice's kernel is untouched by all of it.
    assert.equal(valueOf(await client.execute("secret")), "'alice only'");
  } finally {
    await client.shutdown();
  }
});
