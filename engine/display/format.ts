/** Text the way TensorFlow and NumPy print it: tf.Tensor(10.0, shape=(), dtype=float32). */
import type { DType, TypedArray } from "../storage/dtype";
import { tupleShape } from "../storage/shape";

const SUMMARY_THRESHOLD = 1000;
const EDGE_ITEMS = 3;

/** Shortest decimal that reads back as the same float32 (or float64) value, as NumPy prints. */
export function shortestFloat(v: number, dtype: DType): string {
  if (dtype !== "float32") return String(v);
  for (let p = 1; p <= 9; p++) {
    const s = v.toPrecision(p);
    if (Math.fround(Number(s)) === v) return String(Number(s));
  }
  return String(v);
}

function formatScalarFloat(v: number, dtype: DType): string {
  if (Number.isNaN(v)) return "nan";
  if (!Number.isFinite(v)) return v > 0 ? "inf" : "-inf";
  const s = shortestFloat(v, dtype);
  const abs = Math.abs(v);
  if (abs !== 0 && (abs < 1e-4 || abs >= 1e16)) return toNumpyExponent(Number(s).toExponential());
  return s.includes(".") || s.includes("e") ? s : `${s}.0`;
}

function toNumpyExponent(s: string): string {
  // JS: 1e-5, 1.5e+16 → NumPy: 1e-05, 1.5e+16
  return s.replace(/e([+-])(\d)$/, "e$10$2");
}

/** Formats the shown elements so they align, choosing NumPy's positional or scientific style. */
function elementFormatter(shown: number[], dtype: DType): (v: number) => string {
  if (dtype === "bool") return (v) => (v ? " True" : "False");
  if (dtype === "int32") return (v) => String(v);
  let max = 0, min = Infinity, integral = true;
  for (const v of shown) {
    if (!Number.isFinite(v)) continue;
    if (!Number.isInteger(v)) integral = false;
    const a = Math.abs(v);
    if (a === 0) continue;
    if (a > max) max = a;
    if (a < min) min = a;
  }
  if (min === Infinity) min = 0;
  const scientific = max >= 1e8 || (min > 0 && min < 1e-4) || (min > 0 && max / min > 1e3 && min < 1e-3);
  return (v) => {
    if (Number.isNaN(v)) return "nan";
    if (!Number.isFinite(v)) return v > 0 ? "inf" : "-inf";
    if (scientific) return toNumpyExponent(Number(shortestFloat(v, dtype)).toExponential());
    if (integral) return `${v}.`;
    return shortestFloat(v, dtype);
  };
}

/** Aligns positional floats on their decimal points, as NumPy does: "9.333333", "4.      ". */
function alignDecimals(strings: string[]): string[] {
  const parts = strings.map((s) => {
    if (!/^-?\d/.test(s) || s.includes("e")) return null;
    const [ip, fp = ""] = (s.includes(".") ? s : `${s}.`).split(".");
    return [ip, fp] as const;
  });
  const fracWidth = parts.reduce((w, p) => Math.max(w, p ? p[1].length : 0), 0);
  return strings.map((s, i) => {
    const p = parts[i];
    return p ? `${p[0]}.${p[1].padEnd(fracWidth)}` : s;
  });
}

/** Indices along one axis that are printed: all, or the edges around "..." (-1). */
function shownIndices(n: number, summarise: boolean): number[] {
  if (!summarise || n <= 2 * EDGE_ITEMS) return Array.from({ length: n }, (_, i) => i);
  return [...Array.from({ length: EDGE_ITEMS }, (_, i) => i), -1, ...Array.from({ length: EDGE_ITEMS }, (_, i) => n - EDGE_ITEMS + i)];
}

/** NumPy-style nested brackets with aligned columns, summarised with "..." when large. */
export function formatArray(values: TypedArray, shape: readonly number[], dtype: DType, indent = 0): string {
  if (shape.length === 0) {
    const v = values[0];
    return dtype === "float32" || dtype === "float64" ? formatScalarFloat(v, dtype) : elementFormatter([v], dtype)(v).trim();
  }
  if (values.length === 0) return "[]";
  const summarise = values.length > SUMMARY_THRESHOLD;
  const strides = shape.map((_, i) => shape.slice(i + 1).reduce((a, b) => a * b, 1));
  // Only the elements that will be printed are formatted (a summarised tensor shows a few dozen).
  const offsets: number[] = [];
  const collect = (dim: number, offset: number): void => {
    for (const i of shownIndices(shape[dim], summarise)) {
      if (i < 0) continue;
      if (dim === shape.length - 1) offsets.push(offset + i);
      else collect(dim + 1, offset + i * strides[dim]);
    }
  };
  collect(0, 0);
  const shown = offsets.map((o) => values[o]);
  const fmt = elementFormatter(shown, dtype);
  const raw = shown.map(fmt);
  const strings = dtype === "float32" || dtype === "float64" ? alignDecimals(raw) : raw;
  const width = strings.reduce((w, s) => Math.max(w, s.length), 0);
  let next = 0;
  const render = (dim: number): string => {
    const pick = shownIndices(shape[dim], summarise);
    if (dim === shape.length - 1) return `[${pick.map((i) => (i < 0 ? "..." : strings[next++].padStart(width))).join(" ")}]`;
    const sep = "\n".repeat(shape.length - dim - 1) + " ".repeat(indent + dim + 1);
    return `[${pick.map((i) => (i < 0 ? "..." : render(dim + 1))).join(sep)}]`;
  };
  return render(0);
}

export function formatTensor(values: TypedArray, shape: readonly number[], dtype: DType): string {
  const body = formatArray(values, shape, dtype);
  const lead = shape.length >= 2 ? "\n" : "";
  return `tf.Tensor(${lead}${body}, shape=${tupleShape(shape)}, dtype=${dtype})`;
}

export function formatVariable(name: string, values: TypedArray, shape: readonly number[], dtype: DType): string {
  const body = shape.length === 0 ? formatArray(values, shape, dtype) : `array(${formatArray(values, shape, dtype, 6)}, dtype=${dtype})`;
  return `<tf.Variable '${name}:0' shape=${tupleShape(shape)} dtype=${dtype}, numpy=${body}>`;
}
