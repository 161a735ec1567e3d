/**
 * complete, inspect and is_complete: answered from the live values in the kernel (globals the
 * cells declared, members of engine objects, the engine API) rather than from static types.
 */
import { inspect, types } from "node:util";
import { toMimeBundle } from "./display";
import { DISPLAY_SYMBOL, MIME } from "../display/contract";
import { esbuild } from "./transform";

const KEYWORDS = [
  "await", "break", "case", "catch", "class", "const", "continue", "default", "delete", "do", "else", "export",
  "extends", "false", "finally", "for", "function", "if", "import", "in", "instanceof", "let", "new", "null",
  "return", "switch", "this", "throw", "true", "try", "typeof", "undefined", "var", "void", "while", "yield",
];
/** Globals of the kernel itself that a notebook has no use for. */
const HIDDEN_GLOBALS = /^(__agnb|global$|globalThis$|GLOBAL$|root$)/;

export interface Completion { matches: string[]; cursor_start: number; cursor_end: number; metadata: Record<string, unknown> }

/** Runtime completion: names in scope and members of live values. */
export function complete(code: string, cursorPos: number): Completion {
  const cursor = toUtf16Offset(code, cursorPos);
  const before = code.slice(0, cursor);
  const match = /((?:[A-Za-z_$][\w$]*\s*\.\s*)*)([A-Za-z_$][\w$]*)?$/.exec(before)!;
  const path = match[1].split(".").map((part) => part.trim()).filter(Boolean);
  const partial = match[2] ?? "";
  let candidates: Array<{ name: string; value: unknown; keyword: boolean }>;
  if (path.length) {
    const owner = resolvePath(path);
    if (owner === undefined || owner === null) return { matches: [], cursor_start: cursorPos, cursor_end: cursorPos, metadata: {} };
    candidates = memberNames(owner).map((name) => ({ name, value: safeGet(owner, name), keyword: false }));
  } else {
    candidates = [
      ...Object.getOwnPropertyNames(globalThis).filter((name) => !HIDDEN_GLOBALS.test(name)).map((name) => ({ name, value: safeGet(globalThis, name), keyword: false })),
      ...KEYWORDS.map((name) => ({ name, value: undefined, keyword: true })),
    ];
  }
  const seen = new Set<string>();
  const chosen = candidates
    .filter(({ name }) => name.startsWith(partial) && !name.startsWith("_") && !seen.has(name) && seen.add(name))
    .sort((a, b) => a.name.localeCompare(b.name));
  const start = cursorPos - [...partial].length;
  return {
    matches: chosen.map(({ name }) => name),
    cursor_start: start,
    cursor_end: cursorPos,
    metadata: {
      _jupyter_types_experimental: chosen.map(({ name, value, keyword }) => ({ text: name, type: keyword ? "keyword" : kindOf(value), start, end: cursorPos })),
    },
  };
}

export interface Inspection { found: boolean; data: Record<string, unknown>; metadata: Record<string, unknown> }

export function inspectAt(code: string, cursorPos: number, docs: Record<string, string>): Inspection {
  const cursor = toUtf16Offset(code, cursorPos);
  const left = /[\w$.]*$/.exec(code.slice(0, cursor))![0];
  const right = /^[\w$]*/.exec(code.slice(cursor))![0];
  const expression = (left + right).replace(/^\.+|\.+$/g, "");
  const path = expression.split(".").filter(Boolean);
  if (!path.length) return { found: false, data: {}, metadata: {} };
  const value = resolvePath(path);
  if (value === undefined && !(path[0] in globalThis)) return { found: false, data: {}, metadata: {} };
  const lines: string[] = [];
  let shown: string | undefined;
  const documented = docFor(path, docs);
  if (documented) {
    lines.push(documented);
  } else if (typeof value === "function") {
    lines.push(signatureOf(expression, value));
  }
  if (typeof value !== "function") {
    shown = displaysItself(value) ? String(toMimeBundle(value, {}, { pictures: false })[MIME.text]) : inspect(value, { depth: 2, breakLength: 100 });
    lines.push(`${expression}: ${kindOf(value)}`, shown);
  }
  // The value's text alone, which a typed answer (hover) adds below the type.
  return { found: true, data: { "text/plain": lines.join("\n") }, metadata: shown === undefined ? {} : { agnb_value: shown } };
}

export type Completeness = { status: "complete" } | { status: "incomplete"; indent: string } | { status: "invalid" };

export function isComplete(code: string): Completeness {
  try {
    esbuild().transformSync(code, { loader: "ts", logLevel: "silent" });
    return { status: "complete" };
  } catch (error) {
    const text = (error as { errors?: Array<{ text: string }> }).errors?.[0]?.text ?? "";
    if (/end of file|Unterminated/.test(text)) return { status: "incomplete", indent: "  " };
    return { status: "invalid" };
  }
}

/** `tf.a.b` by its exported name; `value.method` by the class of the value it is called on. */
function docFor(path: string[], docs: Record<string, string>): string | undefined {
  if (path[0] === "tf") return docs[path.join(".")];
  if (path.length < 2) return undefined;
  const name = path[path.length - 1];
  for (let owner = Object.getPrototypeOf(Object(resolvePath(path.slice(0, -1)))); owner && owner !== Object.prototype; owner = Object.getPrototypeOf(owner)) {
    // Bundlers may suffix class names to keep them unique (Tensor2).
    const className = String(owner.constructor?.name ?? "").replace(/\d+$/, "");
    const doc = docs[`${className}.${name}`];
    if (doc) return doc;
  }
  return undefined;
}

function signatureOf(expression: string, fn: Function): string {
  const source = Function.prototype.toString.call(fn);
  if (/^class\b/.test(source)) {
    const constructor = /constructor\s*\(([^)]*)\)/.exec(source);
    return `new ${expression}(${constructor ? tidyParameters(constructor[1]) : ""})`;
  }
  const parameters = /^[^(]*\(([^)]*)\)/.exec(source) ?? /^\s*(?:async\s*)?([\w$]+)\s*=>/.exec(source);
  return `${expression}(${parameters ? tidyParameters(parameters[1]) : "..."})`;
}

function tidyParameters(parameters: string): string {
  return parameters.replace(/\/\*[\s\S]*?\*\//g, "").replace(/\s+/g, " ").trim();
}

function resolvePath(path: string[]): unknown {
  let value: unknown = globalThis;
  for (const part of path) {
    if (value === undefined || value === null) return undefined;
    value = safeGet(value, part);
  }
  return value;
}

function memberNames(owner: unknown): string[] {
  const names = new Set<string>();
  for (let object: unknown = Object(owner); object && object !== Object.prototype && object !== Function.prototype; object = Object.getPrototypeOf(object)) {
    if (types.isProxy(object)) break;
    for (const name of Object.getOwnPropertyNames(object)) if (name !== "constructor") names.add(name);
  }
  return [...names];
}

/** The engine's namespaces (`tf`, `tf.keras`, ...): bundled, their exports are getters of the engine's own. */
const engineNamespaces = new WeakSet<object>();

/** Lets completion read the engine's exports, which are getters only in name. */
export function trustEngineNamespaces(engine: object, depth = 3): void {
  engineNamespaces.add(engine);
  if (depth === 0) return;
  for (const name of Object.getOwnPropertyNames(engine)) {
    const member = (engine as Record<string, unknown>)[name];
    if (typeof member === "object" && member !== null && !engineNamespaces.has(member) && Object.getPrototypeOf(member) !== Array.prototype) trustEngineNamespaces(member, depth - 1);
  }
}

/**
 * The value of a data property found along the prototype chain; undefined for an accessor, so
 * that listing or completing never runs a user's getter (nor a proxy's traps).
 */
function safeGet(owner: unknown, name: PropertyKey): unknown {
  if (typeof owner === "object" && owner !== null && engineNamespaces.has(owner)) return (owner as Record<PropertyKey, unknown>)[name];
  for (let object: unknown = Object(owner); object !== null; object = Object.getPrototypeOf(object)) {
    if (types.isProxy(object)) return undefined;
    const descriptor = Object.getOwnPropertyDescriptor(object, name);
    if (descriptor) return "value" in descriptor ? descriptor.value : undefined;
  }
  return undefined;
}

function kindOf(value: unknown): string {
  if (typeof value === "function") return /^class\b/.test(Function.prototype.toString.call(value)) ? "class" : "function";
  if (value === undefined || value === null) return String(value);
  if (!displaysItself(value)) return typeof value;
  const constructor = safeGet(value, "constructor");
  return typeof constructor === "function" ? String(safeGet(constructor, "name") ?? "instance") : "instance";
}

/** Whether a value has a display method, found without running a getter. */
function displaysItself(value: unknown): boolean {
  return (typeof value === "object" || typeof value === "function") && value !== null && typeof safeGet(value, DISPLAY_SYMBOL) === "function";
}

/** Jupyter counts cursor positions in Unicode code points; JavaScript strings in UTF-16 units. */
function toUtf16Offset(text: string, codePoints: number): number {
  let offset = 0;
  for (let i = 0; i < codePoints && offset < text.length; i++) offset += text.codePointAt(offset)! > 0xffff ? 2 : 1;
  return offset;
}
