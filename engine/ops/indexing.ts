/**
 * Indexing by index tuples — gatherND, scatterND, tensorScatterUpdate — and topk. Each reduces
 * to a flat gather or segment sum, so their gradients are those ops' gradients.
 */
import { formatShape, sizeOf, stridesOf } from "../storage/shape";
import { Tensor } from "../storage/tensor";
import { toTensor, type TensorLike } from "./convert";
import { mul, where } from "./elementwise";
import { castMask } from "./elementwise-factory";
import { gather, reshape, unsortedSegmentSum } from "./shape";

/** Row numbers of `indices`' index tuples into the leading axes of `shape`, checked against it. */
function flatRows(op: string, indices: Tensor, shape: number[]): { rows: Tensor; depth: number } {
  if (indices.dtype !== "int32") throw new TypeError(`${op}: indices must be int32, got ${indices.dtype}`);
  if (indices.rank < 1) throw new RangeError(`${op}: indices must have rank at least 1, got shape ${formatShape(indices.shape)}`);
  const depth = indices.shape[indices.rank - 1];
  if (depth > shape.length) {
    throw new RangeError(`${op}: index depth ${depth} (last axis of indices ${formatShape(indices.shape)}) exceeds the rank of shape ${formatShape(shape)}`);
  }
  const strides = stridesOf(shape.slice(0, depth));
  const count = indices.size / Math.max(depth, 1);
  const rows = new Int32Array(depth === 0 ? sizeOf(indices.shape.slice(0, -1)) : count);
  for (let j = 0; j < rows.length; j++) {
    let row = 0;
    for (let k = 0; k < depth; k++) {
      const i = indices.values[j * depth + k];
      if (!(i >= 0 && i < shape[k])) {
        const tuple = Array.from(indices.values.subarray(j * depth, (j + 1) * depth));
        throw new RangeError(`${op}: indices[${j}] = [${tuple.join(", ")}] does not index into shape ${formatShape(shape)}`);
      }
      row += i * strides[k];
    }
    rows[j] = row;
  }
  return { rows: new Tensor(rows, [rows.length], "int32"), depth };
}

/** tf.gather_nd: the slices of `params` at each index tuple (the last axis of `indices`). */
export function gatherND(params: TensorLike, indices: TensorLike): Tensor {
  const x = toTensor(params, "gatherND");
  const idx = toTensor(indices, "gatherND", "int32");
  const { rows, depth } = flatRows("gatherND", idx, x.shape);
  const rest = x.shape.slice(depth);
  const picked = gather(reshape(x, [sizeOf(x.shape.slice(0, depth)), ...rest]), rows);
  return reshape(picked, [...idx.shape.slice(0, -1), ...rest]);
}

function checkUpdates(op: string, updates: Tensor, indices: Tensor, shape: number[], depth: number): void {
  const expected = [...indices.shape.slice(0, -1), ...shape.slice(depth)];
  if (updates.rank !== expected.length || updates.shape.some((d, i) => d !== expected[i])) {
    throw new Error(`${op}: updates have shape ${formatShape(updates.shape)}, expected ${formatShape(expected)} for indices ${formatShape(indices.shape)} into shape ${formatShape(shape)}`);
  }
}

function scatterRows(updates: Tensor, rows: Tensor, shape: number[], depth: number): Tensor {
  const rest = shape.slice(depth);
  const flat = reshape(updates, [rows.size, ...rest]);
  return reshape(unsortedSegmentSum(flat, rows, Math.max(1, sizeOf(shape.slice(0, depth)))), shape);
}

/** tf.scatter_nd: zeros of `shape` with `updates` added at the index tuples (repeats add up). */
export function scatterND(indices: TensorLike, updates: TensorLike, shape: number[]): Tensor {
  const idx = toTensor(indices, "scatterND", "int32");
  const u = toTensor(updates, "scatterND");
  const { rows, depth } = flatRows("scatterND", idx, shape);
  checkUpdates("scatterND", u, idx, shape, depth);
  return scatterRows(u, rows, shape, depth);
}

/** tf.tensor_scatter_nd_update: `tensor` with the slices at the index tuples replaced; of repeated tuples the last wins. */
export function tensorScatterUpdate(tensor: TensorLike, indices: TensorLike, updates: TensorLike): Tensor {
  const x = toTensor(tensor, "tensorScatterUpdate");
  const idx = toTensor(indices, "tensorScatterUpdate", "int32");
  const u = toTensor(updates, "tensorScatterUpdate", x.dtype);
  const { rows, depth } = flatRows("tensorScatterUpdate", idx, x.shape);
  checkUpdates("tensorScatterUpdate", u, idx, x.shape, depth);
  // Earlier updates of a repeated row are dropped (weight 0), so the sum holds the last one only.
  const last = new Map<number, number>();
  rows.values.forEach((r, j) => last.set(r, j));
  const keep = new Tensor(Float64Array.from(rows.values, (r, j) => (last.get(r) === j ? 1 : 0)), [rows.size, ...u.shape.slice(idx.rank - 1).map(() => 1)], "float64");
  const kept = u.dtype === "float32" || u.dtype === "float64" ? mul(u, castMask(keep, u)) : u;
  const hit = new Uint8Array(x.size);
  const inner = sizeOf(x.shape.slice(depth));
  for (const r of rows.values) hit.fill(1, r * inner, (r + 1) * inner);
  return where(new Tensor(hit, x.shape, "bool"), scatterRows(kept, rows, x.shape, depth), x);
}

/**
 * tf.math.top_k: the `k` largest entries along the last axis and their indices, largest first
 * (ties keep the lower index first). The gradient flows to the chosen values. Results are
 * always sorted; `sorted = false` (which leaves the order unspecified in TF) is accepted for TF's signature.
 */
export function topk(input: TensorLike, k = 1, sorted = true): { values: Tensor; indices: Tensor } {
  const x = toTensor(input, "topk");
  if (x.rank < 1) throw new RangeError("topk: input must have rank at least 1");
  const n = x.shape[x.rank - 1];
  if (!Number.isInteger(k) || k < 0 || k > n) throw new RangeError(`topk: k (${k}) must be an integer in [0, ${n}] (last axis of shape ${formatShape(x.shape)})`);
  const rowsCount = x.size / Math.max(n, 1);
  const chosen = new Int32Array(rowsCount * k), flat = new Int32Array(rowsCount * k);
  const order = Array.from({ length: n }, (_, i) => i);
  for (let r = 0; r < rowsCount; r++) {
    const v = (i: number): number => x.values[r * n + i];
    // NaN ranks above every number, as in TF.
    order.sort((a, b) => (Number.isNaN(v(a)) ? (Number.isNaN(v(b)) ? a - b : -1) : Number.isNaN(v(b)) ? 1 : v(b) - v(a) || a - b));
    for (let j = 0; j < k; j++) { chosen[r * k + j] = order[j]; flat[r * k + j] = r * n + order[j]; }
  }
  const shape = [...x.shape.slice(0, -1), k];
  const values = gather(reshape(x, [-1]), new Tensor(flat, shape, "int32"));
  return { values, indices: new Tensor(chosen, shape, "int32") };
}
