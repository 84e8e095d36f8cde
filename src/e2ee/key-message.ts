/**
 * Any key-exchange message, by its type byte, and its text form for JSON signaling: the bytes in
 * base64url (RFC 4648 Section 5, no padding). Signaling carries these as opaque strings.
 */
import { MalformedPacketError } from "../errors.js";
import { KeyAnswer } from "./key-answer.js";
import { KeyConfirm } from "./key-confirm.js";
import { KeyMessageType, MAX_KEY_MESSAGE_BYTES } from "./key-message-codec.js";
import { KeyOffer } from "./key-offer.js";

/** One parsed key-exchange message. */
export type KeyMessage = KeyOffer | KeyAnswer | KeyConfirm;

/** Parses an offer, answer or confirm by its type byte. Throws MalformedPacketError. */
export function parseKeyMessage(bytes: Uint8Array): KeyMessage {
  if (!(bytes instanceof Uint8Array)) throw new MalformedPacketError("Cannot parse key message: expected a Uint8Array");
  if (bytes.length < 2) throw new MalformedPacketError(`Cannot parse key message: truncated, ${bytes.length} bytes is shorter than the 2-byte header`);
  switch (bytes[1]) {
    case KeyMessageType.offer:
      return KeyOffer.parse(bytes);
    case KeyMessageType.answer:
      return KeyAnswer.parse(bytes);
    case KeyMessageType.confirm:
      return KeyConfirm.parse(bytes);
    default:
      throw new MalformedPacketError(`Cannot parse key message: type ${bytes[1]} is unknown, allowed is 1 (offer), 2 (answer) or 3 (confirm)`);
  }
}

/** The base64url text of a key message, for a JSON signaling payload. */
export function keyMessageToText(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString("base64url");
}

/** The bytes of a base64url key message; MalformedPacketError for anything else or oversized text. */
export function keyMessageFromText(text: unknown): Uint8Array {
  if (typeof text !== "string") throw new MalformedPacketError("Cannot decode key message: expected a base64url string");
  if (text.length > Math.ceil((MAX_KEY_MESSAGE_BYTES * 4) / 3)) throw new MalformedPacketError(`Cannot decode key message: ${text.length} characters is oversized`);
  if (!/^[A-Za-z0-9_-]*$/.test(text) || text.length % 4 === 1) throw new MalformedPacketError("Cannot decode key message: not base64url (RFC 4648 Section 5, no padding)");
  return new Uint8Array(Buffer.from(text, "base64url"));
}
