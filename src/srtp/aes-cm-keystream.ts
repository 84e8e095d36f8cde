/**
 * AES in counter mode as SRTP defines it (RFC 3711 Section 4.1.1), built for the hot path.
 *
 *   IV = (k_s * 2^16) XOR (SSRC * 2^64) XOR (i * 2^16)
 *   keystream = E(k_e, IV) || E(k_e, IV + 1) || E(k_e, IV + 2) || ...
 *
 * A thin front of KeystreamBatches with the AES-CM counter layout: one reused `aes-*-ecb`
 * cipher encrypts the counter blocks of several upcoming packets per `update()` call, and the
 * keystream is XORed onto the payload 32 bits at a time (see KeystreamBatches for the numbers).
 */
import { CounterLayout, KeystreamBatches } from "./keystream-batches.js";

export class AesCmKeystream {
  private readonly batches: KeystreamBatches;

  /** `sessionKey` is 16 or 32 bytes (AES-128 / AES-256); `sessionSalt` is 14 bytes. */
  constructor(sessionKey: Uint8Array, sessionSalt: Uint8Array) {
    this.batches = new KeystreamBatches(sessionKey, sessionSalt, CounterLayout.aesCm);
  }

  /**
   * XORs the keystream for packet index i = indexHigh * 2^16 + indexLow16 of `ssrc` onto
   * `buf[offset .. offset + length)`, in place. For SRTP, indexHigh is the ROC and indexLow16 the
   * sequence number; for SRTCP, i is the 31-bit SRTCP index.
   */
  xorInPlace(buf: Uint8Array, offset: number, length: number, ssrc: number, indexHigh: number, indexLow16: number): void {
    this.batches.xor(buf, offset, buf, offset, length, ssrc >>> 0, indexHigh * 65536 + (indexLow16 & 0xffff));
  }

  /**
   * dst[dstOffset ..] = src[srcOffset ..] XOR the keystream of packet `index` (ROC * 2^16 + SEQ,
   * or the SRTCP index) of `ssrc`, for `length` bytes: the copy and the XOR in one pass.
   */
  xor(src: Uint8Array, srcOffset: number, dst: Uint8Array, dstOffset: number, length: number, ssrc: number, index: number): void {
    this.batches.xor(src, srcOffset, dst, dstOffset, length, ssrc, index);
  }

  /** Copies `length` bytes of the keystream of packet `index` of `ssrc` to dst[dstOffset ..]. */
  copyKeystream(dst: Uint8Array, dstOffset: number, length: number, ssrc: number, index: number): void {
    this.batches.copyKeystream(dst, dstOffset, length, ssrc, index);
  }

  /** Returns `length` bytes of keystream (a fresh array; for tests and tools, not the hot path). */
  keystream(length: number, ssrc: number, indexHigh: number, indexLow16: number): Uint8Array {
    return this.batches.keystream(length, ssrc >>> 0, indexHigh * 65536 + (indexLow16 & 0xffff));
  }
}
