/**
 * Which backend runs: the automatic choice (and its one-line note naming what the runtime lacks), tf.setBackend /
 * tf.getBackend, and the engine's gradient tests passing with every float32 array sent through
 * the WebAssembly kernels. (`npm test` runs all the engine's tests a second time with
 * AGNB_BACKEND=js: scripts/run-tests.mjs.)
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import * as tf from "../core";
import { chooseBackendName } from "./index";

const root = fileURLToPath(new URL("../..", import.meta.url));

test("wasm is chosen when nothing it needs is missing; else js, with one line naming what is missing, never a crash", () => {
  const notes: string[] = [];
  const note = (line: string) => { notes.push(line); };
  assert.equal(chooseBackendName(undefined, [], note), "wasm");
  assert.equal(chooseBackendName("js", [], note), "js");
  assert.equal(chooseBackendName("js", ["WebAssembly SIMD"], note), "js");
  assert.deepEqual(notes, []);
  assert.equal(chooseBackendName(undefined, ["WebAssembly SIMD"], note), "js");
  assert.equal(chooseBackendName("wasm", ["shared WebAssembly memory"], note), "js");
  assert.equal(chooseBackendName(undefined, ["WebAssembly SIMD", "shared memory (SharedArrayBuffer)"], note), "js");
  assert.deepEqual(notes, [
    "WebAssembly SIMD is not available in this runtime: the engine computes with its JavaScript backend",
    "shared WebAssembly memory is not available in this runtime: the engine computes with its JavaScript backend",
    "WebAssembly SIMD and shared memory (SharedArrayBuffer) are not available in this runtime: the engine computes with its JavaScript backend",
  ]);
  assert.equal(chooseBackendName("gpu", [], note), "wasm");
  assert.match(notes[3], /AGNB_BACKEND=gpu is not a backend \(expected js or wasm\)/);
});

// tsx's ES module hooks need SharedArrayBuffer, so these runtimes load the engine through its CommonJS hook.
const PROBE_RUNTIMES = [
  { nodeArgs: [], missing: [], notes: [] },
  { nodeArgs: ["--no-enable-sse4-1"], missing: ["WebAssembly SIMD"], notes: ["WebAssembly SIMD is not available in this runtime: the engine computes with its JavaScript backend"] },
  {
    nodeArgs: ["--no-harmony-sharedarraybuffer"], missing: ["shared memory (SharedArrayBuffer)"],
    notes: ["shared memory (SharedArrayBuffer) is not available in this runtime: the engine computes with its JavaScript backend"],
  },
  {
    nodeArgs: ["--no-enable-sse4-1", "--no-harmony-sharedarraybuffer"], missing: ["WebAssembly SIMD", "shared memory (SharedArrayBuffer)"],
    notes: ["WebAssembly SIMD and shared memory (SharedArrayBuffer) are not available in this runtime: the engine computes with its JavaScript backend"],
  },
];

test("the note names what this runtime lacks: SIMD, shared memory, or both", () => {
  for (const { nodeArgs, missing, notes } of PROBE_RUNTIMES) {
    const probe = spawnSync(process.execPath, [...nodeArgs, "--require", "tsx/cjs", "-e", 'const b = require("./engine/backend/index.ts"); console.log(JSON.stringify({ missing: b.missingWasmFeatures(), backend: b.getBackend() }))'], {
      cwd: root, env: { ...process.env, AGNB_BACKEND: "" }, encoding: "utf8",
    });
    assert.equal(probe.status, 0, probe.stderr);
    assert.deepEqual(JSON.parse(probe.stdout), { missing, backend: missing.length ? "js" : "wasm" }, nodeArgs.join(" "));
    assert.deepEqual(probe.stderr.split("\n").filter(Boolean), notes, nodeArgs.join(" "));
  }
});

test("tf.setBackend switches the kernels and tf.getBackend names them; results agree", async () => {
  const x = tf.random.uniform([3000], { minval: -5, maxval: 5, seed: 7 });
  const compute = () => tf.reduceSum(tf.mul(tf.exp(x), tf.add(x, 1)), 0).item();
  const before = tf.getBackend();
  try {
    assert.equal(await tf.setBackend("js"), true);
    assert.equal(tf.getBackend(), "js");
    const onJs = compute();
    assert.equal(await tf.setBackend("wasm"), true);
    assert.equal(tf.getBackend(), "wasm");
    const onWasm = compute();
    assert.ok(Math.abs(onJs - onWasm) <= 1e-6 * Math.abs(onJs), `${onJs} vs ${onWasm}`);
  } finally {
    await tf.setBackend(before);
  }
  assert.throws(() => tf.setBackend("webgl" as "js"), /^Error: setBackend: unknown backend 'webgl'; expected "js" or "wasm"$/);
});

test("AGNB_BACKEND picks the backend at start", () => {
  for (const backend of ["js", "wasm"]) {
    const probe = spawnSync(process.execPath, ["--import", "tsx", "-e", 'console.log(require("./engine/core.ts").getBackend())'], {
      cwd: root, env: { ...process.env, AGNB_BACKEND: backend }, encoding: "utf8",
    });
    assert.equal(probe.stdout.trim(), backend, probe.stderr);
  }
});

test("the gradient and op tests pass with every float32 array through the WebAssembly kernels", () => {
  // Without the runner's own context variable, the child runs its tests as a top-level run does.
  const { NODE_TEST_CONTEXT: _context, ...inherited } = process.env;
  const env = { ...inherited, AGNB_BACKEND: "wasm", AGNB_WASM_MIN_ELEMENTS: "1" };
  const files = ["engine/ops/core.test.ts", "engine/ops/math.test.ts", "engine/autodiff/gradients.property.test.ts", "engine/autodiff/tape.test.ts"];
  const run = spawnSync(process.execPath, ["--import", "tsx", "--test", ...files], { cwd: root, env, encoding: "utf8" });
  assert.equal(run.status, 0, run.stdout.slice(-3000) + run.stderr.slice(-2000));
  assert.match(run.stdout, /# pass [1-9]\d+\n# fail 0\n/);
});
