/**
 * How engine values display themselves: MIME bundles per display/contract.ts, each with TF-style
 * text/plain. Kernels (ours, or Deno's) call `[Symbol.for("Jupyter.display")]()`.
 */
import { formatTensor, formatVariable } from "./format";
import { DISPLAY_SYMBOL, MIME, type JacobianPayload, type MimeBundle, type TensorData, type TensorEntry, type TensorPayload } from "../../display/contract";
import { flattenWithPaths, isPlainObject, type Structure } from "../storage/structure";
import { Tensor, toNested } from "../storage/tensor";
import { Variable } from "../autodiff/variable";

/** Tensors up to this many elements are sent whole; larger ones as a summary. */
export const DISPLAY_VALUE_LIMIT = 10_000;
const STRIP_BINS = 64;
const JACOBIAN_CELL_LIMIT = 250_000;

export function tensorData(t: Tensor, limit = DISPLAY_VALUE_LIMIT): TensorData {
  const data: TensorData = { dtype: t.dtype, shape: t.shape.slice(), size: t.size };
  if (t.size <= limit) data.values = toNested(t.values, t.shape, t.dtype);
  if (t.size > 1 || data.values === undefined) data.summary = summarise(t);
  return data;
}

function summarise(t: Tensor): TensorData["summary"] {
  let min = Infinity, max = -Infinity, sum = 0, sumSq = 0, finite = 0;
  const v = t.values;
  for (let i = 0; i < v.length; i++) {
    const x = v[i];
    if (!Number.isFinite(x)) continue;
    finite++;
    sum += x;
    sumSq += x * x;
    if (x < min) min = x;
    if (x > max) max = x;
  }
  const mean = finite ? sum / finite : NaN;
  const bins = Math.min(STRIP_BINS, v.length);
  const strip = new Array<number>(bins).fill(0);
  for (let b = 0; b < bins; b++) {
    const lo = Math.floor((b * v.length) / bins), hi = Math.floor(((b + 1) * v.length) / bins);
    let s = 0, n = 0;
    for (let i = lo; i < hi; i++) if (Number.isFinite(v[i])) { s += v[i]; n++; }
    strip[b] = n ? s / n : 0;
  }
  return {
    min: finite ? min : NaN, max: finite ? max : NaN, mean,
    std: finite ? Math.sqrt(Math.max(0, sumSq / finite - mean * mean)) : NaN,
    nonFinite: v.length - finite,
    strip,
  };
}

function entry(x: Tensor | Variable | null, label: string | null): TensorEntry {
  if (x === null) return { label, kind: "tensor", data: null };
  const t = x instanceof Variable ? x.value() : x;
  return { label, kind: x instanceof Variable ? "variable" : "tensor", name: x.name, data: tensorData(t) };
}

export function tensorText(x: Tensor | Variable): string {
  const t = x instanceof Variable ? x.value() : x;
  return x instanceof Variable ? formatVariable(x.name, t.values, t.shape, t.dtype) : formatTensor(t.values, t.shape, t.dtype);
}

export function jacobianPayload(t: Tensor): JacobianPayload | null {
  const hint = t.derivativeMatrix;
  if (!hint) return null;
  const rows = hint.targetShape.reduce((a, b) => a * b, 1);
  const cols = hint.sourceShape.reduce((a, b) => a * b, 1);
  if (rows * cols > JACOBIAN_CELL_LIMIT || rows * cols !== t.size) return null;
  return {
    kind: hint.kind, title: hint.title,
    targetShape: hint.targetShape, sourceShape: hint.sourceShape, rows, cols,
    values: Array.from(t.values, (v) => (Number.isFinite(v) ? v : null)),
  };
}

export function tensorBundle(x: Tensor | Variable): MimeBundle {
  const payload: TensorPayload = { structure: "single", entries: [entry(x, null)] };
  const bundle: MimeBundle = { [MIME.text]: tensorText(x), [MIME.tensor]: payload };
  const jac = x instanceof Tensor ? jacobianPayload(x) : null;
  if (jac) bundle[MIME.jacobian] = jac;
  return bundle;
}

const isTensorLeaf = (x: unknown): boolean => x instanceof Tensor || x instanceof Variable;

/** True for arrays/objects whose leaves are all tensors, variables or null (e.g. gradient lists). */
export function isTensorStructure(x: unknown): boolean {
  if (!(Array.isArray(x) || isPlainObject(x))) return false;
  const leaves = flattenWithPaths(x as Structure<unknown>, isTensorLeaf);
  return leaves.length > 0 && leaves.every((e) => e.leaf === null || isTensorLeaf(e.leaf)) && leaves.some((e) => e.leaf !== null);
}

/** A bundle for an array or object of tensors; `labels` name each leaf (default: its path). */
export function structureBundle(x: Structure<Tensor | Variable>, labels?: string[]): MimeBundle {
  const leaves = flattenWithPaths(x, isTensorLeaf);
  const entries = leaves.map((e, i) => entry(e.leaf as Tensor | Variable | null, labels?.[i] ?? e.path));
  const payload: TensorPayload = { structure: Array.isArray(x) ? "array" : "object", entries };
  const text = leaves.map((e, i) => `${labels?.[i] ?? e.path}: ${e.leaf ? tensorText(e.leaf as Tensor) : "None"}`).join("\n");
  return { [MIME.text]: text, [MIME.tensor]: payload };
}

/** Makes tensors and variables display themselves (installed once by the engine's entry). */
export function installTensorDisplay(): void {
  for (const proto of [Tensor.prototype, Variable.prototype] as object[]) {
    Object.defineProperty(proto, DISPLAY_SYMBOL, {
      value(this: Tensor | Variable) { return tensorBundle(this); },
      configurable: true,
    });
    Object.defineProperty(proto, "toString", {
      value(this: Tensor | Variable) { return tensorText(this); },
      configurable: true,
      writable: true,
    });
  }
}
