/**
 * ERROR-CODE (RFC 8489 14.8): 21 zero bits, the class (hundreds digit, 3-6) in 3 bits, the
 * number (0-99) in 8 bits, then a UTF-8 reason phrase of at most 127 characters.
 *
 * ```
 * |           Reserved, should be 0         |Class|     Number    |
 * |      Reason Phrase (variable)                                ..
 * ```
 */
import { MalformedPacketError } from "../errors.js";

/** A decoded ERROR-CODE attribute. */
export interface StunErrorCode {
  /** 300-699. */
  code: number;
  reason: string;
}

/** Error codes of RFC 8489 14.8 and RFC 8656 18 that this code base reacts to. */
export const StunErrorCodes = {
  tryAlternate: 300,
  badRequest: 400,
  unauthorized: 401,
  forbidden: 403,
  mobilityForbidden: 405,
  unknownAttribute: 420,
  allocationMismatch: 437,
  staleNonce: 438,
  addressFamilyNotSupported: 440,
  wrongCredentials: 441,
  unsupportedTransportProtocol: 442,
  peerAddressFamilyMismatch: 443,
  allocationQuotaReached: 486,
  roleConflict: 487,
  serverError: 500,
  insufficientCapacity: 508,
} as const;

const textEncoder = new TextEncoder();
const textDecoder = new TextDecoder("utf-8", { fatal: true });

/** Encodes an ERROR-CODE value (RFC 8489 14.8). */
export function encodeErrorCode(e: StunErrorCode): Uint8Array {
  const reason = textEncoder.encode(e.reason);
  const out = new Uint8Array(4 + reason.length);
  out[2] = Math.floor(e.code / 100) & 0x07;
  out[3] = e.code % 100;
  out.set(reason, 4);
  return out;
}

/** Decodes an ERROR-CODE value (RFC 8489 14.8). Throws MalformedPacketError. */
export function decodeErrorCode(value: Uint8Array): StunErrorCode {
  if (value.length < 4) throw new MalformedPacketError(`Cannot parse ERROR-CODE: ${value.length} bytes, need at least 4`);
  const cls = value[2]! & 0x07;
  const num = value[3]!;
  if (cls < 3 || cls > 6 || num > 99) throw new MalformedPacketError(`Cannot parse ERROR-CODE: class ${cls} number ${num}; allowed are class 3-6, number 0-99`);
  if (value.length > 4 + 763) throw new MalformedPacketError(`Cannot parse ERROR-CODE: reason of ${value.length - 4} bytes, at most 763 allowed`);
  let reason: string;
  try {
    reason = textDecoder.decode(value.subarray(4));
  } catch {
    throw new MalformedPacketError("Cannot parse ERROR-CODE: reason phrase is not UTF-8");
  }
  return { code: cls * 100 + num, reason };
}
