/** Shape bookkeeping shared by the gradient rules. */
import type { Tensor } from "../storage/tensor";
import { broadcastTo, reshape } from "./shape";
import { reduceSum } from "./reduce";
import { add } from "./elementwise";

/** Leading batch dimensions a (possibly vectorised) gradient carries beyond `ofRank`. */
export function batchShapeOf(g: Tensor, ofRank: number): number[] {
  return g.shape.slice(0, g.rank - ofRank);
}

/**
 * Sums a gradient down to `shape`, undoing broadcasting, while keeping `batchRank` leading
 * dimensions: the reverse of NumPy broadcasting.
 */
export function sumTo(g: Tensor, shape: readonly number[], batchRank: number): Tensor {
  const extra = g.rank - batchRank - shape.length;
  const axes: number[] = [];
  for (let i = 0; i < extra; i++) axes.push(batchRank + i);
  for (let i = 0; i < shape.length; i++) {
    const axis = batchRank + extra + i;
    if (shape[i] === 1 && g.shape[axis] !== 1) axes.push(axis);
  }
  if (axes.length === 0) return g;
  const target = [...g.shape.slice(0, batchRank), ...shape];
  return reshape(reduceSum(g, axes), target);
}

/** Broadcasts a tangent to the output's shape (a tangent of a broadcast input is smaller). */
export function toShape(t: Tensor, shape: readonly number[]): Tensor {
  if (t.rank === shape.length && t.shape.every((d, i) => d === shape[i])) return t;
  return broadcastTo(t, shape as number[]);
}

/** Sum of the tangents that exist (null when none does). */
export function sumTangents(terms: (Tensor | null)[]): Tensor | null {
  let acc: Tensor | null = null;
  for (const t of terms) if (t) acc = acc ? add(acc, t) : t;
  return acc;
}
