/**
 * The rules of the nbformat 4.5 schema that a notebook read from disk must meet, so that what
 * is read can be written back valid: each check names the place (`cells[2].outputs[0].text`)
 * and the problem. Keys nbformat does not know are not checked: they pass through, as read. Also the limits that keep a hostile file from costing more than its size
 * (depth, size), and the escaping that keeps its bytes from reaching a terminal raw.
 */

/** Deeper JSON cannot be written back (JSON.stringify recurses); no real notebook comes close. */
export const MAX_DEPTH = 500;
/** Larger files are refused before they are read: a notebook's text must fit one string. */
export const MAX_FILE_BYTES = 256 * 1024 * 1024;

export type Fail = (problem: string) => never;
export type Json = Record<string, unknown>;

export const isRecord = (value: unknown): value is Json => typeof value === "object" && value !== null && !Array.isArray(value);

/** Control characters (C0, DEL, C1) as `\x1b`, so that a message cannot move the cursor or recolour a terminal. */
export function escapeControl(text: string): string {
  return text.replace(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u2028\u2029]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, "0")}`);
}

/** A value as it may appear in a message: JSON, short, escaped. */
export function shown(value: unknown): string {
  let text: string;
  try {
    text = JSON.stringify(value) ?? String(value);
  } catch {
    text = Object.prototype.toString.call(value);
  }
  return escapeControl(text.length > 60 ? `${text.slice(0, 60)}…` : text);
}

/** The nesting depth of parsed JSON, without recursion (a hostile file may nest 100,000 levels). */
export function jsonDepth(root: unknown, limit = MAX_DEPTH): number {
  let deepest = 0;
  const stack: Array<[unknown, number]> = [[root, 1]];
  while (stack.length) {
    const [value, depth] = stack.pop()!;
    if (typeof value !== "object" || value === null) continue;
    deepest = Math.max(deepest, depth);
    if (deepest > limit) return deepest;
    for (const child of Array.isArray(value) ? value : Object.values(value)) stack.push([child, depth + 1]);
  }
  return deepest;
}

const isMultilineString = (value: unknown) => typeof value === "string" || (Array.isArray(value) && value.every((line) => typeof line === "string"));
const JSON_MIME = /^application\/(?:.*\+)?json$/;

/** nbformat's mimebundle: JSON types hold any JSON, every other type text. */
export function checkMimeBundle(data: unknown, where: string, fail: Fail): void {
  if (!isRecord(data)) fail(`${where} must be an object of MIME types`);
  for (const [mime, payload] of Object.entries(data as Json)) {
    if (!JSON_MIME.test(mime) && !isMultilineString(payload)) fail(`${where}[${shown(mime)}] must be text (a string or a list of strings), not ${shown(payload)}`);
  }
}

function checkType(value: unknown, expected: "string" | "boolean" | "object", where: string, fail: Fail): void {
  const ok = expected === "object" ? isRecord(value) : typeof value === expected;
  if (value !== undefined && !ok) fail(`${where} must be ${expected === "object" ? "an object" : `a ${expected}`}, not ${shown(value)}`);
}

/** The notebook-level metadata nbformat gives a meaning to. */
export function checkNotebookMetadata(metadata: Json, fail: Fail): void {
  const { kernelspec, language_info: language, orig_nbformat: original, title, authors } = metadata;
  if (kernelspec !== undefined) {
    if (!isRecord(kernelspec)) fail(`metadata.kernelspec must be an object, not ${shown(kernelspec)}`);
    for (const key of ["name", "display_name"]) {
      if (typeof (kernelspec as Json)[key] !== "string") fail(`metadata.kernelspec.${key} must be a string, not ${shown((kernelspec as Json)[key])}`);
    }
  }
  if (language !== undefined) {
    if (!isRecord(language)) fail(`metadata.language_info must be an object, not ${shown(language)}`);
    const info = language as Json;
    if (typeof info.name !== "string") fail(`metadata.language_info.name must be a string, not ${shown(info.name)}`);
    for (const key of ["file_extension", "mimetype", "pygments_lexer"]) checkType(info[key], "string", `metadata.language_info.${key}`, fail);
    if (info.codemirror_mode !== undefined && typeof info.codemirror_mode !== "string" && !isRecord(info.codemirror_mode)) {
      fail(`metadata.language_info.codemirror_mode must be a string or an object, not ${shown(info.codemirror_mode)}`);
    }
  }
  if (original !== undefined && !(Number.isInteger(original) && (original as number) >= 1)) fail(`metadata.orig_nbformat must be a whole number ≥ 1, not ${shown(original)}`);
  checkType(title, "string", "metadata.title", fail);
  if (authors !== undefined && !Array.isArray(authors)) fail(`metadata.authors must be a list, not ${shown(authors)}`);
}

/** The cell-level metadata nbformat gives a meaning to. */
export function checkCellMetadata(metadata: Json, where: string, fail: Fail): void {
  const { name, tags, collapsed, scrolled, jupyter, execution, format } = metadata;
  if (name !== undefined && !(typeof name === "string" && /^.+$/.test(name))) fail(`${where}.name must be a non-empty one-line string, not ${shown(name)}`);
  if (tags !== undefined) {
    const valid = Array.isArray(tags) && tags.every((tag) => typeof tag === "string" && /^[^,]+$/.test(tag)) && new Set(tags).size === tags.length;
    if (!valid) fail(`${where}.tags must be a list of distinct strings without commas, not ${shown(tags)}`);
  }
  checkType(collapsed, "boolean", `${where}.collapsed`, fail);
  if (scrolled !== undefined && scrolled !== true && scrolled !== false && scrolled !== "auto") fail(`${where}.scrolled must be true, false or "auto", not ${shown(scrolled)}`);
  checkType(jupyter, "object", `${where}.jupyter`, fail);
  checkType(execution, "object", `${where}.execution`, fail);
  if (isRecord(execution)) {
    for (const [key, value] of Object.entries(execution)) checkType(value, "string", `${where}.execution[${shown(key)}]`, fail);
  }
  checkType(format, "string", `${where}.format`, fail);
}

/** Markdown and raw cells' attachments: file names to mimebundles. */
export function checkAttachments(attachments: unknown, where: string, fail: Fail): void {
  if (attachments === undefined) return;
  if (!isRecord(attachments)) fail(`${where} must be an object, not ${shown(attachments)}`);
  for (const [name, bundle] of Object.entries(attachments as Json)) checkMimeBundle(bundle, `${where}[${shown(name)}]`, fail);
}

/** nbformat's execution counts: whole numbers from 0, or null. */
export const validCount = (value: unknown): number | null => (Number.isInteger(value) && (value as number) >= 0 ? (value as number) : null);
