/**
 * The fast paths of SrtpSession (keystream generated several packets ahead per SSRC, packet
 * scratch in WASM memory, GCM tags from an AAD-only GHASH plus a length correction) against a
 * straightforward per-packet node:crypto implementation of RFC 3711 / RFC 7714, over access
 * patterns that defeat the prediction: gaps, reordering, repeats, ROC wrap, more SSRCs than
 * batch slots, sizes that grow past the batched maximum.
 */
import { createCipheriv, createHmac } from "node:crypto";
import { describe, expect, it } from "vitest";
import { AesGcmAead } from "../../src/srtp/aes-gcm-aead.js";
import { gf128Multiply } from "../../src/srtp/gf128-multiply.js";
import { PacketScratch } from "../../src/srtp/packet-scratch.js";
import { deriveSrtpSessionKeys } from "../../src/srtp/key-derivation.js";
import { CounterLayout, KeystreamBatches } from "../../src/srtp/keystream-batches.js";
import { SrtpSession } from "../../src/srtp/srtp-session.js";
import { SRTP_SUITES, type SrtpSuiteName } from "../../src/srtp/srtp-suite.js";
import { SeededRandom } from "../../src/util/seeded-random.js";
import { WasmKernels } from "../../src/wasm/kernels.js";
import { toHex } from "./hex.js";

type Suite = "AES_CM_128_HMAC_SHA1_80" | "AEAD_AES_128_GCM" | "AEAD_AES_256_GCM";

/** RFC 3711 / RFC 7714 SRTP protect with fresh node:crypto objects per packet (the reference). */
function referenceProtect(suite: Suite, masterKey: Uint8Array, masterSalt: Uint8Array, packet: Uint8Array, roc: number): Uint8Array {
  const params = SRTP_SUITES[suite];
  const keys = deriveSrtpSessionKeys(params, masterKey, masterSalt).rtp;
  const view = new DataView(packet.buffer, packet.byteOffset, packet.length);
  const seq = view.getUint16(2);
  const ssrc = view.getUint32(8);
  const header = packet.subarray(0, 12);
  const payload = packet.subarray(12);
  if (params.aead) {
    const iv = new Uint8Array(12);
    const v = new DataView(iv.buffer);
    v.setUint32(2, ssrc);
    v.setUint32(6, roc);
    v.setUint16(10, seq);
    for (let i = 0; i < 12; i++) iv[i] = (iv[i] as number) ^ (keys.salt[i] as number);
    const c = createCipheriv(keys.encryptionKey.length === 32 ? "aes-256-gcm" : "aes-128-gcm", keys.encryptionKey, iv);
    c.setAAD(header);
    const enc = c.update(payload);
    c.final();
    return Buffer.concat([header, enc, c.getAuthTag()]);
  }
  const iv = new Uint8Array(16);
  const v = new DataView(iv.buffer);
  v.setUint32(4, ssrc);
  v.setUint32(8, roc);
  v.setUint16(12, seq);
  for (let i = 0; i < 14; i++) iv[i] = (iv[i] as number) ^ (keys.salt[i] as number);
  const enc = createCipheriv("aes-128-ctr", keys.encryptionKey, iv).update(payload);
  const rocBytes = new Uint8Array(4);
  new DataView(rocBytes.buffer).setUint32(0, roc);
  const tag = createHmac("sha1", keys.authKey).update(header).update(enc).update(rocBytes).digest().subarray(0, params.rtpTagLength);
  return Buffer.concat([header, enc, tag]);
}

function rtpPacket(rnd: SeededRandom, seq: number, ssrc: number, payloadBytes: number): Uint8Array {
  const p = rnd.fill(new Uint8Array(12 + payloadBytes));
  p[0] = 0x80;
  p[1] = 96;
  p[2] = seq >>> 8;
  p[3] = seq & 0xff;
  new DataView(p.buffer).setUint32(8, ssrc);
  return p;
}

/** (seq offset from the start, ssrc index, payload bytes) for a hostile access pattern. */
function pattern(rnd: SeededRandom): Array<[number, number, number]> {
  const out: Array<[number, number, number]> = [];
  let next = [0, 0, 0, 0, 0, 0];
  for (let i = 0; i < 400; i++) {
    const s = i < 100 ? 0 : rnd.int(0, 5); // first one stream in order, then six interleaved
    let seq = next[s] as number;
    const r = rnd.next();
    if (r < 0.1) seq += rnd.int(2, 20); // loss
    else if (r < 0.15) seq -= rnd.int(1, 5); // late packet (reordered) or repeat
    next[s] = Math.max(next[s] as number, seq + 1);
    const sizes = [0, 1, 15, 16, 17, 160, 1188, 1188, 1188, 2100, 4000];
    const size = i < 100 ? (i < 50 ? 1188 : rnd.int(100, 1400)) : (sizes[rnd.int(0, sizes.length - 1)] as number);
    out.push([seq, s, size]);
  }
  return out;
}

describe.each<[Suite]>([["AES_CM_128_HMAC_SHA1_80"], ["AEAD_AES_128_GCM"], ["AEAD_AES_256_GCM"]])("batched keystream, %s", (suite) => {
  const params = SRTP_SUITES[suite as SrtpSuiteName];
  const rnd = new SeededRandom(99);
  const masterKey = rnd.fill(new Uint8Array(params.keyLength));
  const masterSalt = rnd.fill(new Uint8Array(params.saltLength));
  const ssrcs = [0x01020304, 0xfffffffe, 0, 0x7fffffff, 0x80000000, 0x55aa55aa];

  it("protect equals per-packet node:crypto for gaps, reordering, repeats, 6 SSRCs, many sizes, ROC wrap", () => {
    const tx = new SrtpSession({ suite, masterKey, masterSalt });
    const start = 65536 - 150; // the first stream wraps its sequence number after 150 packets
    for (const [off, s, size] of pattern(new SeededRandom(5))) {
      const ssrc = ssrcs[s] as number;
      const ext = start + off;
      const packet = rtpPacket(rnd, ext & 0xffff, ssrc, size);
      // The sender's ROC advances when the sequence number wraps; the pattern never goes back
      // more than a few packets, so the ROC of `ext` is floor(ext / 2^16).
      const roc = Math.floor(ext / 65536);
      const sealed = tx.protectRtp(packet);
      expect(toHex(sealed)).toBe(toHex(referenceProtect(suite, masterKey, masterSalt, packet, roc)));
    }
  });

  it("unprotect of out-of-order packets of several SSRCs, into dst at odd offsets and in place", () => {
    const tx = new SrtpSession({ suite, masterKey, masterSalt });
    const rx = new SrtpSession({ suite, masterKey, masterSalt });
    const plain: Uint8Array[] = [];
    const sealed: Uint8Array[] = [];
    for (let i = 0; i < 300; i++) {
      const p = rtpPacket(rnd, (65500 + i) & 0xffff, ssrcs[i % 5] as number, [1188, 0, 33, 2500, 700][i % 5] as number);
      plain.push(p);
      sealed.push(tx.protectRtp(p).slice());
    }
    // Swap neighbours in blocks (late packets within the replay window).
    const order = plain.map((_, i) => i);
    for (let i = 0; i + 7 < order.length; i += 7) [order[i], order[i + 6]] = [order[i + 6] as number, order[i] as number];
    const out = new Uint8Array(4000);
    for (const [k, i] of order.entries()) {
      const s = sealed[i] as Uint8Array;
      if (k % 3 === 0) {
        const buf = s.slice();
        const n = rx.unprotectRtpInto(buf, buf, 0);
        expect(toHex(buf.subarray(0, n))).toBe(toHex(plain[i] as Uint8Array));
      } else {
        const n = rx.unprotectRtpInto(s, out, k % 7);
        expect(toHex(out.subarray(k % 7, (k % 7) + n))).toBe(toHex(plain[i] as Uint8Array));
      }
    }
    expect(rx.stats().unprotected).toBe(300);
  });
});

describe("PacketScratch", () => {
  it("keeps working when another kernel user grows linear memory between packets", () => {
    for (const suite of ["AES_CM_128_HMAC_SHA1_80", "AEAD_AES_128_GCM"] as const) {
      const params = SRTP_SUITES[suite];
      const rnd = new SeededRandom(8);
      const opts = { suite, masterKey: rnd.fill(new Uint8Array(params.keyLength)), masterSalt: rnd.fill(new Uint8Array(params.saltLength)) };
      const tx = new SrtpSession(opts);
      const rx = new SrtpSession(opts);
      const kernels = WasmKernels.get();
      for (let i = 0; i < 6; i++) {
        const p = rtpPacket(rnd, i, 0x1234, 900);
        const sealed = tx.protectRtp(p);
        expect(toHex(sealed)).toBe(toHex(referenceProtect(suite, opts.masterKey, opts.masterSalt, p, 0)));
        expect(toHex(rx.unprotectRtp(sealed))).toBe(toHex(p));
        // xorInto lays out two copies: this grows memory by about a page each time (detaching
        // every earlier view of it).
        const before = kernels.memoryBytes;
        const big = new Uint8Array((before >>> 1) + 65536);
        kernels.xorInto(big.slice(), big);
        expect(kernels.memoryBytes).toBeGreaterThan(before);
      }
    }
  });
});

describe("PacketScratch TypeScript fallback (no WASM kernels)", () => {
  it("xorInto matches the WASM kernel at any alignment and length", () => {
    const rnd = new SeededRandom(21);
    const wasm = new PacketScratch();
    const ts = new PacketScratch(null);
    expect(ts.usesWasm).toBe(false);
    for (const [dst, src, len] of [[0, 2048, 1200], [3, 1501, 77], [16, 1040, 1], [64, 2000, 0]] as const) {
      const data = rnd.fill(new Uint8Array(4096));
      for (const sc of [wasm, ts]) {
        const at = sc.reserve(4096);
        sc.bytes.set(data, at);
        sc.xorInto(at + dst, at + src, len);
      }
      const a = wasm.bytes.slice(wasm.reserve(4096), wasm.reserve(4096) + 4096);
      const b = ts.bytes.slice(ts.reserve(4096), ts.reserve(4096) + 4096);
      expect(toHex(b)).toBe(toHex(a));
    }
  });

  it("AES-GCM seal/open give the same bytes on both paths", () => {
    const rnd = new SeededRandom(22);
    const key = rnd.fill(new Uint8Array(16));
    const salt = rnd.fill(new Uint8Array(12));
    const a = new AesGcmAead(key, salt);
    const b = new AesGcmAead(key, salt, new PacketScratch(null));
    for (const n of [0, 5, 1188]) {
      const packet = rnd.fill(new Uint8Array(12 + n));
      const outA = new Uint8Array(12 + n + 16);
      const outB = new Uint8Array(12 + n + 16);
      a.rtpIv(0x1234, 1, 77 + n);
      b.rtpIv(0x1234, 1, 77 + n);
      a.sealPacket(packet, 12, n, outA, 0);
      b.sealPacket(packet, 12, n, outB, 0);
      expect(toHex(outB)).toBe(toHex(outA));
      const back = new Uint8Array(12 + n);
      expect(b.openPacket(outA, 12, n, back, 0)).toBe(true);
      expect(toHex(back)).toBe(toHex(packet));
    }
  });
});

describe("KeystreamBatches", () => {
  it("copyKeystream and xor give keystream() for any index, in any order, per layout", () => {
    const rnd = new SeededRandom(3);
    for (const layout of [CounterLayout.aesCm, CounterLayout.gcmRtp, CounterLayout.gcmRtcp]) {
      const key = rnd.fill(new Uint8Array(16));
      const salt = rnd.fill(new Uint8Array(14));
      const fast = new KeystreamBatches(key, salt, layout);
      const reference = new KeystreamBatches(key, salt, layout);
      for (let i = 0; i < 200; i++) {
        const ssrc = [7, 8, 9, 10, 11][rnd.int(0, 4)] as number;
        const index = 65530 + rnd.int(0, 20) + (i % 2) * 65536 * 3;
        const length = [1, 16, 100, 1200, 2100][rnd.int(0, 4)] as number;
        const expected = reference.keystream(length, ssrc, index);
        const copy = new Uint8Array(length + 5);
        fast.copyKeystream(copy, 5, length, ssrc, index);
        expect(toHex(copy.subarray(5))).toBe(toHex(expected));
        const data = rnd.fill(new Uint8Array(length + 3));
        const xored = new Uint8Array(length + 3);
        fast.xor(data, 3, xored, 3, length, ssrc, index);
        expect(toHex(xored.subarray(3))).toBe(toHex(data.subarray(3).map((b, j) => b ^ (expected[j] as number))));
      }
    }
  });
});

describe("gf128Multiply (NIST SP 800-38D 6.3)", () => {
  /** Reference: the bit-serial algorithm on BigInts. */
  function slow(x: Uint8Array, y: Uint8Array): Uint8Array {
    const big = (b: Uint8Array) => BigInt(`0x${toHex(b)}`);
    const R = 0xe1n << 120n;
    let z = 0n;
    let v = big(y);
    const xv = big(x);
    for (let i = 127; i >= 0; i--) {
      if ((xv >> BigInt(i)) & 1n) z ^= v;
      v = v & 1n ? (v >> 1n) ^ R : v >> 1n;
    }
    const out = new Uint8Array(16);
    for (let i = 15; i >= 0; i--, z >>= 8n) out[i] = Number(z & 0xffn);
    return out;
  }

  it("matches the bit-serial reference, and 1 (0x80 00..) is the identity", () => {
    const rnd = new SeededRandom(11);
    const one = new Uint8Array(16);
    one[0] = 0x80;
    for (let i = 0; i < 50; i++) {
      const x = rnd.fill(new Uint8Array(16));
      const y = rnd.fill(new Uint8Array(16));
      expect(toHex(gf128Multiply(x, y))).toBe(toHex(slow(x, y)));
      expect(toHex(gf128Multiply(one, y))).toBe(toHex(y));
    }
  });
});
