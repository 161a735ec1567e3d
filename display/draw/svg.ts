// A small SVG tree that every picture is drawn into once, then either written out as a
// standalone SVG document (the static picture in each bundle) or built into a live DOM (the
// webview renderers). Text and attribute values are escaped on the way out, so a payload's
// strings can never become markup.

export type SvgAttrs = Record<string, string | number | undefined>;

export interface SvgNode {
  tag: string;
  attrs: SvgAttrs;
  children: Array<SvgNode | string>;
}

export const SVG_NS = "http://www.w3.org/2000/svg";

/** Tags a picture may contain; anything else (script, foreignObject, image, use) is refused. */
const ALLOWED_TAGS = new Set(["svg", "g", "rect", "path", "line", "polyline", "circle", "text", "title", "style"]);

export function el(tag: string, attrs: SvgAttrs = {}, ...children: Array<SvgNode | string | null | undefined | false>): SvgNode {
  if (!ALLOWED_TAGS.has(tag)) throw new Error(`drawing: <${tag}> is not allowed in a picture`);
  return { tag, attrs, children: children.filter((c): c is SvgNode | string => c !== null && c !== undefined && c !== false) };
}

/** Control characters other than tab and newline are not allowed in XML 1.0 at all. */
// eslint-disable-next-line no-control-regex
const NOT_XML = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

export function escapeXml(text: string): string {
  return text.replace(NOT_XML, "\ufffd").replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]!);
}

function attributeText(attrs: SvgAttrs): string {
  let text = "";
  for (const [key, value] of Object.entries(attrs)) {
    if (value === undefined) continue;
    if (!/^[a-zA-Z][a-zA-Z0-9-]*$/.test(key) || /^on/.test(key) || key === "href") throw new Error(`drawing: attribute ${key} is not allowed in a picture`);
    text += ` ${key}="${escapeXml(String(value))}"`;
  }
  return text;
}

/** The tree as SVG markup; the root gets the SVG namespace. */
export function toSvgString(node: SvgNode): string {
  const write = (n: SvgNode | string): string => {
    if (typeof n === "string") return escapeXml(n);
    const attrs = n.tag === "svg" ? { xmlns: SVG_NS, ...n.attrs } : n.attrs;
    const inner = n.children.map(write).join("");
    return `<${n.tag}${attributeText(attrs)}${inner ? `>${inner}</${n.tag}>` : "/>"}`;
  };
  return write(node);
}

/** The tree as live SVG elements in the document of `context`. */
export function toDom(context: Node, node: SvgNode): SVGElement {
  const doc = context.ownerDocument ?? (context as Document);
  const build = (n: SvgNode): SVGElement => {
    const element = doc.createElementNS(SVG_NS, n.tag) as SVGElement;
    for (const [key, value] of Object.entries(n.attrs)) if (value !== undefined) element.setAttribute(key, String(value));
    for (const child of n.children) element.append(typeof child === "string" ? doc.createTextNode(child) : build(child));
    return element;
  };
  return build(node);
}

/** Numbers in coordinates: at most one decimal, no "-0". */
export function px(value: number): string {
  const rounded = Math.round(value * 10) / 10;
  return String(rounded === 0 ? 0 : rounded);
}
