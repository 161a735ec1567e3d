// Editor intelligence in a real VS Code (code-server + Chromium): completion of `w.` with types
// and of `tf.` with docs, hover on `w` (ours alone: VS Code's TypeScript service leaves our cells
// alone), syntax colours, signature help in `tf.matmul(`, a type error underlined as it is typed
// and gone once fixed (all before any cell ran), the Variables view listing `w` with its shape
// and dtype after a run, a click on `w` showing its value drawn by our tensor view in a panel
// beside the notebook (which follows `w` when a cell changes it and says it is gone after a
// restart), a theme switch re-colouring a drawn heatmap and loss curve, and in an .ipynb on our
// kernel (whose cells VS Code's TypeScript service sees) our hover, completion and diagnostics
// alone. Screenshots go to .test-output/e2e/intelligence-*.png and ipynb-hover-ours-only.png.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Page } from "playwright-core";
import { newNotebook, serializeNotebook } from "../../kernel/notebook-file";
import { openSession, type Session } from "./session";
import { openNotebook, runCommand, waitForRunToFinish } from "./workbench";

const root = new URL("../..", import.meta.url).pathname;
const screenshots = join(root, ".test-output/e2e");
const NAME = "intelligence.agnb";
const FIRST_CELL = "const w = new tf.Variable([[1, 2], [3, 4]]);";
const THEMED = "themed.agnb";
const IPYNB = "shared.ipynb";
const PLOT = '{ "application/vnd.plotly.v1+json": { data: [{ y: [3, 2, 1.5, 1.2], type: "scatter", mode: "lines" }], layout: { title: { text: "loss" } } }, "text/plain": "loss" }';

// Plain JavaScript, evaluated in each output frame: the colours the heatmap and the plot are drawn in.
const READ_COLOURS = `(() => {
  const heatmap = [...document.querySelectorAll(".agnb-jacobian svg [fill]")].map((n) => n.getAttribute("fill")).join(" ");
  const plot = [...document.querySelectorAll(".agnb-plot-root .js-plotly-plot text")].map((n) => getComputedStyle(n).fill).join(" ");
  return { heatmap, plot };
})()`;

async function drawnColours(): Promise<{ heatmap: string; plot: string }> {
  const found = { heatmap: "", plot: "" };
  for (const frame of page.frames()) {
    const colours = await (frame.evaluate(READ_COLOURS) as Promise<{ heatmap: string; plot: string }>).catch(() => null);
    if (colours?.heatmap) found.heatmap = colours.heatmap;
    if (colours?.plot) found.plot = colours.plot;
  }
  return found;
}

// Plain JavaScript, evaluated in each frame: what a variable's value panel shows, or null elsewhere.
const READ_VALUE_PANEL = `(() => {
  const summary = document.querySelector("#summary + #value") && document.getElementById("summary");
  if (!summary) return null;
  return { summary: summary.textContent, cells: [...document.querySelectorAll("#value .agnb-tensor td")].map((n) => n.textContent) };
})()`;

interface ValuePanel { summary: string; cells: string[] }

/** Polls the webview frames until the value panel shows what `done` accepts; returns what it last showed. */
async function waitForValuePanel(done: (panel: ValuePanel) => boolean, timeoutMs = 30_000): Promise<ValuePanel | null> {
  let last: ValuePanel | null = null;
  for (const deadline = Date.now() + timeoutMs; Date.now() < deadline; await page.waitForTimeout(500)) {
    for (const frame of page.frames()) {
      const panel = await (frame.evaluate(READ_VALUE_PANEL) as Promise<ValuePanel | null>).catch(() => null);
      if (!panel) continue;
      last = panel;
      if (done(panel)) return panel;
    }
  }
  return last;
}

let session: Session | undefined;
let page: Page;

async function shot(name: string): Promise<void> {
  const path = join(screenshots, `intelligence-${name}.png`);
  await page.screenshot({ path });
  console.log(`screenshot: ${path}`);
}

/** The first cell's editor, focused with the cursor at the end of its text. */
async function focusFirstCellEnd(): Promise<void> {
  await page.locator(".notebook-editor >> visible=true").locator(".view-line", { hasText: "new tf.Variable" }).first().click();
  await page.keyboard.press("Control+End");
}

/** Types on a new last line of the first cell; returns once the text is in. */
async function typeLine(text: string): Promise<void> {
  await focusFirstCellEnd();
  await page.keyboard.press("Enter");
  await page.keyboard.type(text, { delay: 40 });
}

/** Removes everything after the first line of the first cell. */
async function resetFirstCell(): Promise<void> {
  await page.keyboard.press("Escape");
  await focusFirstCellEnd();
  await page.keyboard.press("Control+Shift+Home");
  await page.keyboard.type(FIRST_CELL);
  await page.keyboard.press("Escape");
}

/** What the TypeScript servers' logs say of our plugin. */
function serverLogLines(): string[] {
  const logs = readdirSync(session!.scratch, { recursive: true, encoding: "utf8" }).filter((file) => file.endsWith("tsserver.log"));
  return logs.flatMap((file) => readFileSync(join(session!.scratch, file), "utf8").split("\n"))
    .filter((line) => /agnb-tsserver-plugin|globalPlugins|pluginProbeLocations/.test(line)).map((line) => line.slice(0, 400));
}

const suggestions = () => page.locator(".suggest-widget.visible .monaco-list-row");

describe("editor intelligence in a real VS Code", { timeout: 15 * 60_000 }, () => {
  before(async () => {
    mkdirSync(screenshots, { recursive: true });
    session = await openSession("intelligence", (folder) => {
      writeFileSync(join(folder, NAME), serializeNotebook(newNotebook([{ cell_type: "code", source: FIRST_CELL }])));
      writeFileSync(join(folder, THEMED), serializeNotebook(newNotebook([
        { cell_type: "code", source: "tf.hessian((x: tf.Tensor) => tf.sum(tf.square(x)))(tf.constant([1, 2]))" },
        { cell_type: "code", source: `display(${PLOT}, { raw: true });` },
      ])));
      writeFileSync(join(folder, IPYNB), serializeNotebook(newNotebook([{ cell_type: "code", source: FIRST_CELL }])));
      // The TypeScript server's log shows which cells our plugin left unanswered.
      mkdirSync(join(folder, ".vscode"));
      writeFileSync(join(folder, ".vscode/settings.json"), JSON.stringify({ "typescript.tsserver.log": "normal" }));
    });
    ({ page } = session);
    await openNotebook(page, NAME);
  });

  after(async () => {
    await session?.close();
  });

  test("w. completes the variable's methods with their types, before any cell ran", async () => {
    await typeLine("w.assi");
    await suggestions().first().waitFor({ timeout: 60_000 });
    const rows = await suggestions().allInnerTexts();
    await shot("w-completion");
    assert.ok(rows.some((row) => /assign\b/.test(row)), `assign is offered: ${rows.join(" | ")}`);
    assert.ok(rows.some((row) => /assignAdd/.test(row)), `assignAdd is offered: ${rows.join(" | ")}`);
    assert.ok(rows.every((row) => !/^abc|const\b/.test(row)), "no word-based guesses");
    // The focused entry's detail is its signature.
    const details = await page.locator(".suggest-widget.visible").innerText();
    assert.match(details, /method/);
    await resetFirstCell();
  });

  test("tf. completes the engine's API with doc comments", async () => {
    await typeLine("tf.hessi");
    await suggestions().first().waitFor({ timeout: 30_000 });
    // Ctrl+Space on an open list shows the focused entry's documentation beside it.
    await page.keyboard.press("Control+Space");
    const docs = page.locator(".suggest-details-container .suggest-details, .suggest-widget .suggest-details");
    await docs.first().waitFor({ timeout: 10_000 });
    const text = await docs.first().innerText();
    await shot("tf-completion-docs");
    assert.match(text, /second derivatives/, `the doc comment is shown: ${text}`);
    await resetFirstCell();
  });

  test("hover on w shows tf.Variable, and nothing from VS Code's own TypeScript service", async () => {
    await page.keyboard.press("Escape");
    const token = page.locator(".notebook-editor >> visible=true").locator(".view-line span span", { hasText: /^w$/ }).first();
    await token.hover();
    const hover = page.locator(".monaco-hover:not(.hidden)", { hasText: "tf.Variable" });
    await hover.first().waitFor({ timeout: 30_000 });
    // Another provider's part, if any, arrives with or just after ours.
    await page.waitForTimeout(1500);
    await shot("hover-w");
    const texts = await page.locator(".monaco-hover:not(.hidden) .hover-contents").allInnerTexts();
    assert.ok(texts.some((t) => /const w: tf\.Variable/.test(t)), `hover: ${texts.join(" | ")}`);
    assert.ok(texts.every((t) => !/\bany\b/.test(t)), `only our hover: ${texts.join(" | ")}`);
    await page.mouse.move(5, 5);
  });

  test("cells are TypeScript (Autograd), coloured by VS Code's TypeScript grammar", async () => {
    const editor = page.locator(".notebook-editor >> visible=true");
    const line = editor.locator(".view-line", { hasText: "new tf.Variable" }).first();
    const colours = await line.locator("span span").evaluateAll((spans) => spans.filter((span) => span.textContent!.trim()).map((span) => getComputedStyle(span).color));
    await shot("syntax-colours");
    // const, w, new, tf, Variable and the numbers: keywords, names and numbers take different colours.
    assert.ok(new Set(colours).size >= 3, `colours of "${FIRST_CELL}": ${colours.join(", ")}`);
    // The cell's language, in its status bar (the kernel picker says "TypeScript (Autograd)" too).
    const language = editor.locator(".cell-statusbar-container .cell-status-item", { hasText: "TypeScript (Autograd)" });
    await language.first().waitFor({ timeout: 10_000 });
  });

  test("signature help inside tf.matmul( shows its parameters", async () => {
    await typeLine("tf.matmul(");
    const hints = page.locator(".parameter-hints-widget.visible");
    await hints.waitFor({ timeout: 30_000 });
    const text = await hints.innerText();
    await shot("signature-matmul");
    assert.match(text, /a: tf\.TensorLike, b: tf\.TensorLike/);
    await resetFirstCell();
  });

  test("a type error is underlined as it is typed, and the underline goes once it is fixed", async () => {
    await typeLine("const rate: number = 'fast';");
    const squiggle = page.locator(".notebook-editor >> visible=true").locator(".squiggly-error");
    await squiggle.first().waitFor({ timeout: 30_000 });
    await shot("type-error-underlined");
    await page.keyboard.press("Home");
    await page.keyboard.press("Shift+End");
    await page.keyboard.type("const rate: number = 0.5;");
    await squiggle.first().waitFor({ state: "detached", timeout: 30_000 });
    await shot("type-error-fixed");
    assert.equal(await squiggle.count(), 0);
    await resetFirstCell();
  });

  test("the Variables view lists w with its shape and dtype after the cell ran", async () => {
    await runCommand(page, "Notebook: Run All");
    await waitForRunToFinish(page, 120_000);
    await runCommand(page, "Explorer: Focus on Notebook Variables View");
    const row = page.locator(".pane-body .monaco-list-row", { hasText: "[2, 2] float32" });
    await row.first().waitFor({ timeout: 30_000 }).finally(() => shot("variables-view"));
    const text = await row.first().innerText();
    assert.match(text, /^w\s*tf\.Variable/);
    assert.match(text, /tf\.Variable \[2, 2\] float32 · min 1 · max 4 · mean 2\.5/);
  });

  test("clicking w shows its value beside the notebook, drawn by the tensor view", async () => {
    await page.locator(".pane-body .monaco-list-row", { hasText: "[2, 2] float32" }).first().click();
    const tab = page.locator(".tab", { hasText: "w — tf.Variable [2, 2] float32" });
    await tab.first().waitFor({ timeout: 30_000 });
    const panel = await waitForValuePanel((shown) => shown.cells.length === 4);
    await shot("variable-value");
    assert.deepEqual(panel?.cells, ["1.0", "2.0", "3.0", "4.0"], `the panel shows: ${JSON.stringify(panel)}`);
    assert.match(panel!.summary, /^w: tf\.Variable \[2, 2\] float32 · min 1 · max 4 · mean 2\.5$/);
  });

  test("the open value panel follows w when a cell changes it, and says w is gone after a restart", async () => {
    await typeLine("w.assign(tf.mul(w, 10));");
    await page.keyboard.press("Escape");
    await runCommand(page, "Notebook: Run All");
    await waitForRunToFinish(page, 120_000);
    const changed = await waitForValuePanel((shown) => shown.cells.join(" ") === "10.0 20.0 30.0 40.0");
    await shot("variable-value-changed");
    assert.deepEqual(changed?.cells, ["10.0", "20.0", "30.0", "40.0"], `after the run the panel shows: ${JSON.stringify(changed)}`);
    assert.match(changed!.summary, /min 10 · max 40 · mean 25/);

    await focusFirstCellEnd();
    await page.keyboard.press("Escape");
    await runCommand(page, "Autograd: Restart Kernel");
    const gone = await waitForValuePanel((shown) => /no longer exists/.test(shown.summary), 60_000);
    await shot("variable-value-gone");
    assert.match(gone?.summary ?? "", /^w no longer exists: /, `after the restart the panel shows: ${JSON.stringify(gone)}`);
    assert.deepEqual(gone!.cells, []);
    await resetFirstCell();
  });

  test("a theme switch re-colours a drawn heatmap and loss curve without a re-run", async () => {
    await openNotebook(page, THEMED);
    await runCommand(page, "Notebook: Run All");
    await waitForRunToFinish(page, 120_000);
    let dark = { heatmap: "", plot: "" };
    for (let i = 0; i < 40 && !(dark.heatmap && dark.plot); i++) {
      await page.waitForTimeout(500);
      dark = await drawnColours();
    }
    await shot("theme-dark");
    assert.ok(dark.heatmap && dark.plot, `both drawn: ${JSON.stringify(dark)}`);
    await runCommand(page, "Preferences: Color Theme");
    await page.locator(".quick-input-widget input").fill("Light Modern");
    await page.locator(".quick-input-list .monaco-list-row", { hasText: "Light Modern" }).first().waitFor({ timeout: 10_000 });
    await page.keyboard.press("Enter");
    let light = dark;
    for (let i = 0; i < 40 && (light.heatmap === dark.heatmap || light.plot === dark.plot); i++) {
      await page.waitForTimeout(500);
      light = await drawnColours();
    }
    await shot("theme-light");
    assert.notEqual(light.heatmap, dark.heatmap, "the heatmap is redrawn in the light theme's colours");
    assert.notEqual(light.plot, dark.plot, "the loss curve's text takes the light theme's colour");
  });

  test("in an .ipynb on our kernel, hover, completion and diagnostics are ours alone, none from VS Code's TypeScript service", async () => {
    // The other notebooks stay open: they have unsaved edits, and closing them would ask.
    await page.keyboard.press("Escape");
    await openNotebook(page, IPYNB);
    const editor = page.locator(".notebook-editor >> visible=true");
    await editor.locator(".cell-statusbar-container .cell-status-item", { hasText: "TypeScript" }).first().waitFor({ timeout: 30_000 });
    const token = editor.locator(".view-line span span", { hasText: /^w$/ }).first();
    await token.hover();
    await page.locator(".monaco-hover:not(.hidden)", { hasText: "tf.Variable" }).first().waitFor({ timeout: 60_000 });
    await page.waitForTimeout(1500);
    await page.screenshot({ path: join(screenshots, "ipynb-hover-ours-only.png") });
    const texts = await page.locator(".monaco-hover:not(.hidden) .hover-contents").allInnerTexts();
    assert.ok(texts.some((t) => /const w: tf\.Variable/.test(t)), `hover: ${texts.join(" | ")}`);
    assert.ok(texts.every((t) => !/\bany\b/.test(t)), `only our hover: ${texts.join(" | ")}\n${serverLogLines().join("\n")}`);
    await page.mouse.move(5, 5);

    // VS Code's service, seeing the cell alone, would underline `tf` (Cannot find name 'tf').
    await page.waitForTimeout(3000);
    assert.equal(await editor.locator(".squiggly-error").count(), 0, "no error underlined in a valid cell");

    await typeLine("w.assi");
    await suggestions().first().waitFor({ timeout: 30_000 });
    await page.waitForTimeout(1000);
    const rows = await suggestions().allInnerTexts();
    await shot("ipynb-w-completion");
    const labels = rows.map((row) => row.split("\n")[0].trim());
    assert.ok(labels.some((label) => /^assign\b/.test(label)), `assign is offered: ${rows.join(" | ")}`);
    assert.equal(new Set(labels).size, labels.length, `no entry twice: ${labels.join(" | ")}`);
    await page.keyboard.press("Escape");

    // The server's log names the cell the plugin left unanswered, as the TypeScript extension named it.
    const silenced = serverLogLines().filter((line) => /is a cell of a notebook on the Autograd kernel/.test(line));
    assert.ok(silenced.some((line) => line.includes(`/vscode-notebook-cell/`) && line.includes(`/${IPYNB}#`)), `logged: ${serverLogLines().join("\n")}`);
  });
});
