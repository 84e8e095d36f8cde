/**
 * UNKNOWN-ATTRIBUTES (RFC 8489 14.13): a list of 16-bit attribute types the sender did not
 * understand, sent in a 420 error response.
 */
import { MalformedPacketError } from "../errors.js";

/** Encodes an UNKNOWN-ATTRIBUTES value. */
export function encodeUnknownAttributes(types: readonly number[]): Uint8Array {
  const out = new Uint8Array(2 * types.length);
  types.forEach((t, i) => {
    out[2 * i] = (t >> 8) & 0xff;
    out[2 * i + 1] = t & 0xff;
  });
  return out;
}

/** Decodes an UNKNOWN-ATTRIBUTES value. Throws MalformedPacketError on an odd length. */
export function decodeUnknownAttributes(value: Uint8Array): number[] {
  if (value.length % 2 !== 0) throw new MalformedPacketError(`Cannot parse UNKNOWN-ATTRIBUTES: ${value.length} bytes, need a multiple of 2`);
  const out: number[] = [];
  for (let i = 0; i < value.length; i += 2) out.push((value[i]! << 8) | value[i + 1]!);
  return out;
}
