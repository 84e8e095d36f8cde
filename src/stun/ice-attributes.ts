/**
 * The ICE attributes of STUN (RFC 8445 7.1.1, 16.1): PRIORITY (32 bits), USE-CANDIDATE
 * (empty), ICE-CONTROLLED and ICE-CONTROLLING (a 64-bit tie-breaker).
 */
import { MalformedPacketError } from "../errors.js";

/** Encodes a PRIORITY value (RFC 8445 16.1). */
export function encodePriority(priority: number): Uint8Array {
  const out = new Uint8Array(4);
  new DataView(out.buffer).setUint32(0, priority >>> 0);
  return out;
}

/** Decodes a PRIORITY value. Throws MalformedPacketError unless 4 bytes. */
export function decodePriority(value: Uint8Array): number {
  if (value.length !== 4) throw new MalformedPacketError(`Cannot parse PRIORITY: ${value.length} bytes, need 4`);
  return new DataView(value.buffer, value.byteOffset, 4).getUint32(0);
}

/** Encodes an ICE-CONTROLLED/ICE-CONTROLLING tie-breaker (RFC 8445 16.1). */
export function encodeTieBreaker(tieBreaker: bigint): Uint8Array {
  const out = new Uint8Array(8);
  new DataView(out.buffer).setBigUint64(0, BigInt.asUintN(64, tieBreaker));
  return out;
}

/** Decodes a tie-breaker. Throws MalformedPacketError unless 8 bytes. */
export function decodeTieBreaker(value: Uint8Array, what = "ICE-CONTROLLING"): bigint {
  if (value.length !== 8) throw new MalformedPacketError(`Cannot parse ${what}: ${value.length} bytes, need 8`);
  return new DataView(value.buffer, value.byteOffset, 8).getBigUint64(0);
}

/** Checks that USE-CANDIDATE is empty (RFC 8445 16.1). */
export function checkUseCandidate(value: Uint8Array): void {
  if (value.length !== 0) throw new MalformedPacketError(`Cannot parse USE-CANDIDATE: ${value.length} bytes, need 0`);
}
