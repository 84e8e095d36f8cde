/**
 * Raw 32-byte Curve25519-family keys as Node KeyObjects, through the RFC 8410 DER encodings:
 * PKCS#8 PrivateKeyInfo and SubjectPublicKeyInfo are a fixed prefix (naming the algorithm OID)
 * followed by the raw key. The DER copy of a private key is zeroed once imported.
 */
import { createPrivateKey, createPublicKey, type KeyObject } from "node:crypto";
import { zeroBytes } from "./secret-bytes.js";

/** The two prefixes of one algorithm (RFC 8410 Sections 4 and 7). */
export interface Rfc8410Prefixes {
  pkcs8: Uint8Array;
  spki: Uint8Array;
}

/** The prefixes for an algorithm OID 1.3.101.`arc` (110 X25519, 112 Ed25519). */
export function rfc8410Prefixes(arc: number): Rfc8410Prefixes {
  return {
    pkcs8: Uint8Array.of(0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, arc, 0x04, 0x22, 0x04, 0x20),
    spki: Uint8Array.of(0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, arc, 0x03, 0x21, 0x00),
  };
}

/** Imports a raw private key, zeroing the DER copy it builds. */
export function importRawPrivateKey(prefixes: Rfc8410Prefixes, raw: Uint8Array): KeyObject {
  const der = Buffer.alloc(prefixes.pkcs8.length + raw.length);
  der.set(prefixes.pkcs8, 0);
  der.set(raw, prefixes.pkcs8.length);
  try {
    return createPrivateKey({ key: der, format: "der", type: "pkcs8" });
  } finally {
    zeroBytes(der);
  }
}

/** Imports a raw public key. */
export function importRawPublicKey(prefixes: Rfc8410Prefixes, raw: Uint8Array): KeyObject {
  const der = Buffer.alloc(prefixes.spki.length + raw.length);
  der.set(prefixes.spki, 0);
  der.set(raw, prefixes.spki.length);
  return createPublicKey({ key: der, format: "der", type: "spki" });
}
