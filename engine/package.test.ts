/** `import * as tf from "autograd-notebook"` in plain Node, as ESM and as CommonJS, gives the engine. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));
const program = (load: string) => `${load}
const w = new tf.Variable(5.0);
const tape = new tf.GradientTape();
const loss = tape.record(() => tf.square(w));
console.log(String(tape.gradient(loss, w)), typeof tf.keras.Sequential, typeof tf.optimizers.Adam);`;
const expected = "tf.Tensor(10.0, shape=(), dtype=float32) function function\n";

test("the package name resolves to the built engine from ESM", () => {
  const out = execFileSync(process.execPath, ["--input-type=module", "-e", program('import * as tf from "autograd-notebook";')], { cwd: root, encoding: "utf8" });
  assert.equal(out, expected);
});

test("the package name resolves to the built engine from CommonJS", () => {
  const out = execFileSync(process.execPath, ["-e", program('const tf = require("autograd-notebook");')], { cwd: root, encoding: "utf8" });
  assert.equal(out, expected);
});
