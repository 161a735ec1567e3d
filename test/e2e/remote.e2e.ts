// Remote kernels in a real VS Code: connect to a Jupyter Notebook server on 127.0.0.1 (through a
// TCP forwarder that can cut the network) with "Autograd: Connect to Jupyter Server…", pick
// "TypeScript (Autograd) on HOST"; on it, a loss curve grows while `fit` runs, completion and
// the Variables view answer from the remote kernel, Restart Kernel restarts it; notebook 07 runs
// there (W ≈ 2); a loop is interrupted, then the network drops and comes back (the cell says so,
// goes on, and keeps its outputs), then the server stops mid-cell: the cell says so and the
// notebook keeps its cells and earlier outputs. Screenshots go to .test-output/e2e/remote-*.png.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { copyFileSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Page } from "playwright-core";
import { newNotebook, serializeNotebook } from "../../kernel/notebook-file";
import { startNotebookServer, type NotebookServer } from "../remote/notebook-server";
import { startTcpProxy, type TcpProxy } from "../remote/tcp-proxy";
import { openSession, type Session } from "./session";
import { collectOutputs, openNotebook, runCommand, screenshotFromTop, scrollToTop } from "./workbench";

const root = new URL("../..", import.meta.url).pathname;
const screenshots = join(root, ".test-output/e2e");
const NOTEBOOK_07 = "07-keras-linear-regression.agnb";
const LOOP = "remote-loop.agnb";
const LIVE = "remote-live.agnb";
const FIT_EPOCHS = 40;

let server: NotebookServer;
/** What VS Code connects to: the server behind a forwarder that can cut the network. */
let proxy: TcpProxy;
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

/** Waits until the notebook's outputs (drawn in webview frames) show `pattern` (or pass `check`). */
async function waitForOutput(pattern: RegExp | { check: (text: string) => boolean; what: string }, timeoutMs: number): Promise<string> {
  const passes = pattern instanceof RegExp ? (text: string) => pattern.test(text) : pattern.check;
  const deadline = Date.now() + timeoutMs;
  let text = "";
  while (Date.now() < deadline) {
    text = (await collectOutputs(page)).text;
    if (passes(text)) return text;
    await page.waitForTimeout(500);
  }
  await shot("timed-out");
  throw new Error(`the outputs did not show ${pattern instanceof RegExp ? pattern : pattern.what} within ${timeoutMs / 1000} s:\n${text.slice(-1500)}`);
}

// Plain JavaScript, evaluated in each output frame: the points of each drawn live loss curve of
// FIT_EPOCHS epochs (its title reads "Epoch k/FIT_EPOCHS"; notebook 07's curve has 1000).
const READ_CURVE_POINTS = `(() => [...document.querySelectorAll(".agnb-plot-root .js-plotly-plot")]
  .filter((plot) => /\\/${FIT_EPOCHS}\\b/.test(String(plot.layout && plot.layout.title && plot.layout.title.text)))
  .map((plot) => Math.max(0, ...(plot.data || []).map((trace) => (trace.y || []).length))))()`;

async function curvePoints(): Promise<number> {
  let points = 0;
  for (const frame of page.frames()) {
    const counts = await (frame.evaluate(READ_CURVE_POINTS) as Promise<number[]>).catch(() => [] as number[]);
    points = Math.max(points, ...counts);
  }
  return points;
}

/** Kernels this VS Code runs locally: kernel.cjs processes started from its profile's extension folder. */
function localKernels(): number {
  const commandLine = (pid: string) => { try { return readFileSync(`/proc/${pid}/cmdline`, "utf8"); } catch { return ""; } };
  return readdirSync("/proc").filter((pid) => /^\d+$/.test(pid)).map(commandLine)
    .filter((line) => line.includes(session!.scratch) && line.includes("dist/kernel.cjs")).length;
}

async function waitForLocalKernels(count: number): Promise<void> {
  for (let i = 0; i < 120 && localKernels() !== count; i++) await page.waitForTimeout(500);
  assert.equal(localKernels(), count, `local kernel processes: ${localKernels()}, expected ${count}`);
}

const cellRunning = async () => await page.locator(".notebook-toolbar-container .action-item >> visible=true", { hasText: "Interrupt" }).count() > 0;
const remoteStatus = async () => (await page.locator(".statusbar-item", { hasText: `Autograd on ${host}` }).first().textContent({ timeout: 1000 }).catch(() => "")) ?? "";

async function shot(name: string): Promise<void> {
  const path = join(screenshots, `remote-${name}.png`);
  await page.screenshot({ path });
  console.log(`screenshot: ${path}`);
}

/** Waits until no cell runs and the remote kernel's status item says idle. */
async function waitForRemoteRun(timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let quietSince = 0;
  while (Date.now() < deadline) {
    if (!await cellRunning() && /idle|dead/.test(await remoteStatus())) {
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
    proxy = await startTcpProxy(server.baseUrl);
    host = new URL(proxy.url).host;
    session = await openSession("remote", (folder) => {
      copyFileSync(join(root, "notebooks", NOTEBOOK_07), join(folder, NOTEBOOK_07));
      writeFileSync(join(folder, LIVE), serializeNotebook(newNotebook([
        { cell_type: "code", source: "// scratch" },
        { cell_type: "code", source: "const runsHere = ((globalThis as any).runsHere = ((globalThis as any).runsHere ?? 0) + 1);\nconst onlyOnServer = new tf.Variable([1, 2, 3], { name: \"onlyOnServer\" });\nconsole.log(`runs in this kernel: ${runsHere}`);" },
        { cell_type: "code", source: `const xs = tf.linspace(-1, 1, 32).reshape([32, 1]);\nconst slowModel = new tf.keras.Sequential([new tf.keras.layers.Dense(1, { inputShape: [1] })]);\nslowModel.compile({ optimizer: "sgd", loss: "mean_squared_error" });\nawait slowModel.fit(xs, xs.mul(2), { epochs: ${FIT_EPOCHS}, verbose: 0, callbacks: [{ onEpochEnd: () => new Promise((resolve) => setTimeout(resolve, 150)) }] });` },
      ])));
      writeFileSync(join(folder, LOOP), serializeNotebook(newNotebook([
        { cell_type: "code", source: "const kept = 'still here';\nkept" },
        { cell_type: "code", source: "const run = ((globalThis as any).runs = ((globalThis as any).runs ?? 0) + 1);\nfor (let i = 0; ; i++) {\n  console.log(`run ${run} tick ${i}`);\n  await new Promise((resolve) => setTimeout(resolve, 200));\n}" },
      ])));
    });
    ({ page } = session);
  });

  after(async () => {
    await session?.close();
    await proxy?.close();
    await server?.cleanup();
  });

  test("connect, run notebook 07 remotely with its loss curve and W ≈ 2", async () => {
    await runCommand(page, "Autograd: Connect to Jupyter Server…");
    await answerInput(proxy.url);
    await answerInput(server.token);
    await page.locator(".notifications-toasts", { hasText: "Connected to" }).first().waitFor({ timeout: 30_000 });
    const toast = await page.locator(".notifications-toasts").first().innerText();
    assert.match(toast, /TypeScript \(Autograd\)/);
    assert.ok(!toast.includes(server.token), "the token is never shown");

    await openNotebook(page, NOTEBOOK_07);
    // Started on opening, for completion; picking the server's kernel ends it.
    await waitForLocalKernels(1);
    await selectRemoteKernel();
    await waitForLocalKernels(0);
    await runCommand(page, "Notebook: Run All");
    await waitForRemoteRun(5 * 60_000);
    const drawn = await collectOutputs(page);
    await screenshotFromTop(page, join(screenshots, "remote-07.png"));
    assert.ok(drawn.plotlyCurves >= 1, "the loss curve is drawn");
    assert.match(drawn.text, /Weight \(W\)[^]*1\.99\d*/, `W ≈ 2:\n${drawn.text.slice(-1500)}`);
    assert.equal(drawn.errors.length, 0, drawn.errors.join("\n"));
  });

  test("on the remote kernel the loss curve grows while fit runs, completion and Variables answer, Restart Kernel restarts it", async () => {
    await openNotebook(page, LIVE);
    await selectRemoteKernel();
    await runCommand(page, "Notebook: Run All");
    // update_display_data reaches the cell while it runs: the curve gains points.
    const seenWhileRunning = new Set<number>();
    const deadline = Date.now() + 120_000;
    while (Date.now() < deadline) {
      const points = await curvePoints();
      const running = await cellRunning();
      if (running && points > 0 && points < FIT_EPOCHS && !seenWhileRunning.has(points)) {
        if (seenWhileRunning.size === 0) await shot("live-curve-early");
        seenWhileRunning.add(points);
        if (seenWhileRunning.size === 3) await shot("live-curve-later");
      }
      if (!running && points === FIT_EPOCHS) break;
      await page.waitForTimeout(200);
    }
    await waitForRemoteRun(60_000);
    assert.ok(seenWhileRunning.size >= 3, `the curve grew while fit ran: ${[...seenWhileRunning].join(", ")} points seen`);
    assert.equal(await curvePoints(), FIT_EPOCHS, "the final curve has every epoch");
    assert.match((await collectOutputs(page)).text, /runs in this kernel: 1/);

    // `onlyOnServer` was declared only on the server's kernel: the local one knows no members of it.
    await scrollToTop(page);
    await page.locator(".notebook-editor >> visible=true").locator(".view-line", { hasText: "// scratch" }).first().click();
    await page.keyboard.press("Control+End");
    await page.keyboard.press("Enter");
    await page.keyboard.type("onlyOnServer.assi", { delay: 40 });
    const suggestions = page.locator(".suggest-widget.visible .monaco-list-row");
    await suggestions.first().waitFor({ timeout: 60_000 });
    const rows = await suggestions.allInnerTexts();
    await shot("completion");
    assert.ok(rows.some((row) => /assign\b/.test(row)) && rows.some((row) => /assignAdd/.test(row)), `the remote kernel completes: ${rows.join(" | ")}`);
    await page.keyboard.press("Escape");
    await page.keyboard.press("Control+A");
    await page.keyboard.type("// scratch");
    await page.keyboard.press("Escape");

    await runCommand(page, "Explorer: Focus on Notebook Variables View");
    const variable = page.locator(".pane-body .monaco-list-row", { hasText: "onlyOnServer" });
    await variable.first().waitFor({ timeout: 30_000 });
    await shot("variables");
    assert.match(await variable.first().innerText(), /tf\.Variable \[3\] float32 · min 1 · max 3 · mean 2/);

    await openNotebook(page, LIVE);
    await runCommand(page, "Autograd: Restart Kernel");
    await page.locator(".statusbar-item", { hasText: `Autograd on ${host}: idle` }).first().waitFor({ timeout: 60_000 });
    await runCommand(page, "Notebook: Run All");
    await waitForRemoteRun(120_000);
    const rerun = (await collectOutputs(page)).text;
    await screenshotFromTop(page, join(screenshots, "remote-restarted.png"));
    // Without the restart, the server's kernel would count a second run.
    assert.match(rerun, /runs in this kernel: 1/);
    assert.doesNotMatch(rerun, /runs in this kernel: 2/);
  });

  test("interrupt stops a remote cell; a network drop is said, the cell goes on after reconnecting; the server stopping mid-cell is said and the notebook stays intact", async () => {
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
    const ticksIn = (shown: string) => Math.max(-1, ...[...shown.matchAll(/run 2 tick (\d+)/g)].map((match) => Number(match[1])));
    const ticksSoFar = () => ticksIn(text);
    let text = await waitForOutput(/run 2 tick 3/, 60_000);
    await proxy.drop(1000);
    text = await waitForOutput(/was lost; reconnecting to the same kernel/, 15_000);
    const atDrop = ticksSoFar();
    await screenshotFromTop(page, join(screenshots, "remote-reconnecting.png"));
    text = await waitForOutput(/Reconnected to [^]*run 2 tick \d+/, 90_000);
    const afterReconnect = ticksSoFar();
    text = await waitForOutput({ check: (shown) => ticksIn(shown) >= afterReconnect + 5, what: `a tick after ${afterReconnect + 4}` }, 30_000);
    await screenshotFromTop(page, join(screenshots, "remote-reconnected.png"));
    assert.ok(ticksSoFar() > atDrop + 5, "the cell went on running on the same kernel");
    assert.match(text, /still here/, "the first cell keeps its output");
    assert.match(await remoteStatus(), /busy/);

    await server.stop("SIGKILL");
    await waitForOutput(/was lost; reconnecting[^]*was lost; reconnecting/, 30_000);
    // Reported once the reconnect window (45 s) is over.
    await page.locator(".notifications-toasts", { hasText: "Restart Kernel" }).first().waitFor({ timeout: 90_000 });
    const shown = await collectOutputs(page);
    await screenshotFromTop(page, join(screenshots, "remote-server-stopped.png"));
    assert.match(shown.text, /still here/, "the first cell keeps its output");
    assert.match(shown.text, /run 2 tick 3/, "the outputs the kernel sent before are kept");
    assert.match(shown.text, new RegExp(`connection to the Jupyter server at ${proxy.url.replace(/[./]/g, "\\$&")} was lost`));
    const cells = await page.locator(".notebook-editor .monaco-list-row .view-line", { hasText: "const kept" }).count();
    assert.ok(cells >= 1, "the cells' sources are intact");
  });
});
