/** Nested structures of tensors (single, array, or object), as TF's `nest` handles them. */

export type Structure<T> = T | null | Structure<T>[] | { [key: string]: Structure<T> };

export function isPlainObject(x: unknown): x is Record<string, unknown> {
  return typeof x === "object" && x !== null && Object.getPrototypeOf(x) === Object.prototype;
}

/** Leaves in order, with the path of each leaf ("[0]", "W", "layer.kernel"). */
export function flattenWithPaths<T>(s: Structure<T>, isLeaf: (x: unknown) => boolean, path = ""): { leaf: T | null; path: string }[] {
  if (Array.isArray(s) && !isLeaf(s)) return s.flatMap((x, i) => flattenWithPaths(x, isLeaf, `${path}[${i}]`));
  if (isPlainObject(s) && !isLeaf(s)) {
    return Object.keys(s).flatMap((k) => flattenWithPaths((s as Record<string, Structure<T>>)[k], isLeaf, path ? `${path}.${k}` : k));
  }
  return [{ leaf: s as T | null, path }];
}

export function flatten<T>(s: Structure<T>, isLeaf: (x: unknown) => boolean, out: (T | null)[] = []): (T | null)[] {
  if (Array.isArray(s) && !isLeaf(s)) for (const x of s) flatten(x, isLeaf, out);
  else if (isPlainObject(s) && !isLeaf(s)) for (const k of Object.keys(s)) flatten((s as Record<string, Structure<T>>)[k], isLeaf, out);
  else out.push(s as T | null);
  return out;
}

/** Rebuilds `template`'s shape with `leaves` in order. */
export function unflatten<T, U>(template: Structure<T>, leaves: U[], isLeaf: (x: unknown) => boolean): Structure<U> {
  let i = 0;
  const build = (s: Structure<T>): Structure<U> => {
    if (Array.isArray(s) && !isLeaf(s)) return s.map(build);
    if (isPlainObject(s) && !isLeaf(s)) {
      const out: Record<string, Structure<U>> = {};
      for (const k of Object.keys(s)) out[k] = build((s as Record<string, Structure<T>>)[k]);
      return out;
    }
    return leaves[i++];
  };
  return build(template);
}
