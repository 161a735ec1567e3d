// What a payload must hold before it is drawn. Outputs come from saved files that may have been
// edited by hand, so every count the drawing relies on is checked against the data it counts:
// a shape against its values, rows × cols against a heatmap's entries, a tape's ids against its
// tensors. A payload that fails gets one PayloadError naming the field and the problem, which
// the renderer shows in place of the drawing.
import type { TensorData } from "../../display/contract";
import { formatShape, PayloadError, describe, requireArray, requireObject } from "./dom";

const DTYPES = new Set(["float32", "float64", "int32", "bool"]);
/** Deeper nesting than any tensor the engine makes; beyond it values are not walked. */
const MAX_RANK = 32;
/** The display contract's heat strip has at most this many bins. */
const MAX_STRIP_BINS = 64;

/** A shape: at most MAX_RANK non-negative integers whose product is an exact number. */
export function checkShape(mime: string, value: unknown, where: string): number[] {
  const shape = requireArray(mime, value, where);
  if (shape.length > MAX_RANK) throw new PayloadError(mime, `${where} has rank ${shape.length}; at most ${MAX_RANK} is drawn`);
  shape.forEach((n, i) => {
    if (!Number.isSafeInteger(n) || (n as number) < 0) throw new PayloadError(mime, `${where}[${i}] must be a non-negative integer, got ${describe(n)}`);
  });
  elementCount(mime, shape as number[], where);
  return shape as number[];
}

/** The number of elements `shape` holds. */
export function elementCount(mime: string, shape: number[], where: string): number {
  const count = shape.reduce((a, b) => a * b, 1);
  if (!Number.isSafeInteger(count)) throw new PayloadError(mime, `${where} ${formatShape(shape)} holds more elements than can be counted`);
  return count;
}

const isNumberOrNull = (value: unknown) => value === null || (typeof value === "number" && Number.isFinite(value));

/** A number as JSON carries one: finite, or null where the value was NaN or infinite. */
export function requireNumber(mime: string, value: unknown, where: string): void {
  if (!isNumberOrNull(value)) throw new PayloadError(mime, `${where} must be a number (or null), got ${describe(value)}`);
}

/** Values nested as `shape` says (`numpy()`'s form): an array of shape[0] arrays of shape[1] ... elements. */
function checkNesting(mime: string, values: unknown, shape: number[], dtype: string, where: string): void {
  const walk = (node: unknown, axis: number, path: string) => {
    if (axis === shape.length) {
      const fits = dtype === "bool" ? typeof node === "boolean" || node === 0 || node === 1 : isNumberOrNull(node);
      if (!fits) throw new PayloadError(mime, `${path} must be ${dtype === "bool" ? "a boolean" : "a number (or null)"}, got ${describe(node)}`);
      return;
    }
    if (!Array.isArray(node)) {
      throw new PayloadError(mime, `${path} must be an array of ${shape[axis]} for shape ${formatShape(shape)}, got ${describe(node)}`);
    }
    if (node.length !== shape[axis]) {
      throw new PayloadError(mime, `${path} has ${node.length} entries but shape ${formatShape(shape)} needs ${shape[axis]} on axis ${axis}`);
    }
    node.forEach((child, i) => walk(child, axis + 1, `${path}[${i}]`));
  };
  walk(values, 0, where);
}

function checkSummary(mime: string, value: unknown, where: string): void {
  const summary = requireObject(mime, value, where);
  for (const field of ["min", "max", "mean", "std"]) requireNumber(mime, summary[field], `${where}.${field}`);
  if (!Number.isSafeInteger(summary.nonFinite) || (summary.nonFinite as number) < 0) {
    throw new PayloadError(mime, `${where}.nonFinite must be a non-negative integer, got ${describe(summary.nonFinite)}`);
  }
  const strip = requireArray(mime, summary.strip, `${where}.strip`);
  if (strip.length > MAX_STRIP_BINS) throw new PayloadError(mime, `${where}.strip has ${strip.length} bins; at most ${MAX_STRIP_BINS}`);
  strip.forEach((bin, i) => requireNumber(mime, bin, `${where}.strip[${i}]`));
}

/** One tensor's data: its dtype, a shape that agrees with `size` and with the nesting of `values`, a well-formed summary. */
export function checkTensorData(mime: string, data: unknown, where: string): TensorData {
  const fields = requireObject(mime, data, where);
  if (!DTYPES.has(fields.dtype as string)) {
    throw new PayloadError(mime, `${where}.dtype must be one of ${[...DTYPES].join(", ")}, got ${describe(fields.dtype)}`);
  }
  const shape = checkShape(mime, fields.shape, `${where}.shape`);
  const count = elementCount(mime, shape, `${where}.shape`);
  if (fields.size !== count) {
    throw new PayloadError(mime, `${where}.size is ${describe(fields.size)} but shape ${formatShape(shape)} holds ${count} elements`);
  }
  if (fields.values === undefined && fields.summary === undefined) {
    throw new PayloadError(mime, `${where} has neither 'values' nor 'summary'`);
  }
  if (fields.values !== undefined) checkNesting(mime, fields.values, shape, fields.dtype as string, `${where}.values`);
  if (fields.summary !== undefined) checkSummary(mime, fields.summary, `${where}.summary`);
  return data as TensorData;
}

/** An optional field: absent, or of the type `is` accepts. */
export function checkOptional(mime: string, value: unknown, where: string, is: (value: unknown) => boolean, expected: string): void {
  if (value !== undefined && !is(value)) throw new PayloadError(mime, `${where} must be ${expected}, got ${describe(value)}`);
}

/** Labels, if given, one string for each of `count` rows or columns. */
export function checkLabels(mime: string, value: unknown, count: number, where: string): void {
  if (value === undefined) return;
  const labels = requireArray(mime, value, where);
  if (labels.length !== count) throw new PayloadError(mime, `${where} has ${labels.length} labels for ${count} entries`);
  labels.forEach((label, i) => { if (typeof label !== "string") throw new PayloadError(mime, `${where}[${i}] must be a string, got ${describe(label)}`); });
}
