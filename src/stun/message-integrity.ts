/**
 * MESSAGE-INTEGRITY (RFC 8489 14.5): HMAC-SHA1 (20 bytes) over the message up to the
 * attribute, with the header length already counting the attribute; and
 * MESSAGE-INTEGRITY-SHA256 (14.6): HMAC-SHA256, 32 bytes, which a receiver accepts truncated
 * to 16-32 bytes in steps of 4.
 */
import { createHmac } from "node:crypto";

/** HMAC-SHA1 of `bytes` with `key` (RFC 8489 14.5). */
export function hmacSha1(key: Uint8Array, bytes: Uint8Array): Uint8Array {
  return new Uint8Array(createHmac("sha1", key).update(bytes).digest());
}

/** HMAC-SHA256 of `bytes` with `key` (RFC 8489 14.6). */
export function hmacSha256(key: Uint8Array, bytes: Uint8Array): Uint8Array {
  return new Uint8Array(createHmac("sha256", key).update(bytes).digest());
}

/** Constant-time comparison of `a` with the first `a.length` bytes of `b`; false on length mismatch. */
export function timingSafeEqualPrefix(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length > b.length || a.length === 0) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i]! ^ b[i]!;
  return diff === 0;
}
