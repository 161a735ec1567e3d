/**
 * Strided slicing: tf.strided_slice with TF's masks, and `at`, a readable form of Python's
 * `x[:, 0, ::2]`. Both resolve to one strided view (a start, a step and a length per axis)
 * followed by a reshape for new and removed axes.
 */
import { allocate } from "../storage/dtype";
import { copyStrided } from "../backend/kernels";
import { runOp, type OpDef } from "./op";
import { formatShape, sizeOf, stridesOf } from "../storage/shape";
import { Tensor } from "../storage/tensor";
import { toTensor, type TensorLike } from "./convert";
import { placeStrided, reshape } from "./shape";

interface ViewAttrs { begin: number[]; step: number[]; size: number[] }

const withBatch = (attrs: ViewAttrs, batch: number[]): ViewAttrs => ({
  begin: [...batch.map(() => 0), ...attrs.begin],
  step: [...batch.map(() => 1), ...attrs.step],
  size: [...batch, ...attrs.size],
});

const viewDef: OpDef<ViewAttrs> = {
  name: "stridedSlice",
  forward([x], { begin, step, size }) {
    const strides = stridesOf(x.shape);
    const out = allocate(x.dtype, sizeOf(size));
    const base = begin.reduce((o, b, i) => o + b * strides[i], 0);
    if (out.length) copyStrided(x.values, strides.map((s, i) => s * step[i]), out, size, base);
    return new Tensor(out, size, x.dtype);
  },
  vjp: (dy, { inputs: [x], output, attrs }) => {
    const batch = dy.shape.slice(0, dy.rank - output.rank);
    return [runOp(placeDef, [dy], { ...withBatch(attrs, batch), into: [...batch, ...x.shape] })];
  },
  jvp: ([t], { attrs }) => t && runOp(viewDef, [t], attrs),
};

/** The transpose of a view: the values written back at their places in zeros of the input's shape. */
const placeDef: OpDef<ViewAttrs & { into: number[] }> = {
  name: "stridedSliceGrad",
  forward([g], { begin, step, into }) {
    const strides = stridesOf(into);
    const out = allocate(g.dtype, sizeOf(into));
    const base = begin.reduce((o, b, i) => o + b * strides[i], 0);
    if (g.size) placeStrided(g.values, g.shape, out, strides.map((s, i) => s * step[i]), base);
    return new Tensor(out, into, g.dtype);
  },
  vjp: (dy, { output, attrs }) => {
    const batch = dy.shape.slice(0, dy.rank - output.rank);
    return [runOp(viewDef, [dy], withBatch(attrs, batch))];
  },
  jvp: ([t], { attrs }) => t && runOp(placeDef, [t], attrs),
};

/** One entry of an index: a range (Python's start:stop:step), a single index, a new axis, or `...`. */
export type IndexSpec =
  | { kind: "range"; start?: number; stop?: number; step: number }
  | { kind: "index"; index: number }
  | { kind: "newAxis" }
  | { kind: "ellipsis" };

/** Resolves index entries against a shape, as NumPy and TF do (clamped ranges, negative indices). */
function applySpecs(op: string, x: Tensor, specs: IndexSpec[]): Tensor {
  const ellipses = specs.filter((s) => s.kind === "ellipsis").length;
  if (ellipses > 1) throw new Error(`${op}: an index can have only one ellipsis ('...')`);
  const consumed = specs.filter((s) => s.kind === "range" || s.kind === "index").length;
  if (consumed > x.rank) throw new RangeError(`${op}: too many indices (${consumed}) for a tensor of shape ${formatShape(x.shape)}`);
  const full = ellipses ? specs : [...specs, { kind: "ellipsis" } as IndexSpec];
  const begin: number[] = [], step: number[] = [], size: number[] = [], finalShape: number[] = [];
  let dim = 0;
  for (const s of full) {
    if (s.kind === "newAxis") { finalShape.push(1); continue; }
    if (s.kind === "ellipsis") {
      for (let k = 0; k < x.rank - consumed; k++, dim++) {
        begin.push(0); step.push(1); size.push(x.shape[dim]); finalShape.push(x.shape[dim]);
      }
      continue;
    }
    const n = x.shape[dim];
    if (s.kind === "index") {
      const i = s.index < 0 ? s.index + n : s.index;
      if (!Number.isInteger(s.index) || i < 0 || i >= n) {
        throw new RangeError(`${op}: index ${s.index} is out of bounds for axis ${dim} of size ${n} (shape ${formatShape(x.shape)})`);
      }
      begin.push(i); step.push(1); size.push(1);
    } else {
      const st = s.step;
      if (!Number.isInteger(st) || st === 0) throw new RangeError(`${op}: slice step must be a non-zero integer, got ${st} (axis ${dim})`);
      const clamp = (v: number): number => (st > 0 ? Math.min(Math.max(v, 0), n) : Math.min(Math.max(v, -1), n - 1));
      const resolve = (v: number | undefined, fallback: number): number => (v === undefined ? fallback : clamp(v < 0 ? v + n : v));
      const b = resolve(s.start, st > 0 ? 0 : n - 1);
      const e = resolve(s.stop, st > 0 ? n : -1);
      const len = Math.max(0, Math.ceil((e - b) / st));
      begin.push(len ? b : 0); step.push(st); size.push(len); finalShape.push(len);
    }
    dim++;
  }
  const view = runOp(viewDef, [x], { begin, step, size });
  return finalShape.length === size.length && finalShape.every((d, i) => d === size[i]) ? view : reshape(view, finalShape);
}

export interface StridedSliceMasks {
  beginMask?: number;
  endMask?: number;
  ellipsisMask?: number;
  newAxisMask?: number;
  shrinkAxisMask?: number;
}

/** tf.strided_slice(input, begin, end, strides) with TF's bit masks. */
export function stridedSlice(input: TensorLike, begin: number[], end: number[], strides?: number[], masks: StridedSliceMasks = {}): Tensor {
  const x = toTensor(input, "stridedSlice");
  const st = strides ?? begin.map(() => 1);
  if (begin.length !== end.length || st.length !== begin.length) {
    throw new Error(`stridedSlice: begin [${begin}], end [${end}] and strides [${st}] must have the same length`);
  }
  const bit = (mask: number | undefined, i: number): boolean => ((mask ?? 0) >> i & 1) === 1;
  const specs = begin.map((b, i): IndexSpec => {
    if (bit(masks.ellipsisMask, i)) return { kind: "ellipsis" };
    if (bit(masks.newAxisMask, i)) return { kind: "newAxis" };
    if (bit(masks.shrinkAxisMask, i)) return { kind: "index", index: b };
    return { kind: "range", start: bit(masks.beginMask, i) ? undefined : b, stop: bit(masks.endMask, i) ? undefined : end[i], step: st[i] };
  });
  return applySpecs("stridedSlice", x, specs);
}

/** An entry of `at`: an index, a slice string such as ":", "1:", "::2", "-3:-1", "..." or "newaxis", or null (a new axis). */
export type AtIndex = number | string | null;

function parseEntry(entry: AtIndex): IndexSpec {
  if (entry === null) return { kind: "newAxis" };
  if (typeof entry === "number") return { kind: "index", index: entry };
  const text = entry.trim();
  if (text === "...") return { kind: "ellipsis" };
  if (text === "newaxis" || text === "None") return { kind: "newAxis" };
  const parts = text.split(":");
  const num = (p: string | undefined, what: string): number | undefined => {
    if (p === undefined || p.trim() === "") return undefined;
    const v = Number(p);
    if (!Number.isInteger(v)) throw new SyntaxError(`at: '${entry}' has ${what} '${p.trim()}', which is not an integer`);
    return v;
  };
  if (parts.length === 1) return { kind: "index", index: num(parts[0], "index")! };
  if (parts.length > 3) throw new SyntaxError(`at: '${entry}' is not a slice; write start:stop:step`);
  return { kind: "range", start: num(parts[0], "start"), stop: num(parts[1], "stop"), step: num(parts[2], "step") ?? 1 };
}

/**
 * Python's indexing, readably: `tf.at(x, ":, 0, ::2")` or `x.at(":", 0, "::2")` is `x[:, 0, ::2]`.
 * Entries: integers (the axis is removed), slices "start:stop:step" (each part optional,
 * negatives count from the end), "..." for the remaining axes, and null or "newaxis" for a new axis.
 */
export function at(x: TensorLike, ...index: AtIndex[]): Tensor {
  const t = toTensor(x, "at");
  const entries = index.flatMap((e) => (typeof e === "string" && e.includes(",") ? e.split(",") : [e]));
  return applySpecs("at", t, entries.map(parseEntry));
}
