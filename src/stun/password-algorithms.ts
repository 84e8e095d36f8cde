/**
 * PASSWORD-ALGORITHMS (RFC 8489 14.11) and PASSWORD-ALGORITHM (14.12): 16-bit algorithm
 * numbers (1 = MD5, 2 = SHA-256; 18.5) each with a length-prefixed, padded parameter block.
 *
 * ```
 * |         Algorithm 1           | Algorithm 1 Parameters Length |
 * |                    Algorithm 1 Parameters (variable)         ...
 * ```
 */
import { MalformedPacketError } from "../errors.js";

/** Password algorithm numbers (RFC 8489 18.5). */
export const PasswordAlgorithm = { md5: 1, sha256: 2 } as const;

/** One algorithm entry. */
export interface PasswordAlgorithmEntry {
  algorithm: number;
  parameters: Uint8Array;
}

/** Encodes a list of entries (PASSWORD-ALGORITHMS) or one (PASSWORD-ALGORITHM). */
export function encodePasswordAlgorithms(entries: readonly PasswordAlgorithmEntry[]): Uint8Array {
  let size = 0;
  for (const e of entries) size += 4 + ((e.parameters.length + 3) & ~3);
  const out = new Uint8Array(size);
  let at = 0;
  for (const e of entries) {
    out[at] = (e.algorithm >> 8) & 0xff;
    out[at + 1] = e.algorithm & 0xff;
    out[at + 2] = (e.parameters.length >> 8) & 0xff;
    out[at + 3] = e.parameters.length & 0xff;
    out.set(e.parameters, at + 4);
    at += 4 + ((e.parameters.length + 3) & ~3);
  }
  return out;
}

/** Decodes PASSWORD-ALGORITHMS (or PASSWORD-ALGORITHM: one entry). Throws MalformedPacketError. */
export function decodePasswordAlgorithms(value: Uint8Array): PasswordAlgorithmEntry[] {
  const out: PasswordAlgorithmEntry[] = [];
  let at = 0;
  while (at < value.length) {
    if (at + 4 > value.length) throw new MalformedPacketError(`Cannot parse PASSWORD-ALGORITHMS: truncated entry at byte ${at}`);
    const algorithm = (value[at]! << 8) | value[at + 1]!;
    const len = (value[at + 2]! << 8) | value[at + 3]!;
    const padded = (len + 3) & ~3;
    if (at + 4 + padded > value.length) throw new MalformedPacketError(`Cannot parse PASSWORD-ALGORITHMS: parameters of ${len} bytes overrun the attribute`);
    out.push({ algorithm, parameters: value.slice(at + 4, at + 4 + len) });
    at += 4 + padded;
  }
  return out;
}
