/**
 * UTF-8 text attributes with a byte limit: USERNAME (< 513 bytes, RFC 8489 14.3), REALM and
 * NONCE (< 128 characters, at most 763 bytes; 14.9, 14.10), SOFTWARE (14.14),
 * ALTERNATE-DOMAIN (14.16).
 */
import { MalformedPacketError } from "../errors.js";
import { StunAttributeType } from "./stun-attribute-type.js";

const textEncoder = new TextEncoder();
const textDecoder = new TextDecoder("utf-8", { fatal: true });

/** The largest value in bytes each text attribute allows. */
export const TEXT_ATTRIBUTE_MAX_BYTES: ReadonlyMap<number, number> = new Map([
  [StunAttributeType.username, 513],
  [StunAttributeType.realm, 763],
  [StunAttributeType.nonce, 763],
  [StunAttributeType.software, 763],
  [StunAttributeType.alternateDomain, 763],
]);

/** UTF-8 bytes of a text attribute value. */
export function encodeText(text: string): Uint8Array {
  return textEncoder.encode(text);
}

/** Decodes a text attribute value; throws MalformedPacketError when too long or not UTF-8. */
export function decodeText(value: Uint8Array, type: number, what: string): string {
  const max = TEXT_ATTRIBUTE_MAX_BYTES.get(type) ?? 763;
  if (value.length > max) throw new MalformedPacketError(`Cannot parse ${what}: ${value.length} bytes, at most ${max} allowed`);
  try {
    return textDecoder.decode(value);
  } catch {
    throw new MalformedPacketError(`Cannot parse ${what}: not UTF-8`);
  }
}
