// The static pictures of real engine objects (seed 000's tape, notebook 04's Jacobian and
// Hessian, a History from fit) and of random payloads, judged by Python's XML parser: well
// formed, only drawing elements, no script or external reference, the labels a reader checks,
// and within each picture's size budget.
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { join } from "node:path";
import fc from "fast-check";
import * as tf from "../../engine/index";
import { MIME, type JacobianPayload, type MimeBundle, type PlotlyPayload, type TapePayload } from "../contract";
import { addStaticPicture, heatmapPicture, lineChartPicture, PICTURE_BUDGET, tapePicture } from "./index";
import { syntheticJacobian, syntheticTape } from "../../extension/renderers/fixtures";

interface Checked { ok: boolean; error?: string; root?: string; unsafe?: string[]; texts?: string[] }

/** Parses each document with Python's ElementTree (one process for the whole list). */
function check(documents: string[]): Checked[] {
  const output = execFileSync("/usr/bin/python3", [join(__dirname, "check-svg.py")], { input: JSON.stringify(documents), encoding: "utf8", maxBuffer: 1 << 28 });
  return JSON.parse(output) as Checked[];
}

function assertSafe(svg: string, checked: Checked): void {
  assert.ok(checked.ok, `not well-formed: ${checked.error}\n${svg.slice(0, 2000)}`);
  assert.equal(checked.root, "svg");
  assert.deepEqual(checked.unsafe, []);
}

const display = (value: unknown) => (value as { [k: symbol]: () => MimeBundle })[Symbol.for("Jupyter.display")]();

function seedTape(): TapePayload {
  // Seed 000, Example 1: loss = mean((y - (W x + b))²), gradients for W and b.
  tf.random.setSeed(0);
  const W = new tf.Variable(tf.random.normal([1]), { name: "weight" });
  const b = new tf.Variable(tf.random.normal([1]), { name: "bias" });
  const x = tf.constant([[1.0], [2.0], [3.0]]);
  const y = tf.constant([[2.0], [4.0], [6.0]]);
  const tape = new tf.GradientTape();
  const loss = tape.record(() => tf.reduceMean(tf.square(tf.sub(y, tf.add(tf.mul(W, x), b)))));
  tape.gradient(loss, [W, b]);
  return display(tape)[MIME.tape] as TapePayload;
}

function notebook04(): { jacobian: MimeBundle; hessian: MimeBundle } {
  tf.random.setSeed(0);
  const W = new tf.Variable(tf.random.normal([1]), { name: "weight" });
  const b = new tf.Variable(tf.random.normal([1]), { name: "bias" });
  const x = tf.constant([[1.0], [2.0], [3.0]]);
  const y = tf.constant([[2.0], [4.0], [6.0]]);
  const loss = () => tf.reduceMean(tf.square(tf.sub(y, tf.add(tf.mul(W, x), b))));
  const outer = new tf.GradientTape();
  const inner = new tf.GradientTape();
  let gradients: tf.Tensor[] = [];
  outer.record(() => {
    const current = inner.record(loss);
    gradients = inner.gradient(current, [W, b]) as tf.Tensor[];
  });
  const second = outer.jacobian(gradients, [W, b]) as tf.Tensor[];
  const theta = tf.concat([W, b], 0);
  const H = tf.hessian((t: tf.Tensor) => tf.reduceMean(tf.square(tf.sub(y, tf.add(tf.mul(tf.slice(t, [0], [1]), x), tf.slice(t, [1], [1]))))))(theta);
  return { jacobian: addStaticPicture(display(second[0])), hessian: addStaticPicture(display(H)) };
}

test("seed 000's tape: op names, sources and the gradient path, within budget", () => {
  const svg = tapePicture(seedTape());
  const [checked] = check([svg]);
  assertSafe(svg, checked);
  for (const label of ["weight", "bias", "mul", "add", "sub", "square"]) assert.ok(checked.texts!.includes(label), `${label} in ${checked.texts}`);
  assert.ok(checked.texts!.some((t) => /gradient taken/.test(t)));
  assert.ok(checked.texts!.some((t) => /^∂ \[-?\d/.test(t)), "gradients are written on the sources");
  assert.match(svg, /class="edge on-path"/);
  assert.ok(svg.length <= PICTURE_BUDGET.tape);
});

test("notebook 04: the Jacobian's and the Hessian's bundles carry heatmaps with their values and axes", () => {
  const { jacobian, hessian } = notebook04();
  for (const bundle of [jacobian, hessian]) {
    assert.deepEqual(Object.keys(bundle).slice(-3), [MIME.svg, MIME.html, MIME.text], "the picture sits just before text/plain");
    const img = /^<img alt="[^"]*" src="data:image\/svg\+xml;base64,([A-Za-z0-9+/=]+)">$/.exec(bundle[MIME.html] as string);
    assert.ok(img, String(bundle[MIME.html]).slice(0, 200));
    assert.equal(Buffer.from(img[1], "base64").toString("utf8"), bundle[MIME.svg], "the HTML shows the same picture");
    assert.ok(MIME.jacobian in bundle);
  }
  const [j, h] = check([jacobian[MIME.svg] as string, hessian[MIME.svg] as string]);
  assertSafe(jacobian[MIME.svg] as string, j);
  assertSafe(hessian[MIME.svg] as string, h);
  for (const value of ["9.333", "4", "2"]) assert.ok(h.texts!.includes(value), `${value} in ${h.texts}`);
  assert.ok(h.texts!.some((t) => t.startsWith("Hessian 2 × 2")));
  assert.ok(h.texts!.includes("∂ first ↓ (2,)") && h.texts!.includes("∂ second → (2,)"));
  assert.ok(j.texts!.includes("target (row) ↓ (2, 1)") || j.texts!.some((t) => t.startsWith("target (row)")), `${j.texts}`);
});

test("a History's loss curve names the axes and the last loss", async () => {
  tf.random.setSeed(1);
  const model = new tf.keras.Sequential([new tf.keras.layers.Dense(1, { inputShape: [1] })]);
  model.compile({ optimizer: "sgd", loss: "mean_squared_error" });
  const history = await model.fit(tf.constant([[1], [2], [3], [4]]), tf.constant([[3], [5], [7], [9]]), { epochs: 300, verbose: 0 });
  const bundle = addStaticPicture(display(history));
  const svg = bundle[MIME.svg] as string;
  const [checked] = check([svg]);
  assertSafe(svg, checked);
  const last = history.history.loss[299];
  assert.ok(checked.texts!.includes(`loss: last ${Number(last.toPrecision(6))}`), `${checked.texts}`);
  assert.ok(checked.texts!.includes("epoch") && checked.texts!.includes("loss") && checked.texts!.includes("Training history"));
  assert.ok(svg.length <= PICTURE_BUDGET.plotly, `${svg.length}`);
});

test("large payloads are simplified within their budgets: a 500-op tape, a 100×100 Jacobian, 20,000 epochs", () => {
  const tape = tapePicture(syntheticTape(500));
  const noisy: JacobianPayload = { ...syntheticJacobian(100, 100), values: Array.from({ length: 10_000 }, (_, i) => Math.sin(i * 12.9898) * 43758.5453 % 1) };
  const heatmap = heatmapPicture(noisy);
  const epochs = Array.from({ length: 20_000 }, (_, i) => i + 1);
  const curve = lineChartPicture({ data: [{ type: "scatter", mode: "lines", name: "loss", x: epochs, y: epochs.map((e) => 1 / e + (e % 7) * 1e-4) }] });
  const checked = check([tape, heatmap, curve]);
  [tape, heatmap, curve].forEach((svg, i) => assertSafe(svg, checked[i]));
  assert.ok(tape.length <= PICTURE_BUDGET.tape, `tape ${tape.length}`);
  assert.ok(checked[0].texts!.some((t) => /^… \d+ ops …$/.test(t)), "the middle of the tape is collapsed into one node");
  assert.ok(heatmap.length <= PICTURE_BUDGET.jacobian, `heatmap ${heatmap.length}`);
  assert.ok(checked[1].texts!.includes("drawn 50 × 50: each square is the mean of a 2 × 2 block"));
  assert.ok(curve.length <= PICTURE_BUDGET.plotly, `curve ${curve.length}`);
});

test("a payload that cannot be drawn leaves the bundle as the engine made it", () => {
  const bundle = { [MIME.jacobian]: { kind: "jacobian", rows: 2 }, [MIME.text]: "J" };
  assert.deepEqual(addStaticPicture(bundle), bundle);
  const tensorOnly = { [MIME.tensor]: { structure: "single", entries: [] }, [MIME.text]: "t" };
  assert.deepEqual(addStaticPicture(tensorOnly), tensorOnly);
});

const hostile = fc.oneof(
  fc.string({ unit: "grapheme", maxLength: 40 }),
  fc.string({ unit: "binary", maxLength: 40 }),
  fc.constantFrom("</text><script>alert(1)</script>", "<foreignObject>", "&amp; &#0; ]]>", "\" onload=\"alert(1)", "<!--", "\u0000\u0007\ud800", "url(http://x)"),
);
const shape = fc.array(fc.integer({ min: 0, max: 6 }), { maxLength: 3 });
const value = fc.oneof(fc.double({ noNaN: false }), fc.constant(null));

const tapes = fc.integer({ min: 1, max: 120 }).chain((ops) => fc.record({
  names: fc.array(hostile, { minLength: ops + 2, maxLength: ops + 2 }),
  shapes: fc.array(shape, { minLength: ops + 2, maxLength: ops + 2 }),
  links: fc.array(fc.nat(), { minLength: ops, maxLength: ops }),
  persistent: fc.boolean(),
})).map(({ names, shapes, links, persistent }): TapePayload => {
  const ops = links.length;
  const tensors: TapePayload["tensors"] = [{ id: 0, shape: shapes[0], dtype: "float32", name: names[0], role: "source" }];
  const nodes: TapePayload["nodes"] = [];
  for (let i = 0; i < ops; i++) {
    tensors.push({ id: i + 1, shape: shapes[i + 1], dtype: "float32", role: i === ops - 1 ? "target" : "intermediate" });
    nodes.push({ id: i, op: names[i + 1], inputs: [links[i] % (i + 1)], outputs: [i + 1], onGradientPath: i % 2 === 0 });
  }
  return { persistent, recording: false, nodes, tensors, sources: [0], targets: [ops] };
});
const jacobians = fc.record({ rows: fc.integer({ min: 0, max: 120 }), cols: fc.integer({ min: 0, max: 120 }), title: hostile, kind: fc.constantFrom("jacobian", "hessian") })
  .chain(({ rows, cols, title, kind }) => fc.array(value, { minLength: rows * cols, maxLength: rows * cols })
    .map((values): JacobianPayload => ({ kind: kind as JacobianPayload["kind"], title, rows, cols, targetShape: [rows], sourceShape: [cols], values })));
const plots = fc.record({
  traces: fc.array(fc.record({ name: hostile, y: fc.array(value, { minLength: 1, maxLength: 1500 }), mode: fc.constantFrom("lines", "markers", "lines+markers") }), { minLength: 1, maxLength: 3 }),
  title: hostile, log: fc.boolean(),
}).map(({ traces, title, log }): PlotlyPayload => ({
  data: traces.map((t) => ({ type: "scatter", ...t })),
  layout: { title: { text: title }, xaxis: { title: { text: title } }, yaxis: { type: log ? "log" : "linear" } },
}));

test("random payloads with hostile names always give well-formed, safe pictures within budget", () => {
  const samples = fc.sample(fc.oneof(
    tapes.map((p) => ({ svg: tapePicture(p), budget: PICTURE_BUDGET.tape, names: p.nodes.map((n) => n.op) })),
    jacobians.map((p) => ({ svg: heatmapPicture(p), budget: PICTURE_BUDGET.jacobian, names: [] as string[] })),
    plots.map((p) => ({ svg: lineChartPicture(p), budget: PICTURE_BUDGET.plotly, names: [] as string[] })),
  ), { numRuns: 150, seed: 20261201 });
  const checked = check(samples.map((s) => s.svg));
  samples.forEach((sample, i) => {
    assertSafe(sample.svg, checked[i]);
    assert.ok(sample.svg.length <= sample.budget, `${sample.svg.length} > ${sample.budget}`);
  });
  // A hostile op name is shown as text, not markup.
  const evil = { ...seedTape() };
  evil.nodes = evil.nodes.map((n) => ({ ...n, op: "<script>" }));
  const [parsed] = check([tapePicture(evil)]);
  assert.ok(parsed.texts!.includes("<script>"));
});
