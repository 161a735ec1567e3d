// Drives the VS Code workbench in Chromium through playwright-core: opening files, running
// commands, waiting for a run to finish, and reading what the renderers drew inside the
// notebook's webview frames.
import { chromium, type Browser, type Frame, type Page } from "playwright-core";

export async function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: "/usr/bin/chromium",
    args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
      "--disable-component-update", "--disable-sync", "--disable-breakpad", "--disable-crash-reporter"],
  });
}

export async function openWorkbench(browser: Browser, url: string): Promise<Page> {
  const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
  await page.goto(url);
  await page.locator(".monaco-workbench").waitFor({ timeout: 60_000 });
  await page.locator(".explorer-folders-view, .welcome-view, .pane-body").first().waitFor({ timeout: 60_000 });
  return page;
}

/** Runs a command by its title from the command palette (F1). */
export async function runCommand(page: Page, title: string): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    await focusWorkbench(page);
    await page.keyboard.press("F1");
    const input = page.locator(".quick-input-widget input");
    await input.waitFor();
    await input.fill(`>${title}`);
    const row = page.locator(".quick-input-list .monaco-list-row", { hasText: title }).first();
    try {
      await row.waitFor({ timeout: 5_000 });
      await row.click();
      return;
    } catch (error) {
      // A command whose precondition is not met yet (editor still loading) is not listed.
      await page.keyboard.press("Escape");
      if (attempt === 4) throw error;
      await page.waitForTimeout(2000);
    }
  }
}

/** Takes keyboard focus out of output webviews, which would swallow workbench shortcuts. */
async function focusWorkbench(page: Page): Promise<void> {
  await page.evaluate("document.activeElement && document.activeElement.tagName === 'IFRAME' && document.activeElement.blur()");
}

/** Opens a workspace file with Quick Open (Ctrl+P). */
export async function openFile(page: Page, name: string): Promise<void> {
  await focusWorkbench(page);
  await page.keyboard.press("Control+P");
  const input = page.locator(".quick-input-widget input");
  await input.waitFor();
  await input.fill(name);
  await page.locator(".quick-input-list .monaco-list-row", { hasText: name }).first().waitFor({ timeout: 15_000 });
  await page.keyboard.press("Enter");
}

export async function openNotebook(page: Page, name: string): Promise<void> {
  await openFile(page, name);
  await page.locator(".tab.active", { hasText: name }).waitFor({ timeout: 30_000 });
  await page.locator(".notebook-editor .monaco-list-row >> visible=true").first().waitFor({ timeout: 60_000 });
}

/** If VS Code asks which kernel to use, picks ours. */
async function pickKernelIfAsked(page: Page): Promise<void> {
  const choice = page.locator(".quick-input-widget .monaco-list-row", { hasText: "TypeScript (Autograd)" }).first();
  if (await choice.isVisible().catch(() => false)) await choice.click();
}

export async function statusText(page: Page): Promise<string> {
  const item = page.locator(".statusbar-item", { hasText: "Autograd:" }).first();
  return (await item.textContent({ timeout: 1000 }).catch(() => null)) ?? "";
}

/**
 * Waits until no cell of the active notebook is queued or running (and stays so for a moment);
 * returns the Date.now() at which that was first seen.
 */
export async function waitForRunToFinish(page: Page, timeoutMs: number): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  let quietSince = 0;
  while (Date.now() < deadline) {
    await pickKernelIfAsked(page);
    // While anything runs, the active notebook's toolbar offers Interrupt instead of Run All.
    const running = await page.locator(".notebook-toolbar-container .action-item >> visible=true", { hasText: "Interrupt" }).count();
    const status = await statusText(page);
    if (running === 0 && /idle/.test(status)) {
      quietSince ||= Date.now();
      if (Date.now() - quietSince > 1500) return quietSince;
    } else quietSince = 0;
    await page.waitForTimeout(250);
  }
  throw new Error(`the notebook was still running after ${timeoutMs / 1000} s (status: ${await statusText(page)})`);
}

export interface DrawnOutputs {
  text: string;
  tensorScalars: string[];
  tensorCells: string[];
  tapeOps: string[];
  heatmaps: number;
  plotlyCurves: number;
  errors: string[];
}

// Plain JavaScript source: evaluated inside each webview frame. (A TypeScript function would be
// compiled with helpers that do not exist in the page.)
const READ_FRAME = `(() => {
  const all = (selector) => [...document.querySelectorAll(selector)].map((n) => n.textContent || "");
  return {
    text: document.body ? document.body.innerText : "",
    tensorScalars: all(".agnb-tensor .agnb-scalar"),
    tensorCells: all(".agnb-tensor td"),
    tapeOps: all(".agnb-tape .node.op .label"),
    heatmaps: document.querySelectorAll(".agnb-jacobian svg.agnb-heatmap").length,
    plotlyCurves: document.querySelectorAll(".agnb-plot-root .js-plotly-plot .scatterlayer path.js-line").length,
    errors: all(".agnb-error"),
  };
})()`;

async function readFrame(frame: Frame): Promise<DrawnOutputs | null> {
  return (frame.evaluate(READ_FRAME) as Promise<DrawnOutputs>).catch(() => null);
}

/** Scrolls through the notebook (outputs render as cells come into view) and gathers what the renderers drew. */
export async function collectOutputs(page: Page): Promise<DrawnOutputs> {
  const total: DrawnOutputs = { text: "", tensorScalars: [], tensorCells: [], tapeOps: [], heatmaps: 0, plotlyCurves: 0, errors: [] };
  const seen = new Set<string>();
  const editor = page.locator(".notebook-editor .monaco-list").last();
  const box = await editor.boundingBox();
  if (box) await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
  for (let step = 0; step < 40; step++) {
    for (const frame of page.frames()) {
      const drawn = await readFrame(frame);
      if (!drawn) continue;
      const key = `${frame.url()}|${drawn.text}`;
      if (seen.has(key)) continue;
      seen.add(key);
      total.text += `\n${drawn.text}`;
      total.tensorScalars.push(...drawn.tensorScalars);
      total.tensorCells.push(...drawn.tensorCells);
      total.tapeOps.push(...drawn.tapeOps);
      total.heatmaps = Math.max(total.heatmaps, drawn.heatmaps);
      total.plotlyCurves = Math.max(total.plotlyCurves, drawn.plotlyCurves);
      total.errors.push(...drawn.errors);
    }
    const before = await scrollTop(page);
    await page.mouse.wheel(0, 600);
    await page.waitForTimeout(300);
    if ((await scrollTop(page)) === before) break;
  }
  return total;
}

async function scrollTop(page: Page): Promise<number> {
  // The notebook's own scrollbar: the one around its cell rows (cell editors have their own).
  return page.evaluate(`(() => {
    const row = [...document.querySelectorAll(".notebook-editor .monaco-list-row")].find((r) => r.offsetParent !== null);
    const list = row && row.parentElement && row.parentElement.parentElement;
    const slider = list && list.querySelector(":scope > .scrollbar.vertical > .slider");
    return slider ? slider.offsetTop : -1;
  })()`) as Promise<number>;
}

export async function scrollToTop(page: Page): Promise<void> {
  const editor = page.locator(".notebook-editor .monaco-list").last();
  const box = await editor.boundingBox();
  if (box) await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
  for (let i = 0; i < 40; i++) await page.mouse.wheel(0, -2000);
  await page.waitForTimeout(300);
}

/** A screenshot of the notebook from its top, written to `path` (and named in the test log). */
export async function screenshotFromTop(page: Page, path: string): Promise<string> {
  await scrollToTop(page);
  await page.screenshot({ path });
  console.log(`screenshot: ${path}`);
  return path;
}
