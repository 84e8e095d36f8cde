/**
 * Fingerprints of identity keys that two users compare out of band, after Signal's "safety
 * number" construction (libsignal NumericFingerprintGenerator, version 0 of its iterated hash):
 *
 *   h_0     = SHA-512( 0x0000 || K || id )           K = signingKey || agreementKey (64 bytes)
 *   h_{i+1} = SHA-512( h_i || K )                    for 5200 iterations
 *   digits  = the first 30 bytes of h_5200, as six 5-byte big-endian integers, each mod 100000,
 *             printed as 5 digits: 30 digits per identity
 *
 * Unlike Signal, `id` is empty: peer names here are chosen by whoever runs the signaling and are not
 * authenticated, so the number depends on the keys alone. The 5200 iterations (about 2^12.3) make
 * finding a second key with the same 30 digits (about 100 bits) cost that much more per try.
 *
 * The safety number of two identities is both 30-digit fingerprints sorted as strings and
 * concatenated: 60 digits, the same on both sides whichever computes it.
 */
import { createHash } from "node:crypto";
import { IdentityPublicKey } from "./identity-public-key.js";

/** Signal's iteration count (NumericFingerprintGenerator, Signal-Android). */
export const FINGERPRINT_ITERATIONS = 5200;

/** The 30-digit fingerprint of one identity (no spaces); see the file comment. */
export function identityFingerprintDigits(identity: IdentityPublicKey): string {
  const key = identity.encode();
  let h = createHash("sha512").update(Uint8Array.of(0, 0)).update(key).digest();
  for (let i = 0; i < FINGERPRINT_ITERATIONS; i++) h = createHash("sha512").update(h).update(key).digest();
  let digits = "";
  for (let chunk = 0; chunk < 6; chunk++) {
    let v = 0;
    for (let j = 0; j < 5; j++) v = v * 256 + (h[chunk * 5 + j] as number);
    digits += String(v % 100000).padStart(5, "0");
  }
  return digits;
}

/** The fingerprint of one identity in six groups of five digits, as `rtcpipe identity show` prints it. */
export function identityFingerprint(identity: IdentityPublicKey): string {
  return groupDigits(identityFingerprintDigits(identity));
}

/**
 * A short, non-numeric label of one identity for logs and error messages: the first 8 bytes of
 * SHA-256(K) in hex, e.g. "ik:3f2a9c01d4e5b6a7". Too short to compare identities securely; use
 * identityFingerprint or safetyNumber for that.
 */
export function shortFingerprint(identity: IdentityPublicKey): string {
  return `ik:${createHash("sha256").update(identity.encode()).digest("hex").slice(0, 16)}`;
}

/** The 60-digit safety number of two identities, in twelve groups of five; order-independent. */
export function safetyNumber(a: IdentityPublicKey, b: IdentityPublicKey): string {
  const fa = identityFingerprintDigits(a);
  const fb = identityFingerprintDigits(b);
  return groupDigits(fa <= fb ? fa + fb : fb + fa);
}

function groupDigits(digits: string): string {
  return digits.replace(/(\d{5})(?=\d)/g, "$1 ");
}
