import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { PAYLOAD_LIMIT, TEXT_LIMIT, normaliseBundle, toMimeBundle } from "./display";

const JSON_MIME = /^application\/(?:.*\+)?json$/;
const safeJsonSize = (value: unknown) => { try { return JSON.stringify(value)?.length; } catch { return null; } };

test("whatever a display method returns, the bundle sent is one nbformat can store", () => {
  const mime = fc.oneof(fc.constantFrom("text/plain", "text/html", "image/svg+xml", "application/json", "application/vnd.agnb.tensor+json"), fc.string({ maxLength: 12 }));
  const payload = fc.oneof(fc.anything(), fc.array(fc.string()), fc.bigInt(), fc.constant(undefined), fc.func(fc.anything()));
  fc.assert(fc.property(fc.dictionary(mime, payload, { maxKeys: 5 }), (bundle) => {
    const sent = normaliseBundle(bundle, () => "fallback");
    assert.equal(typeof sent["text/plain"], "string");
    for (const [key, value] of Object.entries(sent)) {
      assert.match(key, /^[a-zA-Z0-9]+\/[a-zA-Z0-9\-+.]+$/);
      if (JSON_MIME.test(key)) assert.ok((safeJsonSize(value) ?? Infinity) <= PAYLOAD_LIMIT, `${key} is JSON`);
      else assert.equal(typeof value, "string", `${key} is text`);
    }
    // Nothing offered is lost silently: it is either sent or named in the note.
    for (const key of Object.keys(bundle)) {
      const named = (sent["text/plain"] as string).includes(`${key}`.slice(0, 60)) || (sent["text/plain"] as string).includes(JSON.stringify(key.slice(0, 60)));
      assert.ok(key in sent || named, `${JSON.stringify(key)} is sent or named`);
    }
  }), { numRuns: 300 });
});

test("a circular value is shown as Node's inspector shows it", () => {
  const cyclic: Record<string, unknown> = {};
  cyclic.self = cyclic;
  assert.equal(toMimeBundle(cyclic)["text/plain"], "<ref *1> { self: [Circular *1] }");
  const engineThatRecurses = { isTensorStructure: (value: unknown): boolean => engineThatRecurses.isTensorStructure((value as { self: unknown }).self) };
  assert.equal(toMimeBundle(cyclic, engineThatRecurses)["text/plain"], "<ref *1> { self: [Circular *1] }");
});

test("texts are capped and text lists joined", () => {
  const sent = normaliseBundle({ "text/plain": "x".repeat(TEXT_LIMIT + 10), "text/html": ["<b>", "</b>"] }, () => "");
  assert.match(sent["text/plain"] as string, /\[10 characters of output not shown\]$/);
  assert.equal(sent["text/html"], "<b></b>");
});
