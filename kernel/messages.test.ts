import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { LineDecoder, encodeMessage, makeMessage, toJsonText, type WireMessage } from "./messages";

function decodeAll(chunks: string[], maxLineLength?: number): { messages: WireMessage[]; bad: string[] } {
  const messages: WireMessage[] = [];
  const bad: string[] = [];
  const decoder = new LineDecoder((m) => messages.push(m), (_line, problem) => bad.push(problem), maxLineLength);
  for (const chunk of chunks) decoder.push(chunk);
  return { messages, bad };
}

/** Cuts `text` at the given fractions of its length. */
function cut(text: string, fractions: number[]): string[] {
  const points = [...new Set(fractions.map((f) => Math.floor(f * text.length)))].sort((a, b) => a - b);
  const chunks: string[] = [];
  let start = 0;
  for (const point of points) {
    chunks.push(text.slice(start, point));
    start = point;
  }
  chunks.push(text.slice(start));
  return chunks;
}

test("the line decoder gives the same messages however the stream is cut into chunks", () => {
  const line = fc.oneof(
    fc.string({ unit: "grapheme" }).map((code) => ({ kind: "message" as const, code })),
    fc.constantFrom("not json {", "[1, 2]", "", "   ").map((text) => ({ kind: "other" as const, text })),
  );
  fc.assert(fc.property(fc.array(line, { maxLength: 20 }), fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { maxLength: 30 }), (lines, fractions) => {
    const text = lines.map((l) => l.kind === "message" ? encodeMessage(makeMessage("shell", "execute_request", { code: l.code }, { session: "s" })) : `${l.text}\n`).join("");
    const { messages, bad } = decodeAll(cut(text, fractions));
    assert.deepEqual(messages.map((m) => m.content.code), lines.flatMap((l) => l.kind === "message" ? [l.code] : []));
    assert.equal(bad.length, lines.filter((l) => l.kind === "other" && l.text.trim()).length);
  }));
});

test("a line over the limit is reported as too large and skipped; the next line is read", () => {
  const next = encodeMessage(makeMessage("shell", "kernel_info_request", {}, { session: "s" }));
  const { messages, bad } = decodeAll(["x".repeat(600), "x".repeat(600), `\n${next}`], 1000);
  assert.deepEqual(bad, ["line too large (more than 1000 characters without a newline), ignored"]);
  assert.deepEqual(messages.map((m) => m.header.msg_type), ["kernel_info_request"]);
});

test("JSON text of values JSON cannot carry: BigInt and cycles become text, shared values stay", () => {
  const shared = { v: 1 };
  const cyclic: Record<string, unknown> = { big: 12n, a: shared, b: shared };
  cyclic.self = cyclic;
  assert.deepEqual(JSON.parse(toJsonText(cyclic)), { big: "12n", a: { v: 1 }, b: { v: 1 }, self: "[Circular]" });
  assert.equal(toJsonText({ plain: [1, "two"] }), '{"plain":[1,"two"]}');
});
