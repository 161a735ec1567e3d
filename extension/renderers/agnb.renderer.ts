// The notebook renderer: one entry point for every MIME type of the display contract. It picks
// the render function for the output's MIME type and turns a bad payload into a readable error
// in the output instead of a blank cell.
import type { ActivationFunction, OutputItem } from "vscode-notebook-renderer";
import { MIME } from "../../display/contract";
import { html } from "./dom";
import { ensureStyles } from "./styles";
import { renderTensor } from "./tensor";
import { renderTape } from "./tape";
import { renderJacobian } from "./jacobian";
import { renderPlot } from "./plot";
import { followTheme } from "./theme-watch";

type RenderFunction = (payload: unknown, element: HTMLElement, signal?: AbortSignal) => void | Promise<void>;

export const RENDERERS: Record<string, RenderFunction> = {
  [MIME.tensor]: renderTensor,
  [MIME.tape]: renderTape,
  [MIME.jacobian]: renderJacobian,
  [MIME.plotly]: renderPlot,
};

/** Renders one output item into `element`; errors are shown in place, never thrown. */
export async function renderOutput(mime: string, readJson: () => unknown, element: HTMLElement, signal?: AbortSignal): Promise<void> {
  ensureStyles(element);
  try {
    const render = RENDERERS[mime];
    if (!render) throw new Error(`no renderer for MIME type ${mime}`);
    let payload: unknown;
    try {
      payload = readJson();
    } catch (error) {
      throw new Error(`${mime} output is not valid JSON: ${(error as Error).message}`);
    }
    await render(payload, element, signal);
    // These two draw with colours read from the theme; the rest follow its CSS variables.
    if (mime === MIME.jacobian || mime === MIME.plotly) followTheme(element, () => render(payload, element));
  } catch (error) {
    element.replaceChildren(html(element, "div", { class: "agnb agnb-error" }, `Cannot draw this output. ${(error as Error).message}`));
  }
}

export const activate: ActivationFunction = () => ({
  renderOutputItem(item: OutputItem, element: HTMLElement, signal: AbortSignal) {
    return renderOutput(item.mime, () => item.json(), element, signal);
  },
});
