/**
 * Demultiplexing of a datagram on a port shared by STUN, DTLS, TURN ChannelData and RTP/RTCP
 * (RFC 7983 7; RFC 8489 5): a STUN message starts with a byte of 0-3 (the two zero bits and
 * the top of the type) and carries the magic cookie at bytes 4-7.
 */
import { MAGIC_COOKIE } from "./xor-mapped-address.js";

/** True when `bytes` looks like an RFC 5389/8489 STUN message (first byte 0-3, magic cookie, 20+ bytes, length a multiple of 4). */
export function isStunPacket(bytes: Uint8Array): boolean {
  if (bytes.length < 20 || bytes[0]! > 3) return false;
  if ((bytes[3]! & 3) !== 0) return false;
  const cookie = ((bytes[4]! << 24) | (bytes[5]! << 16) | (bytes[6]! << 8) | bytes[7]!) >>> 0;
  return cookie === MAGIC_COOKIE;
}
