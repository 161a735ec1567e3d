// The drawing module: every payload of the display contract as an SVG picture. The webview
// renderers draw with the same functions; the kernel adds the static picture to each bundle as
// image/svg+xml, so Jupyter, nbconvert, GitHub and nbviewer show the tape, the heatmap and the
// loss curve without our code.
import { MIME, type JacobianPayload, type MimeBundle, type PlotlyPayload, type TapePayload } from "../contract";
import { drawHeatmap } from "./heatmap";
import { drawLineChart } from "./line-chart";
import { drawTape, elideTape } from "./tape";
import { toSvgString } from "./svg";

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

export function tapePicture(tape: TapePayload): string {
  let svg = toSvgString(drawTape(tape));
  for (const ends of TAPE_ENDS) {
    if (svg.length <= PICTURE_BUDGET.tape) break;
    svg = toSvgString(drawTape(elideTape(tape, ends, ends)));
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
 * The bundle with the static picture of its richest payload added as image/svg+xml, just
 * before text/plain. A payload that cannot be drawn leaves the bundle as it was: the picture is
 * a convenience and must never cost the output itself.
 */
export function addStaticPicture(bundle: MimeBundle): MimeBundle {
  if (MIME.svg in bundle) return bundle;
  for (const [mime, draw] of PICTURES) {
    if (!(mime in bundle)) continue;
    let svg: string;
    try {
      svg = draw(bundle[mime] as never);
    } catch {
      return bundle;
    }
    const { [MIME.text]: text, ...rest } = bundle;
    return text === undefined ? { ...rest, [MIME.svg]: svg } : { ...rest, [MIME.svg]: svg, [MIME.text]: text };
  }
  return bundle;
}
