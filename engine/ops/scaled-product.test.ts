/**
 * Products of a large tensor and a scalar are deferred, and add/sub/assignSub with one run in
 * one pass: every result is bit for bit what the product followed by the sum gives (fast-check
 * over shapes, scalars, operand orders, broadcasting, dtypes and special values), and a
 * deferred product reads the same through every path (values, dataSync, numpy, ops, display,
 * variables, tapes, gradients of gradients, forward mode). Runs on both backends.
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { inspect } from "node:util";
import fc from "fast-check";
import * as tf from "../core";
import { deferredValuesOf, type Tensor } from "../storage/tensor";
import { DEFER_MIN_ELEMENTS } from "./scaled-product";

const isDeferred = (t: Tensor): boolean => deferredValuesOf(t) !== undefined;
const SPECIAL = [0, -0, Infinity, -Infinity, NaN, 1.4e-45, -1.4e-45, 1.17e-38, 3.4e38, -3.4e38, 1, -1, 0.1, 65504];

/** Seeded values: mostly ordinary numbers, some arbitrary float32 bit patterns and special values. */
function valuesFor(size: number, seed: number, dtype: "float32" | "float64"): Float32Array | Float64Array {
  const out = dtype === "float32" ? new Float32Array(size) : new Float64Array(size);
  const bits = new Uint32Array(1), asFloat = new Float32Array(bits.buffer);
  let state = seed >>> 0 || 1;
  const next = () => ((state = (Math.imul(state, 1664525) + 1013904223) >>> 0), state);
  for (let i = 0; i < size; i++) {
    const pick = next() % 16;
    if (pick === 0) out[i] = SPECIAL[next() % SPECIAL.length];
    else if (pick === 1) { bits[0] = next(); out[i] = asFloat[0]; }
    else out[i] = (next() / 2 ** 32 - 0.5) * 8;
  }
  return out;
}

/** Element i equal, telling -0 from +0 (NaN equals NaN). */
function assertSameValues(actual: ArrayLike<number>, expected: ArrayLike<number>, what: string): void {
  assert.equal(actual.length, expected.length, `${what}: length`);
  for (let i = 0; i < expected.length; i++) {
    if (!Object.is(actual[i], expected[i])) assert.fail(`${what}[${i}]: ${actual[i]} vs ${expected[i]}`);
  }
}

/** The product computed at once: reading it is what the deferral must be indistinguishable from. */
function readNow(t: Tensor): Tensor {
  void t.values;
  return t;
}

const shapeArb = fc.oneof(
  fc.tuple(fc.integer({ min: 1, max: 70 }), fc.integer({ min: 60, max: 140 })).map(([r, c]) => [r, c]),
  fc.integer({ min: 2, max: 9000 }).map((n) => [n]),
  fc.tuple(fc.integer({ min: 1, max: 5 }), fc.integer({ min: 1, max: 30 }), fc.integer({ min: 30, max: 90 })).map(([a, b, c]) => [a, b, c]),
);
const scaleArb = fc.oneof(fc.constantFrom(...SPECIAL, -0.1, 0.01, 3), fc.double({ min: -100, max: 100, noNaN: true }));
/** How the scalar operand is written: a number, a rank-0 tensor, or one element of rank 1 or the tensor's rank. */
const scalarFormArb = fc.constantFrom("number", "scalar", "rank1", "sameRank");

function scalarOperand(scale: number, form: string, rank: number, dtype: "float32" | "float64"): number | Tensor {
  if (form === "number") return scale;
  if (form === "scalar") return tf.constant(scale, [], dtype);
  return tf.constant([scale], form === "rank1" ? [1] : new Array(rank).fill(1), dtype);
}

describe("a product of a large tensor and a scalar, summed in one pass", () => {
  test("sub, add and their operand orders equal the product followed by the sum, bit for bit (fast-check)", () => {
    fc.assert(
      fc.property(
        shapeArb, scaleArb, scalarFormArb, fc.constantFrom("float32", "float64"), fc.boolean(), fc.constantFrom("w-p", "w+p", "p+w", "p-w"), fc.integer(),
        (shape, scale, form, dtype, scalarFirst, order, seed) => {
          const size = shape.reduce((n, d) => n * d, 1);
          const g = tf.constant(valuesFor(size, seed, dtype), shape, dtype);
          const w = tf.constant(valuesFor(size, seed + 1, dtype), shape, dtype);
          const s = scalarOperand(scale, form, shape.length, dtype);
          const product = () => (scalarFirst ? tf.mul(s, g) : tf.mul(g, s));
          const combine = (p: Tensor) => (order === "w-p" ? tf.sub(w, p) : order === "w+p" ? tf.add(w, p) : order === "p+w" ? tf.add(p, w) : tf.sub(p, w));
          const deferred = product();
          const fusedOrNot = combine(deferred);
          const unfused = combine(readNow(product()));
          assert.deepEqual(fusedOrNot.shape, unfused.shape);
          assert.equal(fusedOrNot.dtype, dtype);
          assertSameValues(fusedOrNot.values, unfused.values, `${order} ${dtype} [${shape}] scale ${scale}`);
          // Large products wait to be read; p − w is not fused (it would differ from −(w − p) on zeros).
          assert.equal(isDeferred(deferred), size >= DEFER_MIN_ELEMENTS && order !== "p-w");
          assertSameValues(deferred.values, readNow(product()).values, "the product, read afterwards");
        },
      ),
      { numRuns: 60 },
    );
  });

  test("the fused float32 step is fround(w − fround(s·g)) element by element", () => {
    fc.assert(
      fc.property(shapeArb.filter((s) => s.reduce((n, d) => n * d, 1) >= DEFER_MIN_ELEMENTS), scaleArb, fc.integer(), (shape, scale, seed) => {
        const size = shape.reduce((n, d) => n * d, 1);
        const gv = valuesFor(size, seed, "float32"), wv = valuesFor(size, seed ^ 0x5bd1e995, "float32");
        const product = tf.mul(tf.constant(gv, shape), scale);
        const step = tf.sub(tf.constant(wv, shape), product);
        assert.ok(isDeferred(product), "the sub consumed the product without computing it");
        const s = Math.fround(scale);
        assertSameValues(step.values, Float32Array.from(wv, (w, i) => Math.fround(w - Math.fround(s * gv[i]))), "w − s·g");
      }),
      { numRuns: 30 },
    );
  });

  test("broadcasting against a deferred product: sums of other shapes compute it and equal the unfused result (fast-check)", () => {
    const caseArb = fc.record({
      rows: fc.integer({ min: 20, max: 40 }), cols: fc.integer({ min: 210, max: 300 }), scale: scaleArb, seed: fc.integer(),
      other: fc.constantFrom<number[] | "rows" | "cols" | "leading" | "product broadcasts">([], "rows", "cols", "leading", "product broadcasts"),
      order: fc.constantFrom("w-p", "w+p", "p+w"),
    });
    fc.assert(
      fc.property(caseArb, ({ rows, cols, scale, seed, other, order }) => {
        // The product has [rows, cols] and w broadcasts against it, or the product is a long row that w repeats.
        const productShape = other === "product broadcasts" ? [rows * cols] : [rows, cols];
        const wShape = Array.isArray(other) ? other
          : other === "rows" ? [rows, 1] : other === "cols" ? [cols] : other === "leading" ? [2, rows, cols] : [2, rows * cols];
        const g = tf.constant(valuesFor(rows * cols, seed, "float32"), productShape);
        const w = tf.constant(valuesFor(wShape.reduce((n, d) => n * d, 1), seed + 1, "float32"), wShape);
        const combine = (p: Tensor) => (order === "w-p" ? tf.sub(w, p) : order === "w+p" ? tf.add(w, p) : tf.add(p, w));
        const deferred = tf.mul(g, scale);
        assert.ok(isDeferred(deferred));
        const result = combine(deferred);
        assertSameValues(result.values, combine(readNow(tf.mul(g, scale))).values, `w [${wShape}] ${order} p [${productShape}]`);
        assert.ok(!isDeferred(deferred), "a broadcasting sum reads the product");
      }),
      { numRuns: 40 },
    );
  });

  test("Variable.assignSub and assignAdd with a scaled gradient: one pass, TF's rounding, the product left unread", () => {
    const shape = [784, 256], size = 784 * 256;
    const gv = valuesFor(size, 7, "float32"), wv = valuesFor(size, 8, "float32");
    const v = new tf.Variable(tf.constant(wv, shape), { name: "w" });
    const g = tf.constant(gv, shape);
    const step = tf.mul(g, 0.1);
    v.assignSub(step);
    assert.ok(isDeferred(step));
    const lr = Math.fround(0.1);
    assertSameValues(v.dataSync(), Float32Array.from(wv, (w, i) => Math.fround(w - Math.fround(lr * gv[i]))), "assignSub");
    v.assignAdd(tf.mul(g, 0.1));
    const back = tf.add(tf.sub(tf.constant(wv, shape), readNow(tf.mul(g, 0.1))), readNow(tf.mul(g, 0.1)));
    assertSameValues(v.dataSync(), back.values, "assignAdd");
  });
});

describe("a deferred product reads the same through every path", () => {
  const shape = [64, 80];
  const size = 64 * 80;
  const gv = valuesFor(size, 11, "float32");
  const fresh = () => tf.mul(tf.constant(gv, shape), -0.75);
  const expected = () => readNow(fresh());

  test("it is deferred at all, and small products are not", () => {
    assert.ok(size >= DEFER_MIN_ELEMENTS);
    assert.ok(isDeferred(fresh()));
    assert.ok(!isDeferred(tf.mul(tf.ones([DEFER_MIN_ELEMENTS - 1]), 2)));
    assert.ok(!isDeferred(tf.mul(tf.ones([size], "int32"), 2)), "integer products run at once");
    assert.ok(!isDeferred(tf.mul(tf.ones(shape), tf.ones(shape))), "only a scalar factor defers");
  });

  test("values, dataSync, numpy, arraySync, size, shape, dtype and the display text", () => {
    const want = expected();
    const p = fresh();
    assert.equal(p.size, size);
    assert.deepEqual([p.shape, p.dtype, p.rank], [shape, "float32", 2]);
    assert.ok(isDeferred(p), "size and shape do not compute it");
    assertSameValues(p.dataSync(), want.dataSync(), "dataSync");
    assert.ok(!isDeferred(p), "read once, it holds its values");
    assert.equal(p.values, p.values, "and keeps the same array");
    assert.deepEqual(fresh().numpy(), want.numpy());
    assert.deepEqual(fresh().arraySync(), want.arraySync());
    assertSameValues(fresh().values, want.values, "values");
    assert.equal(String(fresh()), String(want));
    assert.deepEqual(tf.tensorBundle(fresh()), tf.tensorBundle(want));
    // console.log shows the fields, values included.
    const fields = (t: Tensor) => inspect(t).replace(/id: \d+/, "id");
    assert.equal(fields(fresh()), fields(want));
    assert.throws(() => fresh().item(), /item: can only convert a tensor of one element to a scalar, got shape \[64,80\]/);
  });

  test("ops that read it: reshape, identity, stopGradient, cast, reductions, matmul, unary, slicing, transposes", () => {
    const ops: [string, (t: Tensor) => Tensor][] = [
      ["reshape", (t) => tf.reshape(t, [80, 64])],
      ["identity", (t) => tf.identity(t)],
      ["stopGradient", (t) => tf.stopGradient(t)],
      ["cast", (t) => tf.cast(t, "float64")],
      ["cast to its own dtype", (t) => tf.cast(t, "float32")],
      ["reduceSum", (t) => tf.reduceSum(t, 1)],
      ["reduceMax", (t) => tf.reduceMax(t)],
      ["matmul", (t) => tf.matmul(t, tf.ones([80, 3]))],
      ["exp", (t) => tf.exp(t)],
      ["slice", (t) => tf.slice(t, [3, 5], [10, 20])],
      ["transpose", (t) => tf.transpose(t)],
      ["mul by a tensor", (t) => tf.mul(t, t)],
      ["mul by a scalar again", (t) => tf.mul(t, 3)],
      ["a sum of two deferred products", (t) => tf.add(t, fresh())],
      ["concat", (t) => tf.concat([t, t], 0)],
      ["where", (t) => tf.where(tf.greater(t, 0), t, 0)],
    ];
    for (const [name, op] of ops) assertSameValues(op(fresh()).values, op(expected()).values, name);
  });

  test("variables made or assigned from it hold its values; a product of a variable keeps the value it was made from", () => {
    const want = expected().values;
    assertSameValues(new tf.Variable(fresh()).dataSync(), want, "new Variable");
    const v = new tf.Variable(tf.zeros(shape));
    v.assign(fresh());
    assertSameValues(v.dataSync(), want, "assign");
    const source = new tf.Variable(tf.constant(gv, shape));
    const product = tf.mul(source, -0.75);
    source.assign(tf.zeros(shape));
    assert.ok(isDeferred(product));
    assertSameValues(product.values, want, "read after the variable changed");
  });

  test("a product of a product, and a sum after the product was read", () => {
    const g = tf.constant(gv, shape), w = tf.constant(valuesFor(size, 12, "float32"), shape);
    const twice = tf.mul(tf.mul(g, 3), -0.5);
    const stepped = tf.sub(w, twice);
    assertSameValues(stepped.values, tf.sub(w, readNow(tf.mul(readNow(tf.mul(g, 3)), -0.5))).values, "w − (g·3)·(−0.5)");
    const p = fresh();
    void p.values;
    assertSameValues(tf.sub(w, p).values, tf.sub(w, expected()).values, "after a read the plain sub runs");
    const same = fresh();
    assertSameValues(tf.sub(same, same).values, tf.sub(expected(), expected()).values, "p − p");
  });

  test("errors are those of the unfused ops", () => {
    const message = (f: () => unknown) => {
      try { f(); } catch (error) { return (error as Error).message; }
      assert.fail("expected an error");
    };
    assert.equal(message(() => tf.sub(tf.zeros([3, 5]), fresh())), message(() => tf.sub(tf.zeros([3, 5]), expected())));
    assert.equal(message(() => tf.add(fresh(), tf.zeros([7]))), message(() => tf.add(expected(), tf.zeros([7]))));
    assert.equal(message(() => tf.mul(tf.constant(gv, shape), tf.constant(2, [], "float64"))), message(() => tf.mul(tf.constant(gv.slice(0, 4), [4]), tf.constant(2, [], "float64"))).replace("[4]", "[64,80]"));
    const v = new tf.Variable(tf.zeros([80, 64]), { name: "w" });
    assert.equal(message(() => v.assignSub(fresh())), message(() => v.assignSub(expected())));
    assert.deepEqual(v.dataSync(), new Float32Array(size), "a failed assignSub leaves the variable as it was");
  });

  test("tapes record the product as before: gradients through it, and with the deferral defeated, agree bit for bit", () => {
    const x = tf.constant(valuesFor(size, 13, "float32").map((v) => (Number.isFinite(v) ? Math.max(-4, Math.min(4, v)) : 1)), shape);
    const run = (read: boolean) => {
      const tape = new tf.GradientTape({ persistent: true });
      const loss = tape.record(() => {
        tape.watch(x);
        const scaled = tf.mul(x, 0.5);
        if (read) void scaled.values;
        return tf.reduceSum(tf.square(tf.sub(x, scaled)));
      });
      return [loss, tape.gradient(loss, x) as Tensor] as const;
    };
    const [loss, gradient] = run(false), [loss2, gradient2] = run(true);
    assertSameValues(loss.values, loss2.values, "loss");
    assertSameValues(gradient.values, gradient2.values, "gradient");
    // d/dx Σ (x − x/2)² = x/2.
    const xv = x.values;
    gradient.values.forEach((g, i) => assert.ok(Math.abs(g - xv[i] / 2) <= 1e-6 * Math.abs(xv[i]) + 1e-30, `gradient[${i}]: ${g} vs ${xv[i] / 2}`));
  });

  test("gradients of gradients and forward mode through deferred products", () => {
    const x = tf.constant(valuesFor(size, 14, "float32").map((v) => (Number.isFinite(v) ? Math.max(-2, Math.min(2, v)) : 0.5)), shape);
    const secondOrder = (read: boolean) => {
      const outer = new tf.GradientTape();
      const inner = new tf.GradientTape();
      const first = outer.record(() => {
        outer.watch(x);
        const y = inner.record(() => {
          inner.watch(x);
          const scaled = tf.mul(x, 3);
          if (read) void scaled.values;
          return tf.reduceSum(tf.mul(scaled, tf.mul(x, x)));
        });
        // dy/dx = 9x², itself made of products of large tensors and scalars.
        return tf.reduceSum(tf.mul(inner.gradient(y, x) as Tensor, 0.5));
      });
      return outer.gradient(first, x) as Tensor;
    };
    const d2 = secondOrder(false);
    assertSameValues(d2.values, secondOrder(true).values, "second order");
    const xv = x.values;
    d2.values.forEach((g, i) => assert.ok(Math.abs(g - 9 * xv[i]) <= 1e-5 * Math.abs(9 * xv[i]) + 1e-30, `d²[${i}]: ${g} vs ${9 * xv[i]}`));

    const tangent = tf.ones(shape);
    const jvp = (read: boolean) => {
      const acc = new tf.ForwardAccumulator(x, tangent);
      const y = acc.record(() => {
        const scaled = tf.mul(x, 2.5);
        if (read) void scaled.values;
        return tf.sub(tf.exp(tf.mul(x, 0.1)), scaled);
      });
      return acc.jvp(y) as Tensor;
    };
    assertSameValues(jvp(false).values, jvp(true).values, "forward-mode tangent");
  });

  test("made on one backend and read or summed on the other, the numbers are the same", async () => {
    const start = tf.getBackend();
    const other = start === "js" ? "wasm" : "js";
    const w = tf.constant(valuesFor(size, 15, "float32"), shape);
    try {
      const p = fresh(), q = fresh();
      assert.ok(await tf.setBackend(other));
      assertSameValues(p.values, expected().values, "read on the other backend");
      assertSameValues(tf.sub(w, q).values, tf.sub(w, expected()).values, "fused on the other backend");
    } finally {
      await tf.setBackend(start);
    }
  });
});
