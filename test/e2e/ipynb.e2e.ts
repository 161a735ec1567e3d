// A shared .ipynb written for our kernel opens in a real VS Code (code-server's built-in Jupyter
// notebook support, no Jupyter extension), gets the "TypeScript (Autograd)" controller as its
// preferred kernel, runs with Run All, and exports to a standalone HTML page.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Page } from "playwright-core";
import { newNotebook, parseNotebook, serializeNotebook } from "../../kernel/notebook-file";
import { openSession, type Session } from "./session";
import { collectOutputs, openNotebook, runCommand, screenshotFromTop, waitForRunToFinish } from "./workbench";

const root = new URL("../..", import.meta.url).pathname;
const screenshots = join(root, ".test-output/e2e");
const NAME = "shared-higher-order.ipynb";
const PYTHON_NAME = "python.ipynb";
const PICTURES_OFF_NAME = "pictures-off.ipynb";

let session: Session | undefined;
let workspace: string;
let page: Page;


describe("a shared .ipynb for agnb-typescript in a real VS Code", { timeout: 15 * 60_000 }, () => {
  before(async () => {
    mkdirSync(screenshots, { recursive: true });
    session = await openSession("ipynb", (folder, scratch) => {
      // Notebook 04 as Jupyter would share it: converted by agnb, outputs cleared.
      const converted = join(scratch, "converted.ipynb");
      const cli = spawnSync(process.execPath, [join(root, "bin/agnb.cjs"), "convert", join(root, "notebooks/04-higher-order.agnb"), "--to", "ipynb", "--output", converted], { encoding: "utf8" });
      assert.equal(cli.status, 0, cli.stderr);
      const notebook = parseNotebook(readFileSync(converted), converted);
      for (const cell of notebook.cells) if (cell.cell_type === "code") { cell.outputs = []; cell.execution_count = null; }
      writeFileSync(join(folder, NAME), serializeNotebook(notebook));
      writeFileSync(join(folder, PICTURES_OFF_NAME), serializeNotebook(newNotebook([
        { cell_type: "code", source: "const w = new tf.Variable(3.0, { name: \"w\" });\nconst tape = new tf.GradientTape();\nconst y = tape.record(() => w.square());\ntape.gradient(y, w);\ntape" },
      ])));
      writeFileSync(join(folder, PYTHON_NAME), JSON.stringify({
        nbformat: 4, nbformat_minor: 5, cells: [{ cell_type: "code", id: "a1", metadata: {}, execution_count: null, outputs: [], source: ["print(1 + 1)"] }],
        metadata: { kernelspec: { name: "python3", display_name: "Python 3", language: "python" }, language_info: { name: "python" } },
      }));
    });
    ({ workspace, page } = session);
  });

  after(async () => {
    await session?.close();
  });

  test("it opens with our controller, Run All runs it, the outputs appear, and Export as HTML writes the page", async () => {
    await openNotebook(page, NAME);
    // The notebook's kernel picker names the controller VS Code chose for it.
    const kernel = page.locator(".notebook-toolbar-container .kernel-label, .notebook-toolbar-container [aria-label*='Kernel']").first();
    await kernel.waitFor({ timeout: 30_000 });
    const chosen = await page.locator(".notebook-toolbar-container").first().innerText();
    assert.match(chosen, /TypeScript \(Autograd\)/, `the preferred controller is selected: ${chosen}`);
    await runCommand(page, "Notebook: Run All");
    await waitForRunToFinish(page, 5 * 60_000);
    const failed = await page.locator(".notebook-editor .monaco-list-row .codicon-notebook-state-error").count();
    const drawn = await collectOutputs(page);
    // collectOutputs leaves the view at the end of the notebook, where the Hessian is drawn.
    await page.screenshot({ path: join(screenshots, "ipynb-run-all-end.png") });
    await screenshotFromTop(page, join(screenshots, "ipynb-run-all.png"));
    assert.equal(failed, 0, `no cell failed:\n${drawn.text.slice(0, 2000)}`);
    assert.ok(drawn.heatmaps >= 1, "our renderer draws the Hessian, not the static picture");
    assert.ok(drawn.tensorCells.some((cell) => cell.startsWith("9.333")) || /9\.333/.test(drawn.text), `the second derivative 9.333 is shown:\n${drawn.text.slice(0, 1500)}`);

    // Saved by VS Code's own .ipynb serializer: the rich payload and the static pictures.
    await runCommand(page, "File: Save");
    await page.waitForTimeout(1500);
    const saved = JSON.parse(readFileSync(join(workspace, NAME), "utf8")) as { cells: Array<{ outputs?: Array<{ data?: Record<string, unknown> }> }> };
    const hessian = saved.cells.flatMap((c) => c.outputs ?? []).map((o) => o.data ?? {}).find((d) => /Hessian 2 × 2/.test(String([d["image/svg+xml"]].flat().join(""))));
    assert.ok(hessian, "the saved .ipynb carries the Hessian's picture");
    assert.ok("application/vnd.agnb.jacobian+json" in hessian && "text/html" in hessian && "text/plain" in hessian, Object.keys(hessian).join(", "));

    await runCommand(page, "Autograd: Export as HTML");
    const input = page.locator(".quick-input-widget input");
    await input.waitFor({ timeout: 15_000 });
    const target = join(workspace, "shared-higher-order.html");
    await input.fill(target);
    await page.keyboard.press("Enter");
    const deadline = Date.now() + 20_000;
    while (!existsSync(target) && Date.now() < deadline) await page.waitForTimeout(250);
    assert.ok(existsSync(target), `${target} was written`);
    const html = readFileSync(target, "utf8");
    assert.match(html, /^<!DOCTYPE html>/);
    assert.match(html, /const H = tf\.hessian\(lossOfParameters\)\(theta\);/, "the cells' source is on the page");
    const pictures = [...html.matchAll(/<img src="data:image\/svg\+xml;base64,([A-Za-z0-9+/=]+)"/g)].map((m) => Buffer.from(m[1], "base64").toString("utf8"));
    assert.ok(pictures.some((svg) => />Hessian 2 × 2/.test(svg) && />9\.333</.test(svg)), `the Hessian heatmap is on the page (${pictures.length} pictures)`);
  });

  test("a Python .ipynb run on our kernel says its cells were skipped, instead of dropping them silently", async () => {
    await page.keyboard.press("Escape");
    await runCommand(page, "View: Close All Editors");
    await openNotebook(page, PYTHON_NAME);
    await page.waitForTimeout(1500);
    // Without a Jupyter extension ours is the only kernel for .ipynb, so VS Code may pick it.
    await runCommand(page, "Notebook: Run All");
    const choice = page.locator(".quick-input-widget .monaco-list-row", { hasText: "TypeScript (Autograd)" }).first();
    if (await choice.waitFor({ timeout: 5_000 }).then(() => true, () => false)) await choice.click();
    const warning = page.locator(".notifications-toasts .notification-list-item-message", { hasText: "runs TypeScript cells only" }).first();
    const warned = await warning.waitFor({ timeout: 15_000 }).then(() => true, () => false);
    await page.screenshot({ path: join(screenshots, "ipynb-python-run.png") });
    assert.ok(warned, "a warning names the skipped cells");
    assert.match((await warning.textContent()) ?? "", /1 python cell was skipped/);
  });

  test("with autogradNotebook.staticPictures off, a new kernel sends the tape without its picture", async () => {
    // As a user would set it for this folder: the workspace's settings, which VS Code watches.
    mkdirSync(join(workspace, ".vscode"), { recursive: true });
    writeFileSync(join(workspace, ".vscode/settings.json"), JSON.stringify({ "autogradNotebook.staticPictures": false }));
    await page.keyboard.press("Escape");
    await runCommand(page, "View: Close All Editors");
    await openNotebook(page, PICTURES_OFF_NAME);
    const savedTape = async () => {
      await runCommand(page, "Notebook: Run All");
      await waitForRunToFinish(page, 60_000);
      await runCommand(page, "File: Save");
      await page.waitForTimeout(1500);
      const saved = JSON.parse(readFileSync(join(workspace, PICTURES_OFF_NAME), "utf8")) as { cells: Array<{ outputs: Array<{ data?: Record<string, unknown> }> }> };
      return saved.cells[0].outputs.find((o) => o.data && "application/vnd.agnb.tape+json" in o.data)?.data;
    };
    // VS Code reads the changed settings file in its own time; a kernel started before that
    // still had pictures on, and a restart reads the setting again.
    let data = await savedTape();
    for (let attempt = 0; attempt < 3 && data && "image/svg+xml" in data; attempt++) {
      await page.waitForTimeout(2000);
      await runCommand(page, "Autograd: Restart Kernel");
      data = await savedTape();
    }
    const drawn = await collectOutputs(page);
    assert.ok(drawn.tapeOps.includes("square"), `our renderer draws the tape (${drawn.tapeOps.join(", ")})`);
    assert.ok(data, "the tape is in the saved file");
    assert.deepEqual(Object.keys(data).sort(), ["application/vnd.agnb.tape+json", "text/plain"]);
  });
});
