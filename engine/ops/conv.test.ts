/**
 * Convolutions and pooling against TF.js (cpu backend, same process): values and gradients over
 * random shapes, strides, paddings and dilations (fast-check), then second derivatives and JVPs
 * against float64 finite differences, and the shape errors.
 */
import { before, describe, test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import * as tfjs from "@tensorflow/tfjs";
import * as tf from "../core";
import type { Tensor } from "../core";

before(async () => {
  tfjs.enableProdMode();
  await tfjs.setBackend("cpu");
});

type Padding = "same" | "valid";
const ours = (values: Float32Array, shape: number[]) => tf.constant(values, shape);
const theirs = (values: Float32Array, shape: number[]) => tfjs.tensor(values, shape);

function seeded(shape: number[], seed: number): Float32Array {
  return tf.random.uniform(shape, { minval: -1, maxval: 1, seed }).dataSync() as Float32Array;
}

function assertClose(actual: ArrayLike<number>, expected: ArrayLike<number>, what: string, tolerance = 1e-4): void {
  assert.equal(actual.length, expected.length, `${what}: ${actual.length} values, expected ${expected.length}`);
  for (let i = 0; i < expected.length; i++) {
    const allowed = tolerance * Math.max(1, Math.abs(expected[i]));
    if (!(Math.abs(actual[i] - expected[i]) <= allowed)) assert.fail(`${what}: element ${i} is ${actual[i]}, expected ${expected[i]}`);
  }
}

/** The filter with (d - 1) zeros between taps: a dilated convolution is a plain one with it. */
function dilateFilter(w: tfjs.Tensor4D, [dh, dw]: [number, number]): tfjs.Tensor4D {
  const [KH, KW, C, F] = w.shape;
  const taps: tfjs.Tensor[] = [];
  for (let i = 0; i < (KH - 1) * dh + 1; i++) {
    for (let j = 0; j < (KW - 1) * dw + 1; j++) {
      taps.push(i % dh === 0 && j % dw === 0 ? tfjs.slice(w, [i / dh, j / dw, 0, 0], [1, 1, C, F]).reshape([C, F]) : tfjs.zeros([C, F]));
    }
  }
  return tfjs.stack(taps).reshape([(KH - 1) * dh + 1, (KW - 1) * dw + 1, C, F]) as tfjs.Tensor4D;
}

interface ConvCase {
  batch: number; height: number; width: number; inDepth: number; outDepth: number;
  filterHeight: number; filterWidth: number; strides: [number, number]; dilations: [number, number]; padding: Padding;
}

const convCase: fc.Arbitrary<ConvCase> = fc
  .record({
    batch: fc.integer({ min: 1, max: 3 }), height: fc.integer({ min: 1, max: 7 }), width: fc.integer({ min: 1, max: 7 }),
    inDepth: fc.integer({ min: 1, max: 3 }), outDepth: fc.integer({ min: 1, max: 3 }),
    filterHeight: fc.integer({ min: 1, max: 3 }), filterWidth: fc.integer({ min: 1, max: 3 }),
    strides: fc.tuple(fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 3 })),
    dilations: fc.tuple(fc.integer({ min: 1, max: 2 }), fc.integer({ min: 1, max: 2 })),
    padding: fc.constantFrom<Padding>("same", "valid"),
  })
  .map((c) => (c.strides.some((s) => s > 1) ? { ...c, dilations: [1, 1] as [number, number] } : c))
  .filter((c) => c.padding === "same" || (c.height >= (c.filterHeight - 1) * c.dilations[0] + 1 && c.width >= (c.filterWidth - 1) * c.dilations[1] + 1));

/**
 * Value and both gradients of Σ r·op(x, w) in our engine and in TF.js; TF.js has no gradient of
 * dilated convolutions, so there the filter is dilated first (its gradient read at the taps).
 */
function compareWithTfjs(
  name: string, c: ConvCase, xShape: number[], wShape: number[],
  ourOp: (x: Tensor, w: Tensor) => Tensor, tfjsOp: (x: tfjs.Tensor4D, w: tfjs.Tensor4D) => tfjs.Tensor,
): void {
  const xv = seeded(xShape, 1), wv = seeded(wShape, 2);
  const dilated = c.dilations.some((d) => d > 1);
  const tw = theirs(wv, wShape) as tfjs.Tensor4D;
  const theirY = tfjsOp(theirs(xv, xShape) as tfjs.Tensor4D, dilated ? dilateFilter(tw, c.dilations) : tw);
  const r = seeded(theirY.shape, 3);
  const [dx, dwFull] = tfjs.grads((x: tfjs.Tensor, w: tfjs.Tensor) => tfjs.sum(tfjs.mul(tfjsOp(x as tfjs.Tensor4D, w as tfjs.Tensor4D), theirs(r, theirY.shape))))([
    theirs(xv, xShape), dilated ? dilateFilter(tw, c.dilations) : tw,
  ]);
  const dw = dilated ? tfjs.stridedSlice(dwFull, [0, 0, 0, 0], dwFull.shape, [c.dilations[0], c.dilations[1], 1, 1]) : dwFull;
  const tape = new tf.GradientTape();
  const [x, w] = [ours(xv, xShape), ours(wv, wShape)];
  const [y, weighted] = tape.record(() => {
    tape.watch([x, w]);
    const y = ourOp(x, w);
    return [y, tf.mul(y, ours(r, y.shape))];
  });
  assert.deepEqual(y.shape, theirY.shape, `${name}: output shape`);
  assertClose(y.dataSync(), theirY.dataSync(), `${name} value`);
  const [gx, gw] = tape.gradient(weighted, [x, w]) as Tensor[];
  assertClose(gx.dataSync(), dx.dataSync(), `${name} input gradient`);
  assertClose(gw.dataSync(), dw.dataSync(), `${name} filter gradient`);
}

const explain = (c: ConvCase) => JSON.stringify(c);

describe("convolutions against TF.js", () => {
  test("conv2d: values, input and filter gradients over random shapes, strides, padding and dilations", () => {
    fc.assert(
      fc.property(convCase, (c) => {
        const xShape = [c.batch, c.height, c.width, c.inDepth], wShape = [c.filterHeight, c.filterWidth, c.inDepth, c.outDepth];
        compareWithTfjs(`conv2d ${explain(c)}`, c, xShape, wShape,
          (x, w) => tf.conv2d(x, w, c.strides, c.padding, "NHWC", c.dilations),
          (x, w) => tfjs.conv2d(x, w, c.strides, c.padding));
      }),
      { numRuns: 60 },
    );
  });

  test("depthwiseConv2d: values and gradients, channel multiplier > 1", () => {
    fc.assert(
      fc.property(convCase, (c) => {
        const xShape = [c.batch, c.height, c.width, c.inDepth], wShape = [c.filterHeight, c.filterWidth, c.inDepth, c.outDepth];
        compareWithTfjs(`depthwiseConv2d ${explain(c)}`, c, xShape, wShape,
          (x, w) => tf.depthwiseConv2d(x, w, c.strides, c.padding, "NHWC", c.dilations),
          (x, w) => tfjs.depthwiseConv2d(x, w, c.strides, c.padding));
      }),
      { numRuns: 40 },
    );
  });

  test("conv2dTranspose: values and gradients (the input gradient of conv2d as an op)", () => {
    fc.assert(
      fc.property(convCase.map((c) => ({ ...c, dilations: [1, 1] as [number, number] })), (c) => {
        const g = { image: [c.height, c.width, c.outDepth] };
        const probe = tf.conv2d(tf.zeros([c.batch, ...g.image]), tf.zeros([c.filterHeight, c.filterWidth, c.outDepth, c.inDepth]), c.strides, c.padding);
        const xShape = probe.shape, wShape = [c.filterHeight, c.filterWidth, c.outDepth, c.inDepth];
        const outputShape = [c.batch, c.height, c.width, c.outDepth] as [number, number, number, number];
        compareWithTfjs(`conv2dTranspose ${explain(c)}`, c, xShape, wShape,
          (x, w) => tf.conv2dTranspose(x, w, outputShape, c.strides, c.padding),
          (x, w) => tfjs.conv2dTranspose(x, w, outputShape, c.strides, c.padding));
      }),
      { numRuns: 40 },
    );
  });

  test("conv1d: values and gradients with strides; values with dilation", () => {
    const xShape = [2, 9, 3], wShape = [3, 3, 2];
    const c = { dilations: [1, 1] } as unknown as ConvCase;
    for (const [stride, padding] of [[1, "same"], [2, "valid"], [3, "same"]] as [number, Padding][]) {
      compareWithTfjs(`conv1d stride ${stride} ${padding}`, c, xShape, wShape,
        (x, w) => tf.conv1d(x, w, stride, padding),
        (x, w) => tfjs.conv1d(x as unknown as tfjs.Tensor3D, w as unknown as tfjs.Tensor3D, stride, padding));
    }
    // TF.js has no gradient of a dilated conv1d; conv1d is conv2d underneath, whose dilated gradients are checked above.
    const [xv, wv] = [seeded(xShape, 7), seeded(wShape, 8)];
    for (const padding of ["same", "valid"] as Padding[]) {
      const expected = tfjs.conv1d(theirs(xv, xShape) as tfjs.Tensor3D, theirs(wv, wShape) as tfjs.Tensor3D, 1, padding, "NWC", 2);
      assertClose(tf.conv1d(ours(xv, xShape), ours(wv, wShape), 1, padding, "NWC", 2).dataSync(), expected.dataSync(), `dilated conv1d ${padding}`);
    }
  });
});

test("biasAdd: value and gradients against TF.js, and its JVP", () => {
  const shape = [2, 3, 4, 5];
  const [xv, bv] = [seeded(shape, 91), seeded([5], 92)];
  const r = seeded(shape, 93);
  const [dx, db] = tfjs.grads((x: tfjs.Tensor, b: tfjs.Tensor) => tfjs.sum(tfjs.mul(tfjs.add(x, b), theirs(r, shape))))([theirs(xv, shape), theirs(bv, [5])]);
  const [x, b] = [ours(xv, shape), ours(bv, [5])];
  assertClose(tf.biasAdd(x, b).dataSync(), tfjs.add(theirs(xv, shape), theirs(bv, [5])).dataSync(), "biasAdd value");
  const [gx, gb] = tf.grads((x: Tensor, b: Tensor) => tf.sum(tf.mul(tf.biasAdd(x, b), ours(r, shape))))(x, b);
  assertClose(gx.dataSync(), dx.dataSync(), "biasAdd input gradient");
  assertClose(gb.dataSync(), db.dataSync(), "biasAdd bias gradient");
  const { tangent } = jvpOf((x, b) => tf.biasAdd(x, b), [x, b], [tf.onesLike(x), tf.onesLike(b)]);
  assertClose(tangent.dataSync(), new Float32Array(x.size).fill(2), "biasAdd JVP");
  assert.throws(() => tf.biasAdd(x, ours(bv.slice(0, 4), [4])), /biasAdd: bias must be a vector as long as the last dimension of the input, got bias \[4\] for input \[2,3,4,5\]/);
});

describe("pooling against TF.js", () => {
  const poolCase = fc
    .record({
      batch: fc.integer({ min: 1, max: 3 }), height: fc.integer({ min: 1, max: 8 }), width: fc.integer({ min: 1, max: 8 }),
      channels: fc.integer({ min: 1, max: 3 }), size: fc.tuple(fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 3 })),
      strides: fc.tuple(fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 3 })), padding: fc.constantFrom<Padding>("same", "valid"),
    })
    .filter((c) => c.padding === "same" || (c.height >= c.size[0] && c.width >= c.size[1]));

  for (const kind of ["maxPool", "avgPool"] as const) {
    test(`${kind}: values and gradients over random windows, strides and padding`, () => {
      fc.assert(
        fc.property(poolCase, (c) => {
          const shape = [c.batch, c.height, c.width, c.channels];
          const xv = seeded(shape, 5);
          const theirOp = (x: tfjs.Tensor) => tfjs[kind](x as tfjs.Tensor4D, c.size, c.strides, c.padding);
          const theirY = theirOp(theirs(xv, shape));
          const r = seeded(theirY.shape, 6);
          const dx = tfjs.grad((x: tfjs.Tensor) => tfjs.sum(tfjs.mul(theirOp(x), theirs(r, theirY.shape))))(theirs(xv, shape));
          const x = ours(xv, shape);
          const y = tf[kind](x, c.size, c.strides, c.padding);
          assert.deepEqual(y.shape, theirY.shape);
          assertClose(y.dataSync(), theirY.dataSync(), `${kind} ${JSON.stringify(c)} value`);
          const weighted = (x: Tensor) => tf.sum(tf.mul(tf[kind](x, c.size, c.strides, c.padding), tf.cast(ours(r, y.shape), x.dtype)));
          const gx = tf.grad(weighted)(x);
          // TF.js divides the gradient of a border window by the full window size, not by the
          // taps inside the image as its own forward pass (and TF) does: there the reference is
          // the float64 difference quotient of the (linear) forward pass checked above.
          const bordersDiffer = kind === "avgPool" && c.padding === "same";
          const reference = bordersDiffer ? numericGradient(weighted, tf.cast(x, "float64")) : dx.dataSync();
          assertClose(gx.dataSync(), reference, `${kind} ${JSON.stringify(c)} gradient`);
        }),
        { numRuns: 60 },
      );
    });
  }
});

/** Central differences of `f` in float64 at `x`, along every element. */
function numericGradient(f: (x: Tensor) => Tensor, x: Tensor, eps = 1e-5): Float64Array {
  const g = new Float64Array(x.size);
  for (let i = 0; i < x.size; i++) {
    const at = (delta: number) => {
      const v = Float64Array.from(x.dataSync());
      v[i] += delta;
      return Number(f(tf.constant(v, x.shape, "float64")).item());
    };
    g[i] = (at(eps) - at(-eps)) / (2 * eps);
  }
  return g;
}

const f64 = (shape: number[], seed: number) => tf.cast(tf.random.uniform(shape, { minval: -1, maxval: 1, seed }), "float64");

describe("second derivatives and forward mode against float64 finite differences", () => {
  const x = f64([2, 5, 4, 2], 11), w = f64([3, 2, 2, 3], 12);
  const v = f64([2, 5, 4, 2], 13), u = f64([3, 2, 2, 3], 14);
  const settings: [string, (x: Tensor, w: Tensor) => Tensor][] = [
    ["conv2d stride 2 same", (x, w) => tf.conv2d(x, w, 2, "same")],
    ["conv2d dilation 2 valid", (x, w) => tf.conv2d(x, w, 1, "valid", "NHWC", 2)],
    ["depthwiseConv2d stride [1, 2] same", (x, w) => tf.depthwiseConv2d(x, w, [1, 2], "same")],
  ];
  for (const [name, op] of settings) {
    const loss = (x: Tensor, w: Tensor) => tf.sum(tf.square(tf.tanh(op(x, w))));
    test(`${name}: gradient of <∇x loss, v> with respect to w and x`, () => {
      const directional = (x: Tensor, w: Tensor) => {
        const g = tf.grad((x: Tensor) => loss(x, w))(x);
        return tf.sum(tf.mul(g, v));
      };
      const [dx, dw] = tf.grads(directional)(x, w);
      assertClose(dw.dataSync(), numericGradient((w) => directional(x, w), w), `${name} ∂²/∂w∂x`, 1e-6);
      assertClose(dx.dataSync(), numericGradient((x) => directional(x, w), x), `${name} ∂²/∂x²`, 1e-6);
    });
    test(`${name}: JVP equals the directional difference`, () => {
      const { tangent } = jvpOf((x, w) => op(x, w), [x, w], [v, u]);
      const eps = 1e-6;
      const plus = op(tf.add(x, tf.mul(v, eps)), tf.add(w, tf.mul(u, eps)));
      const minus = op(tf.sub(x, tf.mul(v, eps)), tf.sub(w, tf.mul(u, eps)));
      const numeric = tf.div(tf.sub(plus, minus), 2 * eps).dataSync();
      assertClose(tangent.dataSync(), numeric, `${name} JVP`, 1e-6);
    });
  }

  test("maxPool: second derivative (MaxPoolGradGrad) and JVP", () => {
    const x = f64([2, 5, 5, 2], 21), v = f64([2, 5, 5, 2], 22);
    const directional = (x: Tensor) => tf.sum(tf.mul(tf.grad((x: Tensor) => tf.sum(tf.pow(tf.maxPool(x, 3, 2, "same"), 3)))(x), v));
    assertClose(tf.grad(directional)(x).dataSync(), numericGradient(directional, x), "maxPool ∂²/∂x²", 1e-6);
    const { tangent } = jvpOf((x) => tf.maxPool(x, 2, 1, "valid"), [x], [v]);
    const eps = 1e-6;
    const numeric = tf.div(tf.sub(tf.maxPool(tf.add(x, tf.mul(v, eps)), 2, 1, "valid"), tf.maxPool(tf.sub(x, tf.mul(v, eps)), 2, 1, "valid")), 2 * eps);
    assertClose(tangent.dataSync(), numeric.dataSync(), "maxPool JVP", 1e-6);
  });

  test("avgPool: second derivative through a nonlinearity", () => {
    const x = f64([1, 6, 5, 3], 31), v = f64([1, 6, 5, 3], 32);
    const directional = (x: Tensor) => tf.sum(tf.mul(tf.grad((x: Tensor) => tf.sum(tf.sin(tf.avgPool(x, [2, 3], [2, 1], "same"))))(x), v));
    assertClose(tf.grad(directional)(x).dataSync(), numericGradient(directional, x), "avgPool ∂²/∂x²", 1e-6);
  });

  test("a Jacobian through conv2d (vectorised VJPs) equals one backward pass per output", () => {
    const x = f64([1, 4, 4, 1], 41), w = f64([2, 2, 1, 2], 42);
    const tape = new tf.GradientTape({ persistent: true });
    const y = tape.record(() => {
      tape.watch([x, w]);
      return tf.reshape(tf.maxPool(tf.conv2d(x, w, 1, "same"), 2, 2, "valid"), [-1]);
    });
    const jacobian = tape.jacobian(y, w) as Tensor;
    const rows = Array.from({ length: y.size }, (_, i) => {
      const seed = tf.oneHot(tf.constant([i], [1], "int32"), y.size, 1, 0, "float64");
      return (tape.gradient(y, w, { outputGradients: tf.reshape(seed, [-1]) }) as Tensor).dataSync();
    });
    assertClose(jacobian.dataSync(), rows.flatMap((r) => Array.from(r)), "jacobian rows", 1e-9);
  });
});

function jvpOf(f: (...xs: Tensor[]) => Tensor, primals: Tensor[], tangents: Tensor[]): { tangent: Tensor } {
  const accumulator = new tf.ForwardAccumulator(primals, tangents);
  const y = accumulator.record(() => f(...primals));
  return { tangent: accumulator.jvp(y) as Tensor };
}

describe("the JavaScript and WebAssembly backends", () => {
  type Layer = [string, number[], number[] | null, (x: Tensor, w: Tensor) => Tensor];
  // Batches large enough for the WebAssembly kernels to split them across the threads.
  const layers: Layer[] = [
    ["conv2d 3×3 same", [16, 16, 16, 5], [3, 3, 5, 6], (x, w) => tf.conv2d(x, w, 1, "same")],
    ["conv2d 3×2 stride 2 valid", [16, 17, 13, 3], [3, 2, 3, 4], (x, w) => tf.conv2d(x, w, 2, "valid")],
    ["conv2d dilated", [8, 15, 15, 2], [2, 3, 2, 3], (x, w) => tf.conv2d(x, w, 1, "same", "NHWC", 2)],
    ["depthwiseConv2d multiplier 2", [16, 16, 16, 6], [3, 3, 6, 2], (x, w) => tf.depthwiseConv2d(x, w, 1, "same")],
    ["depthwiseConv2d stride 2", [16, 15, 15, 5], [3, 3, 5, 1], (x, w) => tf.depthwiseConv2d(x, w, 2, "same")],
    ["maxPool 3×3 stride 2 same", [32, 16, 16, 7], null, (x) => tf.maxPool(x, 3, 2, "same")],
    ["avgPool 2×2 valid", [32, 16, 16, 9], null, (x) => tf.avgPool(x, 2, 2, "valid")],
  ];

  /** The layer's output and the gradients of Σ r·y for its inputs, on `backend`. */
  async function run(backend: "js" | "wasm", [, xShape, wShape, layer]: Layer): Promise<Float32Array[]> {
    assert.equal(await tf.setBackend(backend), true);
    const x = ours(seeded(xShape, 11), xShape), w = wShape ? ours(seeded(wShape, 12), wShape) : tf.zeros([1]);
    const tape = new tf.GradientTape();
    const [y, weighted] = tape.record(() => {
      tape.watch([x, w]);
      const y = layer(x, w);
      return [y, tf.mul(y, ours(seeded(y.shape, 13), y.shape))];
    });
    const gradients = tape.gradient(weighted, wShape ? [x, w] : [x]) as Tensor[];
    return [y, ...gradients].map((t) => t.dataSync() as Float32Array);
  }

  test("convolutions and pooling with their gradients agree to float32 rounding, and tf.setBackend picks them", async () => {
    const start = tf.getBackend();
    try {
      for (const layer of layers) {
        const [onJs, onWasm] = [await run("js", layer), await run("wasm", layer)];
        onJs.forEach((expected, i) => assertClose(onWasm[i], expected, `${layer[0]}: ${["value", "input gradient", "filter gradient"][i]} on wasm vs js`));
      }
      await tf.setBackend("js");
      assert.equal(tf.getBackend(), "js");
    } finally {
      await tf.setBackend(start);
    }
  });
});

describe("shape errors name the op, the shapes and what was expected", () => {
  const cases: [string, () => unknown, RegExp][] = [
    ["depth mismatch", () => tf.conv2d(tf.zeros([1, 5, 5, 3]), tf.zeros([3, 3, 1, 4]), 1, "same"), /conv2d: input depth 3 does not match filter in-depth 1/],
    ["filter rank", () => tf.conv2d(tf.zeros([1, 5, 5, 3]), tf.zeros([3, 3, 3]), 1, "same"), /conv2d: filter must be rank 4 .*got shape \[3,3,3\]/],
    ["input rank", () => tf.conv2d(tf.zeros([5, 5]), tf.zeros([3, 3, 1, 1]), 1, "same"), /conv2d: input must be rank 4 .*got shape \[5,5\]/],
    ["padding string", () => tf.conv2d(tf.zeros([1, 5, 5, 1]), tf.zeros([3, 3, 1, 1]), 1, "full" as "same"), /conv2d: padding must be 'same', 'valid' or explicit/],
    ["strides with dilation", () => tf.conv2d(tf.zeros([1, 5, 5, 1]), tf.zeros([3, 3, 1, 1]), 2, "same", "NHWC", 2), /conv2d: strides > 1 not supported in conjunction with dilations > 1/],
    ["batch stride", () => tf.conv2d(tf.zeros([1, 5, 5, 1]), tf.zeros([3, 3, 1, 1]), [2, 1, 1, 1], "same"), /conv2d: strides in the batch and depth dimensions must be 1/],
    ["window too large", () => tf.maxPool(tf.zeros([1, 2, 2, 1]), 3, 1, "valid"), /maxPool: the 3×3 window does not fit the 2×2 input/],
    ["transpose shape", () => tf.conv2dTranspose(tf.zeros([1, 4, 4, 2]), tf.zeros([3, 3, 1, 2]), [1, 5, 5, 1], 1, "same"), /conv2dTranspose: input of shape \[1,4,4,2\] does not match outputShape \[1,5,5,1\]/],
    ["depthwise depth", () => tf.depthwiseConv2d(tf.zeros([1, 5, 5, 2]), tf.zeros([3, 3, 3, 1]), 1, "same"), /depthwiseConv2d: input depth 2 does not match filter in-depth 3/],
  ];
  for (const [name, run, message] of cases) test(name, () => assert.throws(run, message));

  test("explicit padding matches the same convolution on a padded input", () => {
    const x = tf.random.normal([1, 5, 4, 2], { seed: 51 }), w = tf.random.normal([3, 3, 2, 2], { seed: 52 });
    const explicit = tf.conv2d(x, w, [2, 1], [[0, 0], [1, 2], [0, 1], [0, 0]]);
    const padded = tf.conv2d(tf.pad(x, [[0, 0], [1, 2], [0, 1], [0, 0]]), w, [2, 1], "valid");
    assertClose(explicit.dataSync(), padded.dataSync(), "explicit padding", 1e-6);
  });

  test("tf.nn holds them under TF's names", () => {
    assert.equal(tf.nn.conv2d, tf.conv2d);
    assert.equal(tf.nn.maxPool2d, tf.maxPool);
    assert.equal(tf.nn.avgPool2d, tf.avgPool);
    assert.equal(tf.nn.biasAdd, tf.biasAdd);
    assert.equal(tf.nn.depthwiseConv2d, tf.depthwiseConv2d);
  });

  test("the chainable methods are the functions", () => {
    const x = tf.random.normal([1, 4, 4, 1], { seed: 61 }), w = tf.ones([2, 2, 1, 1]);
    assert.deepEqual(x.conv2d(w, 1, "valid").maxPool(2, 1, "valid").dataSync(), tf.maxPool(tf.conv2d(x, w, 1, "valid"), 2, 1, "valid").dataSync());
  });
});
