// What a variable's value panel shows, worked out without VS Code: the one-line description and
// tab title of a variable, which item of the kernel's MIME bundle to draw, and the webview page,
// which loads the notebook renderer's own bundle and hands it that item as an output would.
import { MIME } from "../../display/contract";

interface TensorSummary { shape: number[]; dtype: string; size: number; min: number | null; max: number | null; mean: number | null }
export interface VariableEntry { name: string; type: string; value?: string; tensor?: TensorSummary }

/** `tf.Variable [2, 2] float32`, or the type alone for anything but a tensor. */
function typeAndShape(entry: VariableEntry): string {
  return entry.tensor ? `${entry.type} [${entry.tensor.shape.join(", ")}] ${entry.tensor.dtype}` : entry.type;
}

/** One line of a variable: `tf.Tensor [1000, 1000] float32 · min 0 · max 0 · mean 0`. */
export function describeVariable(entry: VariableEntry): string {
  if (!entry.tensor) return entry.value === undefined ? entry.type : `${entry.type} = ${entry.value}`;
  const { min, max, mean } = entry.tensor;
  const statistics = min === null ? "" : ` · min ${round(min)} · max ${round(max!)} · mean ${round(mean!)}`;
  return `${typeAndShape(entry)}${statistics}`;
}

const round = (x: number) => String(Number(x.toPrecision(4)));

/** The panel's tab: `w — tf.Variable [3] float32`. */
export function variableTitle(entry: VariableEntry): string {
  return `${entry.name} — ${typeAndShape(entry)}`;
}

/** The MIME types our renderer draws, in the order a value's bundle is searched. */
export const DRAWN_MIMES: readonly string[] = [MIME.tensor, MIME.tape, MIME.jacobian, MIME.plotly];

/** What the page is told to show: an item for the renderer, plain text, or why there is no value. */
export type PanelMessage =
  | { kind: "draw"; summary: string; mime: string; text: string }
  | { kind: "text"; summary: string; text: string }
  | { kind: "gone"; summary: string };

/** The message for a variable's bundle (`agnb_variables_reply` `data`): ours drawn, the rest as text. */
export function valueMessage(entry: VariableEntry, data: Record<string, unknown>): PanelMessage {
  const summary = `${entry.name}: ${describeVariable(entry)}`;
  const drawn = DRAWN_MIMES.find((mime) => data[mime] !== undefined);
  if (drawn) {
    const payload = data[drawn];
    return { kind: "draw", summary, mime: drawn, text: typeof payload === "string" ? payload : JSON.stringify(payload) };
  }
  const plain = data["text/plain"];
  return { kind: "text", summary, text: Array.isArray(plain) ? plain.join("") : typeof plain === "string" ? plain : JSON.stringify(data) };
}

/** The message when the kernel no longer has the variable (a restart, a kernel switch, a closed kernel). */
export function goneMessage(name: string, reason: string): PanelMessage {
  return { kind: "gone", summary: `${name} no longer exists: ${reason}.` };
}

export interface PanelPage {
  /** `webview.cspSource`: where the page may load scripts, styles, images and fonts from. */
  cspSource: string;
  /** The renderer bundle's URL as the webview sees it (`webview.asWebviewUri`). */
  rendererUrl: string;
  /** A fresh random token: the page's one inline script carries it. */
  nonce: string;
}

/**
 * The webview page. Scripts run only with the nonce or from the extension's own files; styles
 * may be inline because the renderer adds its stylesheet and sets drawing attributes at run time.
 */
export function valuePanelHtml({ cspSource, rendererUrl, nonce }: PanelPage): string {
  if (!/^[A-Za-z0-9+/=_-]{16,}$/.test(nonce)) throw new Error(`value panel: the nonce must be 16 or more base64 characters, got ${JSON.stringify(nonce)}`);
  const policy = [
    "default-src 'none'",
    `script-src 'nonce-${nonce}' ${cspSource}`,
    `style-src ${cspSource} 'unsafe-inline'`,
    `img-src ${cspSource} data: blob:`,
    `font-src ${cspSource}`,
  ].join("; ");
  // JSON inside a script: `<` escaped so that no text can close the script element.
  const url = JSON.stringify(rendererUrl).replace(/</g, "\\u003c");
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${policy}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
body { color: var(--vscode-editor-foreground); background: var(--vscode-editor-background);
  font-family: var(--vscode-editor-font-family, monospace); font-size: var(--vscode-editor-font-size, 13px); padding: 8px 12px; }
#summary { color: var(--vscode-descriptionForeground); margin-bottom: 8px; }
#value pre { white-space: pre-wrap; margin: 0; }
</style>
</head>
<body>
<div id="summary">Loading…</div>
<div id="value"></div>
<script type="module" nonce="${nonce}">
const vscode = acquireVsCodeApi();
const summary = document.getElementById("summary");
const value = document.getElementById("value");
let renderer;
let drawing;
window.addEventListener("message", async ({ data: message }) => {
  drawing?.abort();
  drawing = new AbortController();
  const signal = drawing.signal;
  summary.textContent = message.summary;
  if (message.kind === "draw") {
    renderer ??= (await import(${url})).activate({});
    if (signal.aborted) return;
    const text = message.text;
    const item = { id: "value", mime: message.mime, metadata: {}, text: () => text, json: () => JSON.parse(text),
      data: () => new TextEncoder().encode(text), blob: () => new Blob([text], { type: message.mime }) };
    await renderer.renderOutputItem(item, value, signal);
  } else if (message.kind === "text") {
    const pre = document.createElement("pre");
    pre.textContent = message.text;
    value.replaceChildren(pre);
  } else value.replaceChildren();
});
vscode.postMessage({ kind: "ready" });
</script>
</body>
</html>
`;
}
