/**
 * AES counter-mode keystream for SRTP and SRTCP, generated several packets at a time.
 *
 * Both SRTP ciphers are AES in counter mode over 16-octet counter blocks
 * [w0 | w1 | w2 | w3 + j], j = 0, 1, 2, ... (big-endian words), which depend only on the SSRC
 * and the packet index:
 *
 *   AES-CM  (RFC 3711 Section 4.1.1):   IV = (k_s * 2^16) XOR (SSRC * 2^64) XOR (i * 2^16),
 *                                       j in the low 16 bits
 *   AES-GCM (RFC 7714 Sections 8.1, 9.1, and GCM's CTR part, NIST SP 800-38D Section 7.1):
 *                                       block = IV (12 octets) || 32-bit counter, j + 2
 *
 * Node cannot re-IV a CTR cipher, so one `aes-*-ecb` cipher object is created once and the
 * counter blocks are encrypted with it (ECB of the counters is exactly the CTR keystream). Each
 * `update()` call costs ≈ 0.45 µs fixed (native call plus the output Buffer, which no
 * node:crypto API lets us avoid) plus ≈ 0.15 µs per 1200 bytes. Measured per 1200-byte packet on
 * this machine class (2 shared vCPUs, minimum of 15 runs): one update per packet 0.80 µs; one
 * update for 8 packets 1.75 µs, i.e. 0.22 µs per packet; 16 packets 0.19 µs per packet. (The
 * AES itself is ≈ 0.1 µs of that: OpenSSL's ECB runs at ≈ 11 GB/s here.)
 *
 * So the keystream for the next packets of an SSRC is generated ahead in one call: a sender's
 * indices are seq+1, seq+2, ... and a receiver mostly sees them in order too. A batch covers
 * indices [start, start + count) of one SSRC; any index in that range hits (also after loss or
 * reordering inside it), anything else regenerates the batch from that index. The batch length
 * adapts: doubled (up to MAX_BATCH) when at least half of the last batch was used, halved when
 * not, so random access costs little more than one packet per update. A few slots serve several
 * SSRCs at once (audio, video, RTX of one session share a key).
 *
 * Holding keystream for a few upcoming packets exposes nothing the session key held next to it
 * does not, and every (SSRC, index) still maps to exactly the keystream the RFCs define.
 */
import { createCipheriv, type Cipher } from "node:crypto";
import { xorWords } from "./xor-words.js";

/** Which counter-block layout a key uses (see the module comment). */
export const CounterLayout = Object.freeze({
  /** RFC 3711 AES-CM: SRTP index = ROC * 2^16 + SEQ, or the 31-bit SRTCP index. */
  aesCm: 0,
  /** RFC 7714 Section 8.1: IV = (00 00 || SSRC || ROC || SEQ) XOR salt, index = ROC * 2^16 + SEQ. */
  gcmRtp: 1,
  /** RFC 7714 Section 9.1: IV = (00 00 || SSRC || 00 00 || 0 || SRTCP index) XOR salt. */
  gcmRtcp: 2,
} as const);
export type CounterLayout = (typeof CounterLayout)[keyof typeof CounterLayout];

/**
 * Longest batch in packets. Per 1200-byte packet, session protect/unprotect measured (min of 21
 * runs): batches of 4: AES-CM 2.07 / 2.19 µs, GCM 3.38 / 3.35 µs; 8: 1.91 / 2.03, 3.02 / 3.09;
 * 16: 1.88 / 2.01, 2.90 / 2.89. 16 costs ≤ 20 KiB of keystream per active SSRC.
 */
const MAX_BATCH = 16;
/** Packets larger than this many blocks (2 KiB) are not batched, only generated one by one. */
const MAX_BATCH_BLOCKS = 128;
/** SSRCs with their own batch at a time (replaced round-robin). */
const SLOTS = 4;

/** The keystream generated ahead for one SSRC. */
class Batch {
  ssrc = -1;
  /** First packet index covered, and how many packets from there. */
  start = 0;
  count = 0;
  /** Keystream blocks per packet (>= every length seen on this SSRC, rounded up). */
  blocks = 0;
  /** Packets of the current batch used so far (for the adaptive length). */
  used = 0;
  /** Length of the next batch. */
  nextCount = 2;
  keystream: Uint8Array = new Uint8Array(0);
  /** Int32 view of `keystream` (made once per batch, not per packet). */
  keystreamWords: Int32Array<ArrayBufferLike> = new Int32Array(new ArrayBuffer(0));
}

export class KeystreamBatches {
  private readonly ecb: Cipher;
  private readonly layout: CounterLayout;
  /** Salt words (the 14- or 12-byte session salt, big-endian, zero-padded to 16 bytes). */
  private readonly s0: number;
  private readonly s1: number;
  private readonly s2: number;
  private readonly s3: number;
  /** Counter words of block 0 of the packet last passed to counterWords. */
  private w0 = 0;
  private w1 = 0;
  private w2 = 0;
  private w3 = 0;
  /** The words of block 0 of the first `filledPackets` packets in `counters`, laid out `filledBlocks` apart. */
  private readonly filledWords = new Array<number>(MAX_BATCH * 4).fill(0);
  private filledPackets = 0;
  private filledBlocks = -1;
  /** Counter blocks to encrypt; grown on demand (to 20 KiB for 16 packets of 1200 bytes). */
  private counters = new Uint8Array(0);
  private countersView = new DataView(this.counters.buffer);
  private countersWords = new Int32Array(this.counters.buffer);
  private readonly slots: Batch[] = [];
  private nextSlot = 0;
  /** Int32 views over the last two packet ArrayBuffers seen (source and destination). */
  private wordsA: Int32Array<ArrayBufferLike> = new Int32Array(new ArrayBuffer(0));
  private wordsB: Int32Array<ArrayBufferLike> = new Int32Array(new ArrayBuffer(0));

  /** `key` is 16 or 32 bytes (AES-128 / AES-256), `salt` the 14- or 12-byte session salt. */
  constructor(key: Uint8Array, salt: Uint8Array, layout: CounterLayout) {
    this.ecb = createCipheriv(key.length === 32 ? "aes-256-ecb" : "aes-128-ecb", key, null);
    this.ecb.setAutoPadding(false);
    this.layout = layout;
    const s = new Uint8Array(16);
    s.set(salt.subarray(0, layout === CounterLayout.aesCm ? 14 : 12));
    const v = new DataView(s.buffer);
    this.s0 = v.getUint32(0);
    this.s1 = v.getUint32(4);
    this.s2 = v.getUint32(8);
    this.s3 = v.getUint32(12);
    for (let i = 0; i < SLOTS; i++) this.slots.push(new Batch());
  }

  /** E(k, block) for one 16-byte block (e.g. GCM's hash key H = E(K, 0^128)). */
  encryptBlock(block: Uint8Array): Uint8Array {
    return Uint8Array.from(this.ecb.update(block));
  }

  /**
   * dst[dstOffset + n] = src[srcOffset + n] XOR keystream[n] for n < length, where the keystream
   * is that of packet `index` of `ssrc`. `src` and `dst` may be the same bytes (in place), not
   * otherwise overlapping.
   */
  xor(src: Uint8Array, srcOffset: number, dst: Uint8Array, dstOffset: number, length: number, ssrc: number, index: number): void {
    if (length <= 0) return;
    const blocks = (length + 15) >>> 4;
    if (blocks > MAX_BATCH_BLOCKS) {
      const ks = this.generate(ssrc, index, 1, blocks);
      this.xorBytes(src, srcOffset, dst, dstOffset, length, ks, wordsOver(ks), 0);
    } else {
      const b = this.batchFor(ssrc, index, blocks);
      this.xorBytes(src, srcOffset, dst, dstOffset, length, b.keystream, b.keystreamWords, (index - b.start) * b.blocks * 16);
    }
  }

  /**
   * Copies the first `length` bytes of the keystream of packet `index` of `ssrc` to
   * dst[dstOffset ..] (e.g. next to the packet in a PacketScratch, for its SIMD XOR).
   */
  copyKeystream(dst: Uint8Array, dstOffset: number, length: number, ssrc: number, index: number): void {
    if (length <= 0) return;
    const blocks = (length + 15) >>> 4;
    if (blocks > MAX_BATCH_BLOCKS) {
      dst.set(this.generate(ssrc, index, 1, blocks).subarray(0, length), dstOffset);
      return;
    }
    const b = this.batchFor(ssrc, index, blocks);
    const from = (index - b.start) * b.blocks * 16;
    dst.set(b.keystream.subarray(from, from + length), dstOffset);
  }

  /** `length` bytes of keystream of packet `index` of `ssrc` (a fresh array; for tests and tools). */
  keystream(length: number, ssrc: number, index: number): Uint8Array {
    return Uint8Array.from(this.generate(ssrc, index, 1, (length + 15) >>> 4).subarray(0, length));
  }

  /** The batch of `ssrc` holding packet `index` with at least `blocks` blocks, (re)generated if needed. */
  private batchFor(ssrc: number, index: number, blocks: number): Batch {
    const slots = this.slots;
    let b: Batch | undefined;
    for (let i = 0; i < SLOTS; i++) {
      const s = slots[i] as Batch;
      if (s.ssrc === ssrc) {
        b = s;
        break;
      }
    }
    if (b === undefined) {
      b = slots[this.nextSlot] as Batch;
      this.nextSlot = (this.nextSlot + 1) % SLOTS;
      b.ssrc = ssrc;
      b.count = 0;
      b.blocks = 0;
      b.used = 0;
      b.nextCount = 2;
    }
    const k = index - b.start;
    if (k >= 0 && k < b.count && blocks <= b.blocks) {
      b.used++;
      return b;
    }
    // Miss: adapt the length to how much of the previous batch served, then regenerate.
    if (b.count > 0) b.nextCount = b.used * 2 >= b.count ? Math.min(MAX_BATCH, b.count * 2) : Math.max(1, b.count >>> 1);
    // Round the per-packet room up to 8 blocks so a stream of varying sizes rarely outgrows it.
    b.blocks = Math.min(MAX_BATCH_BLOCKS, Math.max(b.blocks, (blocks + 7) & ~7));
    b.start = index;
    b.count = b.nextCount;
    b.used = 1;
    // A plain Uint8Array view of Node's Buffer: its subarray() is the fast builtin, where
    // Buffer's own subarray (a JS function making a FastBuffer) measured 1.3% of a GCM protect.
    const ks = this.generate(ssrc, index, b.count, b.blocks);
    b.keystream = new Uint8Array(ks.buffer, ks.byteOffset, ks.length);
    b.keystreamWords = wordsOver(b.keystream);
    return b;
  }

  /** Encrypts the counter blocks of `count` packets from `index`, `blocks` blocks each. */
  private generate(ssrc: number, index: number, count: number, blocks: number): Uint8Array {
    const bytes = count * blocks * 16;
    if (bytes > this.counters.length) {
      this.counters = new Uint8Array(bytes);
      this.countersView = new DataView(this.counters.buffer);
      this.countersWords = new Int32Array(this.counters.buffer);
      this.filledBlocks = -1;
    }
    const v = this.countersView;
    const u = this.countersWords;
    // Packet p's blocks start at p * blocks * 16. If the last fill used the same `blocks`, its
    // words are still there: rewrite only the word columns whose value changed. Consecutive
    // packets differ in one column (AES-CM: the SEQ word 3; GCM: the IV word 2), so this
    // writes a quarter of the words (measured: 0.28 -> 0.08 µs per 1200-byte packet).
    if (blocks !== this.filledBlocks) {
      this.filledBlocks = blocks;
      this.filledPackets = 0;
    }
    const last = this.filledWords;
    for (let p = 0; p < count; p++) {
      this.counterWords(ssrc, index + p);
      const known = p < this.filledPackets;
      const q = p << 2;
      const o = p * blocks * 16;
      if (!known || last[q] !== this.w0) fillColumn(u, v, o, blocks, this.w0, 0);
      if (!known || last[q + 1] !== this.w1) fillColumn(u, v, o + 4, blocks, this.w1, 0);
      if (!known || last[q + 2] !== this.w2) fillColumn(u, v, o + 8, blocks, this.w2, 0);
      if (!known || last[q + 3] !== this.w3) fillColumn(u, v, o + 12, blocks, this.w3, 1);
      last[q] = this.w0;
      last[q + 1] = this.w1;
      last[q + 2] = this.w2;
      last[q + 3] = this.w3;
    }
    if (count > this.filledPackets) this.filledPackets = Math.min(count, MAX_BATCH);
    return this.ecb.update(this.counters.subarray(0, bytes));
  }

  /** Sets w0..w3 to counter block 0 of packet `index` of `ssrc` for this key's layout. */
  private counterWords(ssrc: number, index: number): void {
    if (this.layout === CounterLayout.aesCm) {
      const high = Math.floor(index / 65536);
      this.w0 = this.s0;
      this.w1 = (this.s1 ^ ssrc) >>> 0;
      this.w2 = (this.s2 ^ high) >>> 0;
      this.w3 = ((this.s3 ^ ((index & 0xffff) << 16)) & 0xffff0000) >>> 0;
    } else if (this.layout === CounterLayout.gcmRtp) {
      const roc = Math.floor(index / 65536) >>> 0;
      this.w0 = (this.s0 ^ (ssrc >>> 16)) >>> 0;
      this.w1 = (this.s1 ^ ((ssrc << 16) | (roc >>> 16))) >>> 0;
      this.w2 = (this.s2 ^ ((roc << 16) | (index & 0xffff))) >>> 0;
      this.w3 = 2;
    } else {
      this.w0 = (this.s0 ^ (ssrc >>> 16)) >>> 0;
      this.w1 = (this.s1 ^ (ssrc << 16)) >>> 0;
      this.w2 = (this.s2 ^ (index & 0x7fffffff)) >>> 0;
      this.w3 = 2;
    }
  }

  /**
   * The XOR, 32 bits at a time when source, destination and keystream are 4-byte aligned,
   * through Int32Array views (`ksWords` views all of ks's ArrayBuffer). Measured per 1188 bytes:
   * byte-wise 1.0 µs, word-wise 0.15 µs. Each `.buffer` / view lookup costs 15..40 ns, which
   * added up to 0.3 µs per packet, so the views of the last source and destination are cached by
   * array identity (callers reuse their buffers), falling back to a per-ArrayBuffer cache.
   */
  private xorBytes(
    src: Uint8Array, srcOffset: number, dst: Uint8Array, dstOffset: number, length: number,
    ks: Uint8Array, ksWords: Int32Array, ksOffset: number,
  ): void {
    const s = src.byteOffset + srcOffset;
    const d = dst.byteOffset + dstOffset;
    const k = ks.byteOffset + ksOffset;
    let n = 0;
    if (length >= 16 && ((s | d | k) & 3) === 0) {
      let sw: Int32Array;
      if (src === this.srcArray) {
        sw = this.srcWords;
      } else {
        sw = this.wordsOf(src.buffer);
        this.srcArray = src;
        this.srcWords = sw;
      }
      let dw: Int32Array;
      if (dst === this.dstArray) {
        dw = this.dstWords;
      } else {
        dw = this.wordsOf(dst.buffer);
        this.dstArray = dst;
        this.dstWords = dw;
      }
      const words = length >>> 2;
      xorWords(dw, d >> 2, sw, s >> 2, ksWords, k >> 2, words);
      n = words << 2;
    }
    for (; n < length; n++) dst[dstOffset + n] = (src[srcOffset + n] as number) ^ (ks[ksOffset + n] as number);
  }

  private srcArray: Uint8Array | undefined;
  private srcWords: Int32Array<ArrayBufferLike> = new Int32Array(new ArrayBuffer(0));
  private dstArray: Uint8Array | undefined;
  private dstWords: Int32Array<ArrayBufferLike> = new Int32Array(new ArrayBuffer(0));

  private wordsOf(buffer: ArrayBufferLike): Int32Array {
    if (this.wordsA.buffer === buffer) return this.wordsA;
    if (this.wordsB.buffer === buffer) return this.wordsB;
    const w = wordsOver(buffer);
    this.wordsB = this.wordsA;
    this.wordsA = w;
    return w;
  }
}

const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

/**
 * Writes `w + j * step` big-endian to the word at byte o + 16 * j, for j < blocks. A constant
 * column (step 0) is byte-swapped once and stored through the Int32Array view (80 stores per
 * 1200-byte packet: 0.03 µs, against 0.12 µs through DataView.setUint32).
 */
function fillColumn(u: Int32Array, v: DataView, o: number, blocks: number, w: number, step: number): void {
  if (step === 0 && LITTLE_ENDIAN) {
    const x = ((w & 0xff) << 24) | ((w & 0xff00) << 8) | ((w >>> 8) & 0xff00) | (w >>> 24);
    for (let j = 0, k = o >>> 2; j < blocks; j++, k += 4) u[k] = x;
    return;
  }
  for (let j = 0; j < blocks; j++, o += 16) v.setUint32(o, (w + j * step) >>> 0);
}

/** An Int32Array over the whole of an ArrayBuffer (or of the buffer under a byte array). */
function wordsOver(b: ArrayBufferLike | Uint8Array): Int32Array {
  const buffer = b instanceof Uint8Array ? b.buffer : b;
  return new Int32Array(buffer, 0, buffer.byteLength >>> 2);
}
