import { test } from "node:test";
import assert from "node:assert/strict";
import { renderOutput } from "./agnb.renderer";
import { makeOutputElement } from "./test-dom";
import { MIME } from "../../display/contract";

const hessian = { kind: "hessian" as const, targetShape: [2], sourceShape: [2], rows: 2, cols: 2, values: [1, 0, 0, -1] };

/** The colours a drawn picture uses: fills and text colours, as written in its SVG. */
function coloursIn(element: HTMLElement): string {
  return [...element.querySelectorAll("svg *")].map((node) => `${node.getAttribute("fill") ?? ""} ${node.getAttribute("stroke") ?? ""}`).join(" ");
}

/**
 * As VS Code switches a webview's theme: new variables and a new class on <body>. (happy-dom does
 * not inherit custom properties, so the output's own style carries them here.)
 */
function setTheme(element: HTMLElement, background: string, foreground: string, kind: string): void {
  element.style.setProperty("--vscode-editor-background", background);
  element.style.setProperty("--vscode-editor-foreground", foreground);
  element.ownerDocument.body.className = kind;
}

test("a drawn heatmap takes the new theme's colours when the theme changes, without a re-run", async () => {
  const element = makeOutputElement();
  setTheme(element, "#ffffff", "#333333", "vscode-light");
  await renderOutput(MIME.jacobian, () => hessian, element);
  const light = coloursIn(element);
  // Zero entries and the picture's ground are the editor's background.
  assert.match(light, /#ffffff/i, "drawn on the light theme's background");
  setTheme(element, "#1e1e1e", "#d4d4d4", "vscode-dark");
  await new Promise((resolve) => setTimeout(resolve, 200));
  const dark = coloursIn(element);
  assert.notEqual(dark, light);
  assert.match(dark, /#1e1e1e/i, "redrawn on the dark theme's background");
  assert.doesNotMatch(dark, /#ffffff/i);
});

test("an output removed from the page is not redrawn", async () => {
  const element = makeOutputElement();
  setTheme(element, "#ffffff", "#333333", "vscode-light");
  await renderOutput(MIME.jacobian, () => hessian, element);
  element.remove();
  const before = element.innerHTML;
  setTheme(element, "#000000", "#ffffff", "vscode-high-contrast");
  await new Promise((resolve) => setTimeout(resolve, 200));
  assert.equal(element.innerHTML, before);
});
