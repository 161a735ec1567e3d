// What every static picture shares: a standalone <svg> with its own opaque background (so it
// reads on light and dark pages alike), a title line, and a stylesheet scoped to the picture so
// that, inlined into a page, it styles nothing else.
import { el, px, type SvgNode } from "./svg";

export interface PictureTheme { background: string; ink: string; muted: string }
export const LIGHT: PictureTheme = { background: "#ffffff", ink: "#222222", muted: "#666666" };

export const PICTURE_CLASS = "agnb-pic";
const HEADER = 22;
const PAD = 8;

export interface FrameOptions {
  width: number;
  height: number;
  title: string;
  /** A second, muted line under the title (what was simplified, for instance). */
  note?: string;
  /** Rules for the picture's own classes; each is scoped to this picture's class. */
  style?: string;
  theme?: PictureTheme;
}

/** `a{..}b,c{..}` → `.agnb-pic a{..}.agnb-pic b,.agnb-pic c{..}` */
export function scopeCss(css: string): string {
  return css.replace(/\s*\n\s*/g, "").replace(/(^|})([^{}]+)\{/g, (_m, end: string, selectors: string) =>
    `${end}${selectors.split(",").map((s) => `.${PICTURE_CLASS} ${s.trim()}`).join(",")}{`);
}

export function pictureFrame(options: FrameOptions, content: SvgNode[]): SvgNode {
  const theme = options.theme ?? LIGHT;
  const top = HEADER + (options.note ? 16 : 0);
  const width = Math.ceil(Math.max(options.width, 240, options.title.length * 7.3) + 2 * PAD);
  const height = Math.ceil(options.height + top + PAD);
  const base = `text{fill:${theme.ink};font-family:ui-monospace,Menlo,Consolas,monospace;font-size:12px}.muted{fill:${theme.muted};font-size:11px}`;
  return el("svg", { class: PICTURE_CLASS, width, height, viewBox: `0 0 ${width} ${height}`, role: "img", "aria-label": options.title },
    "\n", el("style", {}, scopeCss(base + (options.style ?? ""))), "\n",
    el("rect", { width, height, fill: theme.background }), "\n",
    el("text", { x: PAD, y: 15 }, truncate(options.title, Math.floor(width / 7))), "\n",
    options.note && el("text", { class: "muted", x: PAD, y: 31 }, truncate(options.note, Math.floor(width / 6.5))), options.note && "\n",
    el("g", { transform: `translate(${PAD},${px(top)})` }, "\n", ...content.flatMap((node) => [node, "\n"])), "\n");
}

export function truncate(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, Math.max(1, max - 1))}…` : text;
}
