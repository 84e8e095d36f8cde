/**
 * Helpers for key material: zeroing, constant-time comparison, and the redacted text that
 * toJSON/inspect/toString of key-holding objects return instead of their contents.
 */
import { timingSafeEqual } from "node:crypto";

/** The symbol Node's util.inspect (and so console.log) calls for a custom representation. */
export const INSPECT_CUSTOM: unique symbol = Symbol.for("nodejs.util.inspect.custom") as never;

/** Overwrites every byte of each array with zero (a no-op for undefined). */
export function zeroBytes(...arrays: (Uint8Array | undefined)[]): void {
  for (const a of arrays) a?.fill(0);
}

/** True when every byte is zero (e.g. a destroyed key). */
export function isAllZero(bytes: Uint8Array): boolean {
  let acc = 0;
  for (let i = 0; i < bytes.length; i++) acc |= bytes[i] as number;
  return acc === 0;
}

/** Constant-time equality of two byte strings (false, without timing leak on content, when lengths differ). */
export function bytesEqualConstantTime(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  return timingSafeEqual(a, b);
}

/** Plain equality of public byte strings (keys, hashes). */
export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** a || b || ... as one new array. */
export function concatBytes(...parts: Uint8Array[]): Uint8Array {
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}
