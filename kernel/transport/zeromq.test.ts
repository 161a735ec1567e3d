import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { Router } from "zeromq";
import { ZeroMQClient, delay, writeConnectionFile } from "../../test/jupyter/zeromq-client";
import { makeMessage, type WireMessage } from "../messages";
import { WireCodec } from "./jupyter-wire";
import { createZeroMQAdapter, endpoint, readConnectionFile } from "./zeromq";

let folder: string;
before(async () => { folder = await mkdtemp(join(tmpdir(), "agnb-zeromq-")); });
after(async () => { await rm(folder, { recursive: true, force: true }); });

/** An adapter answering every request itself, as the transport thread would. */
async function openEchoAdapter() {
  const { file, info } = await writeConnectionFile(folder);
  const log: string[] = [];
  const received: WireMessage[] = [];
  const adapter = createZeroMQAdapter({ kind: "zeromq", connectionFile: file }, (line) => log.push(line));
  await adapter.open((message) => {
    received.push(message);
    const reply = (type: string, content: unknown) => adapter.send(makeMessage(message.channel, type as never, content, { session: "kernel", parent: message.header }));
    if (message.header.msg_type === "execute_request") {
      adapter.send(makeMessage("stdin", "input_request", { prompt: "name?", password: false }, { session: "kernel", parent: message.header }));
    } else if (message.header.msg_type === "input_reply") {
      const execute = received.find((m) => m.header.msg_type === "execute_request")!;
      adapter.send(makeMessage("iopub", "status", { execution_state: "idle" }, { session: "kernel", parent: execute.header }));
      adapter.send(makeMessage("shell", "execute_reply", { status: "ok", got: message.content.value }, { session: "kernel", parent: execute.header }));
    } else {
      adapter.send(makeMessage("iopub", "status", { execution_state: "idle" }, { session: "kernel", parent: message.header }));
      reply(message.header.msg_type.replace("_request", "_reply"), { status: "ok", channel: message.channel });
    }
  });
  return { adapter, info, log, received };
}

/** Runs `body` with a client connected to an echo adapter, closing both afterwards. */
async function withEchoAdapter(body: (opened: Awaited<ReturnType<typeof openEchoAdapter>> & { client: ZeroMQClient }) => Promise<void>) {
  const opened = await openEchoAdapter();
  const client = new ZeroMQClient(opened.info);
  try {
    await body({ ...opened, client });
  } finally {
    client.close();
    await opened.adapter.close();
  }
}

test("requests on shell and control reach the kernel and their replies go back to the requester", () => withEchoAdapter(async ({ client, received }) => {
  const ready = await client.waitForReady();
  assert.equal(ready.content.channel, "shell");
  const control = await client.request("control", "interrupt_request", {});
  assert.equal(control.header.msg_type, "interrupt_reply");
  assert.equal(control.content.channel, "control");
  assert.ok(received.some((m) => m.channel === "control" && m.header.msg_type === "interrupt_request"));
}));

test("an input_request goes to the identities of its execute_request; the input_reply comes back on stdin", () => withEchoAdapter(async ({ client }) => {
  client.onInputRequest = (prompt) => `answer to ${prompt}`;
  await client.waitForReady();
  const { reply } = await client.execute("prompt('name?')", { allowStdin: true });
  assert.equal(reply.content.got, "answer to name?");
}));

test("a forged, unsigned or garbled message is logged in one line without key or signature, and dropped", () => withEchoAdapter(async ({ client, info, log, received }) => {
  await client.waitForReady();
  const before = received.length;
  const forged = new WireCodec("not the key").serialize(makeMessage("shell", "execute_request", { code: "forged()" }, { session: "x" }));
  client.sendFrames("shell", forged);
  client.sendFrames("shell", new WireCodec("").serialize(makeMessage("control", "shutdown_request", { restart: false }, { session: "x" })));
  client.sendFrames("control", [Buffer.from("garbage")]);
  const stillAnswers = await client.request("control", "kernel_info_request", {});
  assert.equal(stillAnswers.header.msg_type, "kernel_info_reply");
  assert.equal(received.length, before + 1, "only the genuine request was delivered");
  const drops = log.filter((line) => line.includes("dropped a message"));
  assert.deepEqual(drops.map((line) => line.replace(/: .*$/, "")), ["zeromq", "zeromq", "zeromq"]);
  assert.match(drops.join("\n"), /shell: invalid signature[^]*shell: missing signature[^]*control: no <IDS\|MSG> delimiter/);
  const signature = forged[1].toString();
  for (const line of log) assert.ok(!line.includes(info.key) && !line.includes(signature) && !line.includes("\n"), line);
}));

test("the heartbeat echoes what it is sent", () => withEchoAdapter(async ({ client }) => {
  assert.equal(await client.heartbeat("ping-1", 5000), "ping-1");
}));

const opening = async (file: string) => createZeroMQAdapter({ kind: "zeromq", connectionFile: file }, () => {}).open(() => {});

test("a missing, unreadable, malformed or incomplete connection file is one line naming the file", async () => {
  const missing = join(folder, "missing.json");
  await assert.rejects(opening(missing), { message: `connection file ${missing} does not exist` });
  const malformed = join(folder, "malformed.json");
  await writeFile(malformed, "{ not json");
  await assert.rejects(opening(malformed), (error: Error) => error.message.startsWith(`connection file ${malformed} is not valid JSON (`) && !error.message.includes("\n"));
  const { file, info } = await writeConnectionFile(folder, { signature_scheme: "hmac-md9" });
  await assert.rejects(opening(file), { message: `connection file ${file}: unknown signature_scheme "hmac-md9" (expected hmac-<hash>, e.g. hmac-sha256)` });
  await writeFile(file, JSON.stringify({ ...info, signature_scheme: "hmac-sha256", iopub_port: "x" }));
  await assert.rejects(opening(file), { message: `connection file ${file}: "iopub_port" must be a port number from 1 to 65535, not "x"` });
  // Root reads any file, so a folder stands for an unreadable one here.
  await assert.rejects(opening(folder), { message: `connection file ${folder} is a folder` });
  assert.equal((await readConnectionFile((await writeConnectionFile(folder)).file)).transport, "tcp");
});

test("a port in use is named, and none of the other sockets stays bound", async () => {
  const { file, info } = await writeConnectionFile(folder);
  const squatter = new Router({ linger: 0 });
  await squatter.bind(endpoint(info, "iopub"));
  try {
    await assert.rejects(opening(file), {
      message: `cannot bind the iopub socket to tcp://127.0.0.1:${info.iopub_port} (from ${file}): port ${info.iopub_port} is in use`,
    });
    await delay(50);
    // Every socket bound before the failure was closed: their ports can be bound again.
    const rebinds = (["shell", "control", "stdin", "hb"] as const).map(async (name) => {
      const socket = new Router({ linger: 0 });
      await socket.bind(endpoint(info, name));
      socket.close();
    });
    await Promise.all(rebinds);
  } finally {
    squatter.close();
  }
});
