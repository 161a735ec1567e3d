// A notebook as one standalone HTML page: markdown cells rendered (raw HTML in them escaped),
// code cells with their source and outputs, each rich output shown as the static picture its
// bundle carries. Pictures are embedded as data: images and the page's Content-Security-Policy
// allows nothing else to load or run, so an exported page is safe to open whatever the notebook
// held. No Python or Jupyter is needed.
import MarkdownIt from "markdown-it";
import { MIME } from "../display/contract";
import { addStaticPicture } from "../display/draw";
import type { CellOutput, Notebook, NotebookCell } from "./notebook-file";

const markdown = new MarkdownIt({ html: false, linkify: true });

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]!);
}

// eslint-disable-next-line no-control-regex
const ANSI = /\u001b\[[0-9;]*[A-Za-z]/g;

const STYLE = `
body { font: 15px/1.5 system-ui, sans-serif; color: #1f1f1f; background: #fafafa; max-width: 1100px; margin: 2em auto; padding: 0 1em; }
.cell { margin: 1em 0; }
.prompt { color: #777; font: 12px ui-monospace, Menlo, Consolas, monospace; }
pre { font: 13px/1.45 ui-monospace, Menlo, Consolas, monospace; margin: 0.2em 0; white-space: pre-wrap; overflow-wrap: anywhere; }
.source { background: #f0f2f5; border: 1px solid #dde; border-radius: 4px; padding: 0.6em 0.8em; }
.output { padding: 0.3em 0.8em; }
.stderr { background: #fff4f4; }
.error { color: #a1260d; background: #fff0f0; padding: 0.4em; }
.output img { max-width: 100%; height: auto; display: block; }
.markdown code { background: #eef; padding: 0 0.2em; }
`;

/** The richest picture of a display output, or its text. */
function dataOutput(data: Record<string, unknown>): string {
  const bundle = MIME.svg in data ? data : addStaticPicture(data);
  const svg = bundle[MIME.svg];
  if (typeof svg === "string") return image("image/svg+xml", Buffer.from(svg, "utf8").toString("base64"), String(bundle[MIME.text] ?? "picture"));
  for (const mime of ["image/png", "image/jpeg"]) {
    const encoded = data[mime];
    if (typeof encoded === "string" && /^[A-Za-z0-9+/=\s]+$/.test(encoded)) return image(mime, encoded.replace(/\s/g, ""), String(data[MIME.text] ?? "image"));
  }
  if (typeof data["text/markdown"] === "string") return `<div class="markdown">${markdown.render(data["text/markdown"])}</div>`;
  return `<pre>${escapeHtml(String(data[MIME.text] ?? `(${Object.keys(data).join(", ")})`))}</pre>`;
}

function image(mime: string, base64: string, alt: string): string {
  return `<img src="data:${mime};base64,${base64}" alt="${escapeHtml(alt.slice(0, 300))}">`;
}

function outputHtml(output: CellOutput): string {
  if (output.output_type === "stream") return `<div class="output ${output.name}"><pre>${escapeHtml(output.text)}</pre></div>`;
  if (output.output_type === "error") {
    const text = output.traceback.length ? output.traceback.join("\n") : `${output.ename}: ${output.evalue}`;
    return `<div class="output"><pre class="error">${escapeHtml(text.replace(ANSI, ""))}</pre></div>`;
  }
  return `<div class="output">${dataOutput(output.data)}</div>`;
}

function cellHtml(cell: NotebookCell): string {
  if (cell.cell_type === "markdown") return `<div class="cell markdown">${markdown.render(cell.source)}</div>`;
  if (cell.cell_type === "raw") return `<div class="cell"><pre>${escapeHtml(cell.source)}</pre></div>`;
  const count = typeof cell.execution_count === "number" ? String(cell.execution_count) : " ";
  return `<div class="cell code"><div class="prompt">In [${count}]:</div><pre class="source">${escapeHtml(cell.source)}</pre>${(cell.outputs ?? []).map(outputHtml).join("\n")}</div>`;
}

export function notebookToHtml(notebook: Notebook, title: string): string {
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; img-src data:; style-src 'unsafe-inline'">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="Autograd Notebook">
<title>${escapeHtml(title)}</title>
<style>${STYLE}</style>
</head>
<body>
<main>
${notebook.cells.map(cellHtml).join("\n")}
</main>
</body>
</html>
`;
}
