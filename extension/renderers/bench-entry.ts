// Bundled into a page by bench/extension.ts: renders the heaviest outputs in a real browser and
// reports the median time of each, as the notebook webview would draw them.
import { renderJacobian } from "./jacobian";
import { renderTape } from "./tape";
import { ensureStyles } from "./styles";
import { syntheticJacobian, syntheticTape } from "./fixtures";

function medianRenderMs(render: (element: HTMLElement) => void, repeats: number): number {
  const times: number[] = [];
  for (let i = 0; i < repeats; i++) {
    const element = document.createElement("div");
    document.body.replaceChildren(element);
    const start = performance.now();
    render(element);
    // Layout is part of drawing: reading a size forces it before the clock stops.
    void element.getBoundingClientRect().height;
    times.push(performance.now() - start);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)];
}

(globalThis as { agnbRenderBench?: unknown }).agnbRenderBench = (repeats: number) => {
  ensureStyles(document.body);
  const jacobian = syntheticJacobian(100, 100);
  const tape = syntheticTape(500);
  return {
    jacobianMs: medianRenderMs((element) => renderJacobian(jacobian, element), repeats),
    tapeMs: medianRenderMs((element) => renderTape(tape, element), repeats),
  };
};
