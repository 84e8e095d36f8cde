/**
 * Ed25519 signatures (RFC 8032 Section 5.1) on raw 32-byte keys, through Node's crypto. The
 * private key (the 32-byte seed) stays in a Uint8Array the caller owns; each signature imports it
 * through a PKCS#8 DER buffer that is zeroed straight after (see x25519.ts for what Node's
 * KeyObject keeps).
 */
import { createPublicKey, sign, verify, type KeyObject } from "node:crypto";
import { MalformedPacketError } from "../errors.js";
import { importRawPrivateKey, importRawPublicKey, rfc8410Prefixes } from "./rfc8410-key.js";

/** Ed25519 public and private (seed) key length in bytes (RFC 8032 Section 5.1.5). */
export const ED25519_KEY_BYTES = 32;
/** Ed25519 signature length in bytes (RFC 8032 Section 5.1.6). */
export const ED25519_SIGNATURE_BYTES = 64;

/** RFC 8410 DER prefixes for id-Ed25519 (1.3.101.112). */
const PREFIXES = rfc8410Prefixes(112);

/** Imports a raw Ed25519 private key (seed), zeroing the DER copy it builds. */
export function importEd25519PrivateKey(privateKey: Uint8Array): KeyObject {
  checkLength("private key", privateKey);
  return importRawPrivateKey(PREFIXES, privateKey);
}

function importPublic(publicKey: Uint8Array): KeyObject {
  checkLength("public key", publicKey);
  return importRawPublicKey(PREFIXES, publicKey);
}

/** The public key A of a 32-byte private key (RFC 8032 Section 5.1.5). */
export function ed25519PublicKey(privateKey: Uint8Array): Uint8Array {
  const jwk = createPublicKey(importEd25519PrivateKey(privateKey)).export({ format: "jwk" });
  return new Uint8Array(Buffer.from(jwk.x as string, "base64url"));
}

/** The 64-byte signature of `message` (RFC 8032 Section 5.1.6) with a raw or imported private key. */
export function ed25519Sign(privateKey: Uint8Array | KeyObject, message: Uint8Array): Uint8Array {
  return new Uint8Array(sign(null, message, privateKey instanceof Uint8Array ? importEd25519PrivateKey(privateKey) : privateKey));
}

/**
 * True when `signature` is a valid signature of `message` under `publicKey` (RFC 8032 Section
 * 5.1.7); false for a wrong signature and for a public key that is not a valid point.
 */
export function ed25519Verify(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean {
  if (signature.length !== ED25519_SIGNATURE_BYTES) return false;
  let key: KeyObject;
  try {
    key = importPublic(publicKey);
    return verify(null, message, key, signature);
  } catch {
    return false;
  }
}

function checkLength(what: string, key: Uint8Array): void {
  if (!(key instanceof Uint8Array) || key.length !== ED25519_KEY_BYTES) {
    throw new MalformedPacketError(`Cannot use Ed25519 ${what}: it has ${key?.length} bytes, allowed is ${ED25519_KEY_BYTES}`);
  }
}
