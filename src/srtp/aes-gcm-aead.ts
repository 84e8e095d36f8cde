/**
 * AES-GCM as SRTP and SRTCP use it (RFC 7714 Sections 8 and 9): 12-octet IVs formed from the
 * session salt, SSRC and packet index, 16-octet tags.
 *
 * What limits GCM in Node: `node:crypto` cannot set a new IV on an existing GCM cipher, so every
 * packet needs its own `createCipheriv` / `createDecipheriv` object. Measured per packet
 * (minimum of 15 runs, 2 shared vCPUs): createCipheriv ≈ 1.2 µs (OpenSSL 3 fetches the cipher,
 * expands the key and the GHASH table on every init, plus the JS wrapper), setAAD of 1200 bytes
 * ≈ 0.15 µs, `final()` ≈ 0.35 µs and `getAuthTag()` ≈ 0.3 µs (each allocates a Buffer): 2.1 µs
 * in all, before any work of ours, plus ≈ 0.25 µs of scavenger time per packet for the dead
 * native objects (weak callbacks). Driving the native CipherBase handle directly, without the
 * JS wrapper, saved only 0.1 µs (2.16 -> 2.06 µs) and would depend on Node internals: not done.
 * That per-packet object is the floor of this class; werift pays it too, so against werift GCM
 * gains far less than AES-CM (where no per-packet object is needed).
 *
 * What we avoid is the rest of the native GCM path. createCipheriv + setAAD(header) +
 * update(payload) + final + getAuthTag measured 3.15 µs; the same object fed the same bytes as
 * AAD only (setAAD + final + getAuthTag) 2.08 µs — `update` allocates a 1.2 KB output Buffer
 * and OpenSSL's GCM encryption runs at only ≈ 2.3 GB/s here (AES-ECB: ≈ 11 GB/s). So:
 *
 *   - the CTR part (GCM's counter blocks IV || 2, IV || 3, ...) comes from KeystreamBatches,
 *     generated up to 16 packets ahead with one reused ECB cipher (≈ 0.2 µs per packet), and is
 *     XORed on in the PacketScratch (WASM SIMD, ≈ 0.1 µs with the copies);
 *   - the tag comes from a per-packet GCM object given A' = pad16(AAD) || C as AAD and no text.
 *     GHASH over A' hashes the same blocks as GHASH over (AAD, C) except the final length
 *     block: L' = [len(A')]64 || [0]64 instead of L = [len(AAD)]64 || [len(C)]64. GHASH is
 *     sum(X_i * H^(m-i+1)), the length block being multiplied by H once, so
 *       tag(AAD, C) = tag'(A') XOR ((L XOR L') * H).
 *     (L XOR L') * H depends only on the two (public) lengths and the key: computed once per
 *     length pair with a constant-time GF(2^128) multiply and cached. Verification hands
 *     OpenSSL the received tag XOR that correction, so the comparison stays OpenSSL's constant-
 *     time one, and nothing is decrypted before it succeeded.
 *
 * Result per 1200-byte RTP packet (SrtpSession, min of 21 runs): seal 3.36 -> 2.86 µs, open
 * 3.52 -> 2.88 µs. A full GHASH in TypeScript/WASM (no carry-less multiply there) would either
 * be table-driven, hence not constant-time, or cost several µs per packet; not pursued.
 */
import { createCipheriv, createDecipheriv, createSecretKey, type KeyObject } from "node:crypto";
import { gf128Multiply } from "./gf128-multiply.js";
import { CounterLayout, KeystreamBatches } from "./keystream-batches.js";
import { PacketScratch } from "./packet-scratch.js";

/** PacketScratch view slots. */
const VIEW_AAD = 0;
const VIEW_TEXT = 1;

/** Length pairs whose tag correction is cached (an RTP stream uses a handful). */
const MAX_CACHED_CORRECTIONS = 256;

export class AesGcmAead {
  private readonly algorithm: "aes-128-gcm" | "aes-256-gcm";
  private readonly key: KeyObject;
  private readonly rawKey: Uint8Array;
  private readonly salt: Uint8Array;
  /** The IV of the next seal/open, set by rtpIv/rtcpIv, and what it was made of. */
  private readonly iv = new Uint8Array(12);
  private readonly ivView = new DataView(this.iv.buffer);
  private ssrc = 0;
  private index = 0;
  private layout: CounterLayout = CounterLayout.gcmRtp;
  private rtpBatches: KeystreamBatches | undefined;
  private rtcpBatches: KeystreamBatches | undefined;
  /** GCM's hash key H = E(K, 0^128). */
  private readonly hashKey: Uint8Array;
  private readonly corrections = new Map<number, Uint8Array>();
  /** Where [pad16(AAD) | text] is laid out for the XOR and the tag computation. */
  private readonly scratch: PacketScratch;
  private readonly expectedTag = new Uint8Array(16);

  /**
   * `key` is 16 or 32 bytes, `salt` 12 bytes (the session key and salt); `scratch` may be
   * shared with other contexts of the same session.
   */
  constructor(key: Uint8Array, salt: Uint8Array, scratch: PacketScratch = new PacketScratch()) {
    this.scratch = scratch;
    this.algorithm = key.length === 32 ? "aes-256-gcm" : "aes-128-gcm";
    this.key = createSecretKey(key);
    this.rawKey = key.slice();
    this.salt = salt.slice(0, 12);
    this.hashKey = this.batches(CounterLayout.gcmRtp).encryptBlock(new Uint8Array(16));
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
    this.ssrc = ssrc >>> 0;
    this.index = (roc >>> 0) * 65536 + (seq & 0xffff);
    this.layout = CounterLayout.gcmRtp;
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
    this.ssrc = ssrc >>> 0;
    this.index = index & 0x7fffffff;
    this.layout = CounterLayout.gcmRtcp;
  }

  /**
   * Encrypts `plaintext` with the current IV and writes ciphertext || 16-byte tag to
   * dst[dstOffset ..]. `plaintext` may alias that destination (it is consumed first).
   */
  seal(aad: Uint8Array, plaintext: Uint8Array, dst: Uint8Array, dstOffset: number): void {
    const n = plaintext.length;
    const sc = this.scratch;
    // Layout: [pad16(AAD) | text | pad | keystream]; the text becomes C in place.
    const g = this.placeAad(aad, n);
    const a16 = (aad.length + 15) & ~15;
    const mem = sc.bytes;
    mem.set(plaintext, g + a16);
    this.encryptInScratch(g + a16, n);
    const c = createCipheriv(this.algorithm, this.key, this.iv);
    c.setAAD(sc.view(VIEW_AAD, g, a16 + n));
    c.final();
    const t = c.getAuthTag();
    if (n > 0) dst.set(sc.view(VIEW_TEXT, g + a16, n), dstOffset);
    const corr = this.correction(aad.length, n);
    for (let i = 0; i < 16; i++) dst[dstOffset + n + i] = (t[i] as number) ^ (corr[i] as number);
  }

  /**
   * Checks the 16-byte `tag` over aad and ciphertext, and only then writes the plaintext to
   * dst[dstOffset ..]. Returns false (writing nothing) when the tag does not verify.
   */
  open(aad: Uint8Array, ciphertext: Uint8Array, tag: Uint8Array, dst: Uint8Array, dstOffset: number): boolean {
    const n = ciphertext.length;
    const sc = this.scratch;
    const g = this.placeAad(aad, n);
    const a16 = (aad.length + 15) & ~15;
    sc.bytes.set(ciphertext, g + a16);
    const corr = this.correction(aad.length, n);
    const expected = this.expectedTag;
    for (let i = 0; i < 16; i++) expected[i] = (tag[i] as number) ^ (corr[i] as number);
    // Tags are always 16 bytes here, so no authTagLength option (parsing it costs per packet).
    const d = createDecipheriv(this.algorithm, this.key, this.iv);
    d.setAAD(sc.view(VIEW_AAD, g, a16 + n));
    d.setAuthTag(expected);
    try {
      d.final();
    } catch {
      return false;
    }
    // Authenticated: decrypt the scratch copy (so dst may alias the ciphertext) and copy out.
    this.encryptInScratch(g + a16, n);
    if (n > 0) dst.set(sc.view(VIEW_TEXT, g + a16, n), dstOffset);
    return true;
  }

  /**
   * seal() for a packet laid out as AAD || plaintext (SRTP: header || payload): writes
   * packet[0 .. aadLength) || ciphertext || tag to dst[dstOffset ..]. The packet is copied into
   * the scratch first, so dst may alias it in any way; no sub-views of it are made.
   */
  sealPacket(packet: Uint8Array, aadLength: number, textLength: number, dst: Uint8Array, dstOffset: number): void {
    const a16 = (aadLength + 15) & ~15;
    const n = textLength;
    const g = this.placePacket(packet, aadLength, n, 0);
    this.encryptInScratch(g + a16, n);
    const c = createCipheriv(this.algorithm, this.key, this.iv);
    c.setAAD(this.scratch.view(VIEW_AAD, g, a16 + n));
    c.final();
    const t = c.getAuthTag();
    const mem = this.scratch.bytes;
    for (let i = 0; i < aadLength; i++) dst[dstOffset + i] = mem[g + i] as number;
    const at = dstOffset + aadLength;
    if (n > 0) dst.set(this.scratch.view(VIEW_TEXT, g + a16, n), at);
    const corr = this.correction(aadLength, n);
    for (let i = 0; i < 16; i++) dst[at + n + i] = (t[i] as number) ^ (corr[i] as number);
  }

  /**
   * open() for a packet laid out as AAD || ciphertext || 16-byte tag: on success writes
   * packet[0 .. aadLength) || plaintext to dst[dstOffset ..] and returns true; on failure
   * writes nothing. dst may alias the packet in any way.
   */
  openPacket(packet: Uint8Array, aadLength: number, textLength: number, dst: Uint8Array, dstOffset: number): boolean {
    const a16 = (aadLength + 15) & ~15;
    const n = textLength;
    const g = this.placePacket(packet, aadLength, n, 16);
    const corr = this.correction(aadLength, n);
    const expected = this.expectedTag;
    const tagAt = aadLength + n;
    for (let i = 0; i < 16; i++) expected[i] = (packet[tagAt + i] as number) ^ (corr[i] as number);
    const d = createDecipheriv(this.algorithm, this.key, this.iv);
    d.setAAD(this.scratch.view(VIEW_AAD, g, a16 + n));
    d.setAuthTag(expected);
    try {
      d.final();
    } catch {
      return false;
    }
    this.encryptInScratch(g + a16, n);
    const mem = this.scratch.bytes;
    for (let i = 0; i < aadLength; i++) dst[dstOffset + i] = mem[g + i] as number;
    if (n > 0) dst.set(this.scratch.view(VIEW_TEXT, g + a16, n), dstOffset + aadLength);
    return true;
  }

  /**
   * Copies packet[0 .. aadLength + n + extra) into the scratch as [pad16(AAD) | text | extra]
   * and returns where it starts: the whole packet is copied so that its text lands at
   * pad16(AAD) (one copy, no sub-view), then the AAD and the zero padding are rewritten.
   */
  private placePacket(packet: Uint8Array, aadLength: number, n: number, extra: number): number {
    const a16 = (aadLength + 15) & ~15;
    const g = this.scratch.reserve(a16 + 2 * n + extra + 48);
    const mem = this.scratch.bytes;
    mem.set(packet, g + a16 - aadLength);
    for (let i = aadLength - 1; i >= 0; i--) mem[g + i] = packet[i] as number;
    for (let i = aadLength; i < a16; i++) mem[g + i] = 0;
    return g;
  }

  /**
   * Reserves scratch for pad16(aad) + n bytes of text + their keystream, writes pad16(aad) at
   * its start and returns that position.
   */
  private placeAad(aad: Uint8Array, n: number): number {
    const a = aad.length;
    const a16 = (a + 15) & ~15;
    const g = this.scratch.reserve(a16 + 2 * n + 48);
    const mem = this.scratch.bytes;
    if (a <= 64) {
      for (let i = 0; i < a; i++) mem[g + i] = aad[i] as number;
    } else {
      mem.set(aad, g);
    }
    for (let i = a; i < a16; i++) mem[g + i] = 0;
    return g;
  }

  /** XORs the CTR keystream of the current IV onto scratch[at .. at + n). */
  private encryptInScratch(at: number, n: number): void {
    if (n <= 0) return;
    // After the text and a possible 16-byte tag copied behind it.
    const k = (at + n + 16 + 15) & ~15;
    this.batches(this.layout).copyKeystream(this.scratch.bytes, k, n, this.ssrc, this.index);
    this.scratch.xorInto(at, k, n);
  }

  /** (L XOR L') * H for an AAD of `a` bytes and a text of `n` bytes (see the module comment). */
  private correction(a: number, n: number): Uint8Array {
    const key = a * 0x100000 + n;
    let c = this.corrections.get(key);
    if (c === undefined) {
      const a16 = (a + 15) & ~15;
      // Bit lengths as 64-bit big-endian numbers; all fit 2^53, so split by division.
      const x = new Uint8Array(16);
      const v = new DataView(x.buffer);
      const lenA = a * 8;
      const lenAPrime = (a16 + n) * 8;
      v.setUint32(0, (Math.floor(lenA / 2 ** 32) ^ Math.floor(lenAPrime / 2 ** 32)) >>> 0);
      v.setUint32(4, ((lenA >>> 0) ^ (lenAPrime >>> 0)) >>> 0);
      v.setUint32(8, Math.floor((n * 8) / 2 ** 32) >>> 0);
      v.setUint32(12, (n * 8) >>> 0);
      c = gf128Multiply(x, this.hashKey);
      if (this.corrections.size >= MAX_CACHED_CORRECTIONS) this.corrections.clear();
      this.corrections.set(key, c);
    }
    return c;
  }

  private batches(layout: CounterLayout): KeystreamBatches {
    if (layout === CounterLayout.gcmRtcp) {
      return (this.rtcpBatches ??= new KeystreamBatches(this.rawKey, this.salt, CounterLayout.gcmRtcp));
    }
    return (this.rtpBatches ??= new KeystreamBatches(this.rawKey, this.salt, CounterLayout.gcmRtp));
  }
}
