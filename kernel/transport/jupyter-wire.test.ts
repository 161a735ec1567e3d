import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { test } from "node:test";
import fc from "fast-check";
import { makeMessage, type Channel, type WireMessage } from "../messages";
import { DELIMITER, WireCodec, WireError, hashForScheme } from "./jupyter-wire";

const KEY = "5ba1a7b4-2f39-4c8e-9a7e-1c3b5d7f9e01";
const channels: Channel[] = ["shell", "control", "stdin", "iopub"];

const jsonObject = fc.dictionary(fc.string(), fc.jsonValue());
const wireMessage = fc.record({
  channel: fc.constantFrom(...channels),
  header: fc.record({
    msg_id: fc.uuid(), msg_type: fc.constantFrom("execute_request", "kernel_info_reply", "stream"),
    session: fc.uuid(), username: fc.string(), date: fc.date({ noInvalidDate: true }).map((d) => d.toISOString()), version: fc.constant("5.3"),
  }),
  parent_header: jsonObject,
  metadata: jsonObject,
  content: jsonObject,
  buffers: fc.array(fc.uint8Array({ maxLength: 64 }), { maxLength: 3 }),
}) as fc.Arbitrary<WireMessage>;
const identities = fc.array(fc.uint8Array({ minLength: 1, maxLength: 16 }).map((bytes) => Buffer.from(bytes)), { maxLength: 3 })
  // An identity equal to the delimiter would be read as the delimiter, in Jupyter too.
  .filter((ids) => ids.every((id) => id.toString() !== DELIMITER));

test("any message round-trips through serialize and deserialize, identities and buffers included", () => {
  const codec = new WireCodec(KEY);
  fc.assert(fc.property(wireMessage, identities, (message, ids) => {
    const decoded = codec.deserialize(codec.serialize(message, ids), message.channel);
    assert.deepEqual(decoded.identities, ids);
    const { buffers, ...rest } = decoded.message;
    const expected = JSON.parse(JSON.stringify({ ...message, buffers: undefined }));
    assert.deepEqual(rest, expected);
    assert.deepEqual((buffers ?? []).map((b) => [...(b as Buffer)]), message.buffers!.map((b) => [...(b as Uint8Array)]));
  }));
});

test("any single-byte change to the signature or a signed frame is rejected", () => {
  const codec = new WireCodec(KEY, "hmac-sha256");
  fc.assert(fc.property(wireMessage, fc.nat(), fc.nat(), fc.integer({ min: 1, max: 255 }), (message, frameChoice, byteChoice, delta) => {
    const frames = codec.serialize(message);
    const signedAt = 1 + (frameChoice % 5); // signature, header, parent_header, metadata, content
    const frame = Buffer.from(frames[signedAt]);
    if (frame.length === 0) return;
    const at = byteChoice % frame.length;
    frame[at] = (frame[at] + delta) % 256;
    frames[signedAt] = frame;
    assert.throws(() => codec.deserialize(frames, message.channel), WireError);
  }));
});

test("a wrong key, a missing signature and garbage frames are refused with a reason that hides the key", () => {
  const message = makeMessage("shell", "execute_request", { code: "1" }, { session: "s" });
  const frames = new WireCodec("other key").serialize(message);
  const codec = new WireCodec(KEY);
  assert.throws(() => codec.deserialize(frames, "shell"), (error: Error) => error.message === "invalid signature" && !error.message.includes(KEY));
  const unsigned = new WireCodec("").serialize(message);
  assert.throws(() => codec.deserialize(unsigned, "shell"), /missing signature/);
  assert.throws(() => codec.deserialize([Buffer.from("hello")], "shell"), /no <IDS\|MSG> delimiter/);
  assert.throws(() => codec.deserialize(frames.slice(0, 4), "shell"), /too few frames/);
});

test("without a key nothing is signed and nothing is checked, as in Jupyter", () => {
  const codec = new WireCodec("");
  const frames = codec.serialize(makeMessage("iopub", "status", { execution_state: "idle" }, { session: "s" }));
  assert.equal(frames[1].length, 0);
  assert.equal(codec.deserialize(frames, "iopub").message.content.execution_state, "idle");
});

test("signature schemes map to Node's hashes; unknown ones are named", () => {
  assert.equal(hashForScheme("hmac-sha256"), "sha256");
  assert.equal(hashForScheme("hmac-sha512"), "sha512");
  assert.throws(() => hashForScheme("hmac-nonsense"), /unknown signature_scheme "hmac-nonsense"/);
  assert.throws(() => hashForScheme("sha256"), /unknown signature_scheme/);
});

// jupyter_client's own Session signs and verifies the same bytes we do, for each scheme.
const PYTHON_SESSION = `
import sys, json
from jupyter_client.session import Session
key, scheme, incoming = sys.argv[1], sys.argv[2], json.loads(sys.stdin.read())
session = Session(key=key.encode(), signature_scheme=scheme)
idents, frames = session.feed_identities([bytes.fromhex(f) for f in incoming])
received = session.deserialize(frames)
reply = session.msg("execute_reply", {"status": "ok", "echo": received["content"]["code"]}, parent=received["header"])
print(json.dumps([f.hex() for f in session.serialize(reply, ident=idents)]))
`;

test("jupyter_client's Session accepts our frames and we accept its replies (sha256, sha1, sha512)", () => {
  for (const scheme of ["hmac-sha256", "hmac-sha1", "hmac-sha512"]) {
    const codec = new WireCodec(KEY, scheme);
    const request = makeMessage("shell", "execute_request", { code: "x = 'é' + \"1\"" }, { session: "s" });
    const frames = codec.serialize(request, [Buffer.from("client-id")]);
    const replyHex = execFileSync("/usr/bin/python3", ["-c", PYTHON_SESSION, KEY, scheme], { input: JSON.stringify(frames.map((f) => f.toString("hex"))), encoding: "utf8" });
    const reply = codec.deserialize(JSON.parse(replyHex).map((hex: string) => Buffer.from(hex, "hex")), "shell");
    assert.deepEqual(reply.identities.map(String), ["client-id"]);
    assert.equal(reply.message.content.echo, request.content.code);
    assert.equal(reply.message.parent_header.msg_id, request.header.msg_id);
  }
});

test("a value JSON cannot carry becomes text instead of failing the message", () => {
  const codec = new WireCodec(KEY);
  const message = makeMessage("iopub", "execute_result", { data: { "text/plain": "big" }, metadata: { count: 10n } }, { session: "s" });
  const decoded = codec.deserialize(codec.serialize(message), "iopub").message;
  assert.equal(decoded.content.data["text/plain"], "big");
  assert.equal(decoded.content.metadata.count, "10n");
});
