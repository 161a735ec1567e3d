/** Ops that move values without arithmetic: reshape, transpose, broadcast, concat, slice, pad, gather. */
import { allocate } from "../storage/dtype";
import { copyStrided, expand, transposeValues } from "../backend/kernels";
import { currentBackend } from "../backend";
import { runOp, type OpDef } from "./op";
import { formatShape, normalizeAxes, normalizeAxis, sameShape, sizeOf, stridesOf } from "../storage/shape";
import { Tensor } from "../storage/tensor";
import { toTensor, type TensorLike } from "./convert";
import { sumTo } from "./grad-utils";
import { zeros } from "./creation";

const batchOf = (dy: Tensor, output: Tensor): number[] => dy.shape.slice(0, dy.rank - output.rank);
const batchIdentity = (n: number): number[] => Array.from({ length: n }, (_, i) => i);

// ---- reshape -----------------------------------------------------------------------------
const reshapeDef: OpDef<{ shape: number[] }> = {
  name: "reshape",
  // Values are immutable, so a reshape shares them.
  forward: ([x], { shape }) => new Tensor(x.values, shape, x.dtype),
  vjp: (dy, { inputs: [x], output }) => [reshape(dy, [...batchOf(dy, output), ...x.shape])],
  jvp: ([t], { attrs }) => t && reshape(t, attrs.shape),
};

export function reshape(x: TensorLike, shape: number[]): Tensor {
  const t = toTensor(x, "reshape");
  const resolved = resolveShape(shape, t.size, t.shape);
  return runOp(reshapeDef, [t], { shape: resolved });
}

function resolveShape(shape: number[], size: number, from: number[]): number[] {
  const unknown = shape.indexOf(-1);
  const known = shape.reduce((n, d, i) => (i === unknown ? n : n * d), 1);
  const out = shape.slice();
  if (unknown >= 0 && known > 0 && size % known === 0) out[unknown] = size / known;
  if (sizeOf(out) !== size || out.some((d) => !Number.isInteger(d) || d < 0)) {
    throw new Error(`reshape: cannot reshape a tensor with ${size} elements (shape ${formatShape(from)}) to shape ${formatShape(shape)}`);
  }
  return out;
}

export function expandDims(x: TensorLike, axis = 0): Tensor {
  const t = toTensor(x, "expandDims");
  const a = normalizeAxis("expandDims", axis, t.rank + 1);
  return reshape(t, [...t.shape.slice(0, a), 1, ...t.shape.slice(a)]);
}

export function squeeze(x: TensorLike, axis?: number | number[]): Tensor {
  const t = toTensor(x, "squeeze");
  const axes = axis === undefined ? t.shape.flatMap((d, i) => (d === 1 ? [i] : [])) : normalizeAxes("squeeze", axis, t.rank);
  for (const a of axes) {
    if (t.shape[a] !== 1) throw new Error(`squeeze: can not squeeze dim[${a}], expected a dimension of 1, got ${t.shape[a]} (shape ${formatShape(t.shape)})`);
  }
  return reshape(t, t.shape.filter((_, i) => !axes.includes(i)));
}

// ---- transpose ---------------------------------------------------------------------------
const transposeDef: OpDef<{ perm: number[] }> = {
  name: "transpose",
  forward([x], { perm }) {
    const out = allocate(x.dtype, x.size);
    currentBackend().transpose(x.values, x.shape, perm, out);
    return new Tensor(out, perm.map((p) => x.shape[p]), x.dtype);
  },
  vjp(dy, { output, attrs: { perm } }) {
    const b = dy.rank - output.rank;
    const inverse = new Array<number>(perm.length);
    perm.forEach((p, i) => (inverse[p] = i));
    return [transpose(dy, [...batchIdentity(b), ...inverse.map((p) => p + b)])];
  },
  jvp: ([t], { attrs }) => t && transpose(t, attrs.perm),
};

export function transpose(x: TensorLike, perm?: number[]): Tensor {
  const t = toTensor(x, "transpose");
  const p = perm ?? t.shape.map((_, i) => t.rank - 1 - i);
  if (p.length !== t.rank || [...p].sort((a, b) => a - b).some((v, i) => v !== i)) {
    throw new Error(`transpose: perm [${p}] is not a permutation of the ${t.rank} axes of shape ${formatShape(t.shape)}`);
  }
  return runOp(transposeDef, [t], { perm: p });
}

// ---- broadcastTo -------------------------------------------------------------------------
const broadcastDef: OpDef<{ shape: number[] }> = {
  name: "broadcastTo",
  forward: ([x], { shape }) => new Tensor(expand(x.values, x.shape, shape), shape, x.dtype),
  vjp: (dy, { inputs: [x], output }) => [sumTo(dy, x.shape, dy.rank - output.rank)],
  jvp: ([t], { attrs }) => t && broadcastTo(t, attrs.shape),
};

export function broadcastTo(x: TensorLike, shape: number[]): Tensor {
  const t = toTensor(x, "broadcastTo");
  if (sameShape(t.shape, shape)) return t;
  const offset = shape.length - t.rank;
  if (offset < 0 || t.shape.some((d, i) => d !== 1 && d !== shape[offset + i])) {
    throw new Error(`broadcastTo: cannot broadcast shape ${formatShape(t.shape)} to ${formatShape(shape)}`);
  }
  return runOp(broadcastDef, [t], { shape: shape.slice() });
}

export function tile(x: TensorLike, reps: number[]): Tensor {
  const t = toTensor(x, "tile");
  if (reps.length !== t.rank) throw new Error(`tile: reps [${reps}] must have one entry per axis of shape ${formatShape(t.shape)}`);
  // Interleave a broadcast axis before each axis, then merge: [r0, d0, r1, d1, ...] → [r0·d0, ...].
  const spread = reshape(t, t.shape.flatMap((d) => [1, d]));
  const big = broadcastTo(spread, t.shape.flatMap((d, i) => [reps[i], d]));
  return reshape(big, t.shape.map((d, i) => d * reps[i]));
}

// ---- slice and pad -----------------------------------------------------------------------
/** Writes `src` (of `srcShape`) into `dst` at `base`, stepping by `dstStrides`: the inverse of copyStrided. */
export function placeStrided(src: ArrayLike<number>, srcShape: number[], dst: { [i: number]: number }, dstStrides: number[], base: number): void {
  const rank = srcShape.length;
  if (rank === 0) { dst[base] = src[0]; return; }
  const last = rank - 1, inner = srcShape[last], s = dstStrides[last];
  const idx = new Array(rank).fill(0);
  let di = base;
  for (let i = 0; i < src.length; i += inner) {
    for (let j = 0; j < inner; j++) dst[di + j * s] = src[i + j];
    for (let d = last - 1; d >= 0; d--) {
      idx[d]++; di += dstStrides[d];
      if (idx[d] < srcShape[d]) break;
      di -= dstStrides[d] * srcShape[d]; idx[d] = 0;
    }
  }
}

const offsetOf = (begin: number[], strides: number[]): number => begin.reduce((o, b, i) => o + b * strides[i], 0);

const sliceDef: OpDef<{ begin: number[]; size: number[] }> = {
  name: "slice",
  forward([x], { begin, size }) {
    const strides = stridesOf(x.shape);
    const out = allocate(x.dtype, sizeOf(size));
    if (out.length) copyStrided(x.values, strides, out, size, offsetOf(begin, strides));
    return new Tensor(out, size, x.dtype);
  },
  vjp(dy, { inputs: [x], output, attrs: { begin, size } }) {
    const batch = batchOf(dy, output);
    return [pad(dy, [...batch.map((): [number, number] => [0, 0]), ...begin.map((b, i): [number, number] => [b, x.shape[i] - b - size[i]])])];
  },
  jvp: ([t], { attrs }) => t && slice(t, attrs.begin, attrs.size),
};

/** tf.slice: `size` entries of -1 take everything to the end of that axis. */
export function slice(x: TensorLike, begin: number | number[], size?: number | number[]): Tensor {
  const t = toTensor(x, "slice");
  const b = typeof begin === "number" ? [begin, ...new Array(t.rank - 1).fill(0)] : begin.slice();
  while (b.length < t.rank) b.push(0);
  const s0 = size === undefined ? [] : typeof size === "number" ? [size] : size.slice();
  const s = t.shape.map((d, i) => (s0[i] === undefined || s0[i] === -1 ? d - b[i] : s0[i]));
  if (b.length !== t.rank || b.some((v, i) => v < 0 || v + s[i] > t.shape[i] || s[i] < 0)) {
    throw new RangeError(`slice: begin [${b}] with size [${s}] is out of bounds for shape ${formatShape(t.shape)}`);
  }
  return runOp(sliceDef, [t], { begin: b, size: s });
}

const padDef: OpDef<{ paddings: [number, number][]; value: number }> = {
  name: "pad",
  forward([x], { paddings, value }) {
    const shape = x.shape.map((d, i) => d + paddings[i][0] + paddings[i][1]);
    const out = allocate(x.dtype, sizeOf(shape));
    if (value !== 0) out.fill(value);
    const strides = stridesOf(shape);
    if (x.size) placeStrided(x.values, x.shape, out, strides, offsetOf(paddings.map((p) => p[0]), strides));
    return new Tensor(out, shape, x.dtype);
  },
  vjp(dy, { inputs: [x], output, attrs: { paddings } }) {
    const batch = batchOf(dy, output);
    return [slice(dy, [...batch.map(() => 0), ...paddings.map((p) => p[0])], [...batch.map(() => -1), ...x.shape])];
  },
  jvp: ([t], { attrs }) => t && pad(t, attrs.paddings, 0),
};

export function pad(x: TensorLike, paddings: [number, number][], constantValue = 0): Tensor {
  const t = toTensor(x, "pad");
  if (paddings.length !== t.rank || paddings.some((p) => p.length !== 2 || p[0] < 0 || p[1] < 0)) {
    throw new Error(`pad: paddings ${JSON.stringify(paddings)} must be one non-negative [before, after] pair per axis of shape ${formatShape(t.shape)}`);
  }
  return runOp(padDef, [t], { paddings, value: constantValue });
}

// ---- concat, stack, split ----------------------------------------------------------------
const concatDef: OpDef<{ axis: number }> = {
  name: "concat",
  forward(xs, { axis }) {
    const shape = xs[0].shape.slice();
    shape[axis] = xs.reduce((n, x) => n + x.shape[axis], 0);
    const out = allocate(xs[0].dtype, sizeOf(shape));
    const outer = sizeOf(shape.slice(0, axis));
    const rowOut = sizeOf(shape.slice(axis));
    let offset = 0;
    for (const x of xs) {
      const row = sizeOf(x.shape.slice(axis));
      for (let o = 0; o < outer; o++) out.set(x.values.subarray(o * row, (o + 1) * row), o * rowOut + offset);
      offset += row;
    }
    return new Tensor(out, shape, xs[0].dtype);
  },
  vjp(dy, { inputs, output, attrs: { axis } }) {
    const batch = batchOf(dy, output);
    let start = 0;
    return inputs.map((x) => {
      const begin = [...batch.map(() => 0), ...x.shape.map((_, i) => (i === axis ? start : 0))];
      start += x.shape[axis];
      return slice(dy, begin, [...batch.map(() => -1), ...x.shape]);
    });
  },
  jvp(ts, { inputs, attrs }) {
    if (ts.every((t) => !t)) return null;
    return concat(ts.map((t, i) => t ?? zeros(inputs[i].shape, inputs[i].dtype)), attrs.axis);
  },
};

export function concat(tensors: TensorLike[], axis = 0): Tensor {
  if (!Array.isArray(tensors) || tensors.length === 0) throw new Error("concat: expected a non-empty list of tensors");
  const ts = tensors.map((t) => toTensor(t, "concat"));
  const a = normalizeAxis("concat", axis, ts[0].rank);
  for (const t of ts) {
    if (t.rank !== ts[0].rank || t.dtype !== ts[0].dtype || t.shape.some((d, i) => i !== a && d !== ts[0].shape[i])) {
      throw new Error(`concat: shapes ${ts.map((x) => `${formatShape(x.shape)} ${x.dtype}`).join(", ")} do not match outside axis ${a}`);
    }
  }
  return ts.length === 1 ? ts[0] : runOp(concatDef, ts, { axis: a });
}

export function stack(tensors: TensorLike[], axis = 0): Tensor {
  if (!Array.isArray(tensors) || tensors.length === 0) throw new Error("stack: expected a non-empty list of tensors");
  const ts = tensors.map((t) => toTensor(t, "stack"));
  for (const t of ts) {
    if (!sameShape(t.shape, ts[0].shape)) {
      throw new Error(`stack: all tensors must have the same shape, got ${ts.map((x) => formatShape(x.shape)).join(", ")}`);
    }
  }
  const a = normalizeAxis("stack", axis, ts[0].rank + 1);
  return concat(ts.map((t) => expandDims(t, a)), a);
}

export function unstack(x: TensorLike, axis = 0): Tensor[] {
  const t = toTensor(x, "unstack");
  const a = normalizeAxis("unstack", axis, t.rank);
  return Array.from({ length: t.shape[a] }, (_, i) => {
    const begin = t.shape.map((_, j) => (j === a ? i : 0));
    const size = t.shape.map((d, j) => (j === a ? 1 : d));
    return squeeze(slice(t, begin, size), a);
  });
}

/** tf.split: into `n` equal parts, or parts of the given sizes. */
export function split(x: TensorLike, numOrSizes: number | number[], axis = 0): Tensor[] {
  const t = toTensor(x, "split");
  const a = normalizeAxis("split", axis, t.rank);
  const dim = t.shape[a];
  const sizes = typeof numOrSizes === "number" ? new Array(numOrSizes).fill(dim / numOrSizes) : numOrSizes;
  if (sizes.some((s) => !Number.isInteger(s)) || sizes.reduce((p, s) => p + s, 0) !== dim) {
    throw new Error(`split: cannot split axis ${a} of size ${dim} into ${JSON.stringify(numOrSizes)}`);
  }
  let start = 0;
  return sizes.map((s) => {
    const part = slice(t, t.shape.map((_, j) => (j === a ? start : 0)), t.shape.map((d, j) => (j === a ? s : d)));
    start += s;
    return part;
  });
}

// ---- gather and its gradient ----------------------------------------------------------------
interface GatherAttrs { axis: number }

function checkIndices(indices: Tensor, dim: number, op: string): void {
  for (let i = 0; i < indices.size; i++) {
    const k = indices.values[i];
    if (!(k >= 0 && k < dim)) throw new RangeError(`${op}: indices[${i}] = ${k} is not in [0, ${dim})`);
  }
}

const gatherDef: OpDef<GatherAttrs> = {
  name: "gather",
  forward([x, indices], { axis }) {
    const outer = sizeOf(x.shape.slice(0, axis)), n = x.shape[axis], inner = sizeOf(x.shape.slice(axis + 1));
    const shape = [...x.shape.slice(0, axis), ...indices.shape, ...x.shape.slice(axis + 1)];
    const out = allocate(x.dtype, sizeOf(shape));
    const k = indices.size;
    for (let o = 0; o < outer; o++) {
      for (let j = 0; j < k; j++) {
        const src = (o * n + indices.values[j]) * inner;
        out.set(x.values.subarray(src, src + inner), (o * k + j) * inner);
      }
    }
    return new Tensor(out, shape, x.dtype);
  },
  vjp: (dy, { inputs: [x, indices], output, attrs: { axis } }) => {
    const b = dy.rank - output.rank;
    return [scatterAdd(dy, indices, axis + b, x.shape[axis]), null];
  },
  jvp: ([t], { inputs: [, indices], attrs }) => t && runOp(gatherDef, [t, indices], attrs),
};

/** Sums slices of `x` into `dim` rows along `axis` at `indices`: the transpose of gather. */
const scatterAddDef: OpDef<GatherAttrs & { dim: number }> = {
  name: "scatterAdd",
  forward([x, indices], { axis, dim }) {
    const k = indices.size;
    const outer = sizeOf(x.shape.slice(0, axis)), inner = sizeOf(x.shape.slice(axis + indices.rank));
    const shape = [...x.shape.slice(0, axis), dim, ...x.shape.slice(axis + indices.rank)];
    const out = allocate(x.dtype, sizeOf(shape)), xs = x.values, at = indices.values;
    for (let o = 0; o < outer; o++) {
      for (let j = 0; j < k; j++) {
        const dst = (o * dim + at[j]) * inner, src = (o * k + j) * inner;
        for (let i = 0; i < inner; i++) out[dst + i] += xs[src + i];
      }
    }
    return new Tensor(out, shape, x.dtype);
  },
  vjp: (dy, { inputs: [, indices], output, attrs: { axis } }) => [runOp(gatherDef, [dy, indices], { axis: axis + dy.rank - output.rank }), null],
  jvp: ([t], { inputs: [, indices], attrs }) => t && scatterAdd(t, indices, attrs.axis, attrs.dim),
};

function scatterAdd(x: Tensor, indices: Tensor, axis: number, dim: number): Tensor {
  return runOp(scatterAddDef, [x, indices], { axis, dim });
}

/** Rows (or slices along `axis`) of `x` at integer `indices`; the result's shape embeds the indices' shape. */
export function gather(x: TensorLike, indices: TensorLike, axis = 0): Tensor {
  const t = toTensor(x, "gather");
  const idx = toTensor(indices, "gather", "int32");
  if (idx.dtype !== "int32") throw new TypeError(`gather: indices must be int32, got ${idx.dtype}`);
  const a = normalizeAxis("gather", axis, t.rank);
  checkIndices(idx, t.shape[a], "gather");
  return runOp(gatherDef, [t, idx], { axis: a });
}

/** Sums `data` rows into `numSegments` rows at `segmentIds` (tf.math.unsorted_segment_sum). */
export function unsortedSegmentSum(data: TensorLike, segmentIds: TensorLike, numSegments: number): Tensor {
  const t = toTensor(data, "unsortedSegmentSum");
  const idx = toTensor(segmentIds, "unsortedSegmentSum", "int32");
  if (!sameShape(idx.shape, t.shape.slice(0, idx.rank))) {
    throw new Error(`unsortedSegmentSum: segmentIds shape ${formatShape(idx.shape)} must be a prefix of data shape ${formatShape(t.shape)}`);
  }
  checkIndices(idx, numSegments, "unsortedSegmentSum");
  return scatterAdd(t, idx, 0, numSegments);
}
