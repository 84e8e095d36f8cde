/**
 * Values of the small TURN attributes (RFC 8656 18): REQUESTED-TRANSPORT (a protocol number
 * and 3 RFFU bytes, 18.7) and CHANNEL-NUMBER (a 16-bit number and 2 RFFU bytes, 18.1).
 * LIFETIME (18.2) is a plain 32-bit number of seconds (StunMessage.addUint32).
 */
import { MalformedPacketError } from "../errors.js";

/** IANA protocol number of UDP, the only transport RFC 8656 allocations carry to peers. */
export const PROTOCOL_UDP = 17;

/** REQUESTED-TRANSPORT value for `protocol` (RFC 8656 18.7). */
export function encodeRequestedTransport(protocol: number = PROTOCOL_UDP): Uint8Array {
  return Uint8Array.of(protocol & 0xff, 0, 0, 0);
}

/** CHANNEL-NUMBER value (RFC 8656 18.1). */
export function encodeChannelNumber(channel: number): Uint8Array {
  return Uint8Array.of((channel >> 8) & 0xff, channel & 0xff, 0, 0);
}

/** Decodes CHANNEL-NUMBER. Throws MalformedPacketError unless 4 bytes. */
export function decodeChannelNumber(value: Uint8Array): number {
  if (value.length !== 4) throw new MalformedPacketError(`Cannot parse CHANNEL-NUMBER: ${value.length} bytes, need 4`);
  return (value[0]! << 8) | value[1]!;
}
