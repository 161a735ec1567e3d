/**
 * TF's window arithmetic for convolutions and pooling, NHWC: strides, dilations and padding
 * ('same', 'valid' or explicit) checked with TF's rules and turned into a ConvGeometry.
 */
import type { ConvGeometry } from "../backend/conv-types";
import { formatShape } from "../storage/shape";
import type { Tensor } from "../storage/tensor";
import { reshape, stack, unstack } from "./shape";

/** 'same' | 'valid' (either case), or TF's explicit `[[0, 0], [top, bottom], [left, right], [0, 0]]`. */
export type Padding = "same" | "valid" | "SAME" | "VALID" | number[][];

/** A number, `[h, w]`, or TF's four-element `[1, h, w, 1]`. */
export type Window = number | [number, number] | number[];

export function windowPair(op: string, what: string, value: Window): [number, number] {
  const list = typeof value === "number" ? [value, value] : Array.isArray(value) ? value : [];
  let pair = list;
  if (list.length === 4) {
    if (list[0] !== 1 || list[3] !== 1) {
      throw new Error(`${op}: ${what} in the batch and depth dimensions must be 1, got ${formatShape(list)}`);
    }
    pair = [list[1], list[2]];
  }
  if (pair.length !== 2 || pair.some((v) => !Number.isInteger(v) || v < 1)) {
    throw new Error(`${op}: ${what} must be a positive integer, [height, width] or [1, height, width, 1], got ${JSON.stringify(value)}`);
  }
  return [pair[0], pair[1]];
}

interface AxisWindow { outSize: number; padBefore: number }

function axisWindow(op: string, padding: Padding, axis: 0 | 1, inSize: number, filter: number, stride: number, dilation: number): AxisWindow {
  const span = (filter - 1) * dilation + 1;
  if (Array.isArray(padding)) {
    const [before, after] = padding[axis + 1];
    const outSize = Math.floor((inSize + before + after - span) / stride) + 1;
    return { outSize, padBefore: before };
  }
  const mode = padding.toLowerCase();
  if (mode === "valid") return { outSize: Math.floor((inSize - span) / stride) + 1, padBefore: 0 };
  const outSize = Math.ceil(inSize / stride);
  const total = Math.max((outSize - 1) * stride + span - inSize, 0);
  return { outSize, padBefore: Math.floor(total / 2) };
}

function checkPadding(op: string, padding: Padding): void {
  if (typeof padding === "string" && ["same", "valid"].includes(padding.toLowerCase())) return;
  const explicit = Array.isArray(padding) && padding.length === 4 &&
    padding.every((p) => Array.isArray(p) && p.length === 2 && p.every((v) => Number.isInteger(v) && v >= 0));
  if (!explicit) {
    throw new Error(`${op}: padding must be 'same', 'valid' or explicit [[0, 0], [top, bottom], [left, right], [0, 0]], got ${JSON.stringify(padding)}`);
  }
  const [batch, , , depth] = padding as number[][];
  if (batch.some((v) => v !== 0) || depth.some((v) => v !== 0)) {
    throw new Error(`${op}: explicit padding in the batch and depth dimensions must be 0, got ${JSON.stringify(padding)}`);
  }
}

export interface WindowSpec {
  /** One image, [height, width, channels]. */
  image: number[];
  filter: [number, number];
  outChannels: number;
  strides: Window;
  padding: Padding;
  dilations?: Window;
}

/** The geometry of a window op, or a one-line error naming the op, the shapes and what was expected. */
export function windowGeometry(op: string, spec: WindowSpec): ConvGeometry {
  const [sh, sw] = windowPair(op, "strides", spec.strides);
  const [dh, dw] = windowPair(op, "dilations", spec.dilations ?? 1);
  if ((sh > 1 || sw > 1) && (dh > 1 || dw > 1)) {
    throw new Error(`${op}: strides > 1 not supported in conjunction with dilations > 1 (got strides [${sh},${sw}] and dilations [${dh},${dw}])`);
  }
  checkPadding(op, spec.padding);
  const [H, W, C] = spec.image;
  const [KH, KW] = spec.filter;
  const rows = axisWindow(op, spec.padding, 0, H, KH, sh, dh);
  const cols = axisWindow(op, spec.padding, 1, W, KW, sw, dw);
  if (rows.outSize < 1 || cols.outSize < 1) {
    const dilated = dh > 1 || dw > 1 ? ` (dilated to ${(KH - 1) * dh + 1}×${(KW - 1) * dw + 1})` : "";
    throw new Error(`${op}: the ${KH}×${KW} window${dilated} does not fit the ${H}×${W} input with padding ${JSON.stringify(spec.padding)}`);
  }
  return {
    inHeight: H, inWidth: W, inChannels: C, filterHeight: KH, filterWidth: KW, outChannels: spec.outChannels,
    strideHeight: sh, strideWidth: sw, dilationHeight: dh, dilationWidth: dw,
    padTop: rows.padBefore, padLeft: cols.padBefore, outHeight: rows.outSize, outWidth: cols.outSize,
  };
}

/** Checks an image batch's rank: 4, or 3 for a single image (which is given a batch of one). */
export function asImageBatch(op: string, x: Tensor): Tensor {
  if (x.rank === 4) return x;
  if (x.rank === 3) return reshape(x, [1, ...x.shape]);
  throw new Error(`${op}: input must be rank 4 [batch, height, width, channels] (or 3 for one image), got shape ${formatShape(x.shape)}`);
}

/** Leading dimensions of a vectorised gradient merged into the image batch, and split out again. */
export function mergeLeading(t: Tensor): Tensor {
  return t.rank === 4 ? t : reshape(t, [-1, ...t.shape.slice(-3)]);
}

export function splitLeading(result: Tensor, like: Tensor): Tensor {
  return like.rank === 4 ? result : reshape(result, [...like.shape.slice(0, -3), ...result.shape.slice(1)]);
}

/** Applies `fn` to each slice of `t` beyond its last `coreRank` dimensions and stacks the results. */
export function perLeading(t: Tensor, coreRank: number, fn: (slice: Tensor) => Tensor): Tensor {
  if (t.rank === coreRank) return fn(t);
  const lead = t.shape.slice(0, t.rank - coreRank);
  const parts = unstack(reshape(t, [-1, ...t.shape.slice(-coreRank)]), 0).map(fn);
  return reshape(stack(parts, 0), [...lead, ...parts[0].shape]);
}
