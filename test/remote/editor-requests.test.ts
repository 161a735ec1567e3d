/**
 * The editor's requests (completion, inspect, signature help, diagnostics, variables; see
 * kernel/PROTOCOL.md "Editor requests") sent on control to our kernel on Debian's classic
 * Notebook server, which forwards these message types over its websocket: each reply is the one
 * the same kernel gives over the local transport, typed answers come while a cell spins, and
 * asking does not make the kernel's status busy.
 */
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { KernelClient } from "../../kernel/client";
import type { MessageType } from "../../kernel/messages";
import { RemoteKernelClient } from "../../kernel/remote/remote-client";
import { parseServer } from "../../kernel/remote/server";
import { quietLibraryConsole } from "../../kernel/remote/run-on-server";
import { startNotebookServer, type NotebookServer } from "./notebook-server";

let server: NotebookServer;
let remote: RemoteKernelClient;
let local: KernelClient;
const SETUP = "const w = new tf.Variable([[1, 2], [3, 4]], { name: \"w\" });\nconst label = \"weights\";";

before(async () => {
  quietLibraryConsole();
  server = await startNotebookServer();
  remote = new RemoteKernelClient({ server: parseServer(server.baseUrl, server.token) });
  local = new KernelClient({ kernelScript: server.jupyter.env.AGNB_KERNEL! });
  await Promise.all([remote.start(), local.start()]);
  for (const kernel of [remote, local]) assert.equal((await kernel.execute(SETUP)).reply.content.status, "ok");
});
after(async () => {
  await Promise.all([remote?.shutdown(), local?.shutdown()]);
  await server?.cleanup();
});

const ask = async (kernel: RemoteKernelClient | KernelClient, msgType: string, content: Record<string, unknown>) =>
  (await kernel.request("control", msgType as MessageType, content)).reply;

const REQUESTS: Array<[string, Record<string, unknown>]> = [
  ["complete_request", { code: "w.assi", cursor_pos: 6 }],
  ["inspect_request", { code: "w", cursor_pos: 1, detail_level: 0 }],
  ["agnb_signature_request", { code: "tf.matmul(w, ", cursor_pos: 13 }],
  ["agnb_diagnostics_request", { code: "const n: number = label;", cursor_pos: 0 }],
  ["agnb_variables_request", {}],
  ["agnb_variables_request", { name: "label" }],
];

test("every editor request gets, from the server's kernel, the reply the local kernel gives", { timeout: 60_000 }, async () => {
  for (const [msgType, content] of REQUESTS) {
    const [fromServer, fromLocal] = await Promise.all([ask(remote, msgType, content), ask(local, msgType, content)]);
    assert.equal(fromServer.header.msg_type, msgType.replace(/_request$/, "_reply"));
    assert.equal(fromServer.channel, "control");
    assert.equal(fromServer.content.status, "ok", `${msgType}: ${JSON.stringify(fromServer.content)}`);
    assert.deepEqual(fromServer.content, fromLocal.content, msgType);
  }
  // What the user would see, so equal replies are not equally empty ones.
  const completion = (await ask(remote, "complete_request", { code: "w.assi", cursor_pos: 6 })).content;
  assert.deepEqual(completion.matches.filter((name: string) => name.startsWith("assign")).sort(), ["assign", "assignAdd", "assignSub"]);
  const hover = (await ask(remote, "inspect_request", { code: "w", cursor_pos: 1, detail_level: 0 })).content;
  assert.match(hover.data["text/markdown"], /const w: tf\.Variable/);
  const problems = (await ask(remote, "agnb_diagnostics_request", { code: "const n: number = label;", cursor_pos: 0 })).content.agnb_problems;
  assert.equal(problems.length, 1);
  assert.match(problems[0].message, /Type 'string' is not assignable to type 'number'/);
  const variables = (await ask(remote, "agnb_variables_request", {})).content.variables;
  assert.deepEqual(variables.find((entry: { name: string }) => entry.name === "w")?.tensor?.shape, [2, 2]);
});

test("typed answers come while a cell spins on the server, and asking leaves the kernel's status alone", { timeout: 60_000 }, async () => {
  const states: string[] = [];
  const onStatus = (state: string) => states.push(state);
  remote.on("status", onStatus);
  const quiet = await ask(remote, "complete_request", { code: "tf.", cursor_pos: 3 });
  assert.ok(quiet.content.matches.includes("GradientTape"));
  assert.deepEqual(states, [], "control requests send no busy/idle");
  remote.off("status", onStatus);

  const spinning = remote.execute("const until = Date.now() + 4000;\nwhile (Date.now() < until) {}");
  while (remote.executionState !== "busy") await new Promise((resolve) => setTimeout(resolve, 20));
  const asked = Date.now();
  const reply = await ask(remote, "complete_request", { code: "w.assi", cursor_pos: 6 });
  const waited = Date.now() - asked;
  assert.ok(reply.content.matches.includes("assign"));
  assert.ok(waited < 3000, `answered in ${waited} ms while the cell spun`);
  assert.equal((await spinning).reply.content.status, "ok");
});

test("a request to a kernel that is not running fails with a line naming the server", async () => {
  const idle = new RemoteKernelClient({ server: parseServer(server.baseUrl, server.token) });
  await assert.rejects(idle.request("control", "complete_request", { code: "", cursor_pos: 0 }),
    { message: `cannot send complete_request: the kernel on ${server.baseUrl} is not running` });
});
