/**
 * The general broadcasting case as a list of rows: adjacent axes that both operands walk the
 * same way are merged first (so [a,b,c]+[c] is one long row per a·b, and same-shape operands one
 * row in all), then each row of the innermost axis is one call of a vector loop, with each
 * operand either walking that row or repeating one element across it.
 */
import { broadcastStrides, type Shape } from "../../storage/shape";

export interface BroadcastRows {
  /** Elements in each row (the merged innermost axis). */
  inner: number;
  /** Whether each operand walks the row (true) or repeats one element across it. */
  aWalks: boolean;
  bWalks: boolean;
  /** Calls `row(aStart, bStart, outStart)` (element offsets) for every row in order. */
  forEachRow(row: (aStart: number, bStart: number, outStart: number) => void): void;
}

/** Merges axes d and d+1 wherever both operands' strides let one index walk them both. */
function collapse(shape: number[], strides: number[][]): { shape: number[]; strides: number[][] } {
  const outShape = [shape[0]];
  const outStrides = strides.map((s) => [s[0]]);
  for (let d = 1; d < shape.length; d++) {
    const last = outShape.length - 1;
    const mergeable = strides.every((s, k) => outStrides[k][last] === s[d] * shape[d]);
    if (mergeable) {
      outShape[last] *= shape[d];
      strides.forEach((s, k) => (outStrides[k][last] = s[d]));
    } else {
      outShape.push(shape[d]);
      strides.forEach((s, k) => outStrides[k].push(s[d]));
    }
  }
  return { shape: outShape, strides: outStrides };
}

export function broadcastRows(aShape: Shape, bShape: Shape, outShape: Shape): BroadcastRows {
  // Axes of length 1 carry no index; dropping them first lets their neighbours merge.
  const kept = outShape.map((_, i) => i).filter((i) => outShape[i] !== 1);
  const full = { a: broadcastStrides(aShape, outShape), b: broadcastStrides(bShape, outShape) };
  const merged = kept.length === 0
    ? { shape: [1], strides: [[0], [0]] }
    : collapse(kept.map((i) => outShape[i]), [kept.map((i) => full.a[i]), kept.map((i) => full.b[i])]);
  const { shape } = merged;
  const [as, bs] = merged.strides;
  const rank = shape.length, last = rank - 1, inner = shape[last];
  return {
    inner,
    aWalks: as[last] !== 0,
    bWalks: bs[last] !== 0,
    forEachRow(row) {
      const index = new Array<number>(rank).fill(0);
      let ai = 0, bi = 0;
      const rows = shape.slice(0, last).reduce((n, d) => n * d, 1);
      for (let r = 0; r < rows; r++) {
        row(ai, bi, r * inner);
        for (let d = last - 1; d >= 0; d--) {
          index[d]++; ai += as[d]; bi += bs[d];
          if (index[d] < shape[d]) break;
          ai -= as[d] * shape[d]; bi -= bs[d] * shape[d]; index[d] = 0;
        }
      }
    },
  };
}
