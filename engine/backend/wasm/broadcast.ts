/**
 * The general broadcasting case as blocks of rows: adjacent axes that both operands walk the
 * same way are merged first (so [a,b,c]+[c] is a·b rows of c, and same-shape operands one row
 * in all); the innermost merged axis is a row, the one before it the rows of a block (one call
 * of the row kernel), and any axes further out a loop over blocks. In each row an operand
 * either walks the row or repeats one element across it.
 */
import { broadcastStrides, sameShape, type Shape } from "../../storage/shape";

export interface BroadcastRows {
  /** Elements in each row (the merged innermost axis). */
  inner: number;
  /** Whether each operand walks the row (true) or repeats one element across it. */
  aWalks: boolean;
  bWalks: boolean;
  /** Rows in each block, and how many elements each operand moves from one row to the next. */
  rows: number;
  aRow: number;
  bRow: number;
  /** Calls `block(aStart, bStart, outStart)` (element offsets) for every block in order. */
  forEachBlock(block: (aStart: number, bStart: number, outStart: number) => void): void;
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

/** The plans of the last few shape triples: a training step broadcasts the same few again and again. */
const recent: { shapes: [number[], number[], number[]]; plan: BroadcastRows }[] = [];
const RECENT_PLANS = 16;
let nextSlot = 0;

/** The plan for broadcasting aShape and bShape to outShape (remembered for the last few triples). */
export function broadcastRows(aShape: Shape, bShape: Shape, outShape: Shape): BroadcastRows {
  for (const { shapes, plan } of recent) {
    if (sameShape(outShape, shapes[2]) && sameShape(aShape, shapes[0]) && sameShape(bShape, shapes[1])) return plan;
  }
  const plan = planRows(aShape, bShape, outShape);
  recent[nextSlot] = { shapes: [[...aShape], [...bShape], [...outShape]], plan };
  nextSlot = (nextSlot + 1) % RECENT_PLANS;
  return plan;
}

function planRows(aShape: Shape, bShape: Shape, outShape: Shape): BroadcastRows {
  // Axes of length 1 carry no index; dropping them first lets their neighbours merge.
  const kept = outShape.map((_, i) => i).filter((i) => outShape[i] !== 1);
  const full = { a: broadcastStrides(aShape, outShape), b: broadcastStrides(bShape, outShape) };
  const merged = kept.length === 0
    ? { shape: [1], strides: [[0], [0]] }
    : collapse(kept.map((i) => outShape[i]), [kept.map((i) => full.a[i]), kept.map((i) => full.b[i])]);
  const { shape } = merged;
  const [as, bs] = merged.strides;
  const last = shape.length - 1, inner = shape[last];
  // The axes outside a block: every merged axis but the last two.
  const outerRank = Math.max(0, last - 1);
  const rows = last >= 1 ? shape[last - 1] : 1;
  const blocks = shape.slice(0, outerRank).reduce((n, d) => n * d, 1);
  return {
    inner,
    aWalks: as[last] !== 0,
    bWalks: bs[last] !== 0,
    rows,
    aRow: last >= 1 ? as[last - 1] : 0,
    bRow: last >= 1 ? bs[last - 1] : 0,
    forEachBlock(block) {
      if (blocks === 1) return block(0, 0, 0);
      const index = new Array<number>(outerRank).fill(0);
      let ai = 0, bi = 0;
      for (let k = 0; k < blocks; k++) {
        block(ai, bi, k * rows * inner);
        for (let d = outerRank - 1; d >= 0; d--) {
          index[d]++; ai += as[d]; bi += bs[d];
          if (index[d] < shape[d]) break;
          ai -= as[d] * shape[d]; bi -= bs[d] * shape[d]; index[d] = 0;
        }
      }
    },
  };
}
