// Redraws outputs when the VS Code theme changes: the webview then rewrites the theme's CSS
// variables on <html> and the theme class on <body>, which pictures drawn in the old colours
// (heatmaps, plotly titles and axes) would otherwise keep until the cell runs again.
type Redraw = () => unknown;

const drawn = new Map<HTMLElement, Redraw>();
const watched = new WeakSet<Document>();
let pending = false;

/** Redraws `element` with `redraw` after each theme change, for as long as it is in the page. */
export function followTheme(element: HTMLElement, redraw: Redraw): void {
  drawn.set(element, redraw);
  const document = element.ownerDocument;
  const Observer = document.defaultView?.MutationObserver;
  if (watched.has(document) || !Observer) return;
  watched.add(document);
  const observer = new Observer(() => {
    if (pending) return;
    pending = true;
    // One redraw for the burst of attribute changes a theme switch makes.
    setTimeout(() => {
      pending = false;
      for (const [output, again] of drawn) {
        if (!output.isConnected) drawn.delete(output);
        else void Promise.resolve().then(again).catch(() => undefined);
      }
    }, 50);
  });
  observer.observe(document.documentElement, { attributes: true, attributeFilter: ["style", "class"] });
  if (document.body) observer.observe(document.body, { attributes: true, attributeFilter: ["class", "data-vscode-theme-kind"] });
}
