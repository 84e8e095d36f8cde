/**
 * X25519 (RFC 7748 Section 5) on raw 32-byte keys, through Node's crypto (OpenSSL).
 *
 * Private keys stay in Uint8Arrays the caller owns (and zeroes). Node needs a KeyObject to run
 * the function: importX25519PrivateKey wraps the raw key in a PKCS#8 DER buffer (RFC 8410),
 * imports it, and zeroes that buffer straight after. (A JWK import is ten times faster but passes
 * the key through a base64 JavaScript string, which can never be zeroed.) The KeyObject holds its
 * own copy inside OpenSSL, which JavaScript cannot overwrite: Node has no API to wipe or free a
 * KeyObject; OpenSSL clears ECX private keys when they are freed, which happens when the KeyObject
 * is garbage-collected, a moment Node does not let us choose. So callers drop every reference to
 * it as soon as it is no longer needed. Shared secrets come back from Node in a Buffer that is
 * copied out and zeroed here.
 */
import { createPublicKey, diffieHellman, type KeyObject } from "node:crypto";
import { MalformedPacketError } from "../errors.js";
import { zeroBytes } from "./secret-bytes.js";
import { importRawPrivateKey, importRawPublicKey, rfc8410Prefixes } from "./rfc8410-key.js";

/** X25519 key and shared-secret length in bytes (RFC 7748 Section 5). */
export const X25519_KEY_BYTES = 32;

/** RFC 8410 DER prefixes for id-X25519 (1.3.101.110). */
const PREFIXES = rfc8410Prefixes(110);

/** Imports a raw X25519 private key, zeroing the DER copy it builds. */
export function importX25519PrivateKey(privateKey: Uint8Array): KeyObject {
  checkLength("private key", privateKey);
  return importRawPrivateKey(PREFIXES, privateKey);
}

/** Imports a raw X25519 public key (u-coordinate, RFC 7748 Section 5). */
export function importX25519PublicKey(publicKey: Uint8Array): KeyObject {
  checkLength("public key", publicKey);
  return importRawPublicKey(PREFIXES, publicKey);
}

/**
 * The public key X25519(k, 9) of a private key (RFC 7748 Section 6.1): raw, or imported once with
 * importX25519PrivateKey (OpenSSL's PKCS#8 decoder costs ~0.3 ms per import; import each key once).
 */
export function x25519PublicKey(privateKey: Uint8Array | KeyObject): Uint8Array {
  const key = privateKey instanceof Uint8Array ? importX25519PrivateKey(privateKey) : privateKey;
  const jwk = createPublicKey(key).export({ format: "jwk" });
  return new Uint8Array(Buffer.from(jwk.x as string, "base64url"));
}

/**
 * The shared secret X25519(privateKey, publicKey) (RFC 7748 Sections 5 and 6.1) of a raw or
 * imported private key, written into
 * `out` (32 bytes) when given. Throws MalformedPacketError for a public key of a low-order point,
 * whose result is all zero (Section 6.1: "check for the all-zero value and abort").
 */
export function x25519(privateKey: Uint8Array | KeyObject, publicKey: Uint8Array, out: Uint8Array = new Uint8Array(X25519_KEY_BYTES)): Uint8Array {
  const priv = privateKey instanceof Uint8Array ? importX25519PrivateKey(privateKey) : privateKey;
  const pub = importX25519PublicKey(publicKey);
  let shared: Buffer;
  try {
    shared = diffieHellman({ privateKey: priv, publicKey: pub });
  } catch {
    throw new MalformedPacketError("Cannot agree on an X25519 secret: the peer's public key is a low-order point (the result is all zero, RFC 7748 Section 6.1)");
  }
  out.set(shared);
  zeroBytes(shared);
  return out;
}

function checkLength(what: string, key: Uint8Array): void {
  if (!(key instanceof Uint8Array) || key.length !== X25519_KEY_BYTES) {
    throw new MalformedPacketError(`Cannot use X25519 ${what}: it has ${key?.length} bytes, allowed is ${X25519_KEY_BYTES}`);
  }
}
