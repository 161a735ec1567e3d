/**
 * Editor requests through the real kernel process: typed completion and inspect replies from the
 * type checker's thread, signature help, diagnostics of a cell being edited, the Variables list,
 * and that none of them waits behind a running cell or runs a user's getter.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { KernelClient } from "../kernel/client";
import { buildKernelBundles } from "../kernel/bundles";
import type { MessageType } from "../kernel/messages";

interface TypedMatch { text: string; type: string; signature: string; documentation?: string; start: number; end: number }

describe("editor requests answered by the kernel", { timeout: 180_000 }, () => {
  let kernel: KernelClient;
  const ask = async (msgType: string, content: Record<string, unknown>, channel: "shell" | "control" = "shell") =>
    (await kernel.request(channel, msgType as MessageType, content)).reply.content;
  const typedMatches = async (code: string, cursor = [...code].length) => {
    const content = await ask("complete_request", { code, cursor_pos: cursor });
    assert.equal(content.status, "ok");
    assert.equal(content.matches.length, new Set(content.matches).size, `no duplicates in ${content.matches.join(", ")}`);
    const typed = content.metadata._jupyter_types_experimental as TypedMatch[];
    assert.deepEqual(typed.map((match) => match.text), content.matches);
    return { content, byName: new Map(typed.map((match) => [match.text, match])) };
  };

  before(async () => {
    const kernelScript = (await buildKernelBundles()).kernel;
    kernel = new KernelClient({ kernelScript, cwd: mkdtempSync(join(tmpdir(), "agnb-intelligence-")) });
    await kernel.start();
    const setup = await kernel.execute([
      "const w = new tf.Variable(5);",
      "/** Scales a number. */",
      "function scale(x: number, by = 2): number { return x * by; }",
      "interface Point { x: number; label: string }",
      "const parsed = JSON.parse('{\"alpha\": 1, \"beta\": [2]}');",
      "let getterRuns = 0;",
      "const trap: any = { get boom() { getterRuns += 1; return 1; } };",
      "Object.defineProperty(globalThis, 'lazyGlobal', { get() { getterRuns += 1; return 2; } });",
    ].join("\n"));
    assert.equal(setup.reply.content.status, "ok", JSON.stringify(setup.iopub.map((m) => m.content)));
  });
  after(() => kernel.shutdown());

  test("w. lists the variable's methods with their signatures; a prefix narrows them", async () => {
    const { content, byName } = await typedMatches("w.");
    for (const name of ["assign", "assignAdd", "square", "numpy", "shape"]) assert.ok(byName.has(name), `w. offers ${name}`);
    assert.equal(content.cursor_start, 2);
    assert.equal(byName.get("assign")!.type, "method");
    assert.match(byName.get("assign")!.signature, /assign\(value: tf\.TensorLike\): tf\.Variable/);
    assert.match(byName.get("square")!.signature, /=> tf\.Tensor/);
    const narrowed = await typedMatches("w.ass");
    assert.deepEqual(narrowed.content.matches.filter((name: string) => !name.startsWith("assign")), []);
    assert.equal(narrowed.content.cursor_start, 2);
    assert.equal(narrowed.content.cursor_end, 5);
  });

  test("tf. lists the engine API with doc comments", async () => {
    const { byName } = await typedMatches("tf.");
    for (const name of ["matmul", "GradientTape", "Variable", "keras", "hessian"]) assert.ok(byName.has(name), `tf. offers ${name}`);
    assert.match(byName.get("hessian")!.documentation ?? "", /second derivatives/i);
    assert.match(byName.get("matmul")!.signature, /matmul\(a: tf\.TensorLike, b: tf\.TensorLike/);
  });

  test("an earlier cell's function and interface complete with their types", async () => {
    const fn = await typedMatches("sca");
    assert.match(fn.byName.get("scale")!.signature, /scale\(x: number, by\?: number\): number/);
    const members = await typedMatches("const p: Point = { x: 1, label: 'a' };\np.");
    assert.deepEqual([...members.byName.keys()].sort(), ["label", "x"]);
    assert.match(members.byName.get("label")!.signature, /label: string/);
  });

  test("keys of a parsed JSON object (any to types) come from the live value", async () => {
    const { content } = await typedMatches("parsed.");
    assert.deepEqual(content.matches.filter((name: string) => ["alpha", "beta"].includes(name)), ["alpha", "beta"]);
  });

  test("hover: the type as users write it, the doc comment, and the live value", async () => {
    const variable = await ask("inspect_request", { code: "w", cursor_pos: 1, detail_level: 0 });
    assert.equal(variable.found, true);
    assert.match(variable.data["text/plain"], /^const w: tf\.Variable/);
    assert.match(variable.data["text/plain"], /5/);
    assert.match(variable.data["text/markdown"], /```typescript\nconst w: tf\.Variable\n```/);
    const documented = await ask("inspect_request", { code: "scale(3)", cursor_pos: 2 });
    assert.match(documented.data["text/plain"], /scale\(x: number, by\?: number\): number\n\nScales a number\./);
    assert.equal((await ask("inspect_request", { code: "nothingHere", cursor_pos: 3 })).found, false);
  });

  test("signature help inside tf.matmul( follows the argument", async () => {
    const first = await ask("agnb_signature_request", { code: "tf.matmul(", cursor_pos: 10 });
    assert.match(first.signatures[0].label, /^matmul\(a: tf\.TensorLike, b: tf\.TensorLike, transposeA\?: boolean, transposeB\?: boolean\): tf\.Tensor$/);
    assert.deepEqual(first.signatures[0].parameters.map((p: { label: string }) => p.label.split(":")[0]), ["a", "b", "transposeA?", "transposeB?"]);
    assert.equal(first.activeParameter, 0);
    assert.equal((await ask("agnb_signature_request", { code: "tf.matmul(w, ", cursor_pos: 13 })).activeParameter, 1);
    assert.deepEqual((await ask("agnb_signature_request", { code: "w", cursor_pos: 1 })).signatures, []);
  });

  test("diagnostics of a cell being edited are the problems that would refuse its run, and none once fixed", async () => {
    const code = "let rate: number = 1;\nrate = 'fast';\nw.assign('x');";
    const edited = await ask("agnb_diagnostics_request", { code, cursor_pos: 0 });
    const refused = await kernel.execute(code);
    const error = refused.iopub.find((m) => m.header.msg_type === "error")!.content;
    assert.equal(error.ename, "TypeScriptError");
    assert.ok(edited.agnb_problems.length >= 2);
    assert.deepEqual(edited.agnb_problems, error.agnb_problems);
    assert.deepEqual((await ask("agnb_diagnostics_request", { code: "let rate: number = 1;\nrate = 2;" })).agnb_problems, []);
    // Asking about an edited cell does not change what the next run is checked against.
    assert.equal((await kernel.execute("const checked: number = scale(2);\nchecked")).reply.content.status, "ok");
  });

  test("completion, hover and diagnostics answer while a cell spins for seconds, and on control", async () => {
    const spinning = kernel.execute("const spinStart = Date.now();\nwhile (Date.now() - spinStart < 4000) {}\n'done'");
    await new Promise((resolve) => setTimeout(resolve, 300));
    const started = performance.now();
    const { byName } = await typedMatches("w.assignA");
    assert.ok(byName.has("assignAdd"));
    assert.equal((await ask("inspect_request", { code: "w", cursor_pos: 1 })).found, true);
    assert.equal((await ask("agnb_diagnostics_request", { code: "const n: number = 'x';" })).agnb_problems[0].code, 2322);
    const statuses: string[] = [];
    const onStatus = (message: { header: { msg_type: string }; content: { execution_state?: string } }) => {
      if (message.header.msg_type === "status") statuses.push(message.content.execution_state!);
    };
    kernel.on("iopub", onStatus);
    const onControl = await ask("complete_request", { code: "w.squ", cursor_pos: 5 }, "control");
    kernel.off("iopub", onStatus);
    assert.ok(onControl.matches.includes("square"));
    assert.deepEqual(statuses, [], "no status on control: the spinning cell still shows busy");
    const answeredMs = performance.now() - started;
    assert.ok(answeredMs < 2500, `answered in ${answeredMs.toFixed(0)} ms while the cell spins for 4 s`);
    assert.equal((await spinning).reply.content.status, "ok");
  });

  test("the Variables list: types, tensor shape, dtype and statistics, and one value as a bundle", async () => {
    const declared = await kernel.execute("const big = tf.zeros([1000, 1000]);\nconst steps = tf.constant([1, 2, 6], [3], 'int32');\nconst title = 'run';\nlet ratio = 0.5;");
    assert.equal(declared.reply.content.status, "ok");
    const { variables } = await ask("agnb_variables_request", {});
    const byName = new Map<string, { type: string }>(variables.map((entry: { name: string; type: string }) => [entry.name, entry]));
    assert.deepEqual(byName.get("w"), { name: "w", type: "tf.Variable", tensor: { shape: [], dtype: "float32", size: 1, min: 5, max: 5, mean: 5 } });
    assert.deepEqual(byName.get("big"), { name: "big", type: "tf.Tensor", tensor: { shape: [1000, 1000], dtype: "float32", size: 1e6, min: 0, max: 0, mean: 0 } });
    assert.deepEqual(byName.get("steps"), { name: "steps", type: "tf.Tensor", tensor: { shape: [3], dtype: "int32", size: 3, min: 1, max: 6, mean: 3 } });
    assert.deepEqual(byName.get("title"), { name: "title", type: "string", value: '"run"' });
    assert.deepEqual(byName.get("ratio"), { name: "ratio", type: "number", value: "0.5" });
    assert.equal(byName.get("scale")?.type, "function");
    assert.equal(byName.get("lazyGlobal")?.type, "getter");
    assert.equal(byName.has("tf"), false);
    assert.equal(byName.has("display"), false);
    const one = await ask("agnb_variables_request", { name: "w" });
    assert.match(one.data["text/plain"], /tf\.Variable/);
    assert.ok(one.data["application/vnd.agnb.tensor+json"], "a tensor's bundle for our renderer");
    assert.equal((await ask("agnb_variables_request", { name: "notDeclared" })).ename, "NameError");
  });

  test("thousands of variables and a huge tensor list quickly, and a new value is summarised anew", async () => {
    await kernel.execute("for (let i = 0; i < 3000; i++) (globalThis as any)['many' + i] = tf.ones([4]);\nconst huge = tf.ones([4000, 1000]);");
    await ask("agnb_variables_request", {});
    const started = performance.now();
    const { variables } = await ask("agnb_variables_request", {});
    const elapsed = performance.now() - started;
    assert.ok(variables.length > 3000);
    assert.ok(elapsed < 500, `listed ${variables.length} variables in ${elapsed.toFixed(0)} ms`);
    assert.equal(variables.find((entry: { name: string }) => entry.name === "huge").tensor.mean, 1);
    await kernel.execute("w.assign(-3);");
    const after = (await ask("agnb_variables_request", {})).variables.find((entry: { name: string }) => entry.name === "w");
    assert.deepEqual([after.tensor.min, after.tensor.max], [-3, -3]);
  });

  test("no getter runs to complete, inspect or list variables", async () => {
    await typedMatches("trap.");
    await typedMatches("trap.bo");
    await ask("inspect_request", { code: "trap.boom", cursor_pos: 8 });
    await typedMatches("lazyG");
    await ask("agnb_variables_request", {});
    const runs = await kernel.execute("getterRuns");
    assert.equal(runs.iopub.find((m) => m.header.msg_type === "execute_result")!.content.data["text/plain"], "0");
    const members = await typedMatches("trap.bo");
    assert.deepEqual(members.content.matches, ["boom"]);
  });
});

describe("editor requests with type checking off", { timeout: 60_000 }, () => {
  test("completion and inspect come from the live values, diagnostics are empty", async () => {
    const kernelScript = (await buildKernelBundles()).kernel;
    const kernel = new KernelClient({ kernelScript, cwd: mkdtempSync(join(tmpdir(), "agnb-untyped-")), env: { ...process.env, AGNB_TYPECHECK: "off" } });
    await kernel.start();
    try {
      await kernel.execute("const w = new tf.Variable(5);");
      const ask = async (msgType: string, content: Record<string, unknown>) => (await kernel.request("control", msgType as MessageType, content)).reply.content;
      const members = await ask("complete_request", { code: "w.assi", cursor_pos: 6 });
      assert.deepEqual(members.matches.filter((name: string) => name.startsWith("assign")).sort(), ["assign", "assignAdd", "assignSub"]);
      const value = await ask("inspect_request", { code: "w", cursor_pos: 1 });
      assert.equal(value.found, true);
      assert.match(value.data["text/plain"], /tf\.Variable/);
      assert.deepEqual((await ask("agnb_diagnostics_request", { code: "const n: number = 'x';", cursor_pos: 0 })).agnb_problems, []);
    } finally {
      await kernel.shutdown();
    }
  });
});
