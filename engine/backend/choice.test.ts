/**
 * Which backend runs: the automatic choice (and its one-line note without SIMD), tf.setBackend /
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

test("wasm is chosen when SIMD validates; without it js, with one line saying why, never a crash", () => {
  const notes: string[] = [];
  const note = (line: string) => { notes.push(line); };
  assert.equal(chooseBackendName(undefined, true, note), "wasm");
  assert.equal(chooseBackendName("js", true, note), "js");
  assert.deepEqual(notes, []);
  assert.equal(chooseBackendName(undefined, false, note), "js");
  assert.equal(chooseBackendName("wasm", false, note), "js");
  assert.equal(notes.length, 2);
  assert.match(notes[0], /^WebAssembly SIMD is not available in this runtime: .*JavaScript backend$/);
  assert.equal(chooseBackendName("gpu", true, note), "wasm");
  assert.match(notes[2], /AGNB_BACKEND=gpu is not a backend \(expected js or wasm\)/);
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
