// Remote kernels in a real VS Code: connect to a Jupyter Notebook server on 127.0.0.1 with
// "Autograd: Connect to Jupyter Server…", pick "TypeScript (Autograd) on HOST", run notebook
// 07 there (live loss curve, W ≈ 2), interrupt a loop, then stop the server mid-cell: the cell
// says so and the notebook keeps its cells and earlier outputs.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { copyFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Page } from "playwright-core";
import { newNotebook, serializeNotebook } from "../../kernel/notebook-file";
import { startNotebookServer, type NotebookServer } from "../remote/notebook-server";
import { openSession, type Session } from "./session";
import { collectOutputs, openNotebook, runCommand, screenshotFromTop } from "./workbench";

const root = new URL("../..", import.meta.url).pathname;
const screenshots = join(root, ".test-output/e2e");
const NOTEBOOK_07 = "07-keras-linear-regression.agnb";
const LOOP = "remote-loop.agnb";

let server: NotebookServer;
let session: Session | undefined;
let page: Page;
let host: string;

/** Answers the next input box. */
async function answerInput(text: string): Promise<void> {
  const input = page.locator(".quick-input-widget input");
  await input.waitFor();
  await input.fill(text);
  await page.keyboard.press("Enter");
}

async function selectRemoteKernel(): Promise<void> {
  await runCommand(page, "Notebook: Select Notebook Kernel");
  const row = (text: string) => page.locator(".quick-input-widget .monaco-list-row", { hasText: text }).first();
  // Typed rather than clicked: a hover over the list can sit on top of the row.
  const pick = async (text: string) => {
    await page.locator(".quick-input-widget input").fill(text);
    await row(text).waitFor({ timeout: 15_000 });
    await page.keyboard.press("Enter");
  };
  // VS Code first asks for a kernel source (the extension), then for one of its controllers.
  await Promise.race([row(`on ${host}`).waitFor({ timeout: 15_000 }), row("Autograd Notebook").waitFor({ timeout: 15_000 })]);
  if (!await row(`on ${host}`).isVisible()) await pick("Autograd Notebook");
  await pick(`on ${host}`);
  await page.locator(".notebook-toolbar-container >> visible=true", { hasText: `on ${host}` }).first().waitFor({ timeout: 15_000 });
}

/** Waits until the notebook's outputs (drawn in webview frames) show `pattern`. */
async function waitForOutput(pattern: RegExp, timeoutMs: number): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  let text = "";
  while (Date.now() < deadline) {
    text = (await collectOutputs(page)).text;
    if (pattern.test(text)) return text;
    await page.waitForTimeout(500);
  }
  throw new Error(`the outputs did not show ${pattern} within ${timeoutMs / 1000} s:\n${text.slice(-1500)}`);
}

/** Waits until no cell runs and the remote kernel's status item says idle. */
async function waitForRemoteRun(timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let quietSince = 0;
  while (Date.now() < deadline) {
    const running = await page.locator(".notebook-toolbar-container .action-item >> visible=true", { hasText: "Interrupt" }).count();
    const status = (await page.locator(".statusbar-item", { hasText: `Autograd on ${host}` }).first().textContent({ timeout: 1000 }).catch(() => "")) ?? "";
    if (running === 0 && /idle|dead/.test(status)) {
      quietSince ||= Date.now();
      if (Date.now() - quietSince > 1500) return;
    } else quietSince = 0;
    await page.waitForTimeout(250);
  }
  throw new Error(`the remote run did not finish within ${timeoutMs / 1000} s`);
}

describe("a notebook on a Jupyter server, from a real VS Code", { timeout: 15 * 60_000 }, () => {
  before(async () => {
    server = await startNotebookServer();
    host = new URL(server.baseUrl).host;
    session = await openSession("remote", (folder) => {
      copyFileSync(join(root, "notebooks", NOTEBOOK_07), join(folder, NOTEBOOK_07));
      writeFileSync(join(folder, LOOP), serializeNotebook(newNotebook([
        { cell_type: "code", source: "const kept = 'still here';\nkept" },
        { cell_type: "code", source: "const run = ((globalThis as any).runs = ((globalThis as any).runs ?? 0) + 1);\nfor (let i = 0; ; i++) {\n  console.log(`run ${run} tick ${i}`);\n  await new Promise((resolve) => setTimeout(resolve, 200));\n}" },
      ])));
    });
    ({ page } = session);
  });

  after(async () => {
    await session?.close();
    await server?.cleanup();
  });

  test("connect, run notebook 07 remotely with its live loss curve and W ≈ 2", async () => {
    await runCommand(page, "Autograd: Connect to Jupyter Server…");
    await answerInput(server.baseUrl);
    await answerInput(server.token);
    await page.locator(".notifications-toasts", { hasText: "Connected to" }).first().waitFor({ timeout: 30_000 });
    const toast = await page.locator(".notifications-toasts").first().innerText();
    assert.match(toast, /TypeScript \(Autograd\)/);
    assert.ok(!toast.includes(server.token), "the token is never shown");

    await openNotebook(page, NOTEBOOK_07);
    await selectRemoteKernel();
    await runCommand(page, "Notebook: Run All");
    await waitForRemoteRun(5 * 60_000);
    const drawn = await collectOutputs(page);
    await screenshotFromTop(page, join(screenshots, "remote-07.png"));
    assert.ok(drawn.plotlyCurves >= 1, "the loss curve is drawn");
    assert.match(drawn.text, /Weight \(W\)[^]*1\.99\d*/, `W ≈ 2:\n${drawn.text.slice(-1500)}`);
    assert.equal(drawn.errors.length, 0, drawn.errors.join("\n"));
  });

  test("interrupt stops a remote cell, then the server stopping mid-cell is said in the cell and the notebook stays intact", async () => {
    await openNotebook(page, LOOP);
    await selectRemoteKernel();
    await runCommand(page, "Notebook: Run All");
    await waitForOutput(/run 1 tick 3/, 60_000);
    await runCommand(page, "Notebook: Interrupt");
    await waitForRemoteRun(30_000);
    const interrupted = await collectOutputs(page);
    assert.match(interrupted.text, /still here/);
    assert.match(interrupted.text, /interrupt/i, interrupted.text.slice(-800));

    await runCommand(page, "Notebook: Run All");
    await waitForOutput(/run 2 tick 3/, 60_000);
    await server.stop("SIGKILL");
    await waitForOutput(/was lost;/, 30_000);
    await page.locator(".notifications-toasts", { hasText: "Restart Kernel" }).first().waitFor({ timeout: 60_000 });
    const shown = await collectOutputs(page);
    await screenshotFromTop(page, join(screenshots, "remote-server-stopped.png"));
    assert.match(shown.text, /still here/, "the first cell keeps its output");
    assert.match(shown.text, /run 2 tick 3/, "the outputs the kernel sent before are kept");
    assert.match(shown.text, new RegExp(`connection to ${server.baseUrl.replace(/[./]/g, "\\$&")} was lost`));
    const cells = await page.locator(".notebook-editor .monaco-list-row .view-line", { hasText: "const kept" }).count();
    assert.ok(cells >= 1, "the cells' sources are intact");
  });
});
