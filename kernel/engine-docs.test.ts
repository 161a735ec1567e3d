import { test } from "node:test";
import assert from "node:assert/strict";
import * as tf from "../engine/index";
import docs from "./engine-docs.json";

test("engine-docs.json documents only what the engine exports (regenerate with kernel/generate-engine-docs.ts)", () => {
  const missing = Object.keys(docs).filter((name) => name.startsWith("tf.")).filter((name) => {
    let value: unknown = tf;
    for (const part of name.split(".").slice(1)) value = (value as Record<string, unknown> | undefined)?.[part];
    return value === undefined;
  });
  assert.deepEqual(missing, []);
});

test("engine-docs.json covers the API a notebook starts with", () => {
  for (const name of ["tf.constant", "tf.Variable", "tf.GradientTape", "GradientTape.gradient", "GradientTape.jacobian", "tf.hessian", "tf.optimizers.SGD", "tf.keras.layers.Dense", "Model.fit"]) {
    assert.ok((docs as Record<string, string>)[name], `${name} is documented`);
  }
});
