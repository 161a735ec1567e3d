/**
 * Turns a cell's values into MIME bundles. Objects that know how to display themselves
 * (`[Symbol.for("Jupyter.display")]()`) are asked; structures of tensors (gradient lists) are
 * drawn by the engine; anything else is shown as text. Every bundle leaves here as nbformat
 * stores it (text types as strings, JSON types as JSON), whatever a display method returned.
 */
import { inspect } from "node:util";
import { DISPLAY_SYMBOL, MIME, type MimeBundle, type TensorData, type TensorPayload } from "../display/contract";
import { withStaticPictures } from "./static-pictures";

/** Longest text/plain kept; the rest is replaced by a note saying how much was cut. */
export const TEXT_LIMIT = 100_000;
/** Largest JSON payload sent for one MIME type; beyond it only the text is sent. */
export const PAYLOAD_LIMIT = 8_000_000;

export function isDisplayable(value: unknown): value is { [DISPLAY_SYMBOL](): MimeBundle } {
  return (typeof value === "object" || typeof value === "function") && value !== null
    && typeof (value as Record<symbol, unknown>)[DISPLAY_SYMBOL] === "function";
}

/** How the engine displays arrays and objects of tensors (gradient lists), when it can. */
export interface StructureDisplay {
  isTensorStructure?: (value: unknown) => boolean;
  structureBundle?: (value: never) => MimeBundle;
  /** Values (or, for large tensors, a summary) of one tensor. */
  tensorData?: (value: never) => TensorData;
}

/** `pictures: false` for callers that want only the text (hover), so no picture is drawn for them. */
export function toMimeBundle(value: unknown, engine: StructureDisplay = {}, { pictures = true } = {}): MimeBundle {
  let bundle: MimeBundle;
  if (isDisplayable(value)) bundle = selfDisplay(value, engine);
  else if (isTensorStructure(value, engine) && engine.structureBundle) bundle = engine.structureBundle(value as never);
  else bundle = { [MIME.text]: plainText(value) };
  const normalised = normaliseBundle(bundle, () => plainText(value));
  return pictures ? withPicture(normalised) : normalised;
}

/** A structure that refers to itself (`c.self = c`) is no tensor structure; it is shown as text. */
function isTensorStructure(value: unknown, engine: StructureDisplay): boolean {
  try {
    return engine.isTensorStructure?.(value) === true;
  } catch {
    return false;
  }
}

function withPicture(bundle: MimeBundle): MimeBundle {
  try {
    const pictured = withStaticPictures(bundle);
    // The picture step adds SVG text; anything else it might add stays out.
    for (const [mime, payload] of Object.entries(pictured)) if (!(mime in bundle) && typeof payload !== "string") delete pictured[mime];
    return pictured;
  } catch {
    return bundle; // a picture that cannot be drawn must not cost the output
  }
}

function selfDisplay(value: { [DISPLAY_SYMBOL](): MimeBundle }, engine: StructureDisplay): MimeBundle {
  let bundle: MimeBundle;
  try {
    bundle = value[DISPLAY_SYMBOL]();
  } catch (error) {
    // A broken display method must not turn a result into an error, nor lose the value.
    const name = (value as object).constructor?.name ?? "object";
    const failure = `its display failed with ${(error as Error)?.name}: ${(error as Error)?.message}`;
    return tensorSummaryBundle(value, engine, failure) ?? { [MIME.text]: `<${name}: ${failure}>` };
  }
  if (typeof bundle !== "object" || bundle === null || Array.isArray(bundle)) {
    return { [MIME.text]: `${plainText(value)}\n(its [Symbol.for("Jupyter.display")]() returned ${shortText(bundle)}, not a MIME bundle)` };
  }
  return bundle;
}

/** A tensor shown from the engine's summary of its values, when its own display fails. */
function tensorSummaryBundle(value: unknown, engine: StructureDisplay, failure: string): MimeBundle | null {
  if (!engine.tensorData) return null;
  let data: TensorData;
  try {
    data = engine.tensorData(value as never);
  } catch {
    return null;
  }
  if (!data || !Array.isArray(data.shape)) return null;
  const shape = `(${data.shape.join(", ")}${data.shape.length === 1 ? "," : ""})`;
  const stats = data.summary ? `${data.size} values: min ${data.summary.min}, max ${data.summary.max}, mean ${data.summary.mean}` : `${data.size} values`;
  const payload: TensorPayload = { structure: "single", entries: [{ label: null, kind: "tensor", data }] };
  return { [MIME.tensor]: payload, [MIME.text]: `tf.Tensor(<${stats}>, shape=${shape}, dtype=${data.dtype})\n(${failure})` };
}

export function plainText(value: unknown): string {
  if (typeof value === "string") return value.length > TEXT_LIMIT ? capText(value) : inspect(value);
  return inspect(value, { depth: 4, maxArrayLength: 100, maxStringLength: 10_000, breakLength: 100 });
}

export function capText(text: string, limit = TEXT_LIMIT): string {
  if (text.length <= limit) return text;
  const cut = text.length - limit;
  return `${text.slice(0, limit)}\n… [${formatSize(cut)} of output not shown]`;
}

/** nbformat: JSON types (`application/json`, `application/…+json`) hold any JSON, the rest text. */
const JSON_MIME = /^application\/(?:.*\+)?json$/;
const MIME_NAME = /^[a-zA-Z0-9]+\/[a-zA-Z0-9\-+.]+$/;

/**
 * The bundle as a notebook can store it: keys are MIME types, text types hold strings (a list of
 * lines is joined), JSON types hold JSON no larger than PAYLOAD_LIMIT, texts are capped, and
 * there is always a text/plain (`fallbackText` when the bundle has none). What does not fit is
 * left out, and the text says what and why.
 */
export function normaliseBundle(bundle: Record<string, unknown>, fallbackText: () => string, asGiven = false): MimeBundle {
  const kept: MimeBundle = {};
  const problems: string[] = [];
  for (const [mime, payload] of Object.entries(bundle)) {
    const name = MIME_NAME.test(mime) ? mime : JSON.stringify(mime.slice(0, 60));
    if (!MIME_NAME.test(mime)) {
      problems.push(`${name} left out: not a MIME type`);
    } else if (JSON_MIME.test(mime)) {
      const size = jsonSize(payload);
      if (payload === undefined) problems.push(`${name} left out: no value`);
      // In a bundle given as is, values JSON has no form for (functions, BigInt, cycles) are
      // turned into text on the way out (transport/bridge.ts); a display method's are left out.
      else if (size === null && !asGiven) problems.push(`${name} left out: not JSON`);
      else if (size !== null && size > PAYLOAD_LIMIT) problems.push(`${name} left out: larger than ${formatSize(PAYLOAD_LIMIT)}`);
      else kept[mime] = payload;
    } else if (typeof payload === "string" || (Array.isArray(payload) && payload.every((line) => typeof line === "string"))) {
      kept[mime] = capText(typeof payload === "string" ? payload : payload.join(""));
    } else {
      problems.push(`${name} left out: must be text, not ${shortText(payload)}`);
    }
  }
  if (!(MIME.text in kept)) kept[MIME.text] = fallbackText();
  if (problems.length) kept[MIME.text] = `${kept[MIME.text]}\n[${problems.join("; ")}]`;
  return kept;
}

/** Characters of JSON text, or null when the value is not JSON (cycles, BigInt, undefined). */
function jsonSize(payload: unknown): number | null {
  try {
    return JSON.stringify(payload)?.length ?? null;
  } catch {
    return null;
  }
}

/** A value named in a note: its type and a short preview. */
function shortText(value: unknown): string {
  const text = inspect(value, { depth: 1, maxArrayLength: 5, maxStringLength: 40, breakLength: Infinity });
  return `${value === null ? "null" : Array.isArray(value) ? "an array" : typeof value} ${text.length > 80 ? `${text.slice(0, 80)}…` : text}`;
}

export function formatSize(characters: number): string {
  if (characters < 10_000) return `${characters} characters`;
  if (characters < 10_000_000) return `${(characters / 1000).toFixed(0)} kB`;
  return `${(characters / 1_000_000).toFixed(1)} MB`;
}
