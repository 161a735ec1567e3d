/**
 * A short network loss between the client and Debian's classic Notebook server (a TCP forwarder
 * that cuts every connection and refuses new ones for a moment): the client says at once that
 * it is reconnecting, comes back to the same kernel with its variables, and the cell running
 * meanwhile finishes with the lines it printed while the client was away (the server kept
 * them), in order, none twice. Only a message already on its way when the network was cut
 * (written by the server, not yet read by the client) can be missing, as on a real network.
 */
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { RemoteKernelClient } from "../../kernel/remote/remote-client";
import { parseServer } from "../../kernel/remote/server";
import { quietLibraryConsole } from "../../kernel/remote/run-on-server";
import { startNotebookServer, type NotebookServer } from "./notebook-server";
import { startTcpProxy, type TcpProxy } from "./tcp-proxy";

let server: NotebookServer;
let proxy: TcpProxy;

before(async () => {
  quietLibraryConsole();
  server = await startNotebookServer();
  proxy = await startTcpProxy(server.baseUrl);
});
after(async () => {
  await proxy?.close();
  await server?.cleanup();
});

const TICKS = 30;

test("a dropped connection is said at once, and the same kernel comes back with the cell's outputs whole", { timeout: 90_000 }, async () => {
  const client = new RemoteKernelClient({ server: parseServer(proxy.url, server.token) });
  await client.start();
  try {
    const kernelId = client.id;
    await client.execute("const kept = 'still here';");
    const connection: Array<{ status: string; at: number }> = [];
    client.on("connection", (status: string) => connection.push({ status, at: Date.now() }));
    let printed = "";
    const running = client.execute(`for (let i = 0; i < ${TICKS}; i++) { console.log(\`tick \${i}\`); await new Promise((r) => setTimeout(r, 100)); }`, {
      onIopub: (message) => { if (message.header.msg_type === "stream") printed += message.content.text; },
    });
    while (!printed.includes("tick 5")) await new Promise((resolve) => setTimeout(resolve, 20));
    const droppedAt = Date.now();
    const beforeDrop = printed;
    await proxy.drop(1500);

    const { reply } = await running;
    assert.equal(reply.content.status, "ok");
    assert.equal(connection[0]?.status, "connecting", "the loss is reported");
    assert.ok(connection[0].at - droppedAt < 1000, `reported ${connection[0].at - droppedAt} ms after the drop`);
    assert.equal(connection.at(-1)?.status, "connected");
    const ticks = printed.trimEnd().split("\n").map((line) => Number(/^tick (\d+)$/.exec(line)?.[1]));
    assert.ok(printed.startsWith(beforeDrop), "what had arrived stays as it was");
    assert.ok(ticks.every((tick, i) => Number.isInteger(tick) && (i === 0 || tick > ticks[i - 1])), `in order, none twice: ${ticks.join(" ")}`);
    assert.equal(ticks.at(-1), TICKS - 1, "the cell's last line");
    const lastBeforeDrop = Number(/tick (\d+)\n$/.exec(beforeDrop)![1]);
    const missing = Array.from({ length: TICKS }, (_, i) => i).filter((tick) => !ticks.includes(tick));
    // Lines in flight at the cut are the few right after the last one seen (ticks are 100 ms apart).
    assert.ok(missing.length <= 5 && missing.every((tick, i) => tick === lastBeforeDrop + 1 + i), `only lines in flight at the cut may be missing: ${missing.join(" ")}`);
    assert.equal(client.id, kernelId, "the same kernel");
    const { iopub } = await client.execute("kept");
    assert.equal(iopub.find((message) => message.header.msg_type === "execute_result")?.content.data["text/plain"], "'still here'");
  } finally {
    await client.shutdown();
  }
});
