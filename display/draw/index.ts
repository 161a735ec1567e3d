// The drawing module: every payload of the display contract as an SVG picture. The webview
// renderers draw with the same functions; the kernel adds the static picture to each bundle as
// image/svg+xml, so Jupyter, nbconvert, GitHub and nbviewer show the tape, the heatmap and the
// loss curve without our code.
import { MIME, type JacobianPayload, type MimeBundle, type PlotlyPayload, type TapePayload } from "../contract";
import { drawHeatmap } from "./heatmap";
import { drawLineChart } from "./line-chart";
import { drawTape, elideTape } from "./tape";
import { escapeXml, toSvgString } from "./svg";

export { drawHeatmap, drawLineChart, drawTape, toSvgString };

/**
 * Largest static picture of each kind, in characters. A picture that would be larger is drawn
 * simplified (a binned heatmap, a tape with its middle collapsed) rather than cut.
 */
export const PICTURE_BUDGET = { tape: 64_000, jacobian: 40_000, plotly: 32_000 } as const;
/** Squares a side of a static heatmap; larger matrices are binned. */
export const STATIC_HEATMAP_SIDE = 50;
/** Ops kept at each end of a tape whose whole picture is over budget, tried in turn. */
const TAPE_ENDS = [60, 40, 24, 12, 6, 2];

/** An op with its edges takes about this many characters of a picture (measured: 450-600). */
const CHARACTERS_PER_OP = 450;

export function tapePicture(tape: TapePayload): string {
  // Tapes far over budget skip the drawings that could not fit.
  const ends = TAPE_ENDS.filter((n) => (2 * n + 1) * CHARACTERS_PER_OP <= PICTURE_BUDGET.tape);
  let svg = tape.nodes.length * CHARACTERS_PER_OP <= 2 * PICTURE_BUDGET.tape ? toSvgString(drawTape(tape)) : "";
  for (const n of ends) {
    if (svg && svg.length <= PICTURE_BUDGET.tape) break;
    svg = toSvgString(drawTape(elideTape(tape, n, n)));
  }
  return svg;
}

export function heatmapPicture(jacobian: JacobianPayload): string {
  return toSvgString(drawHeatmap(jacobian, { maxSide: STATIC_HEATMAP_SIDE }).svg);
}

export function lineChartPicture(plot: PlotlyPayload): string {
  return toSvgString(drawLineChart(plot));
}

const PICTURES: Array<[string, (payload: never) => string]> = [
  [MIME.jacobian, heatmapPicture], [MIME.tape, tapePicture], [MIME.plotly, lineChartPicture],
];

/**
 * The picture as text/html: an <img> of the SVG as a data: URI. Frontends that prefer HTML show
 * it, and it survives sanitisers that mangle inline SVG (nbconvert 6.5 strips every element
 * inside an image/svg+xml output); an <img> never runs script nor loads anything.
 */
export function pictureHtml(svg: string, alt: string): string {
  return `<img alt="${escapeXml(alt)}" src="data:image/svg+xml;base64,${base64Of(svg)}">`;
}

/** UTF-8 then base64, in Node (the kernel) and in a browser alike. */
function base64Of(text: string): string {
  if (typeof Buffer !== "undefined") return Buffer.from(text, "utf8").toString("base64");
  let binary = "";
  for (const byte of new TextEncoder().encode(text)) binary += String.fromCharCode(byte);
  return btoa(binary);
}

/**
 * The bundle with the static picture of its richest payload added, as image/svg+xml and as
 * text/html (see pictureHtml), just before text/plain. A payload that cannot be drawn leaves the
 * bundle as it was: the picture is a convenience and must never cost the output itself.
 */
export function addStaticPicture(bundle: MimeBundle): MimeBundle {
  if (MIME.svg in bundle || MIME.html in bundle) return bundle;
  for (const [mime, draw] of PICTURES) {
    if (!(mime in bundle)) continue;
    let svg: string;
    try {
      svg = draw(bundle[mime] as never);
    } catch {
      return bundle;
    }
    const { [MIME.text]: text, ...rest } = bundle;
    const alt = typeof text === "string" ? text.split("\n")[0].slice(0, 200) : mime;
    const pictures = { [MIME.svg]: svg, [MIME.html]: pictureHtml(svg, alt) };
    return text === undefined ? { ...rest, ...pictures } : { ...rest, ...pictures, [MIME.text]: text };
  }
  return bundle;
}
