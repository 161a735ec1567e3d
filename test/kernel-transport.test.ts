/**
 * The kernel process's transport: the local pipe on fd 3 and its thread, which keeps the kernel
 * talking whatever a cell does to fd 0/1/2, to the main thread's built-ins or to its event loop.
 * Everything here goes through the real kernel process.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { connect, createServer, type AddressInfo, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { KernelClient, type RequestResult } from "../kernel/client";
import { buildKernelBundles } from "../kernel/bundles";
import { LineDecoder, encodeMessage, makeMessage, type WireMessage } from "../kernel/messages";

function ofType(result: RequestResult, type: string): WireMessage[] {
  return result.iopub.filter((message) => message.header.msg_type === type);
}
const resultText = (result: RequestResult): string | undefined => ofType(result, "execute_result")[0]?.content.data["text/plain"];
const streamText = (result: RequestResult, name: string) => ofType(result, "stream").filter((m) => m.content.name === name).map((m) => m.content.text).join("");

async function waitFor(condition: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** A ZeroMQ connection file on loopback with ports free right now. */
async function connectionFile(): Promise<string> {
  const ports: number[] = [];
  while (ports.length < 5) {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    ports.push((server.address() as AddressInfo).port);
    await new Promise((resolve) => server.close(resolve));
  }
  const [shell_port, control_port, iopub_port, stdin_port, hb_port] = ports;
  const file = join(mkdtempSync(join(tmpdir(), "agnb-connection-")), "kernel.json");
  writeFileSync(file, JSON.stringify({ transport: "tcp", ip: "127.0.0.1", key: "a-key", signature_scheme: "hmac-sha256", shell_port, control_port, iopub_port, stdin_port, hb_port }));
  return file;
}

/** Resolves once something accepts connections on the loopback port. */
async function listening(port: number): Promise<void> {
  const accepts = () => new Promise<boolean>((resolve) => {
    const socket = connect(port, "127.0.0.1", () => { socket.destroy(); resolve(true); }).once("error", () => resolve(false));
  });
  while (!(await accepts())) await new Promise((resolve) => setTimeout(resolve, 20));
}

async function exitsWithin(pid: number, ms: number): Promise<number> {
  const started = Date.now();
  await waitFor(() => !processAlive(pid), ms);
  return Date.now() - started;
}

/** The kernel process driven by hand over fd 3, to send what KernelClient never would. */
class RawKernel {
  readonly child: ChildProcess;
  readonly stderr: string[] = [];
  private readonly received: WireMessage[] = [];
  private readonly protocol: Socket;

  constructor(kernelScript: string) {
    this.child = spawn(process.execPath, [kernelScript], { stdio: ["ignore", "pipe", "pipe", "pipe"] });
    this.protocol = this.child.stdio[3] as Socket;
    const decoder = new LineDecoder((message) => this.received.push(message), (line, problem) => this.stderr.push(`${problem}: ${line}`));
    this.protocol.setEncoding("utf8").on("data", (chunk: string) => decoder.push(chunk));
    this.child.stderr!.setEncoding("utf8").on("data", (chunk: string) => this.stderr.push(chunk));
  }

  write(text: string): void {
    this.protocol.write(text);
  }

  execute(code: string, extra: Record<string, unknown> = {}): WireMessage {
    const message = { ...makeMessage("shell", "execute_request", { code, silent: false, allow_stdin: false, stop_on_error: true }, { session: "raw" }), ...extra };
    this.write(encodeMessage(message));
    return message;
  }

  async replyTo(request: WireMessage, timeoutMs = 20_000): Promise<WireMessage> {
    const isReply = (m: WireMessage) => m.channel !== "iopub" && (m.parent_header as { msg_id?: string }).msg_id === request.header.msg_id;
    await waitFor(() => this.received.some(isReply), timeoutMs);
    return this.received.find(isReply)!;
  }

  kill(): void {
    this.child.kill("SIGKILL");
  }
}

describe("kernel transport", { timeout: 180_000 }, () => {
  let kernelScript: string;
  let kernel: KernelClient;

  before(async () => {
    kernelScript = (await buildKernelBundles()).kernel;
    kernel = new KernelClient({ kernelScript });
    await kernel.start();
  });
  after(() => kernel.shutdown());

  test("a child process writing to fd 1 shows as the cell's output, and the cell finishes", async () => {
    const printf = await kernel.execute(`require("node:child_process").execSync("printf '50%'", { stdio: "inherit" });`);
    assert.ok(printf.reply.content.status, "the cell got its reply");
    assert.match(streamText(printf, "stdout"), /^50/);
    const echoed = await kernel.execute(`require("node:child_process").execSync("echo 'to fd 1: 100%'; echo 'to fd 2' >&2", { stdio: "inherit" }); 'after'`);
    assert.equal(echoed.reply.content.status, "ok");
    assert.equal(streamText(echoed, "stdout"), "to fd 1: 100%\n");
    assert.equal(streamText(echoed, "stderr"), "to fd 2\n");
    assert.equal(resultText(echoed), "'after'");
    assert.equal(resultText(await kernel.execute("1 + 1")), "2", "the protocol is intact");
  });

  test("a cell reading process.stdin gets end-of-file at once", async () => {
    const result = await kernel.execute(`let read = "";\nprocess.stdin.on("data", (d) => { read += d; });\nawait new Promise((resolve) => process.stdin.once("end", resolve));\n"stdin ended with " + read.length + " characters"`);
    assert.equal(resultText(result), "'stdin ended with 0 characters'");
  });

  test("kernel_info and interrupt on control are answered while a cell spins, and the interrupt breaks it", async () => {
    const spinning = kernel.execute("while (true) {}");
    await waitFor(() => kernel.executionState === "busy");
    await new Promise((resolve) => setTimeout(resolve, 200));
    const info = await kernel.request("control", "kernel_info_request", {});
    assert.equal(info.reply.content.implementation, "agnb");
    assert.equal(info.reply.content.protocol_version, "5.3");
    const interrupted = await kernel.request("control", "interrupt_request", {});
    assert.equal(interrupted.reply.content.status, "ok");
    assert.equal(ofType(await spinning, "error")[0].content.ename, "KeyboardInterrupt");
    assert.equal(resultText(await kernel.execute("'next'")), "'next'");
  });

  test("interrupt also breaks a spin no loop check reaches (a catastrophic regular expression)", async () => {
    const spinning = kernel.execute(`/^(a+)+$/.test("a".repeat(40) + "b")`);
    await waitFor(() => kernel.executionState === "busy");
    await new Promise((resolve) => setTimeout(resolve, 300));
    const started = Date.now();
    kernel.interrupt();
    const result = await spinning;
    assert.equal(ofType(result, "error")[0].content.ename, "KeyboardInterrupt");
    assert.ok(Date.now() - started < 3000, `stopped after ${Date.now() - started} ms`);
  });

  test("cells that replace JSON.stringify, Object.prototype.toJSON and Date.prototype.toISOString do not break messaging", async () => {
    const sabotage = await kernel.execute(
      "const realStringify = JSON.stringify;\nJSON.stringify = () => 'x';\n" +
      "Object.defineProperty(Object.prototype, 'toJSON', { value: () => 'hijacked', configurable: true, writable: true });\n" +
      "const realIso = Date.prototype.toISOString;\nDate.prototype.toISOString = () => { throw new Error('no dates'); };",
    );
    assert.equal(sabotage.reply.content.status, "ok");
    const later = await kernel.execute("console.log('still talking');\n({ sum: 1 + 2, when: 'now' })");
    assert.equal(later.reply.content.status, "ok");
    assert.equal(streamText(later, "stdout"), "still talking\n");
    assert.equal(resultText(later), "{ sum: 3, when: 'now' }");
    assert.match(later.reply.header.date, /^\d{4}-\d\d-\d\dT/);
    const restored = await kernel.execute("JSON.stringify = realStringify;\ndelete (Object.prototype as { toJSON?: unknown }).toJSON;\nDate.prototype.toISOString = realIso;\nJSON.stringify({ a: 1 })");
    assert.equal(resultText(restored), `'{"a":1}'`);
  });

  test("output values JSON or the thread cannot carry (functions, symbols, BigInt, cycles) become text", async () => {
    const odd = await kernel.execute("display({ 'text/plain': 'odd', 'application/x-odd+json': { f: () => 1, s: Symbol('q'), big: 10n } }, { raw: true });");
    assert.deepEqual(ofType(odd, "display_data")[0].content.data["application/x-odd+json"], { f: "[function f]", s: "Symbol(q)", big: "10n" });
    const cyclic = await kernel.execute("const loop: any = { name: 'loop' };\nloop.self = loop;\ndisplay({ 'text/plain': 'cycle', 'application/x-cycle+json': loop }, { raw: true });");
    assert.deepEqual(ofType(cyclic, "display_data")[0].content.data["application/x-cycle+json"], { name: "loop", self: "[Circular]" });
    assert.equal(resultText(await kernel.execute("'fine'")), "'fine'");
  });

  test("1000 executes queued and the 10th failing: the 990 behind it are aborted, each with busy, reply and idle", async () => {
    const statuses: string[] = [];
    const onStatus = (message: WireMessage) => {
      if (message.header.msg_type === "status") statuses.push(message.content.execution_state);
    };
    // The first cell waits, so that every request has surely arrived before the failure.
    const cells = Array.from({ length: 1000 }, (_, i) =>
      i === 0 ? "await new Promise((resolve) => setTimeout(resolve, 300));" : i === 9 ? "throw new Error('tenth fails')" : `globalThis.burstRan = ${i};`);
    kernel.on("iopub", onStatus);
    const results = await Promise.all(cells.map((code) => kernel.execute(code))).finally(() => kernel.off("iopub", onStatus));
    const counts = { ok: 0, error: 0, aborted: 0 };
    for (const result of results) counts[result.reply.content.status as keyof typeof counts] += 1;
    assert.deepEqual(counts, { ok: 9, error: 1, aborted: 990 });
    assert.equal(statuses.filter((s) => s === "busy").length, 1000);
    assert.equal(statuses.filter((s) => s === "idle").length, 1000);
    assert.equal(resultText(await kernel.execute("globalThis.burstRan")), "8", "nothing behind the failure ran");
  });

  test("errors thrown after a cell finished are shown in the next cell that runs", async () => {
    await kernel.execute("Promise.reject(new Error('late rejection'));\nundefined");
    await new Promise((resolve) => setTimeout(resolve, 100));
    const next = await kernel.execute("'next cell'");
    assert.match(streamText(next, "stderr"), /Uncaught \(in background work\): Error: late rejection/);
    assert.equal(resultText(next), "'next cell'");
    await kernel.execute("setTimeout(() => { throw new Error('timer failed'); }, 20);");
    await new Promise((resolve) => setTimeout(resolve, 150));
    const after = await kernel.execute("'after the timer'");
    assert.match(streamText(after, "stderr"), /Uncaught \(in background work\): Error: timer failed/);
    assert.equal(streamText(await kernel.execute("'once only'"), "stderr"), "", "each error is shown once");
  });

  test("prompt() and input() ask the frontend on the stdin channel; without allow_stdin prompt() says so", async () => {
    const asked: string[] = [];
    const answer = (request: WireMessage) => {
      asked.push(request.content.prompt);
      kernel.replyInput(request, `answer ${asked.length}`);
    };
    kernel.on("input_request", answer);
    try {
      const result = await kernel.execute("console.log('before asking');\nconst first = prompt('Name? ');\nconst second = await input('Again? ');\n[first, second]", { allowStdin: true });
      assert.deepEqual(asked, ["Name? ", "Again? "]);
      assert.equal(resultText(result), "[ 'answer 1', 'answer 2' ]");
      assert.equal(streamText(result, "stdout"), "before asking\n");
    } finally {
      kernel.off("input_request", answer);
    }
    const refused = await kernel.execute("prompt('Name? ')");
    const [error] = ofType(refused, "error");
    assert.equal(error.content.ename, "StdinNotImplementedError");
    assert.equal(error.content.evalue, "this frontend does not support input requests");
  });

  test("an interrupt while a cell waits for input stops the cell", async () => {
    const waiting = new Promise<void>((resolve) => kernel.once("input_request", () => resolve()));
    const running = kernel.execute("prompt('never answered')", { allowStdin: true });
    await waiting;
    kernel.interrupt();
    assert.equal(ofType(await running, "error")[0].content.ename, "KeyboardInterrupt");
    assert.equal(resultText(await kernel.execute("'alive'")), "'alive'");
  });

  test("output printed just before process.exit() reaches the frontend", async () => {
    const exiting = new KernelClient({ kernelScript });
    await exiting.start();
    const seen: string[] = [];
    exiting.on("iopub", (message: WireMessage) => { if (message.header.msg_type === "stream") seen.push(message.content.text); });
    const exited = new Promise<{ code: number | null }>((resolve) => exiting.once("exit", resolve));
    await assert.rejects(exiting.execute("console.log('bye');\nprocess.exit(0);"));
    assert.equal((await exited).code, 0);
    assert.deepEqual(seen, ["bye\n"]);
  });

  test("shutdown ends the process even while a cell spins", async () => {
    const stuck = new KernelClient({ kernelScript });
    await stuck.start();
    const pid = stuck.pid!;
    stuck.execute("while (true) {}").catch(() => undefined);
    await waitFor(() => stuck.executionState === "busy");
    await stuck.shutdown();
    assert.equal(processAlive(pid), false);
  });

  test("a kernel whose parent is killed with -9 while a cell spins exits within a few seconds", async () => {
    // The parent starts the kernel, sets a cell spinning, prints the kernel's pid, and waits.
    const parentSource = `
      const { spawn } = require("node:child_process");
      const kernel = spawn(process.execPath, [process.argv[1]], { stdio: ["ignore", "ignore", "ignore", "pipe"] });
      const request = { channel: "shell", header: { msg_id: "spin", msg_type: "execute_request", session: "s", username: "u", date: new Date().toISOString(), version: "5.3" },
        parent_header: {}, metadata: {}, content: { code: "while (true) {}", silent: false, stop_on_error: true } };
      kernel.stdio[3].write(JSON.stringify(request) + "\\n");
      kernel.stdio[3].on("data", (chunk) => { if (String(chunk).includes('"execute_input"')) console.log(kernel.pid); });
    `;
    const parent = spawn(process.execPath, ["-e", parentSource, kernelScript], { stdio: ["ignore", "pipe", "inherit"] });
    const kernelPid = await new Promise<number>((resolve) => parent.stdout!.setEncoding("utf8").once("data", (text: string) => resolve(Number(text.trim()))));
    assert.ok(processAlive(kernelPid));
    await new Promise((resolve) => setTimeout(resolve, 200));
    parent.kill("SIGKILL");
    assert.ok(await exitsWithin(kernelPid, 5000) < 5000);
  });

  test("over ZeroMQ too, a kernel exits within a few seconds when its parent process goes away", async () => {
    const file = await connectionFile();
    const parentSource = `
      const { spawn } = require("node:child_process");
      const kernel = spawn(process.execPath, [process.argv[1], "--connection-file", process.argv[2]], { stdio: "ignore" });
      console.log(kernel.pid);
    `;
    const parent = spawn(process.execPath, ["-e", parentSource, kernelScript, file], { stdio: ["ignore", "pipe", "inherit"] });
    const kernelPid = await new Promise<number>((resolve) => parent.stdout!.setEncoding("utf8").once("data", (text: string) => resolve(Number(text.trim()))));
    // Once its sockets are bound the kernel has taken note of its parent (a busy machine may take seconds).
    await listening(JSON.parse(readFileSync(file, "utf8")).hb_port);
    assert.ok(processAlive(kernelPid), "the kernel runs while its parent does");
    parent.kill("SIGKILL");
    assert.ok(await exitsWithin(kernelPid, 5000) < 5000);
  });

  test("a kernel exits within a few seconds when the process named by JPY_PARENT_PID goes away", async () => {
    const file = await connectionFile();
    const stand_in = spawn(process.execPath, ["-e", "setInterval(() => {}, 1000)"], { stdio: "ignore" });
    const kernelProcess = spawn(process.execPath, [kernelScript, "--connection-file", file], { stdio: "ignore", env: { ...process.env, JPY_PARENT_PID: String(stand_in.pid) } });
    try {
      await new Promise((resolve) => setTimeout(resolve, 1500));
      assert.ok(processAlive(kernelProcess.pid!), "the kernel runs while the named parent does");
      stand_in.kill("SIGKILL");
      assert.ok(await exitsWithin(kernelProcess.pid!, 5000) < 5000);
    } finally {
      stand_in.kill("SIGKILL");
      kernelProcess.kill("SIGKILL");
    }
  });

  test("bad arguments and a missing connection file: one clear line and a non-zero exit", async () => {
    const run = (args: string[]) => new Promise<{ code: number | null; stderr: string }>((resolve) => {
      const child = spawn(process.execPath, [kernelScript, ...args], { stdio: ["ignore", "ignore", "pipe"] });
      let stderr = "";
      child.stderr!.setEncoding("utf8").on("data", (text: string) => { stderr += text; });
      child.on("exit", (code) => resolve({ code, stderr }));
    });
    const missing = await run(["--connection-file", "/nonexistent/kernel-1.json"]);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /^kernel: connection file \/nonexistent\/kernel-1\.json does not exist\n$/);
    const unknown = await run(["--frobnicate"]);
    assert.equal(unknown.code, 2);
    assert.equal(unknown.stderr, "kernel: unknown argument --frobnicate (the kernel takes --connection-file FILE, or nothing for the local transport)\n");
    const noFd3 = await run([]);
    assert.equal(noFd3.code, 1);
    assert.match(noFd3.stderr, /^kernel: cannot open the local transport on fd 3 .*--connection-file FILE\n$/);
  });

  test("a 50 MB request line is parsed; a line over 64 MB is rejected with a clear message; the kernel lives on", async () => {
    const raw = new RawKernel(kernelScript);
    try {
      const ready = raw.execute("'ready'");
      await raw.replyTo(ready);
      const started = performance.now();
      const large = raw.execute("'large request'", { metadata: { padding: "x".repeat(50 * 1024 * 1024) } });
      const reply = await raw.replyTo(large);
      const elapsed = performance.now() - started;
      assert.equal(reply.content.status, "ok");
      process.stdout.write(`# a 50 MB request line: ${elapsed.toFixed(0)} ms to its reply\n`);
      raw.write("y".repeat(65 * 1024 * 1024) + "\n");
      const after = raw.execute("'after the oversized line'");
      assert.equal((await raw.replyTo(after)).content.status, "ok");
      await waitFor(() => raw.stderr.join("").includes("line too large"));
      assert.match(raw.stderr.join(""), /kernel: ignored a line on fd 3: line too large \(more than 64 MB without a newline\), ignored: y{200}/);
    } finally {
      raw.kill();
    }
  });
});
