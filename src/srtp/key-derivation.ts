/**
 * SRTP key derivation (RFC 3711 Section 4.3) with key derivation rate 0: the session keys are
 * derived once per master key, never re-derived per packet.
 *
 *   key_id = label || r        (r = index DIV kdr = 0 when kdr is 0)
 *   x      = key_id XOR master_salt   (right-aligned, 112 bits)
 *   PRF_n(k_master, x) = AES-CM(k_master, IV = x * 2^16) truncated to n bits   (Section 4.3.3)
 *
 * AEAD_AES_256_GCM derives with AES-256 as the PRF (RFC 7714 Section 11). The AEAD suites have a
 * 96-bit master salt; like libsrtp, pion and werift (so: like every browser) we pad it on the
 * right with two zero octets to the 112-bit PRF input, and take the first 96 bits of the salt
 * PRF output as the session salt.
 */
import { createCipheriv } from "node:crypto";
import { InvalidOptionError } from "../errors.js";
import type { SrtpSuiteParams } from "./srtp-suite.js";

/** Key derivation labels, RFC 3711 Section 4.3.1 (SRTP) and 4.3.2 (SRTCP). */
export const SrtpKdfLabel = Object.freeze({
  rtpEncryption: 0x00,
  rtpAuthentication: 0x01,
  rtpSalt: 0x02,
  rtcpEncryption: 0x03,
  rtcpAuthentication: 0x04,
  rtcpSalt: 0x05,
} as const);

/** The session keys of one direction of one protocol (SRTP or SRTCP). */
export interface SrtpSessionKeySet {
  /** Session encryption key k_e. */
  readonly encryptionKey: Uint8Array;
  /** Session salt k_s (14 bytes for AES-CM, 12 for AES-GCM). */
  readonly salt: Uint8Array;
  /** Session authentication key k_a (20 bytes for HMAC-SHA1; empty for AEAD suites). */
  readonly authKey: Uint8Array;
}

/** Session keys for SRTP and SRTCP derived from one master key and salt. */
export interface SrtpSessionKeys {
  readonly rtp: SrtpSessionKeySet;
  readonly rtcp: SrtpSessionKeySet;
}

/**
 * The AES-CM PRF of RFC 3711 Section 4.3.3 with r = 0: `length` bytes of keystream for `label`.
 * `masterSalt` is 14 bytes, or 12 (AEAD suites), which is zero-padded on the right.
 */
export function srtpKdf(masterKey: Uint8Array, masterSalt: Uint8Array, label: number, length: number): Uint8Array {
  if (masterKey.length !== 16 && masterKey.length !== 32) {
    throw new InvalidOptionError(`Cannot derive SRTP keys: master key has ${masterKey.length} bytes, allowed is 16 or 32`);
  }
  if (masterSalt.length !== 14 && masterSalt.length !== 12) {
    throw new InvalidOptionError(`Cannot derive SRTP keys: master salt has ${masterSalt.length} bytes, allowed is 14 or 12`);
  }
  // IV = (key_id XOR master_salt) * 2^16: salt in bytes 0..13, label at byte 7 (r = 0 in 8..13).
  const iv = new Uint8Array(16);
  iv.set(masterSalt, 0);
  iv[7] = (iv[7] ?? 0) ^ label;
  const cipher = createCipheriv(masterKey.length === 32 ? "aes-256-ctr" : "aes-128-ctr", masterKey, iv);
  const out = cipher.update(new Uint8Array(length));
  return new Uint8Array(out.buffer, out.byteOffset, length).slice();
}

/** Derives the SRTP and SRTCP session keys of a suite (RFC 3711 Section 4.3, kdr = 0). */
export function deriveSrtpSessionKeys(
  suite: SrtpSuiteParams,
  masterKey: Uint8Array,
  masterSalt: Uint8Array,
): SrtpSessionKeys {
  const set = (enc: number, auth: number, salt: number): SrtpSessionKeySet => ({
    encryptionKey: srtpKdf(masterKey, masterSalt, enc, suite.keyLength),
    salt: srtpKdf(masterKey, masterSalt, salt, suite.saltLength),
    authKey: suite.authKeyLength > 0 ? srtpKdf(masterKey, masterSalt, auth, suite.authKeyLength) : new Uint8Array(0),
  });
  return {
    rtp: set(SrtpKdfLabel.rtpEncryption, SrtpKdfLabel.rtpAuthentication, SrtpKdfLabel.rtpSalt),
    rtcp: set(SrtpKdfLabel.rtcpEncryption, SrtpKdfLabel.rtcpAuthentication, SrtpKdfLabel.rtcpSalt),
  };
}
