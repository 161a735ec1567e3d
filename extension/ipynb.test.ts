import { test } from "node:test";
import assert from "node:assert/strict";
import { isAutogradIpynb } from "./ipynb";

const ipynb = (metadata: Record<string, unknown>) => ({ notebookType: "jupyter-notebook", metadata: { metadata, nbformat: 4, nbformat_minor: 5 } });

test("an .ipynb is ours when its kernelspec is agnb-typescript or its language is TypeScript", () => {
  assert.equal(isAutogradIpynb(ipynb({ kernelspec: { name: "agnb-typescript", display_name: "TypeScript (Autograd)" } })), true);
  assert.equal(isAutogradIpynb(ipynb({ kernelspec: { name: "tslab", language: "typescript" } })), true);
  assert.equal(isAutogradIpynb(ipynb({ language_info: { name: "TypeScript" } })), true);
  assert.equal(isAutogradIpynb(ipynb({ kernelspec: { name: "python3", language: "python" }, language_info: { name: "python" } })), false);
  assert.equal(isAutogradIpynb(ipynb({})), false);
  // Older VS Code keeps the nbformat metadata under custom.metadata.
  assert.equal(isAutogradIpynb({ notebookType: "jupyter-notebook", metadata: { custom: { metadata: { kernelspec: { name: "agnb-typescript" } } } } }), true);
  assert.equal(isAutogradIpynb({ notebookType: "agnb", metadata: { metadata: { kernelspec: { name: "agnb-typescript" } } } }), false, "an .agnb has its own controller");
});
