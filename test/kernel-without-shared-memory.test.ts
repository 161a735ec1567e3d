/**
 * The kernel in a runtime without SharedArrayBuffer (`--no-harmony-sharedarraybuffer`), where its
 * two threads can only post messages: what needs shared memory (a prompt() that blocks the cell,
 * an interrupt of a cell busy outside its loops) says so in one line; everything else works —
 * cells and outputs, `await input()`, completion while a cell spins, interrupts (of awaiting
 * cells, of a wait for input, of spinning loops), output printed before process.exit(), shutdown
 * — through KernelClient, and over ZeroMQ through Debian's jupyter_client (also with SIGINT as
 * the interrupt).
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { buildKernelBundles } from "../kernel/bundles";
import { KERNEL_NODE_ARGS, KernelClient } from "../kernel/client";
import type { WireMessage } from "../kernel/messages";
import { assertInterrupted, interruptAfter, ofType, resultText, sleep, streamText, waitFor } from "./interrupt-helpers";
import { AGNB_BIN, KERNEL_NAME, PYTHON, jupyterEnvironment, type JupyterEnv } from "./jupyter/jupyter-env";

const WITHOUT_SHARED_MEMORY = "--no-harmony-sharedarraybuffer";
const UNREACHED = "kernel: the interrupted cell has not stopped yet: without shared memory (SharedArrayBuffer) an interrupt reaches only a cell's loops and awaits, and this one is busy elsewhere (library code, a regular expression, a blocking call); it stops at the next of them";
const PROMPT_UNAVAILABLE = "prompt() cannot wait for the reply in this runtime: it has no shared memory (SharedArrayBuffer) to block on while the transport thread receives it; use `await input(question)`";

async function startKernel(): Promise<KernelClient> {
  const kernelScript = (await buildKernelBundles()).kernel;
  const kernel = new KernelClient({ kernelScript, nodeArgs: [...KERNEL_NODE_ARGS, WITHOUT_SHARED_MEMORY], cwd: mkdtempSync(join(tmpdir(), "agnb-no-sab-")) });
  await kernel.start();
  return kernel;
}

let kernel: KernelClient;
before(async () => {
  kernel = await startKernel();
  const setup = await kernel.execute("const kept = 41;\nconst sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));\ntypeof SharedArrayBuffer");
  assert.equal(resultText(setup), "'undefined'", "the kernel really runs without SharedArrayBuffer");
});
after(() => kernel?.shutdown());

/** Answers each input request with `Ada 1`, `Ada 2`...; `asked` lists the prompts, `stop` ends the answering. */
function answerInputs(client: KernelClient): { asked: string[]; stop(): void } {
  const asked: string[] = [];
  const listener = (request: WireMessage) => client.replyInput(request, `Ada ${asked.push(request.content.prompt)}`);
  client.on("input_request", listener);
  return { asked, stop: () => client.off("input_request", listener) };
}

test("prompt() says in one line why it cannot block here, and asks nothing; await input() asks and gets the reply", async () => {
  const answers = answerInputs(kernel);
  try {
    const refused = await kernel.execute("console.log('before');\nprompt('Name? ')", { allowStdin: true });
    const [error] = ofType(refused, "error");
    assert.equal(error.content.ename, "StdinNotImplementedError");
    assert.equal(error.content.evalue, PROMPT_UNAVAILABLE);
    assert.match(error.content.traceback.join("\n"), /Cell In\[\d+\], line 2/);
    assert.equal(streamText(refused), "before\n");
    assert.deepEqual(answers.asked, []);
    const answered = await kernel.execute("const first = await input('Name? ');\nconst second = await input('Again? ');\n`${first} and ${second}`", { allowStdin: true });
    assert.deepEqual(answers.asked, ["Name? ", "Again? "]);
    assert.equal(resultText(answered), "'Ada 1 and Ada 2'");
  } finally {
    answers.stop();
  }
});

test("an interrupt stops a cell that awaits, waits for input or spins, and variables stay", async (t) => {
  assertInterrupted(await interruptAfter(kernel, "await sleep(60_000);", 100, t));
  assert.equal(resultText(await kernel.execute("kept + 1")), "42");
  // No flag is shared: the loop checks poll a port for the interrupt.
  assertInterrupted(await interruptAfter(kernel, "while (true) {}", 100, t));
  assertInterrupted(await interruptAfter(kernel, "await sleep(10);\nlet n = 0;\nfor (;;) n += Math.sqrt(n);", 100, t));
  assert.equal(resultText(await kernel.execute("kept + 2")), "43");

  const waiting = new Promise<WireMessage>((resolve) => kernel.once("input_request", resolve));
  const running = kernel.execute("await input('never answered')", { allowStdin: true });
  await waiting;
  kernel.interrupt();
  assertInterrupted(await running);
  // The wait that was interrupted is over: the next one asks anew.
  const answers = answerInputs(kernel);
  try {
    assert.equal(resultText(await kernel.execute("await input('once more')", { allowStdin: true })), "'Ada 1'");
    assert.deepEqual(answers.asked, ["once more"]);
  } finally {
    answers.stop();
  }
});

test("an interrupt that cannot reach a cell busy outside its loops says why in one line, and stops the cell at its next loop", async (t) => {
  const result = await interruptAfter(kernel, "require('node:child_process').execSync('sleep 2');\nfor (;;) {}", 100, t);
  assertInterrupted(result);
  assert.deepEqual(streamText(result, "stderr").split("\n").filter(Boolean), [UNREACHED]);
});

test("an interrupt stops only the cell it was meant for: not the next one, nor one queued behind a spinning cell", async () => {
  kernel.interrupt();
  await sleep(200);
  assert.equal(resultText(await kernel.execute("await sleep(50);\nkept + 3")), "44");
  // SIGINT ends the spin before the main thread reads the interrupt message; that message must not stop the cell queued next.
  const spinning = kernel.execute("while (true) {}", { stopOnError: false });
  const queued = kernel.execute("await sleep(100);\nkept + 4", { stopOnError: false });
  await waitFor(() => kernel.executionState === "busy");
  await sleep(200);
  kernel.interrupt();
  assertInterrupted(await spinning);
  assert.equal(resultText(await queued), "45");
});

test("completion and inspect answer while a cell spins", async () => {
  const spinning = kernel.execute("console.log('spinning');\nwhile (true) {}");
  await waitFor(() => kernel.executionState === "busy");
  await sleep(300);
  const completed = await kernel.request("control", "complete_request", { code: "tf.GradientT", cursor_pos: 12 });
  assert.ok(completed.reply.content.matches.includes("GradientTape"), JSON.stringify(completed.reply.content.matches));
  const inspected = await kernel.request("control", "inspect_request", { code: "tf.GradientTape", cursor_pos: 8, detail_level: 0 });
  assert.equal(inspected.reply.content.found, true);
  kernel.interrupt();
  assertInterrupted(await spinning);
});

test("output printed just before process.exit() reaches the frontend, and shutdown ends a kernel whose cell spins", async () => {
  const exiting = await startKernel();
  const exitCode = new Promise<number | null>((resolve) => exiting.once("exit", (exit: { code: number | null }) => resolve(exit.code)));
  const printed: string[] = [];
  const collect = (message: WireMessage) => { if (message.header.msg_type === "stream") printed.push(message.content.text); };
  await assert.rejects(exiting.execute("console.log('bye', 'for now');\nprocess.exit(0);", { onIopub: collect }));
  assert.deepEqual({ code: await exitCode, printed }, { code: 0, printed: ["bye for now\n"] });

  const stuck = await startKernel();
  const ended = new Promise<{ code: number | null; signal: string | null }>((resolve) => stuck.once("exit", resolve));
  stuck.execute("while (true) {}").catch(() => undefined);
  await waitFor(() => stuck.executionState === "busy");
  await stuck.shutdown();
  const { code, signal } = await ended;
  assert.ok(code === 0 || signal === "SIGKILL", `exit ${code} ${signal}`);
});

/** Runs drive_kernel.py's interrupt scenario (a cell, a spin, an await, each interrupted, then shutdown) on a kernelspec. */
async function driveInterrupts(env: JupyterEnv, name: string): Promise<Record<string, any>> {
  const child = spawn(PYTHON, [join(__dirname, "jupyter", "drive_kernel.py"), name, "interrupt"], { env: env.env, cwd: env.home });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (chunk) => { stdout += chunk; });
  child.stderr.on("data", (chunk) => { stderr += chunk; });
  const code = await new Promise<number | null>((resolve) => child.on("close", resolve));
  assert.equal(code, 0, stderr);
  return JSON.parse(stdout);
}

test("jupyter_client runs cells, interrupts a spinning and an awaiting cell (by message and by SIGINT), and shuts the kernel down over ZeroMQ", { timeout: 180_000 }, async () => {
  const jupyter = await jupyterEnvironment();
  try {
    const kernels = join(jupyter.prefix, "share", "jupyter", "kernels");
    const installed = JSON.parse(readFileSync(join(kernels, KERNEL_NAME, "kernel.json"), "utf8"));
    for (const interruptMode of ["message", "signal"]) {
      const name = `${KERNEL_NAME}-without-shared-memory-${interruptMode}`;
      mkdirSync(join(kernels, name), { recursive: true });
      const argv = [process.execPath, WITHOUT_SHARED_MEMORY, AGNB_BIN, "kernel", "--connection-file", "{connection_file}"];
      writeFileSync(join(kernels, name, "kernel.json"), JSON.stringify({ ...installed, argv, interrupt_mode: interruptMode }));
      const seen = await driveInterrupts(jupyter, name);
      for (const cell of ["spin", "await"]) {
        assert.equal(seen[cell].ename, "KeyboardInterrupt", `${cell} (${interruptMode})`);
        assert.ok(seen[cell].seconds < 5, `${cell} (${interruptMode}) stopped in ${seen[cell].seconds} s`);
        assert.ok(seen[cell].beating, `the heartbeat answers while ${cell} runs`);
      }
      assert.deepEqual(seen.after_spin.texts, ["42"]);
      assert.deepEqual(seen.after_await.texts, ["43"]);
      assert.equal(seen.alive_after_shutdown, false);
    }
  } finally {
    jupyter.cleanup();
  }
});
