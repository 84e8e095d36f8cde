/**
 * XOR-MAPPED-ADDRESS (RFC 8489 14.2), also the format of TURN's XOR-PEER-ADDRESS and
 * XOR-RELAYED-ADDRESS (RFC 8656 18.3, 18.5): the MAPPED-ADDRESS layout with the port XORed
 * with the top 16 bits of the magic cookie, and the address XORed with the cookie (IPv4) or
 * with the cookie followed by the 96-bit transaction ID (IPv6).
 */
import { MalformedPacketError } from "../errors.js";
import { checkAddressValue } from "./mapped-address.js";
import { ipToBytes, ipToText, type TransportAddress } from "./transport-address.js";

/** The fixed magic cookie of every RFC 5389/8489 message (RFC 8489 5). */
export const MAGIC_COOKIE = 0x2112a442;

function xorPad(transactionId: Uint8Array, i: number): number {
  if (i < 4) return (MAGIC_COOKIE >>> (24 - 8 * i)) & 0xff;
  return transactionId[i - 4]!;
}

/** Encodes an XOR address attribute value for a message with `transactionId` (RFC 8489 14.2). */
export function encodeXorAddress(a: TransportAddress, transactionId: Uint8Array): Uint8Array {
  const ip = ipToBytes(a.address);
  const out = new Uint8Array(4 + ip.length);
  out[1] = ip.length === 4 ? 0x01 : 0x02;
  const xport = (a.port ^ (MAGIC_COOKIE >>> 16)) & 0xffff;
  out[2] = xport >> 8;
  out[3] = xport & 0xff;
  for (let i = 0; i < ip.length; i++) out[4 + i] = ip[i]! ^ xorPad(transactionId, i);
  return out;
}

/** Decodes an XOR address attribute value (RFC 8489 14.2). Throws MalformedPacketError. */
export function decodeXorAddress(value: Uint8Array, transactionId: Uint8Array, what = "XOR-MAPPED-ADDRESS"): TransportAddress {
  const family = checkAddressValue(value, what);
  if (transactionId.length !== 12) throw new MalformedPacketError(`Cannot decode ${what}: transaction ID of ${transactionId.length} bytes, need 12`);
  const ip = new Uint8Array(value.length - 4);
  for (let i = 0; i < ip.length; i++) ip[i] = value[4 + i]! ^ xorPad(transactionId, i);
  const port = (((value[2]! << 8) | value[3]!) ^ (MAGIC_COOKIE >>> 16)) & 0xffff;
  return { family, address: ipToText(ip), port };
}
