/**
 * MESSAGE-INTEGRITY (RFC 8489 14.5): HMAC-SHA1 (20 bytes) over the message up to the
 * attribute, with the header length already counting the attribute; and
 * MESSAGE-INTEGRITY-SHA256 (14.6): HMAC-SHA256, 32 bytes, which a receiver accepts truncated
 * to 16-32 bytes in steps of 4.
 */
import { createHmac } from "node:crypto";
import { HmacSha1 } from "../srtp/hmac-sha1.js";

// A few prepared HMAC-SHA1 keys (SRTP's allocation-free HmacSha1): an ICE agent or a TURN
// client uses one to three keys over and over (local and remote password, long-term key).
const CACHE_SIZE = 4;
const cachedKeys: Uint8Array[] = [];
const cachedMacs: HmacSha1[] = [];

function preparedSha1(key: Uint8Array): HmacSha1 | undefined {
  if (key.length > 64) return undefined; // HmacSha1 takes keys up to one block
  for (let i = 0; i < cachedKeys.length; i++) {
    const k = cachedKeys[i]!;
    if (k.length !== key.length) continue;
    let same = true;
    for (let j = 0; j < k.length && same; j++) same = k[j] === key[j];
    if (same) return cachedMacs[i];
  }
  const mac = new HmacSha1(key);
  if (cachedKeys.length >= CACHE_SIZE) {
    cachedKeys.shift();
    cachedMacs.shift();
  }
  cachedKeys.push(key.slice());
  cachedMacs.push(mac);
  return mac;
}

/** HMAC-SHA1 of `bytes` with `key` (RFC 8489 14.5). */
export function hmacSha1(key: Uint8Array, bytes: Uint8Array): Uint8Array {
  const mac = preparedSha1(key);
  if (mac === undefined) return new Uint8Array(createHmac("sha1", key).update(bytes).digest());
  const out = new Uint8Array(20);
  mac.sign(bytes, 0, bytes.length, -1, out, 0, 20);
  return out;
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
