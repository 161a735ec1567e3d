/**
 * The Jupyter wire format over ZeroMQ: a message is the sender's routing identities, the
 * `<IDS|MSG>` delimiter, an HMAC signature (hex) of the next four frames, then header,
 * parent_header, metadata and content as JSON, then any binary buffers. Signing follows the
 * connection file's `key` and `signature_scheme`; an empty key means messages are neither signed
 * nor checked, as in Jupyter.
 */
import { createHmac, getHashes, timingSafeEqual } from "node:crypto";
import { toJsonText, type Channel, type WireMessage } from "../messages";

export const DELIMITER = "<IDS|MSG>";
const DELIMITER_BYTES = Buffer.from(DELIMITER);
const SIGNED_FRAMES = 4;

/** A frame sequence that is not a valid (or not an authentic) Jupyter message. */
export class WireError extends Error {}

/** The Node hash behind a Jupyter signature scheme ("hmac-sha256" → "sha256"); throws for others. */
export function hashForScheme(scheme: string): string {
  const hash = /^hmac-(.+)$/.exec(scheme)?.[1];
  if (!hash || !getHashes().includes(hash)) {
    throw new WireError(`unknown signature_scheme ${JSON.stringify(scheme)} (expected hmac-<hash>, e.g. hmac-sha256)`);
  }
  return hash;
}

export interface DecodedFrames {
  identities: Buffer[];
  message: WireMessage;
}

export class WireCodec {
  private readonly key: Buffer;
  private readonly hash: string;

  constructor(key: string, signatureScheme = "hmac-sha256") {
    this.key = Buffer.from(key, "utf8");
    this.hash = hashForScheme(signatureScheme);
  }

  /** The frames to send: identities, delimiter, signature, the four JSON parts, buffers. */
  serialize(message: WireMessage, identities: readonly Buffer[] = []): Buffer[] {
    const parts = [message.header, message.parent_header ?? {}, message.metadata ?? {}, message.content ?? {}]
      .map((part) => Buffer.from(toJsonText(part), "utf8"));
    return [...identities, DELIMITER_BYTES, Buffer.from(this.sign(parts), "ascii"), ...parts, ...(message.buffers ?? []).map(toBuffer)];
  }

  /** Splits, verifies and parses received frames; throws WireError (never naming the key or signature). */
  deserialize(frames: readonly Buffer[], channel: Channel): DecodedFrames {
    const delimiterAt = frames.findIndex((frame) => frame.equals(DELIMITER_BYTES));
    if (delimiterAt < 0) throw new WireError(`no ${DELIMITER} delimiter among ${frames.length} frame(s)`);
    const signature = frames[delimiterAt + 1];
    const parts = frames.slice(delimiterAt + 2, delimiterAt + 2 + SIGNED_FRAMES);
    if (!signature || parts.length < SIGNED_FRAMES) throw new WireError(`too few frames after ${DELIMITER} (${frames.length - delimiterAt - 1}, need ${SIGNED_FRAMES + 1})`);
    if (!this.verify(signature, parts)) throw new WireError(signature.length ? "invalid signature" : "missing signature");
    const [header, parentHeader, metadata, content] = parts.map(parseJsonObject);
    if (typeof header.msg_type !== "string" || typeof header.msg_id !== "string") throw new WireError("header lacks msg_id or msg_type");
    const buffers = frames.slice(delimiterAt + 2 + SIGNED_FRAMES).map((frame) => Buffer.from(frame));
    const message: WireMessage = { channel, header: header as WireMessage["header"], parent_header: parentHeader as WireMessage["parent_header"], metadata, content };
    if (buffers.length) message.buffers = buffers;
    return { identities: frames.slice(0, delimiterAt).map((frame) => Buffer.from(frame)), message };
  }

  /** The hex HMAC of the four JSON frames, or "" without a key. */
  sign(parts: readonly Buffer[]): string {
    if (this.key.length === 0) return "";
    const hmac = createHmac(this.hash, this.key);
    for (const part of parts) hmac.update(part);
    return hmac.digest("hex");
  }

  private verify(signature: Buffer, parts: readonly Buffer[]): boolean {
    if (this.key.length === 0) return true;
    const expected = Buffer.from(this.sign(parts), "ascii");
    return signature.length === expected.length && timingSafeEqual(signature, expected);
  }
}

function parseJsonObject(frame: Buffer): Record<string, any> {
  let value: unknown;
  try {
    value = JSON.parse(frame.toString("utf8"));
  } catch (error) {
    throw new WireError(`a message part is not JSON (${(error as Error).message})`);
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) throw new WireError("a message part is not a JSON object");
  return value as Record<string, any>;
}

function toBuffer(buffer: unknown): Buffer {
  if (Buffer.isBuffer(buffer)) return buffer;
  if (ArrayBuffer.isView(buffer)) return Buffer.from(buffer.buffer, buffer.byteOffset, buffer.byteLength);
  if (buffer instanceof ArrayBuffer) return Buffer.from(buffer);
  throw new WireError(`a message buffer is not binary (${typeof buffer})`);
}
