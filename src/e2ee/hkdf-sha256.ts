/**
 * HKDF with SHA-256 (RFC 5869): Extract-then-Expand, through Node's `crypto.hkdfSync` (OpenSSL's
 * EVP_KDF "HKDF"). Returns a Uint8Array the caller owns and should zero when done with it.
 */
import { hkdfSync } from "node:crypto";
import { InvalidOptionError } from "../errors.js";

/** RFC 5869 Section 2.3: L <= 255 * HashLen. */
export const HKDF_SHA256_MAX_LENGTH = 255 * 32;

/**
 * OKM = HKDF-Expand(HKDF-Extract(salt, ikm), info, lengthBytes) (RFC 5869 Section 2). An empty
 * salt means HashLen zero bytes (Section 2.2).
 */
export function hkdfSha256(ikm: Uint8Array, salt: Uint8Array, info: Uint8Array, lengthBytes: number): Uint8Array {
  if (!Number.isInteger(lengthBytes) || lengthBytes < 1 || lengthBytes > HKDF_SHA256_MAX_LENGTH) {
    throw new InvalidOptionError(`Cannot derive with HKDF-SHA256: length ${lengthBytes} is not an integer from 1 to ${HKDF_SHA256_MAX_LENGTH} (RFC 5869 Section 2.3)`);
  }
  if (info.length > 1024) {
    throw new InvalidOptionError(`Cannot derive with HKDF-SHA256: info of ${info.length} bytes is longer than the 1024 bytes OpenSSL allows`);
  }
  return new Uint8Array(hkdfSync("sha256", ikm, salt, info, lengthBytes));
}
