/**
 * Notebook regression: every notebook in notebooks/ runs through `agnb run` in a fresh kernel;
 * the seeds' numbers appear in the outputs, the saved outputs equal the fresh run, and every
 * notebook is valid nbformat.
 */
import { before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ROOT, buildKernelBundles } from "../kernel/bundles";
import { readNotebookFile, type CellOutput, type Notebook } from "../kernel/notebook-file";

const NOTEBOOKS = join(ROOT, "notebooks");
const names = readdirSync(NOTEBOOKS).filter((name) => name.endsWith(".agnb")).sort();
const fresh = new Map<string, Notebook>();
const saved = new Map<string, Notebook>();

/** All text a reader sees in a notebook's outputs, in order. */
function textOf(notebook: Notebook): string {
  return notebook.cells.flatMap((cell) => cell.outputs ?? []).map(outputText).join("");
}
function outputText(output: CellOutput): string {
  if (output.output_type === "stream") return output.text;
  if (output.output_type === "error") return output.traceback.join("\n") + "\n";
  return `${String(output.data["text/plain"] ?? "")}\n`;
}
function payloads(notebook: Notebook, mime: string): any[] {
  return notebook.cells.flatMap((cell) => cell.outputs ?? []).flatMap((o) => (o.output_type === "display_data" || o.output_type === "execute_result") && o.data[mime] ? [o.data[mime]] : []);
}
function numberAfter(text: string, pattern: RegExp): number {
  const match = pattern.exec(text);
  assert.ok(match, `${pattern} not found in:\n${text}`);
  return Number(match[1]);
}

describe("seed notebooks", { timeout: 600_000 }, () => {
  before(async () => {
    const { cli } = await buildKernelBundles();
    const out = mkdtempSync(join(tmpdir(), "agnb-notebooks-"));
    const run = spawnSync(process.execPath, [cli, "run", NOTEBOOKS, "--out", out, "--timeout", "400", "--quiet"], { encoding: "utf8" });
    assert.equal(run.status, 0, `agnb run failed:\n${run.stdout}\n${run.stderr}`);
    for (const name of names) {
      fresh.set(name, await readNotebookFile(join(out, name)));
      saved.set(name, await readNotebookFile(join(NOTEBOOKS, name)));
    }
  });

  test("all eight notebooks are there", () => {
    assert.deepEqual(names.map((name) => name.slice(0, 2)), ["01", "02", "03", "04", "05", "06", "07", "08"]);
  });

  test("saved outputs equal a fresh run", () => {
    for (const name of names) {
      const expected = saved.get(name)!.cells.map((cell) => ({ count: cell.execution_count, outputs: cell.outputs }));
      const actual = fresh.get(name)!.cells.map((cell) => ({ count: cell.execution_count, outputs: cell.outputs }));
      assert.deepEqual(actual, expected, `${name}: saved outputs differ from a fresh run; re-run \`npm run notebooks\``);
    }
  });

  test("every notebook, saved and freshly run, is valid nbformat", () => {
    const files = names.map((name) => join(NOTEBOOKS, name));
    execFileSync("/usr/bin/python3", ["-c", "import sys, nbformat\nfor f in sys.argv[1:]: nbformat.validate(nbformat.read(f, as_version=4))", ...files], { stdio: "pipe" });
  });

  test("01: w = 5, loss = w², gradient 10.0; a watched constant gets its gradient", () => {
    const text = textOf(fresh.get("01-gradient-tape-basics.agnb")!);
    assert.match(text, /^10\n/m);
    assert.match(text, /tf\.Tensor\(10\.0, shape=\(\), dtype=float32\)/);
    assert.match(text, /without watch: null/);
    assert.match(text, /tf\.Tensor\(6\.0, shape=\(\), dtype=float32\)/);
  });

  test("02: dW and db by the tape match the hand-derived gradients, and the tape is drawn", () => {
    const notebook = fresh.get("02-linear-regression-gradients.agnb")!;
    const text = textOf(notebook);
    const dW = numberAfter(text, /Calculated dW: tf\.Tensor\(\[(-?[\d.]+)\]/);
    const db = numberAfter(text, /db: tf\.Tensor\(\[(-?[\d.]+)\]/);
    const [byTape, byHand] = payloads(notebook, "application/vnd.agnb.tensor+json").filter((p) => p.structure === "array");
    assert.deepEqual(byTape.entries.map((e: any) => e.label), ["weight", "bias"]);
    assert.deepEqual(byTape.entries.map((e: any) => Math.fround(e.data.values[0])), [Math.fround(dW), Math.fround(db)]);
    assert.ok(Math.abs(byHand.entries[0].data.values - dW) < 1e-4 && Math.abs(byHand.entries[1].data.values - db) < 1e-4);
    const [tape] = payloads(notebook, "application/vnd.agnb.tape+json");
    assert.equal(tape.sources.length, 2);
    assert.ok(tape.nodes.some((node: any) => node.op.toLowerCase().includes("square")));
  });

  test("03: the branch taken and its gradients; tf.cond agrees", () => {
    const text = textOf(fresh.get("03-control-flow.agnb")!);
    assert.match(text, /mean\(x\) = 2, branch taken: squared error/);
    assert.match(text, /branch taken: absolute error\nweight: tf\.Tensor\(\[-0\.2/);
    assert.match(text, /same as the if statement: true/);
  });

  test("04: second-order gradients by nested tapes and by tf.hessian; the Hessian as a heatmap", () => {
    const notebook = fresh.get("04-higher-order.agnb")!;
    const text = textOf(notebook);
    assert.match(text, /Second order gradients for W: tf\.Tensor\(\n\[\[\[9\.333333\]\]\n\n \[\[4\.\s*\]\]\], shape=\(2, 1, 1\)/);
    assert.match(text, /for b: tf\.Tensor\(\n\[\[\[4\.\]\]\n\n \[\[2\.\]\]\], shape=\(2, 1, 1\)/);
    const heatmaps = payloads(notebook, "application/vnd.agnb.jacobian+json");
    const hessian = heatmaps[heatmaps.length - 1];
    assert.equal(hessian.rows, 2);
    assert.equal(hessian.cols, 2);
    assert.deepEqual(hessian.values.map((v: number) => Number(v.toFixed(3))), [9.333, 4, 4, 2]);
  });

  test("05: x from 2 with rate 0.1: 1.6, 1.28, 1.024, 0.8192, ..., 0.21475; the path plotted", () => {
    const notebook = fresh.get("05-gradient-descent-from-scratch.agnb")!;
    const text = textOf(notebook);
    const xs = [...text.matchAll(/Iteration (\d+): x = ([\d.]+)/g)].map((m) => Number(m[2]));
    assert.deepEqual(xs.slice(0, 4), [1.6, 1.28, 1.024, 0.8192]);
    assert.equal(xs.length, 10);
    assert.equal(Number(xs[9].toFixed(5)), 0.21475);
    assert.match(text, /Final x: 0\.21475/);
    const [plot] = payloads(notebook, "application/vnd.plotly.v1+json");
    assert.deepEqual(plot.data[1].x.map((x: number) => Number(x.toFixed(4))).slice(0, 5), [2, 1.6, 1.28, 1.024, 0.8192]);
    assert.match(text, /numpy=0\.2147483/);
  });

  test("06: SGD(0.1).minimize on x² from 5 gives x = 0.53687, f = 0.28823", () => {
    const text = textOf(fresh.get("06-sgd-optimizer.agnb")!);
    const x = numberAfter(text, /Iteration 10: x = ([\d.]+)/);
    const f = numberAfter(text, /Iteration 10: x = [\d.]+, f\(x\) = ([\d.]+)/);
    assert.equal(Number(x.toFixed(5)), 0.53687);
    assert.equal(Number(f.toFixed(5)), 0.28823);
    assert.equal(numberAfter(text, /Iteration 1: x = ([\d.]+)/), 4);
  });

  test("07: Dense(1) with sgd and mean squared error, 1000 epochs: W ≈ 2, b ≈ 1, and the loss curve", () => {
    const notebook = fresh.get("07-keras-linear-regression.agnb")!;
    const text = textOf(notebook);
    const W = numberAfter(text, /Weight \(W\): tf\.Tensor\(\n?\[\[([\d.]+)\]\]/);
    const b = numberAfter(text, /Bias \(b\): tf\.Tensor\(\[([\d.]+)\]/);
    assert.ok(Math.abs(W - 2) < 0.05, `W = ${W}`);
    assert.ok(Math.abs(b - 1) < 0.05, `b = ${b}`);
    assert.match(text, /Epoch 1000\/1000 - loss: /);
    const curves = payloads(notebook, "application/vnd.plotly.v1+json");
    assert.ok(curves.length >= 2, "the live progress and the History both draw the loss");
    for (const curve of curves) {
      const loss = curve.data.find((trace: any) => trace.name === "loss") ?? curve.data[0];
      assert.equal(loss.y.length, 1000);
      assert.ok(loss.y[999] < loss.y[0] / 10, "the loss falls");
    }
  });

  test("08: a CNN reaches 97 % on held-out digits; loss and accuracy curves, a training step's tape, filters and saliency as heatmaps", () => {
    const notebook = fresh.get("08-cnn-digits.agnb")!;
    const text = textOf(notebook);
    assert.ok(numberAfter(text, /test accuracy ([\d.]+) % on \d+ digits/) >= 97);
    assert.match(text, /conv2d \(Conv2D\)\s+\(None, 26, 26, 24\)\s+240/);
    const curves = payloads(notebook, "application/vnd.plotly.v1+json");
    assert.ok(curves.some((curve) => ["loss", "accuracy", "val_accuracy"].every((name) => curve.data.some((trace: any) => trace.name === name))));
    const [tape] = payloads(notebook, "application/vnd.agnb.tape+json");
    assert.ok(tape.nodes.some((node: any) => node.op === "conv2d") && tape.nodes.some((node: any) => node.op === "maxPool"), "the step's tape holds the convolutions and pooling");
    const heatmaps = payloads(notebook, "application/vnd.agnb.jacobian+json");
    assert.deepEqual(heatmaps.map((h) => [h.rows, h.cols]), [[24, 9], [28, 28], [28, 28]]);
    assert.match(text, /the Jacobian equals the kernel, filter by filter: true/);
  });
});
