/**
 * Both transpilers (esbuild, and the TypeScript compiler used where esbuild's binary is missing)
 * give the same tracebacks: the names of async functions, and cell lines and columns, through
 * the real kernel process.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { KernelClient } from "./client";
import { ROOT, buildKernelBundles } from "./bundles";
import { typeScriptTranspiler } from "./transpile";

const CELLS = [
  "async function explode(): Promise<never> {\n  await null;\n  throw new RangeError('boom');\n}\nclass Box { async open(): Promise<void> { await null; throw new Error('lid'); } }\nconst go = async () => { await null; return explode(); };",
  "await go();",
  "await new Box().open();",
  // Thrown before the first await: the lowered body runs inside its function's own call.
  "async function early() {\n  throw new Error('early');\n}\nconst again = async () => { throw new Error('again'); };\nawait early();",
  "await again();",
];

type Transpilers = "esbuild" | "typescript";
const tracebacks: Record<Transpilers, string[][]> = { esbuild: [], typescript: [] };

describe("tracebacks through either transpiler", { timeout: 120_000 }, () => {
  before(async () => {
    const { kernel: kernelScript } = await buildKernelBundles();
    for (const name of ["esbuild", "typescript"] as const) {
      const env = name === "typescript" ? { ...process.env, AGNB_TRANSPILER: "typescript" } : { ...process.env, AGNB_TRANSPILER: "" };
      const client = new KernelClient({ kernelScript, cwd: ROOT, env });
      await client.start();
      try {
        for (const cell of CELLS) {
          const { iopub } = await client.execute(cell);
          const error = iopub.find((message) => message.header.msg_type === "error");
          tracebacks[name].push(error ? error.content.traceback : []);
        }
      } finally {
        await client.shutdown();
      }
    }
  });

  test("an async function declared in an earlier cell is named, with its cell line and column", () => {
    assert.deepEqual(tracebacks.esbuild[1], ["Cell In[1], line 3, column 9", "      throw new RangeError('boom');", "            ^", "RangeError: boom", "    at explode (Cell In[1], line 3, column 9)"]);
  });

  test("a method of a class names its class", () => {
    assert.equal(tracebacks.esbuild[2].at(-1), "    at Box.open (Cell In[1], line 5, column 61)");
  });

  test("an async function that throws before awaiting shows once, under its own name", () => {
    assert.deepEqual(tracebacks.esbuild[3].slice(3), ["Error: early", "    at early (Cell In[4], line 2, column 9)"]);
    assert.deepEqual(tracebacks.esbuild[4].slice(3), ["Error: again", "    at again (Cell In[4], line 4, column 35)"]);
  });

  test("TypeScript gives the tracebacks esbuild gives, frame for frame", () => {
    assert.ok(tracebacks.esbuild.slice(1).every((traceback) => traceback.length > 4), "each call failed with a traceback");
    assert.deepEqual(tracebacks.typescript, tracebacks.esbuild);
  });
});

test("TypeScript's lowered generators are named after their functions, with positions kept in the source map", () => {
  const { code } = typeScriptTranspiler.transformSync(
    "function explode() { return (async () => 1)(); }\nconst o = { async m() { await 1; }, n: async function () { await 1; } };\nlet later;\nlater = async () => { await 1; };",
    { loader: "js", supported: { "async-await": false } },
  );
  for (const name of ["m", "n", "later"]) assert.match(code, new RegExp(`function\\* ${name}__agnb_async\\(\\)`));
  // An anonymous async arrow has no name to give, even inside a named function.
  assert.doesNotMatch(code, /explode__agnb_async/);
});
