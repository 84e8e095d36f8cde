/**
 * MAPPED-ADDRESS (RFC 8489 14.1) and ALTERNATE-SERVER (14.15), the plain address format:
 *
 * ```
 * |0 0 0 0 0 0 0 0|    Family     |           Port                |
 * |                 Address (32 bits or 128 bits)                 |
 * ```
 * Family 0x01 is IPv4, 0x02 IPv6.
 */
import { MalformedPacketError } from "../errors.js";
import { ipToBytes, ipToText, type TransportAddress } from "./transport-address.js";

/** Encodes an address attribute value (RFC 8489 14.1). */
export function encodeMappedAddress(a: TransportAddress): Uint8Array {
  const ip = ipToBytes(a.address);
  const out = new Uint8Array(4 + ip.length);
  out[1] = ip.length === 4 ? 0x01 : 0x02;
  out[2] = (a.port >> 8) & 0xff;
  out[3] = a.port & 0xff;
  out.set(ip, 4);
  return out;
}

/** Decodes an address attribute value (RFC 8489 14.1). Throws MalformedPacketError. */
export function decodeMappedAddress(value: Uint8Array): TransportAddress {
  const family = checkAddressValue(value, "MAPPED-ADDRESS");
  return { family, address: ipToText(value.subarray(4)), port: (value[2]! << 8) | value[3]! };
}

/** Checks the family byte against the value length; returns the family. */
export function checkAddressValue(value: Uint8Array, what: string): 4 | 6 {
  if (value.length < 4) throw new MalformedPacketError(`Cannot parse ${what}: ${value.length} bytes, need 8 (IPv4) or 20 (IPv6)`);
  const f = value[1];
  if (f === 0x01 && value.length === 8) return 4;
  if (f === 0x02 && value.length === 20) return 6;
  throw new MalformedPacketError(`Cannot parse ${what}: family ${String(f)} with ${value.length} bytes; allowed are family 1 with 8 bytes, family 2 with 20`);
}
