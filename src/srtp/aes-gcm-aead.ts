/**
 * AES-GCM as SRTP and SRTCP use it (RFC 7714 Sections 8 and 9): 12-octet IVs formed from the
 * session salt, SSRC and packet index, 16-octet tags.
 *
 * What limits GCM in Node: `node:crypto` cannot set a new IV on an existing GCM cipher, so every
 * packet needs its own `createCipheriv` / `createDecipheriv` (≈ 1.2 µs here: a native context, the
 * AES key schedule and the GHASH key table, plus the JS wrapper object), and then four more
 * native calls (setAAD, update, final, getAuthTag/setAuthTag), two of which allocate Buffers.
 * The AES-GCM arithmetic itself is well under 1 µs for 1200 bytes. We keep the key as a
 * KeyObject, reuse the IV and AAD scratch, and copy results into the caller's buffer, but the
 * per-packet object stays. (A GHASH in TypeScript over a reused ECB keystream would avoid it,
 * but a fast one is table-driven, hence not constant-time, and at ~75 GF(2^128) multiplications
 * per 1200 bytes it would cost about what the per-packet object does; not pursued.)
 */
import { createCipheriv, createDecipheriv, createSecretKey, type KeyObject } from "node:crypto";

export class AesGcmAead {
  private readonly algorithm: "aes-128-gcm" | "aes-256-gcm";
  private readonly key: KeyObject;
  private readonly salt: Uint8Array;
  /** The IV of the next seal/open, set by rtpIv/rtcpIv. */
  private readonly iv = new Uint8Array(12);
  private readonly ivView = new DataView(this.iv.buffer);

  /** `key` is 16 or 32 bytes, `salt` 12 bytes (the session key and salt). */
  constructor(key: Uint8Array, salt: Uint8Array) {
    this.algorithm = key.length === 32 ? "aes-256-gcm" : "aes-128-gcm";
    this.key = createSecretKey(key);
    this.salt = salt.slice(0, 12);
  }

  /** IV = (00 00 || SSRC || ROC || SEQ) XOR salt, RFC 7714 Section 8.1. */
  rtpIv(ssrc: number, roc: number, seq: number): void {
    const v = this.ivView;
    const s = this.salt;
    v.setUint16(0, 0);
    v.setUint32(2, ssrc);
    v.setUint32(6, roc);
    v.setUint16(10, seq);
    for (let i = 0; i < 12; i++) this.iv[i] = (this.iv[i] as number) ^ (s[i] as number);
  }

  /** IV = (00 00 || SSRC || 00 00 || 0 || SRTCP index) XOR salt, RFC 7714 Section 9.1. */
  rtcpIv(ssrc: number, index: number): void {
    const v = this.ivView;
    const s = this.salt;
    v.setUint16(0, 0);
    v.setUint32(2, ssrc);
    v.setUint16(6, 0);
    v.setUint32(8, index & 0x7fffffff);
    for (let i = 0; i < 12; i++) this.iv[i] = (this.iv[i] as number) ^ (s[i] as number);
  }

  /**
   * Encrypts `plaintext` with the current IV and writes ciphertext || 16-byte tag to
   * dst[dstOffset ..]. `plaintext` may alias that destination (it is consumed first).
   */
  seal(aad: Uint8Array, plaintext: Uint8Array, dst: Uint8Array, dstOffset: number): void {
    const c = createCipheriv(this.algorithm, this.key, this.iv);
    c.setAAD(aad);
    const n = plaintext.length;
    if (n > 0) dst.set(c.update(plaintext), dstOffset);
    c.final();
    dst.set(c.getAuthTag(), dstOffset + n);
  }

  /**
   * Checks the 16-byte `tag` over aad and ciphertext, and only then writes the plaintext to
   * dst[dstOffset ..]. Returns false (writing nothing) when the tag does not verify.
   */
  open(aad: Uint8Array, ciphertext: Uint8Array, tag: Uint8Array, dst: Uint8Array, dstOffset: number): boolean {
    // Tags are always 16 bytes here, so no authTagLength option (parsing it costs per packet).
    const d = createDecipheriv(this.algorithm, this.key, this.iv);
    d.setAAD(aad);
    d.setAuthTag(tag);
    const plain = ciphertext.length > 0 ? d.update(ciphertext) : undefined;
    try {
      d.final();
    } catch {
      return false;
    }
    if (plain !== undefined) dst.set(plain, dstOffset);
    return true;
  }
}
