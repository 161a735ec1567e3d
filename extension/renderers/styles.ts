// One stylesheet for every output, written against VS Code's theme variables (with plain
// fallbacks so the same markup reads well outside VS Code). High-contrast themes define
// --vscode-contrastBorder, which the borders pick up.

const CSS = `
.agnb { font-family: var(--vscode-editor-font-family, monospace); font-size: var(--vscode-editor-font-size, 13px);
  color: var(--vscode-editor-foreground, #333); line-height: 1.4; }
.agnb-meta { color: var(--vscode-descriptionForeground, #717171); font-size: 0.9em; }
.agnb-error { color: var(--vscode-errorForeground, #c00); white-space: pre-wrap; }
.agnb-label { font-weight: 600; margin-right: 0.6em; color: var(--vscode-symbolIcon-variableForeground, inherit); }
.agnb-scalar { font-size: 2em; font-weight: 600; margin-right: 0.4em; }
.agnb-entry { margin: 0.2em 0 0.6em; }
.agnb-entry + .agnb-entry { border-top: 1px solid var(--vscode-contrastBorder, var(--vscode-editorWidget-border, #8883)); padding-top: 0.4em; }
.agnb-table { border-collapse: collapse; margin-top: 0.2em; }
.agnb-table td, .agnb-table th { border: 1px solid var(--vscode-contrastBorder, var(--vscode-editorWidget-border, #8884));
  padding: 1px 6px; text-align: right; font-variant-numeric: tabular-nums; }
.agnb-table th { color: var(--vscode-descriptionForeground, #717171); font-weight: normal; }
.agnb-strip { display: flex; height: 14px; max-width: 512px; margin: 4px 0; border: 1px solid var(--vscode-contrastBorder, transparent); }
.agnb-strip > span { flex: 1; }
.agnb-summary td { text-align: left; }
.agnb-warn { color: var(--vscode-editorWarning-foreground, #b80); }
.agnb-graph { border: 1px solid var(--vscode-contrastBorder, var(--vscode-editorWidget-border, #8884)); overflow: hidden;
  cursor: grab; max-height: 560px; touch-action: none; }
.agnb-graph svg { display: block; user-select: none; }
.agnb-graph text { fill: var(--vscode-editor-foreground, #333); font-size: 11px; font-family: inherit; }
.agnb-graph .edge { stroke: var(--vscode-descriptionForeground, #888); stroke-width: 1.2; fill: none; }
.agnb-graph .edge-label { fill: var(--vscode-descriptionForeground, #888); font-size: 10px; }
.agnb-graph .on-path.edge { stroke: var(--vscode-charts-orange, #d18616); stroke-width: 2.5; }
.agnb-graph .node rect { stroke: var(--vscode-contrastBorder, var(--vscode-editor-foreground, #333)); stroke-width: 1; }
.agnb-graph .node.op rect { fill: var(--vscode-editorWidget-background, #f3f3f3); }
.agnb-graph .node.source rect { fill: var(--vscode-charts-blue, #1a85ff); fill-opacity: 0.35; }
.agnb-graph .node.constant rect { fill: var(--vscode-charts-foreground, #888); fill-opacity: 0.15; }
.agnb-graph .node.target rect { fill: var(--vscode-charts-green, #388a34); fill-opacity: 0.35; }
.agnb-graph .node.on-path rect { stroke: var(--vscode-charts-orange, #d18616); stroke-width: 2.5; }
.agnb-graph .node .grad { font-size: 10px; font-weight: 600; }
.agnb-graph .node:hover rect, .agnb-graph .node.selected rect { stroke-width: 3; }
.agnb-toolbar { display: flex; gap: 0.5em; align-items: center; margin: 2px 0 4px; }
.agnb-toolbar button { background: var(--vscode-button-secondaryBackground, #ddd); color: var(--vscode-button-secondaryForeground, #222);
  border: 1px solid var(--vscode-contrastBorder, transparent); padding: 1px 8px; cursor: pointer; font: inherit; }
.agnb-toolbar button[aria-pressed="true"] { background: var(--vscode-button-background, #0e639c); color: var(--vscode-button-foreground, #fff); }
.agnb-detail { min-height: 1.4em; white-space: pre-wrap; }
.agnb-heatmap { display: grid; grid-template-columns: auto auto auto; justify-content: start; gap: 4px 6px; align-items: start; }
.agnb-heatmap canvas { image-rendering: pixelated; border: 1px solid var(--vscode-contrastBorder, var(--vscode-editorWidget-border, #8884)); cursor: crosshair; }
.agnb-axis { color: var(--vscode-descriptionForeground, #717171); font-size: 0.85em; }
.agnb-legend { display: flex; flex-direction: column; align-items: flex-start; font-size: 0.85em; }
.agnb-legend .bar { width: 14px; height: 120px; border: 1px solid var(--vscode-contrastBorder, transparent); }
.agnb-plot { min-height: 320px; }
`;

const STYLE_ID = "agnb-renderer-style";

/** Adds the stylesheet to the element's document once. */
export function ensureStyles(element: Element): void {
  const doc = element.ownerDocument;
  if (doc.getElementById(STYLE_ID)) return;
  const style = doc.createElement("style");
  style.id = STYLE_ID;
  style.textContent = CSS;
  (doc.head ?? doc.documentElement).append(style);
}
