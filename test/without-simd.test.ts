/**
 * Runtimes without WebAssembly SIMD or without shared memory (older Electron, browsers without
 * cross-origin isolation) compute on the JavaScript backend with a one-line note, never a crash:
 * a small training program as a user's script, and notebook cells through the real kernel
 * (which, without SharedArrayBuffer, gives up only what needs it:
 * kernel-without-shared-memory.test.ts).
 *
 * Node 20 has no switch that turns WebAssembly SIMD off (`--no-experimental-wasm-simd` is gone
 * since SIMD shipped); `--no-enable-sse4-1` tells V8 the processor lacks SSE4.1, and V8 then
 * validates no SIMD module, as on a machine without it. `--no-harmony-sharedarraybuffer`
 * removes SharedArrayBuffer, and a preloaded script makes `WebAssembly.Memory({shared: true})`
 * throw, as a runtime without WebAssembly threads does.
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { build } from "esbuild";
import { ROOT, buildKernelBundles } from "../kernel/bundles";
import { KERNEL_NODE_ARGS, KernelClient, type RequestResult } from "../kernel/client";

const folder = join(ROOT, ".test-output", `without-simd-${process.pid}`);
const engineBundle = join(folder, "engine.cjs");
const noSharedWasmMemory = join(folder, "no-shared-wasm-memory.cjs");
const program = join(folder, "train.cjs");

const note = (missing: string) => `${missing} is not available in this runtime: the engine computes with its JavaScript backend`;

const RUNTIMES = [
  { name: "without WebAssembly SIMD", nodeArgs: ["--no-enable-sse4-1"], note: note("WebAssembly SIMD") },
  { name: "without SharedArrayBuffer", nodeArgs: ["--no-harmony-sharedarraybuffer"], note: note("shared memory (SharedArrayBuffer)") },
  { name: "where WebAssembly.Memory({shared: true}) throws", nodeArgs: ["--require", noSharedWasmMemory], note: note("shared WebAssembly memory") },
];

// A Dense layer fitted by SGD, then the backend's name and the losses, as one JSON line.
const TRAINING = (engine: string) => `
const tf = require(${JSON.stringify(engine)});
const x = tf.random.normal([256, 8], { seed: 1 });
const y = tf.matmul(x, tf.constant([1, 2, 3, 4, 5, 6, 7, 8], [8, 1]));
const model = new tf.keras.Sequential([new tf.keras.layers.Dense(1, { inputShape: [8] })]);
model.compile({ optimizer: new tf.optimizers.SGD({ learningRate: 0.05 }), loss: "mean_squared_error" });
model.fit(x, y, { epochs: 20, batchSize: 32, verbose: 0 }).then((history) => {
  const losses = history.history.loss;
  console.log(JSON.stringify({ backend: tf.getBackend(), first: losses[0], last: losses[losses.length - 1], product: tf.matmul(tf.ones([300, 300]), tf.ones([300, 300])).dataSync()[0] }));
});
`;

before(async () => {
  mkdirSync(folder, { recursive: true });
  await build({ entryPoints: [join(ROOT, "engine/index.ts")], outfile: engineBundle, bundle: true, platform: "node", format: "cjs", target: "node20", logLevel: "warning" });
  writeFileSync(noSharedWasmMemory, `
const Memory = WebAssembly.Memory;
WebAssembly.Memory = function (descriptor) {
  if (descriptor && descriptor.shared) throw new RangeError("WebAssembly.Memory(): shared memory is not supported here");
  return new Memory(descriptor);
};
WebAssembly.Memory.prototype = Memory.prototype;
`);
  writeFileSync(program, TRAINING(engineBundle));
});
after(() => rmSync(folder, { recursive: true, force: true }));

test("each runtime switch really takes away what it stands for", () => {
  const probe = `let simd, shared;
try { simd = WebAssembly.validate(new Uint8Array([0,97,115,109,1,0,0,0,1,5,1,96,0,1,123,3,2,1,0,10,22,1,20,0,253,12,${new Array(16).fill(0).join(",")},11])); } catch { simd = false; }
try { shared = new WebAssembly.Memory({ initial: 1, maximum: 1, shared: true }).buffer instanceof SharedArrayBuffer; } catch { shared = false; }
console.log(JSON.stringify({ simd, shared }));`;
  const seen = (nodeArgs: string[]) => JSON.parse(spawnSync(process.execPath, [...nodeArgs, "-e", probe], { encoding: "utf8" }).stdout);
  assert.deepEqual(seen([]), { simd: true, shared: true }, "this machine has both, so each switch below shows its own effect");
  assert.deepEqual(RUNTIMES.map((runtime) => seen(runtime.nodeArgs)), [{ simd: false, shared: true }, { simd: true, shared: false }, { simd: true, shared: false }]);
});

for (const runtime of RUNTIMES) {
  test(`a training program ${runtime.name} runs on the JavaScript backend, with one line saying so`, () => {
    const run = spawnSync(process.execPath, [...runtime.nodeArgs, program], { encoding: "utf8", timeout: 120_000 });
    assert.equal(run.status, 0, run.stderr);
    const result = JSON.parse(run.stdout.trim().split("\n").pop()!);
    assert.equal(result.backend, "js");
    assert.ok(result.last < result.first / 10, `the loss fell from ${result.first} to ${result.last}`);
    assert.equal(result.product, 300, "a product large enough for the matrix kernels");
    const lines = run.stderr.trim().split("\n");
    assert.equal(lines.length, 1, run.stderr);
    assert.equal(lines[0], runtime.note);
  });
}

const outputs = (result: RequestResult, type: string) => result.iopub.filter((message) => message.header.msg_type === type);

for (const runtime of RUNTIMES) {
  test(`notebook cells run through the kernel ${runtime.name}, on the JavaScript backend`, { timeout: 120_000 }, async () => {
    const kernel = new KernelClient({ kernelScript: (await buildKernelBundles()).kernel, nodeArgs: [...KERNEL_NODE_ARGS, ...runtime.nodeArgs], cwd: folder });
    const stderr: string[] = [];
    kernel.on("stderr", (text: string) => stderr.push(text));
    try {
      await kernel.start();
      const cell = await kernel.execute([
        "const w = new tf.Variable(5.0);",
        "const tape = new tf.GradientTape();",
        "const loss = tape.record(() => tf.square(w));",
        "const big = tf.ones([200, 200]).matmul(tf.ones([200, 200]));",
        "`${tf.getBackend()} ${tape.gradient(loss, w)} ${big.dataSync()[0]}`",
      ].join("\n"));
      assert.equal(cell.reply.content.status, "ok", JSON.stringify(cell.reply.content));
      assert.equal(outputs(cell, "execute_result")[0].content.data["text/plain"], "'js tf.Tensor(10.0, shape=(), dtype=float32) 200'");
      const notes = [...outputs(cell, "stream").map((message) => String(message.content.text)), ...stderr].join("").trim().split("\n").filter(Boolean);
      assert.equal(notes.length, 1, notes.join("\n"));
      assert.equal(notes[0], runtime.note);
    } finally {
      await kernel.shutdown();
    }
  });
}
