/**
 * The WebAssembly SIMD convolution and pooling kernels (conv.wat) behind ConvKernels: float32
 * operands are used in place when they live in kernel memory and copied in otherwise
 * (placement.ts); a large call splits the batch's output rows across the thread pool, in whole
 * images where the kernel adds into the input's positions. Float64 runs the reference loops.
 */
import { inputSize, outputSize, type ConvGeometry, type ConvKernels, type FloatArray } from "../conv-types";
import { CONV_WASM } from "./conv-wasm";
import type { KernelMemory } from "./memory";
import { parallelKernels, type ParallelKernels } from "./parallel";
import { Placement } from "./placement";

type Kernel = (...args: number[]) => void;
type KernelName = "im2col" | "col2im" | "depthwise_forward" | "depthwise_input" | "depthwise_filter" | "max_pool" | "avg_pool" | "avg_pool_grad" | "scatter" | "gather";

export const convSettings = {
  /**
   * Calls with at least this much work (elements moved, or multiply-adds) split across the
   * threads: below it, waking a worker costs about what it saves, and these kernels are mostly
   * bound by memory, which the cores share.
   */
  parallelMinWork: 1 << 20,
  /**
   * Parts a thread: with several, a thread that falls behind (a busy machine) is helped out by
   * the others instead of being waited for.
   */
  partsPerThread: 2,
};

/** conv.wat's geometry block, field by field. */
const GEOMETRY_FIELDS = [
  "inHeight", "inWidth", "inChannels", "filterHeight", "filterWidth", "outChannels", "strideHeight", "strideWidth",
  "dilationHeight", "dilationWidth", "padTop", "padLeft", "outHeight", "outWidth",
] as const satisfies readonly (keyof ConvGeometry)[];

const decode = (base64: string): Uint8Array<ArrayBuffer> => Uint8Array.from(atob(base64), (ch) => ch.charCodeAt(0));
const allFloat32 = (arrays: FloatArray[]) => arrays.every((x) => x instanceof Float32Array);
/** An index array's bytes seen as floats, so that placing it copies it bit for bit. */
const asFloats = (x: Int32Array) => new Float32Array(x.buffer, x.byteOffset, x.length);

/** Prepares a call: places its operands and returns what runs it (null: kernel memory is full). */
type Compute = (place: Placement, threads: ParallelKernels | null) => (() => void) | null;

export function wasmConvKernels(memory: KernelMemory, reference: ConvKernels): ConvKernels {
  const module = new WebAssembly.Module(decode(CONV_WASM));
  const own = new WebAssembly.Instance(module, { env: { memory: memory.memory } }).exports as unknown as Record<KernelName, Kernel>;
  const parallel = parallelKernels(memory.memory, module);
  const geometryBlock = memory.temporary(GEOMETRY_FIELDS.length);
  if (!geometryBlock) throw new Error("kernel memory could not hold the convolution kernels' geometry block");
  const geometryAt = geometryBlock.offset;
  const zero = (at: number, length: number) => memory.floats().fill(0, at / 4, at / 4 + length);

  /** Runs `compute`'s call on float32 operands; false when the reference has to do it instead. */
  function attempt(operands: FloatArray[], g: ConvGeometry, work: number, compute: Compute): boolean {
    if (!allFloat32(operands)) return false;
    // Asked for before placing, small calls too: a call stopped from outside may have left
    // workers reading the geometry block and writing.
    const pool = parallel();
    const threads = work >= convSettings.parallelMinWork ? pool : null;
    const place = new Placement(memory);
    let computed = false;
    try {
      const run = compute(place, threads);
      if (run && place.ok) {
        new Int32Array(memory.memory.buffer, geometryAt, GEOMETRY_FIELDS.length).set(GEOMETRY_FIELDS.map((field) => g[field]));
        run();
        computed = true;
      }
    } finally {
      place.finish(computed);
    }
    return computed;
  }

  /** How many parts `units` of work split into. */
  const partsOf = (threads: ParallelKernels | null, units: number) => (threads ? Math.min(threads.threads * convSettings.partsPerThread, units) : 1);

  /** `name` over output rows [0, rows), in parts of whole `unit`s of rows, with `args(from, to)` before the thread's number. */
  function overRows(threads: ParallelKernels | null, name: KernelName, rows: number, unit: number, args: (from: number, to: number) => number[]): void {
    const parts = partsOf(threads, rows / unit);
    if (parts <= 1 || !threads) return own[name](...args(0, rows), 0);
    const share = Math.ceil(rows / unit / parts) * unit;
    const list: number[][] = [];
    for (let from = 0; from < rows; from += share) list.push(args(from, Math.min(rows, from + share)));
    threads.run(name, list);
  }

  /**
   * Max pooling's gradient (scatter) or its adjoint (gather) along `argmax`: `values` and `out`
   * hold slabs of the input's and the output's size (or the other way round); one slab splits by
   * images, whose indices stay within their own image.
   */
  function alongArgmax(name: "scatter" | "gather", values: FloatArray, argmax: Int32Array, out: FloatArray, g: ConvGeometry): boolean {
    const scatter = name === "scatter", perImage = outputSize(g), count = argmax.length;
    const slabs = (scatter ? values : out).length / count, size = (scatter ? out : values).length / slabs;
    return attempt([values, out], g, count * slabs, (place, threads) => {
      const pv = place.input(values as Float32Array), pi = place.input(asFloats(argmax)), po = place.output(out as Float32Array);
      return () => {
        if (scatter) zero(po, out.length);
        const chunks = slabs === 1 ? partsOf(threads, count / perImage) : 1;
        const share = Math.ceil(count / perImage / chunks) * perImage;
        const parts: number[][] = [];
        for (let slab = 0; slab < slabs; slab++) {
          for (let from = 0; from < count; from += share) {
            const n = Math.min(share, count - from), dense = (slab * count + from) * 4, slabBase = slab * size * 4;
            parts.push(scatter ? [pv + dense, pi + from * 4, n, po + slabBase] : [pv + slabBase, pi + from * 4, n, po + dense]);
          }
        }
        if (parts.length > 1 && threads) threads.run(name, parts);
        else for (const part of parts) own[name](...part, 0);
      };
    });
  }

  const imageRows = (x: FloatArray, g: ConvGeometry) => (x.length / inputSize(g)) * g.outHeight;
  const outputRows = (y: FloatArray, g: ConvGeometry) => (y.length / outputSize(g)) * g.outHeight;
  const taps = (g: ConvGeometry) => g.filterHeight * g.filterWidth;

  return {
    im2col(x, g, out) {
      const done = attempt([x, out], g, out.length, (place, threads) => {
        const px = place.input(x as Float32Array), po = place.output(out as Float32Array);
        return () => overRows(threads, "im2col", imageRows(x, g), 1, (from, to) => [geometryAt, px, po, from, to]);
      });
      if (!done) reference.im2col(x, g, out);
    },
    col2im(cols, g, out) {
      const done = attempt([cols, out], g, cols.length, (place, threads) => {
        const pc = place.input(cols as Float32Array), po = place.output(out as Float32Array);
        return () => {
          zero(po, out.length);
          overRows(threads, "col2im", imageRows(out, g), g.outHeight, (from, to) => [geometryAt, pc, po, from, to]);
        };
      });
      if (!done) reference.col2im(cols, g, out);
    },
    depthwiseConv2d(x, w, g, out) {
      const done = attempt([x, w, out], g, out.length * taps(g), (place, threads) => {
        const px = place.input(x as Float32Array), pw = place.input(w as Float32Array), po = place.output(out as Float32Array);
        return () => {
          zero(po, out.length);
          overRows(threads, "depthwise_forward", imageRows(x, g), 1, (from, to) => [geometryAt, px, pw, po, from, to]);
        };
      });
      if (!done) reference.depthwiseConv2d(x, w, g, out);
    },
    depthwiseBackpropInput(dy, w, g, out) {
      const done = attempt([dy, w, out], g, dy.length * taps(g), (place, threads) => {
        const pdy = place.input(dy as Float32Array), pw = place.input(w as Float32Array), po = place.output(out as Float32Array);
        return () => {
          zero(po, out.length);
          overRows(threads, "depthwise_input", outputRows(dy, g), g.outHeight, (from, to) => [geometryAt, pdy, pw, po, from, to]);
        };
      });
      if (!done) reference.depthwiseBackpropInput(dy, w, g, out);
    },
    depthwiseBackpropFilter(x, dy, g, out) {
      // Each thread adds into its own copy of dw; the copies are summed here.
      let copies = 1;
      let partials = new Float32Array(0);
      const done = attempt([x, dy, out], g, dy.length * taps(g), (place, threads) => {
        const rows = imageRows(x, g);
        copies = partsOf(threads, rows) > 1 && threads ? threads.threads : 1;
        partials = new Float32Array(copies * out.length);
        const px = place.input(x as Float32Array), pdy = place.input(dy as Float32Array), pp = place.output(partials);
        return () => {
          zero(pp, partials.length);
          overRows(copies > 1 ? threads : null, "depthwise_filter", rows, 1, (from, to) => [geometryAt, px, pdy, pp, out.length * 4, from, to]);
        };
      });
      if (!done) return reference.depthwiseBackpropFilter(x, dy, g, out);
      out.set(partials.subarray(0, out.length));
      for (let copy = 1; copy < copies; copy++) for (let i = 0, at = copy * out.length; i < out.length; i++, at++) out[i] += partials[at];
    },
    maxPool(x, g, out, argmax) {
      const done = attempt([x, out], g, out.length * taps(g), (place, threads) => {
        const px = place.input(x as Float32Array), po = place.output(out as Float32Array), pa = place.output(asFloats(argmax));
        return () => overRows(threads, "max_pool", imageRows(x, g), 1, (from, to) => [geometryAt, px, po, pa, from, to]);
      });
      if (!done) reference.maxPool(x, g, out, argmax);
    },
    maxPoolBackprop(dy, argmax, g, out) {
      if (!alongArgmax("scatter", dy, argmax, out, g)) reference.maxPoolBackprop(dy, argmax, g, out);
    },
    maxPoolGradGrad(grad, argmax, g, out) {
      if (!alongArgmax("gather", grad, argmax, out, g)) reference.maxPoolGradGrad(grad, argmax, g, out);
    },
    avgPool(x, g, out) {
      const done = attempt([x, out], g, out.length * taps(g), (place, threads) => {
        const px = place.input(x as Float32Array), po = place.output(out as Float32Array);
        return () => overRows(threads, "avg_pool", imageRows(x, g), 1, (from, to) => [geometryAt, px, po, from, to]);
      });
      if (!done) reference.avgPool(x, g, out);
    },
    avgPoolBackprop(dy, g, out) {
      const done = attempt([dy, out], g, dy.length * taps(g), (place, threads) => {
        const pdy = place.input(dy as Float32Array), po = place.output(out as Float32Array);
        return () => {
          zero(po, out.length);
          overRows(threads, "avg_pool_grad", outputRows(dy, g), g.outHeight, (from, to) => [geometryAt, pdy, po, from, to]);
        };
      });
      if (!done) reference.avgPoolBackprop(dy, g, out);
    },
  };
}
