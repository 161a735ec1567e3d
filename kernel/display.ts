/**
 * Turns a cell's values into MIME bundles. Objects that know how to display themselves
 * (`[Symbol.for("Jupyter.display")]()`) are asked; structures of tensors (gradient lists) are
 * combined into one tensor payload; anything else is shown as text.
 */
import { inspect } from "node:util";
import { DISPLAY_SYMBOL, MIME, type MimeBundle, type TensorEntry, type TensorPayload } from "../engine/mime";

/** Longest text/plain kept; the rest is replaced by a note saying how much was cut. */
export const TEXT_LIMIT = 100_000;
/** Largest JSON payload sent for one MIME type; beyond it only the text is sent. */
export const PAYLOAD_LIMIT = 8_000_000;

export function isDisplayable(value: unknown): value is { [DISPLAY_SYMBOL](): MimeBundle } {
  return (typeof value === "object" || typeof value === "function") && value !== null
    && typeof (value as Record<symbol, unknown>)[DISPLAY_SYMBOL] === "function";
}

export function toMimeBundle(value: unknown): MimeBundle {
  const bundle = isDisplayable(value) ? selfDisplay(value) : tensorStructureBundle(value) ?? { [MIME.text]: plainText(value) };
  return capBundle(bundle);
}

function selfDisplay(value: { [DISPLAY_SYMBOL](): MimeBundle }): MimeBundle {
  const bundle = value[DISPLAY_SYMBOL]();
  if (typeof bundle !== "object" || bundle === null) {
    return { [MIME.text]: `${plainText(value)}\n(its [Symbol.for("Jupyter.display")]() returned ${plainText(bundle)}, not a MIME bundle)` };
  }
  return MIME.text in bundle ? bundle : { ...bundle, [MIME.text]: plainText(value) };
}

/** An array or plain object whose members are tensors (or null, for unconnected gradients). */
function tensorStructureBundle(value: unknown): MimeBundle | null {
  if (typeof value !== "object" || value === null) return null;
  const isArray = Array.isArray(value);
  if (!isArray && Object.getPrototypeOf(value) !== Object.prototype) return null;
  const members = Object.entries(value as Record<string, unknown>);
  if (members.length === 0 || members.length > 1000) return null;
  const entries: TensorEntry[] = [];
  const lines: string[] = [];
  for (const [key, member] of members) {
    const label = isArray ? `[${key}]` : key;
    if (member === null || member === undefined) {
      entries.push({ label, kind: "tensor", data: null });
      lines.push(`${label}: None`);
      continue;
    }
    const single = singleTensorEntry(member);
    if (!single) return null;
    entries.push({ ...single.entry, label: single.entry.label ?? label });
    lines.push(`${label}: ${single.text}`);
  }
  if (entries.every((entry) => entry.data === null)) return null;
  const payload: TensorPayload = { structure: isArray ? "array" : "object", entries };
  return { [MIME.tensor]: payload, [MIME.text]: lines.join("\n") };
}

function singleTensorEntry(value: unknown): { entry: TensorEntry; text: string } | null {
  if (!isDisplayable(value)) return null;
  const bundle = value[DISPLAY_SYMBOL]();
  const payload = bundle?.[MIME.tensor] as TensorPayload | undefined;
  if (payload?.structure !== "single" || payload.entries.length !== 1) return null;
  return { entry: payload.entries[0], text: String(bundle[MIME.text] ?? "") };
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
    } else if (JSON.stringify(payload)?.length > PAYLOAD_LIMIT) {
      dropped.push(mime);
    } else {
      capped[mime] = payload;
    }
  }
  if (dropped.length) {
    capped[MIME.text] = `${capped[MIME.text] ?? ""}\n[${dropped.join(", ")} left out: larger than ${formatSize(PAYLOAD_LIMIT)}]`;
  }
  return capped;
}

export function formatSize(characters: number): string {
  if (characters < 10_000) return `${characters} characters`;
  if (characters < 10_000_000) return `${(characters / 1000).toFixed(0)} kB`;
  return `${(characters / 1_000_000).toFixed(1)} MB`;
}
