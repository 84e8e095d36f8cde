/**
 * Cross-check with werift 0.24 (an independent TypeScript SRTP): werift protects and we
 * unprotect, and the other way round, for every suite werift supports (AES_CM_128_HMAC_SHA1_80
 * and AEAD_AES_128_GCM), across a sequence-number wrap (RFC 3711 3.3.1), with CSRCs and header
 * extensions, and for SRTCP.
 */
import { describe, expect, it } from "vitest";
import {
  ProtectionProfileAeadAes128Gcm,
  ProtectionProfileAes128CmHmacSha1_80,
  RtpPacket,
  SrtcpSession as WeriftSrtcpSession,
  SrtpSession as WeriftSrtpSession,
} from "werift";
import { SrtpSession } from "../../src/srtp/srtp-session.js";
import type { SrtpSuiteName } from "../../src/srtp/srtp-suite.js";
import { SeededRandom } from "../../src/util/seeded-random.js";
import { toHex } from "./hex.js";

const SUITES: Array<[SrtpSuiteName, number, number]> = [
  ["AES_CM_128_HMAC_SHA1_80", ProtectionProfileAes128CmHmacSha1_80, 14],
  ["AEAD_AES_128_GCM", ProtectionProfileAeadAes128Gcm, 12],
];

function rtpPacket(rnd: SeededRandom, seq: number, ssrc: number, variant: number): Uint8Array {
  const csrcs = variant % 3 === 1 ? 2 : 0;
  const ext = variant % 4 === 2 ? 2 : -1; // extension words
  const hdr = 12 + csrcs * 4 + (ext >= 0 ? 4 + ext * 4 : 0);
  const p = new Uint8Array(hdr + 20 + rnd.int(0, 1180));
  rnd.fill(p);
  p[0] = 0x80 | (ext >= 0 ? 0x10 : 0) | csrcs;
  p[1] = 96 | (variant % 5 === 0 ? 0x80 : 0);
  p[2] = seq >>> 8;
  p[3] = seq & 0xff;
  new DataView(p.buffer).setUint32(8, ssrc);
  if (ext >= 0) {
    const o = 12 + csrcs * 4;
    p[o] = 0xbe;
    p[o + 1] = 0xde;
    p[o + 2] = 0;
    p[o + 3] = ext;
    // RFC 8285 one-byte elements werift re-serializes identically: id 1 (3 bytes), id 2 (2 bytes).
    p.set([0x12, 0xaa, 0xbb, 0xcc, 0x21, 0xdd, 0xee, 0x00], o + 4);
  }
  return p;
}

function rtcpPacket(rnd: SeededRandom, ssrc: number): Uint8Array {
  const words = rnd.int(6, 30);
  const p = new Uint8Array((words + 1) * 4);
  rnd.fill(p);
  p[0] = 0x80;
  p[1] = 200;
  p[2] = words >>> 8;
  p[3] = words & 0xff;
  new DataView(p.buffer).setUint32(4, ssrc);
  return p;
}

describe.each(SUITES)("werift interop %s", (suite, profile, saltLength) => {
  const rnd = new SeededRandom(0x5157 + profile);
  const masterKey = rnd.fill(new Uint8Array(16));
  const masterSalt = rnd.fill(new Uint8Array(saltLength));
  const keys = {
    localMasterKey: Buffer.from(masterKey),
    localMasterSalt: Buffer.from(masterSalt),
    remoteMasterKey: Buffer.from(masterKey),
    remoteMasterSalt: Buffer.from(masterSalt),
  };
  const SSRC = 0xcafe1234;
  const seqs = Array.from({ length: 300 }, (_, i) => (65400 + i) & 0xffff); // wraps 65535 -> 0

  it("RFC 3711 3.1: werift protects, rtcpipe unprotects, across the 65535 -> 0 wrap", () => {
    const werift = new WeriftSrtpSession({ keys, profile });
    const ours = new SrtpSession({ suite, masterKey, masterSalt });
    seqs.forEach((seq, i) => {
      const plain = rtpPacket(rnd, seq, SSRC, i);
      const parsed = RtpPacket.deSerialize(Buffer.from(plain));
      const protectedByWerift = werift.encrypt(parsed.payload, parsed.header);
      expect(toHex(ours.unprotectRtp(new Uint8Array(protectedByWerift)))).toBe(toHex(plain));
    });
    expect(ours.stats().unprotected).toBe(seqs.length);
  });

  it("RFC 3711 3.1: rtcpipe protects, werift unprotects, across the 65535 -> 0 wrap", () => {
    const werift = new WeriftSrtpSession({ keys, profile });
    const weriftTx = new WeriftSrtpSession({ keys, profile });
    const ours = new SrtpSession({ suite, masterKey, masterSalt });
    seqs.forEach((seq, i) => {
      const plain = rtpPacket(rnd, seq, SSRC, i);
      const ourPacket = ours.protectRtp(plain);
      // werift's own protection of the same packet is byte-identical.
      const parsed = RtpPacket.deSerialize(Buffer.from(plain));
      expect(toHex(ourPacket)).toBe(toHex(new Uint8Array(weriftTx.encrypt(parsed.payload, parsed.header))));
      expect(toHex(new Uint8Array(werift.decrypt(Buffer.from(ourPacket))))).toBe(toHex(plain));
    });
  });

  it("RFC 3711 3.4: SRTCP both ways", () => {
    const weriftTx = new WeriftSrtcpSession({ keys, profile });
    const weriftRx = new WeriftSrtcpSession({ keys, profile });
    const ours = new SrtpSession({ suite, masterKey, masterSalt });
    for (let i = 0; i < 50; i++) {
      const plain = rtcpPacket(rnd, SSRC + (i % 3));
      const fromWerift = new Uint8Array(weriftTx.encrypt(Buffer.from(plain)));
      expect(toHex(ours.unprotectRtcp(fromWerift))).toBe(toHex(plain));
      const fromUs = ours.protectRtcp(plain);
      expect(toHex(new Uint8Array(weriftRx.decrypt(Buffer.from(fromUs))))).toBe(toHex(plain));
    }
  });
});
