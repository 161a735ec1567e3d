/**
 * Turns a cell's values into MIME bundles. Objects that know how to display themselves
 * (`[Symbol.for("Jupyter.display")]()`) are asked; structures of tensors (gradient lists) are
 * drawn by the engine; anything else is shown as text.
 */
import { inspect } from "node:util";
import { DISPLAY_SYMBOL, MIME, type MimeBundle, type TensorData, type TensorPayload } from "../engine/mime";
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

export function toMimeBundle(value: unknown, engine: StructureDisplay = {}): MimeBundle {
  let bundle: MimeBundle;
  if (isDisplayable(value)) bundle = selfDisplay(value, engine);
  else if (engine.isTensorStructure?.(value) && engine.structureBundle) bundle = engine.structureBundle(value as never);
  else bundle = { [MIME.text]: plainText(value) };
  return capBundle(withStaticPictures(bundle));
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
  if (typeof bundle !== "object" || bundle === null) {
    return { [MIME.text]: `${plainText(value)}\n(its [Symbol.for("Jupyter.display")]() returned ${plainText(bundle)}, not a MIME bundle)` };
  }
  return MIME.text in bundle ? bundle : { ...bundle, [MIME.text]: plainText(value) };
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

function capBundle(bundle: MimeBundle): MimeBundle {
  const capped: MimeBundle = {};
  const dropped: string[] = [];
  for (const [mime, payload] of Object.entries(bundle)) {
    if (typeof payload === "string") {
      capped[mime] = capText(payload);
    } else if (!fitsAsJson(payload)) {
      dropped.push(mime);
    } else {
      capped[mime] = payload;
    }
  }
  if (dropped.length) {
    capped[MIME.text] = `${capped[MIME.text] ?? ""}\n[${dropped.join(", ")} left out: not JSON, or larger than ${formatSize(PAYLOAD_LIMIT)}]`;
  }
  return capped;
}

function fitsAsJson(payload: unknown): boolean {
  try {
    return (JSON.stringify(payload)?.length ?? 0) <= PAYLOAD_LIMIT;
  } catch {
    return false; // cycles, BigInt
  }
}

export function formatSize(characters: number): string {
  if (characters < 10_000) return `${characters} characters`;
  if (characters < 10_000_000) return `${(characters / 1000).toFixed(0)} kB`;
  return `${(characters / 1_000_000).toFixed(1)} MB`;
}
