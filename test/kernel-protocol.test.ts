/**
 * Drives the real kernel process (the bundle the package ships) with Jupyter messages over its
 * local transport (fd 3), through KernelClient.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { KernelClient, KernelExitedError, type RequestResult } from "../kernel/client";
import { buildKernelBundles } from "../kernel/bundles";
import type { WireMessage } from "../kernel/messages";

const TENSOR = "application/vnd.agnb.tensor+json";

function ofType(result: RequestResult, type: string): WireMessage[] {
  return result.iopub.filter((message) => message.header.msg_type === type);
}
function resultText(result: RequestResult): string | undefined {
  return ofType(result, "execute_result")[0]?.content.data["text/plain"];
}
function streamText(result: RequestResult, name = "stdout"): string {
  return ofType(result, "stream").filter((m) => m.content.name === name).map((m) => m.content.text).join("");
}

/** A folder with an npm package of each kind, as a notebook's folder might have. */
function notebookFolder(): string {
  const folder = mkdtempSync(join(tmpdir(), "agnb-kernel-"));
  const cjs = join(folder, "node_modules", "cjs-greeter");
  const esm = join(folder, "node_modules", "esm-only-greeter");
  mkdirSync(cjs, { recursive: true });
  mkdirSync(esm, { recursive: true });
  writeFileSync(join(cjs, "package.json"), JSON.stringify({ name: "cjs-greeter", main: "index.js" }));
  writeFileSync(join(cjs, "index.js"), "exports.greet = (name) => `hello ${name} from cjs`;");
  writeFileSync(join(esm, "package.json"), JSON.stringify({ name: "esm-only-greeter", type: "module", exports: { import: "./index.js" } }));
  writeFileSync(join(esm, "index.js"), "export const greet = (name) => `hello ${name} from esm`; export default 42;");
  return folder;
}

describe("kernel over the local transport", { timeout: 120_000 }, () => {
  let kernel: KernelClient;
  let kernelScript: string;
  const folder = notebookFolder();

  before(async () => {
    kernelScript = (await buildKernelBundles()).kernel;
    kernel = new KernelClient({ kernelScript, cwd: folder });
    const info = await kernel.start();
    assert.equal(info.content.protocol_version, "5.3");
    assert.equal(info.content.language_info.name, "typescript");
  });
  after(() => kernel.shutdown());

  test("execute: counts, the seed's gradient, and the last value displayed unless it ends with ;", async () => {
    const first = await kernel.execute("const w = new tf.Variable(5.0);\nconst tape = new tf.GradientTape();\nconst loss = tape.record(() => tf.square(w));\ntape.gradient(loss, w)");
    assert.equal(first.reply.content.status, "ok");
    const count = first.reply.content.execution_count;
    assert.equal(ofType(first, "execute_input")[0].content.execution_count, count);
    assert.equal(resultText(first), "tf.Tensor(10.0, shape=(), dtype=float32)");
    assert.equal(ofType(first, "execute_result")[0].content.data[TENSOR].entries[0].data.values, 10);
    const hidden = await kernel.execute("w.numpy();");
    assert.equal(hidden.reply.content.execution_count, count + 1);
    assert.equal(ofType(hidden, "execute_result").length, 0);
    const tapeShown = await kernel.execute("tape");
    assert.ok(ofType(tapeShown, "execute_result")[0].content.data["application/vnd.agnb.tape+json"].nodes.length >= 1);
  });

  test("declarations persist, a re-run may declare const again, and top-level await works", async () => {
    await kernel.execute("const base = 2;\nfunction twice(v: number): number { return v * base }\nclass Box { constructor(public v: number) {} }");
    assert.equal(resultText(await kernel.execute("twice(new Box(21).v)")), "42");
    assert.equal((await kernel.execute("const base = 3;")).reply.content.status, "ok");
    assert.equal(resultText(await kernel.execute("const { a, b: [c] } = { a: 1, b: [await Promise.resolve(2)] };\na + c + twice(1)")), "6");
  });

  test("console and process output become stream messages in order, without corrupting the channel", async () => {
    const result = await kernel.execute("console.log('one');\nconsole.error('two');\nprocess.stdout.write('three\\n');\nconsole.log({ four: 4 });");
    const streams = ofType(result, "stream").map((m) => [m.content.name, m.content.text]);
    assert.deepEqual(streams, [["stdout", "one\n"], ["stderr", "two\n"], ["stdout", "three\n{ four: 4 }\n"]]);
  });

  test("output arrives while the cell is still running, also when it then spins", async () => {
    const seenWhileBusy: string[] = [];
    const onIopub = (message: WireMessage) => {
      if (message.header.msg_type === "stream" && kernel.executionState === "busy") seenWhileBusy.push(message.content.text);
    };
    await kernel.execute("console.log('before waiting');\nawait new Promise((resolve) => setTimeout(resolve, 200));", { onIopub });
    await kernel.execute("console.log('before spinning');\nconst until = Date.now() + 200;\nwhile (Date.now() < until) {}", { onIopub });
    assert.deepEqual(seenWhileBusy, ["before waiting\n", "before spinning\n"]);
  });

  test("errors from background work after a cell finished are reported, and the kernel lives on", async () => {
    await kernel.execute("setTimeout(() => { throw new Error('late failure'); }, 10);");
    const later = await kernel.execute("await new Promise((resolve) => setTimeout(resolve, 100));\n'after'");
    assert.match(streamText(later, "stderr"), /Uncaught \(in background work\): Error: late failure/);
    assert.equal(resultText(later), "'after'");
  });

  test("display, display with an id, and update", async () => {
    const result = await kernel.execute("display(tf.constant([1, 2]));\nconst handle = display('first', { id: 'progress' });\nhandle.update('second');");
    const [plain, named] = ofType(result, "display_data");
    assert.deepEqual(plain.content.data[TENSOR].entries[0].data.values, [1, 2]);
    assert.equal(named.content.transient.display_id, "progress");
    const [update] = ofType(result, "update_display_data");
    assert.equal(update.content.transient.display_id, "progress");
    assert.equal(update.content.data["text/plain"], "'second'");
  });

  test("clearOutput() sends clear_output", async () => {
    const result = await kernel.execute("console.log('gone soon');\nclearOutput(true);\nconsole.log('stays');");
    const types = result.iopub.map((m) => m.header.msg_type).filter((t) => t !== "execute_input");
    assert.deepEqual(types, ["stream", "clear_output", "stream"]);
    assert.equal(ofType(result, "clear_output")[0].content.wait, true);
  });

  test("gradient lists display with the sources' names", async () => {
    const result = await kernel.execute(
      "const W = new tf.Variable(tf.constant([2.0]), { name: 'weight' });\nconst b = new tf.Variable(tf.constant([1.0]), { name: 'bias' });\n" +
      "const t2 = new tf.GradientTape();\nconst l2 = t2.record(() => tf.reduceSum(tf.add(tf.mul(W, 3), b)));\nt2.gradient(l2, [W, b])",
    );
    const payload = ofType(result, "execute_result")[0].content.data[TENSOR];
    assert.equal(payload.structure, "array");
    assert.deepEqual(payload.entries.map((e: { data: { values: number[] } }) => e.data.values), [[3], [1]]);
    assert.match(resultText(result)!, /weight/);
  });

  test("a runtime error names the cell, line and column of the TypeScript and keeps the engine's message", async () => {
    const result = await kernel.execute("// a comment line\nconst once = new tf.GradientTape();\nconst y2 = once.record(() => tf.square(w));\nonce.gradient(y2, w);\nconst again: number = 1; once.gradient(y2, w);");
    const count = result.reply.content.execution_count;
    const [error] = ofType(result, "error");
    assert.equal(error.content.ename, "Error");
    assert.match(error.content.evalue, /non-persistent GradientTape/);
    assert.equal(error.content.traceback[0], `Cell In[${count}], line 5, column 31`);
    assert.deepEqual(error.content.agnb_location, { cell: count, line: 5, column: 31 });
    assert.ok(error.content.traceback.every((line: string) => !line.includes("agnb-cell")), "frames are mapped to cells");
  });

  test("errors in functions from earlier cells point at the cell that defined them", async () => {
    const definition = await kernel.execute("function explode(): never {\n  throw new RangeError('boom');\n}");
    const call = await kernel.execute("explode()");
    const traceback: string[] = ofType(call, "error")[0].content.traceback;
    assert.ok(traceback.includes(`    at explode (Cell In[${definition.reply.content.execution_count}], line 2, column 9)`), traceback.join("\n"));
    assert.ok(traceback.includes(`    at Cell In[${call.reply.content.execution_count}], line 1, column 1`), traceback.join("\n"));
  });

  test("a syntax error names line and column, and the kernel stays alive", async () => {
    const result = await kernel.execute("const ok = 1;\nconst broken = (1 + ;");
    const [error] = ofType(result, "error");
    assert.equal(error.content.ename, "SyntaxError");
    assert.match(error.content.traceback[0], /line 2, column 21$/);
    assert.equal(resultText(await kernel.execute("1 + 1")), "2");
  });

  test("a type error names line and column; the cell does not run, and the variables it would change are kept", async () => {
    assert.equal(ofType(await kernel.execute("let budget = 3;\nconst weights = new tf.Variable([1, 2]);"), "error").length, 0);
    const result = await kernel.execute("console.log('side effect');\nbudget = 0;\nconst total: number = weights.sum();");
    const [error] = ofType(result, "error");
    assert.equal(result.reply.content.status, "error");
    assert.equal(error.content.ename, "TypeScriptError");
    assert.equal(error.content.evalue, "Type 'Tensor' is not assignable to type 'number'. (TS2322)");
    const count = result.reply.content.execution_count;
    assert.deepEqual(error.content.traceback, [
      `Cell In[${count}], line 3, column 7`,
      "    const total: number = weights.sum();",
      "          ^",
      "TS2322: Type 'Tensor' is not assignable to type 'number'.",
    ]);
    assert.deepEqual(error.content.agnb_location, { cell: count, line: 3, column: 7 });
    assert.deepEqual(error.content.agnb_problems, [
      { line: 3, column: 7, endLine: 3, endColumn: 12, code: 2322, message: "Type 'Tensor' is not assignable to type 'number'." },
    ]);
    assert.equal(streamText(result), "");
    assert.equal(resultText(await kernel.execute("budget")), "3");
    assert.equal(ofType(await kernel.execute("const total: number = weights.sum().item();"), "error").length, 0);
  });

  test("bad input: a thrown non-Error value and megabytes of printing; the kernel stays responsive", async () => {
    const thrown = await kernel.execute("throw { code: 42 }");
    assert.equal(ofType(thrown, "error")[0].content.ename, "Uncaught");
    assert.match(ofType(thrown, "error")[0].content.evalue, /code: 42/);

    const odd = await kernel.execute("({ [Symbol.for('Jupyter.display')]: () => ({ 'application/x-odd+json': { big: 1n }, 'text/plain': 'odd' }) })");
    assert.deepEqual(Object.keys(ofType(odd, "execute_result")[0].content.data), ["text/plain"]);
    assert.match(ofType(odd, "execute_result")[0].content.data["text/plain"], /^odd\n\[application\/x-odd\+json left out: not JSON/);

    const flood = await kernel.execute("const line = 'x'.repeat(99) + '\\n';\nfor (let i = 0; i < 40000; i++) console.log(line);");
    const printed = streamText(flood);
    assert.ok(printed.length <= 1_000_000, `printed ${printed.length} characters`);
    assert.match(streamText(flood, "stderr"), /output capped at 1000 kB: \d+ kB more not shown/);
    assert.equal(resultText(await kernel.execute("'still here'")), "'still here'");
  });

  test("bad input: a huge tensor is displayed as a summary with its shape, not a million numbers", async () => {
    const huge = await kernel.execute("tf.zeros([1000, 1000])");
    const data = ofType(huge, "execute_result")[0].content.data;
    assert.ok(data["text/plain"].length < 5000, "the text is a summary");
    assert.match(data["text/plain"], /shape=\(1000, 1000\)/);
    assert.equal(data[TENSOR].entries[0].data.values, undefined);
    assert.equal(data[TENSOR].entries[0].data.summary.max, 0);
    assert.equal(resultText(await kernel.execute("'alive'")), "'alive'");
  });

  test("imports resolve from the notebook's folder (CommonJS and ESM) and the engine is the kernel's own", async () => {
    const result = await kernel.execute(
      "import { greet } from 'cjs-greeter';\nimport esmDefault, { greet as greetEsm } from 'esm-only-greeter';\nimport * as engine from 'autograd-notebook';\n" +
      "[greet('a'), greetEsm('b'), esmDefault, engine.constant(1) instanceof tf.Tensor, require('cjs-greeter').greet('c')]",
    );
    assert.equal(resultText(result), "[ 'hello a from cjs', 'hello b from esm', 42, true, 'hello c from cjs' ]");
    const missing = await kernel.execute("import 'not-installed-anywhere';");
    assert.match(ofType(missing, "error")[0].content.evalue, /Cannot find module 'not-installed-anywhere' from the notebook's folder/);
  });

  test("complete: names in scope, members of engine objects, the engine API", async () => {
    await kernel.execute("const learningRate = 0.1; const someTensor = tf.constant([1]);");
    const scope = (await kernel.complete("learn")).reply.content;
    assert.ok(scope.matches.includes("learningRate"));
    assert.equal(scope.cursor_start, 0);
    const members = (await kernel.complete("someTensor.nu")).reply.content;
    assert.deepEqual(members.matches, ["numpy"]);
    assert.equal(members.cursor_start, "someTensor.".length);
    const api = (await kernel.complete("x = tf.squ")).reply.content;
    assert.ok(api.matches.includes("square"));
    assert.ok((await kernel.complete("tf.keras.layers.")).reply.content.matches.includes("Dense"));
  });

  test("inspect: the signature of engine functions and a summary of values", async () => {
    const fn = (await kernel.inspect("tf.square(x)", 5)).reply.content;
    assert.equal(fn.found, true);
    // An earlier cell imported the engine as `engine`, a name TypeScript may use for its types.
    assert.match(fn.data["text/plain"], /^const square: \(x: (tf|engine)\.TensorLike\) => (tf|engine)\.Tensor$/);
    const method = (await kernel.inspect("tape.gradient", 10)).reply.content;
    assert.match(method.data["text/plain"], /^\(method\) tf\.GradientTape\.gradient.*\(target: .*sources: /);
    const documented = (await kernel.inspect("tf.hessian", 9)).reply.content;
    assert.match(documented.data["text/plain"], /second derivatives/);
    const value = (await kernel.inspect("someTensor", 3)).reply.content;
    assert.match(value.data["text/plain"], /tf\.Tensor\(\[1\.?0?\]/);
    assert.equal((await kernel.inspect("nothingHere", 3)).reply.content.found, false);
  });

  test("is_complete", async () => {
    assert.equal((await kernel.isComplete("const a = 1")).reply.content.status, "complete");
    assert.equal((await kernel.isComplete("function f() {")).reply.content.status, "incomplete");
    assert.equal((await kernel.isComplete("const = ;")).reply.content.status, "invalid");
  });

  test("interrupt stops a busy loop and keeps every earlier variable", async () => {
    await kernel.execute("let spins = 0;");
    const result = await runThenInterrupt(kernel, "while (true) { spins++; }", 200);
    assert.equal(ofType(result, "error")[0].content.ename, "KeyboardInterrupt");
    assert.equal(resultText(await kernel.execute("spins > 0 && w.numpy() === 5")), "true");
  });

  test("interrupt also stops a loop that spins after an await in the same cell", async () => {
    await kernel.execute("let laps = 0;");
    const result = await runThenInterrupt(kernel, "await new Promise((resolve) => setTimeout(resolve, 10));\nfor (;;) { laps++; }", 200);
    assert.equal(ofType(result, "error")[0].content.ename, "KeyboardInterrupt");
    assert.equal(resultText(await kernel.execute("laps > 0")), "true");
    assert.equal(resultText(await kernel.execute("let sum = 0;\nfor (let i = 0; i < 1000; i++) sum += i;\nsum")), "499500", "a stale interrupt does not stop later loops");
  });

  test("interrupt stops model.fit at its next step; the model stays usable and the live display shows progress", async () => {
    await kernel.execute(
      "const xs = tf.constant([[1], [2], [3], [4]]); const ys = tf.constant([[3], [5], [7], [9]]);\n" +
      "const model = new tf.keras.Sequential([new tf.keras.layers.Dense(1, { inputShape: [1] })]);\n" +
      "model.compile({ optimizer: 'sgd', loss: 'mean_squared_error' });\nlet epochsDone = 0;",
    );
    const result = await runThenInterrupt(kernel, "await model.fit(xs, ys, { epochs: 10000000, verbose: 0, callbacks: { onEpochEnd: () => { epochsDone++; } } });", 300);
    assert.equal(ofType(result, "error")[0].content.ename, "KeyboardInterrupt");
    const live = ofType(result, "display_data")[0];
    assert.ok(live.content.data["application/vnd.plotly.v1+json"], "a loss curve is shown while fit runs");
    assert.match(live.content.data["text/plain"], /^Epoch 0\/10000000/);
    const after = await kernel.execute("const stoppedAt = epochsDone;\nawait new Promise((r) => setTimeout(r, 50));\n[stoppedAt > 0, epochsDone === stoppedAt, model.predict(tf.constant([[1]])).shape]");
    assert.equal(resultText(after), "[ true, true, [ 1, 1 ] ]");
  });

  test("an interrupt_request on control stops an awaiting cell", async () => {
    const running = kernel.execute("await new Promise((resolve) => setTimeout(resolve, 60000));");
    await waitFor(() => kernel.executionState === "busy");
    const reply = await kernel.request("control", "interrupt_request", {});
    assert.equal(reply.reply.content.status, "ok");
    assert.equal(ofType(await running, "error")[0].content.ename, "KeyboardInterrupt");
  });

  test("after an error, the cells queued behind it are aborted, not run", async () => {
    const failing = kernel.execute("throw new Error('first fails')");
    const queued = kernel.execute("globalThis.ranAfterError = true");
    assert.equal((await failing).reply.content.status, "error");
    assert.equal((await queued).reply.content.status, "aborted");
    assert.equal(resultText(await kernel.execute("globalThis.ranAfterError === undefined")), "true");
  });

  test("an unknown request gets an error reply naming it; iopub messages can be iterated", async () => {
    const iterator = kernel.iopubMessages();
    const unknown = await kernel.request("shell", "frobnicate_request" as never, {});
    assert.equal(unknown.reply.header.msg_type, "frobnicate_reply");
    assert.equal(unknown.reply.content.status, "error");
    assert.match(unknown.reply.content.evalue, /unsupported request: frobnicate_request/);
    const first = await iterator.next();
    assert.equal(first.value.header.msg_type, "status");
    assert.equal(first.value.content.execution_state, "busy");
    await iterator.return!(undefined);
  });

  test("restart gives a fresh process without the old variables", async () => {
    const restarted = new KernelClient({ kernelScript, cwd: folder });
    await restarted.start();
    try {
      await restarted.execute("const kept = 1;");
      const firstPid = restarted.pid;
      await restarted.restart();
      assert.notEqual(restarted.pid, firstPid);
      const result = await restarted.execute("typeof (globalThis as { kept?: number }).kept");
      assert.equal(resultText(result), "'undefined'");
    } finally {
      await restarted.shutdown();
    }
  });

  test("with AGNB_TYPECHECK=off cells run unchecked", async () => {
    const unchecked = new KernelClient({ kernelScript, cwd: folder, env: { ...process.env, AGNB_TYPECHECK: "off" } });
    await unchecked.start();
    try {
      const result = await unchecked.execute(`const typed: number = "a";\ntyped`);
      assert.equal(resultText(result), "'a'");
      assert.equal(streamText(result, "stderr"), "");
    } finally {
      await unchecked.shutdown();
    }
  });

  test("a kernel that cannot start says why", async () => {
    const broken = new KernelClient({ kernelScript: join(folder, "no-such-kernel.cjs"), cwd: folder });
    await assert.rejects(broken.start(), (error: Error) => {
      assert.ok(error instanceof KernelExitedError);
      assert.match(error.message, /exit code 1\):\n[\s\S]*Cannot find module .*no-such-kernel\.cjs/);
      return true;
    });
  });

  test("a kernel killed from outside is reported and its pending request fails", async () => {
    const doomed = new KernelClient({ kernelScript, cwd: folder });
    await doomed.start();
    const exited = new Promise<{ signal: string | null; expected: boolean }>((resolve) => doomed.once("exit", resolve));
    const pending = doomed.execute("await new Promise(() => {})");
    await waitFor(() => doomed.executionState === "busy");
    process.kill(doomed.pid!, "SIGKILL");
    await assert.rejects(pending, KernelExitedError);
    assert.deepEqual(await exited, { code: null, signal: "SIGKILL", expected: false });
    assert.equal(doomed.alive, false);
  });
});

/** Runs a cell, interrupts it once it has been running for a while, and returns its result. */
async function runThenInterrupt(kernel: KernelClient, code: string, afterMs: number): Promise<RequestResult> {
  const running = kernel.execute(code);
  await waitFor(() => kernel.executionState === "busy");
  setTimeout(() => kernel.interrupt(), afterMs);
  return running;
}

async function waitFor(condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise((resolve) => setTimeout(resolve, 5));
}
