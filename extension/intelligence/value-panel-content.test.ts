import { after, test } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { build } from "esbuild";
import { Window } from "happy-dom";
import fc from "fast-check";
import { MIME } from "../../display/contract";
import { describeVariable, goneMessage, valueMessage, valuePanelHtml, variableTitle, type PanelMessage, type VariableEntry } from "./value-panel-content";

const root = new URL("../..", import.meta.url).pathname;
const NONCE = "c2VjcmV0LW5vbmNlLTEyMzQ1";
const w: VariableEntry = { name: "w", type: "tf.Variable", tensor: { shape: [3], dtype: "float32", size: 3, min: 5, max: 7, mean: 6 } };
const tensorBundle = {
  [MIME.tensor]: { structure: "single", entries: [{ label: null, kind: "variable", name: "w", data: { dtype: "float32", shape: [3], size: 3, values: [5, 6, 7] } }] },
  "text/plain": "Variable w [5, 6, 7]",
};

/** The page's Content-Security-Policy, directive by directive. */
function policyOf(page: string): Map<string, string[]> {
  const content = /http-equiv="Content-Security-Policy" content="([^"]*)"/.exec(page)![1];
  return new Map(content.split(";").map((directive) => directive.trim().split(/\s+/)).map(([name, ...sources]) => [name, sources]));
}

test("the tab title and the summary line name the variable's type, shape and dtype", () => {
  assert.equal(variableTitle(w), "w — tf.Variable [3] float32");
  assert.equal(describeVariable(w), "tf.Variable [3] float32 · min 5 · max 7 · mean 6");
  assert.equal(variableTitle({ name: "rate", type: "number", value: "0.5" }), "rate — number");
  assert.equal(describeVariable({ name: "rate", type: "number", value: "0.5" }), "number = 0.5");
});

test("a tensor's bundle is drawn by the renderer; anything else is shown as its text", () => {
  const drawn = valueMessage(w, tensorBundle);
  assert.equal(drawn.kind, "draw");
  assert.deepEqual(JSON.parse((drawn as { text: string }).text), tensorBundle[MIME.tensor]);
  assert.equal(drawn.summary, "w: tf.Variable [3] float32 · min 5 · max 7 · mean 6");
  const text = valueMessage({ name: "f", type: "function" }, { "text/plain": ["(x) =>", " x * 2"] });
  assert.deepEqual(text, { kind: "text", summary: "f: function", text: "(x) => x * 2" });
  assert.deepEqual(goneMessage("w", "its kernel is not running"), { kind: "gone", summary: "w no longer exists: its kernel is not running." });
});

test("the page runs only its nonce'd script and the extension's own files", () => {
  const page = valuePanelHtml({ cspSource: "https://file+.vscode-resource.example", rendererUrl: "https://file+.vscode-resource.example/dist/renderers/agnb.renderer.js", nonce: NONCE });
  const policy = policyOf(page);
  assert.deepEqual(policy.get("default-src"), ["'none'"]);
  assert.deepEqual(policy.get("script-src"), [`'nonce-${NONCE}'`, "https://file+.vscode-resource.example"]);
  assert.ok(!page.includes("unsafe-eval"));
  const scripts = [...page.matchAll(/<script\b([^>]*)>/g)].map((match) => match[1]);
  assert.deepEqual(scripts, [` type="module" nonce="${NONCE}"`]);
  assert.throws(() => valuePanelHtml({ cspSource: "x", rendererUrl: "x", nonce: "short" }), /nonce must be 16 or more base64 characters/);
});

test("no renderer URL can close the page's script element", () => {
  fc.assert(fc.property(fc.string(), (tail) => {
    const page = valuePanelHtml({ cspSource: "https://x", rendererUrl: `https://x/${tail}`, nonce: NONCE });
    assert.equal(page.match(/<\/script/gi)?.length, 1);
  }));
});

/** The notebook renderer as the webview loads it: an ES module of extension/renderers/agnb.renderer.ts. */
async function buildRenderer(): Promise<string> {
  const outfile = join(root, ".test-output/value-panel/agnb.renderer.mjs");
  await build({
    entryPoints: [join(root, "extension/renderers/agnb.renderer.ts")], outfile, bundle: true, format: "esm",
    platform: "browser", target: "es2022", external: ["plotly.js-dist"], logLevel: "warning",
  });
  return pathToFileURL(outfile).href;
}

/** Loads the page in a DOM and runs its script, with `posted` receiving what it sends the extension. */
async function openPage(posted: unknown[]): Promise<{ send(message: PanelMessage): Promise<void>; text(selector: string): string[] }> {
  const window = new Window({ settings: { disableJavaScriptEvaluation: true } });
  after(() => window.happyDOM.close());
  const page = valuePanelHtml({ cspSource: "file:", rendererUrl: await buildRenderer(), nonce: NONCE });
  window.document.write(page);
  const script = window.document.querySelector("script")!.textContent!;
  const AsyncFunction = (async () => undefined).constructor as new (...args: string[]) => (...values: unknown[]) => Promise<void>;
  await new AsyncFunction("window", "document", "acquireVsCodeApi", script)(window, window.document, () => ({ postMessage: (message: unknown) => posted.push(message) }));
  const text = (selector: string) => [...window.document.querySelectorAll(selector)].map((node) => node.textContent ?? "");
  return {
    text,
    async send(message) {
      window.dispatchEvent(new window.MessageEvent("message", { data: message }));
      // The first drawing loads the renderer module.
      for (let i = 0; i < 100 && text("#summary")[0] !== message.summary; i++) await new Promise((resolve) => setTimeout(resolve, 20));
      await new Promise((resolve) => setTimeout(resolve, 50));
    },
  };
}

test("the page asks for its value, then draws a tensor with the notebook renderer, text as text, and a gone variable as a line", async () => {
  const posted: unknown[] = [];
  const page = await openPage(posted);
  assert.deepEqual(posted, [{ kind: "ready" }]);
  await page.send(valueMessage(w, tensorBundle));
  for (let i = 0; i < 100 && page.text("#value .agnb-tensor td").length === 0; i++) await new Promise((resolve) => setTimeout(resolve, 20));
  assert.deepEqual(page.text("#value .agnb-tensor td"), ["5.0", "6.0", "7.0"]);
  assert.match(page.text("#value .agnb-meta").join(" "), /shape=\(3,\) dtype=float32/);
  await page.send(valueMessage({ name: "s", type: "string", value: "'hi'" }, { "text/plain": "'hi'" }));
  assert.deepEqual(page.text("#value pre"), ["'hi'"]);
  await page.send(goneMessage("w", "its kernel is not running"));
  assert.deepEqual(page.text("#summary"), ["w no longer exists: its kernel is not running."]);
  assert.equal(page.text("#value *").length, 0);
});
