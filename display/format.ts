// How numbers and shapes are written in every drawing and renderer, so a value reads the same
// in VS Code, in a static picture and in an exported page.

/** Numbers as a person reads them: up to 6 significant digits, exponent form when tiny or huge. */
export function formatNumber(value: number | boolean | null | undefined): string {
  if (value === null || value === undefined) return "—";
  if (typeof value === "boolean") return value ? "true" : "false";
  if (Number.isNaN(value)) return "NaN";
  if (!Number.isFinite(value)) return value > 0 ? "Infinity" : "-Infinity";
  if (Number.isInteger(value) && Math.abs(value) < 1e15) return String(value);
  const magnitude = Math.abs(value);
  if (magnitude !== 0 && (magnitude < 1e-4 || magnitude >= 1e9)) return value.toExponential(4);
  return String(Number(value.toPrecision(6)));
}

/** A tensor element: float dtypes keep a ".0" on whole numbers, as TensorFlow prints them. */
export function formatElement(value: number | boolean | null | undefined, dtype: string): string {
  const text = formatNumber(value);
  return typeof value === "number" && dtype.startsWith("float") && /^-?\d+$/.test(text) ? `${text}.0` : text;
}

/** `(2, 3)` as TensorFlow prints shapes; `()` for a scalar. */
export function formatShape(shape: readonly number[]): string {
  return shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(", ")})`;
}
