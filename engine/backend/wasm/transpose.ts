/**
 * Any permutation as a series of 2-D tile transposes: axes that stay neighbours in the same
 * order are merged, then the output's last axis and the input's last axis form the tile (both
 * walked contiguously on one side), and every other axis is a loop over tiles.
 */
import { stridesOf, type Shape } from "../../storage/shape";

export interface TransposePlan {
  /** Each tile: out[c · outStride + r] = x[r · xStride + c] for r < rows, c < cols, from the given bases. */
  rows: number;
  cols: number;
  xStride: number;
  outStride: number;
  forEachTile(tile: (xBase: number, outBase: number) => void): void;
}

export function transposePlan(shape: Shape, perm: number[]): TransposePlan | null {
  // Input axes of length 1 carry no index; the rest are renumbered in order.
  const keptInput = shape.map((_, i) => i).filter((i) => shape[i] !== 1);
  if (keptInput.length === 0) return null;
  const renumber = new Map(keptInput.map((axis, i) => [axis, i]));
  const order = perm.filter((p) => shape[p] !== 1).map((p) => renumber.get(p)!);
  const sizes = keptInput.map((i) => shape[i]);
  // Merge output neighbours that are input neighbours in the same order.
  const groups: number[][] = [];
  for (const axis of order) {
    const last = groups[groups.length - 1];
    if (last && last[last.length - 1] + 1 === axis) last.push(axis);
    else groups.push([axis]);
  }
  const byInputOrder = [...groups].sort((g, h) => g[0] - h[0]);
  const inShape = byInputOrder.map((g) => g.reduce((n, axis) => n * sizes[axis], 1));
  const inStrides = stridesOf(inShape);
  const outPerm = groups.map((g) => byInputOrder.indexOf(g));
  const outShape = outPerm.map((p) => inShape[p]);
  const outStrides = stridesOf(outShape);
  const rank = outShape.length, inLast = rank - 1;
  const lastOut = rank - 1;
  // The tile: r walks the output's last axis, c the input's last axis (the same one when it stays last).
  const tileOutAxis = outPerm.indexOf(inLast);
  const stays = tileOutAxis === lastOut;
  const rows = stays ? 1 : outShape[lastOut];
  const cols = inShape[inLast];
  const xStride = stays ? 0 : inStrides[outPerm[lastOut]];
  const outStride = stays ? 1 : outStrides[tileOutAxis];
  const loopAxes = outShape.map((_, j) => j).filter((j) => j !== lastOut && j !== tileOutAxis);
  return {
    rows, cols, xStride, outStride,
    forEachTile(tile) {
      const index = new Array<number>(loopAxes.length).fill(0);
      const tiles = loopAxes.reduce((n, j) => n * outShape[j], 1);
      let xBase = 0, outBase = 0;
      for (let t = 0; t < tiles; t++) {
        tile(xBase, outBase);
        for (let d = loopAxes.length - 1; d >= 0; d--) {
          const j = loopAxes[d];
          index[d]++; xBase += inStrides[outPerm[j]]; outBase += outStrides[j];
          if (index[d] < outShape[j]) break;
          xBase -= inStrides[outPerm[j]] * outShape[j]; outBase -= outStrides[j] * outShape[j]; index[d] = 0;
        }
      }
    },
  };
}
