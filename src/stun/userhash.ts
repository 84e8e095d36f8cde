/**
 * USERHASH (RFC 8489 14.4): SHA-256 of (username ":" realm) after SASLprep of the username,
 * sent instead of USERNAME when the server offered username anonymity.
 */
import { createHash } from "node:crypto";
import { saslprep } from "./saslprep.js";

/** The 32-byte USERHASH value for `username` in `realm` (RFC 8489 14.4). */
export function userhash(username: string, realm: string): Uint8Array {
  return new Uint8Array(createHash("sha256").update(new TextEncoder().encode(`${saslprep(username)}:${realm}`)).digest());
}
