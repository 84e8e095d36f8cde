/**
 * Keys for MESSAGE-INTEGRITY and MESSAGE-INTEGRITY-SHA256 (RFC 8489 9):
 * short-term credentials use the SASLprep'd password itself (9.1.2); long-term credentials
 * use MD5(username ":" realm ":" password) or, with PASSWORD-ALGORITHM SHA-256,
 * SHA-256 of the same string (9.2.2).
 */
import { createHash } from "node:crypto";
import { PasswordAlgorithm } from "./password-algorithms.js";
import { saslprep } from "./saslprep.js";

const textEncoder = new TextEncoder();

/** The short-term credential key: the UTF-8 bytes of SASLprep(password) (RFC 8489 9.1.2). */
export function shortTermKey(password: string): Uint8Array {
  return textEncoder.encode(saslprep(password));
}

/**
 * The long-term credential key (RFC 8489 9.2.2): MD5 (16 bytes, the default and what RFC 5389
 * servers such as coturn use) or SHA-256 (32 bytes) of username ":" realm ":" password, with
 * SASLprep on username and password (the realm is used as received).
 */
export function longTermKey(username: string, realm: string, password: string, algorithm: number = PasswordAlgorithm.md5): Uint8Array {
  const input = textEncoder.encode(`${saslprep(username)}:${realm}:${saslprep(password)}`);
  const h = createHash(algorithm === PasswordAlgorithm.sha256 ? "sha256" : "md5");
  h.update(input);
  return new Uint8Array(h.digest());
}
