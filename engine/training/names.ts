/**
 * Lookup of the string names Keras accepts (optimizer, loss, metric, activation), with an error
 * that lists every valid name, since a typo is the usual cause.
 */
export function lookupByName<T>(kind: string, name: string, table: Record<string, T>): T {
  const key = name.trim();
  if (Object.prototype.hasOwnProperty.call(table, key)) return table[key];
  const normalized = key.replace(/([a-z0-9])([A-Z])/g, "$1_$2").toLowerCase();
  if (Object.prototype.hasOwnProperty.call(table, normalized)) return table[normalized];
  const valid = Object.keys(table).map((n) => `'${n}'`).join(", ");
  throw new Error(`Unknown ${kind} '${name}'. Valid ${kind} names: ${valid}.`);
}

/** Keras-style unique names: "dense", "dense_1", "dense_2", ... per prefix. */
const usedNames = new Map<string, number>();
export function uniqueName(prefix: string): string {
  const count = usedNames.get(prefix) ?? 0;
  usedNames.set(prefix, count + 1);
  return count === 0 ? prefix : `${prefix}_${count}`;
}

/** "(None, 1)" as Keras prints shapes, with `null` for the batch dimension. */
export function formatShape(shape: readonly (number | null)[]): string {
  const dims = shape.map((d) => (d === null ? "None" : String(d)));
  return dims.length === 1 ? `(${dims[0]},)` : `(${dims.join(", ")})`;
}

/** "[32,1]" for error messages. */
export function shapeText(shape: readonly (number | null)[]): string {
  return `[${shape.map((d) => (d === null ? "None" : d)).join(", ")}]`;
}
