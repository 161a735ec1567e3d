/** `model.summary()`: the layer table Keras prints. */
import { InputLayer, type Layer, type SymbolicShape } from "./layers";
import { formatShape } from "./names";
import type { Model } from "./model";

const COLUMNS = [29, 26, 10];

function row(cells: string[]): string {
  // A cell wider than its column still keeps one space before the next.
  return " " + cells.map((cell, i) => (cell.length < COLUMNS[i] ? cell.padEnd(COLUMNS[i]) : `${cell} `)).join("").trimEnd();
}

function outputShapeText(layer: Layer, inputShape: SymbolicShape | undefined): string {
  if (!inputShape) return "(unbuilt)";
  const shape = formatShape(layer instanceof InputLayer ? inputShape : layer.computeOutputShape(inputShape));
  return layer instanceof InputLayer ? `[${shape}]` : shape;
}

export function summarize(model: Model): string {
  const width = COLUMNS.reduce((a, b) => a + b, 0) + 1;
  const lines = [`Model: "${model.name}"`, "_".repeat(width), row(["Layer (type)", "Output Shape", "Param #"]), "=".repeat(width)];
  let shape = model.inputShape;
  model.layers.forEach((layer, i) => {
    const outputText = outputShapeText(layer, shape);
    if (shape && !(layer instanceof InputLayer)) shape = layer.computeOutputShape(shape);
    lines.push(row([`${layer.name} (${layer.className})`, outputText, String(layer.countParams())]));
    lines.push(i === model.layers.length - 1 ? "=".repeat(width) : "");
  });
  if (model.layers.length === 0) lines.push("=".repeat(width));
  const total = model.countParams();
  const trainable = model.trainableWeights.reduce((sum, v) => sum + v.shape.reduce((a, b) => a * b, 1), 0);
  lines.push(`Total params: ${total}`, `Trainable params: ${trainable}`, `Non-trainable params: ${total - trainable}`, "_".repeat(width));
  return lines.join("\n");
}
