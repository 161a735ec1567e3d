// DOM helpers shared by every render function. Output payloads are untrusted: text only ever
// reaches the page through textContent or attribute values, never through innerHTML.

type Attrs = Record<string, string | number | undefined>;
type Child = Node | string | null | undefined | false;

function fill<T extends Element>(node: T, attrs: Attrs, children: Child[]): T {
  for (const [key, value] of Object.entries(attrs)) {
    if (value !== undefined) node.setAttribute(key, String(value));
  }
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    node.append(typeof child === "string" ? node.ownerDocument.createTextNode(child) : child);
  }
  return node;
}

/** An HTML element in the document of `context`. */
export function html<K extends keyof HTMLElementTagNameMap>(
  context: Node, tag: K, attrs: Attrs = {}, ...children: Child[]
): HTMLElementTagNameMap[K] {
  const doc = context.ownerDocument ?? (context as Document);
  return fill(doc.createElement(tag), attrs, children);
}

export const SVG_NS = "http://www.w3.org/2000/svg";

/** An SVG element in the document of `context`. */
export function svg<K extends keyof SVGElementTagNameMap>(
  context: Node, tag: K, attrs: Attrs = {}, ...children: Child[]
): SVGElementTagNameMap[K] {
  const doc = context.ownerDocument ?? (context as Document);
  return fill(doc.createElementNS(SVG_NS, tag) as SVGElementTagNameMap[K], attrs, children);
}

// Numbers and shapes are written as the static pictures write them.
export { formatElement, formatNumber, formatShape } from "../../display/format";

/** An error raised for a payload that does not match the display contract. */
export class PayloadError extends Error {
  constructor(mime: string, problem: string) {
    super(`${mime} output: ${problem}`);
    this.name = "PayloadError";
  }
}

export function requireArray(mime: string, value: unknown, what: string): unknown[] {
  if (!Array.isArray(value)) throw new PayloadError(mime, `${what} must be an array, got ${describe(value)}`);
  return value;
}

export function requireObject(mime: string, value: unknown, what: string): Record<string, unknown> {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new PayloadError(mime, `${what} must be an object, got ${describe(value)}`);
  }
  return value as Record<string, unknown>;
}

export function describe(value: unknown): string {
  if (value === null || value === undefined) return String(value);
  if (Array.isArray(value)) return "an array";
  return typeof value === "object" ? "an object" : `${typeof value} ${JSON.stringify(value)}`;
}

/** A CSS custom property of the VS Code theme, or `fallback` outside VS Code. */
export function themeColor(element: Element, variable: string, fallback: string): string {
  const view = element.ownerDocument.defaultView;
  const value = view?.getComputedStyle(element).getPropertyValue(variable).trim();
  return value || fallback;
}

/** The editor's colours for a picture drawn by display/draw (its light defaults outside VS Code). */
export function pictureTheme(element: Element): { background: string; ink: string; muted: string } {
  const background = themeColor(element, "--vscode-editor-background", "#ffffff");
  return {
    // A background the colour scales cannot read (a named colour, a variable) falls back to white.
    background: /^#[0-9a-f]{6}$|^#[0-9a-f]{3}$|^rgba?\(/i.test(background) ? background : "#ffffff",
    ink: themeColor(element, "--vscode-editor-foreground", "#333333"),
    muted: themeColor(element, "--vscode-descriptionForeground", "#717171"),
  };
}
