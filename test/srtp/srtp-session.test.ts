import { describe, expect, it } from "vitest";
import { AuthenticationError, InvalidOptionError, MalformedPacketError, ReplayError } from "../../src/errors.js";
import { sinkTo } from "../../src/pipeline/stage.js";
import { ReplayVerdict, ReplayWindow } from "../../src/srtp/replay-window.js";
import { guessRolloverCounter } from "../../src/srtp/guess-rollover-counter.js";
import { SrtpProtectStage } from "../../src/srtp/srtp-protect-stage.js";
import { SrtpSession, type SrtpSessionOptions } from "../../src/srtp/srtp-session.js";
import { SRTP_SUITES, SRTP_SUITE_NAMES, type SrtpSuiteName } from "../../src/srtp/srtp-suite.js";
import { SrtpUnprotectStage } from "../../src/srtp/srtp-unprotect-stage.js";
import { SeededRandom } from "../../src/util/seeded-random.js";
import { toHex } from "./hex.js";

function optionsFor(suite: SrtpSuiteName, seed = 1): SrtpSessionOptions {
  const rnd = new SeededRandom(seed);
  const p = SRTP_SUITES[suite];
  return { suite, masterKey: rnd.fill(new Uint8Array(p.keyLength)), masterSalt: rnd.fill(new Uint8Array(p.saltLength)) };
}

function rtp(seq: number, ssrc = 0x11223344, payloadBytes = 160): Uint8Array {
  const p = new Uint8Array(12 + payloadBytes);
  p[0] = 0x80;
  p[1] = 111;
  p[2] = seq >>> 8;
  p[3] = seq & 0xff;
  new DataView(p.buffer).setUint32(4, seq * 960);
  new DataView(p.buffer).setUint32(8, ssrc);
  for (let i = 12; i < p.length; i++) p[i] = (i * 13 + seq) & 0xff;
  return p;
}

function rtcp(ssrc = 0x11223344): Uint8Array {
  const p = new Uint8Array(28);
  p[0] = 0x80;
  p[1] = 200;
  p[3] = 6;
  new DataView(p.buffer).setUint32(4, ssrc);
  p.fill(0x5a, 8);
  return p;
}

describe.each(SRTP_SUITE_NAMES.map((s) => [s]))("SrtpSession %s", (suite) => {
  const opts = optionsFor(suite);
  const tag = SRTP_SUITES[suite].rtpTagLength;

  it("RFC 3711 3.1: round trip RTP, payload encrypted, header clear, tag appended", () => {
    const tx = new SrtpSession(opts);
    const rx = new SrtpSession(opts);
    const plain = rtp(1000);
    const sealed = tx.protectRtp(plain);
    expect(sealed.length).toBe(plain.length + tag);
    expect(toHex(sealed.subarray(0, 12))).toBe(toHex(plain.subarray(0, 12)));
    expect(toHex(sealed.subarray(12, 40))).not.toBe(toHex(plain.subarray(12, 40)));
    expect(toHex(rx.unprotectRtp(sealed))).toBe(toHex(plain));
    expect(rx.stats()).toEqual({ protected: 0, unprotected: 1, authFailures: 0, replayed: 0, malformed: 0 });
    expect(tx.stats().protected).toBe(1);
  });

  it("RFC 3711 3.3.1: ROC rolls over across seq 65535 -> 0 on both sides, with reordering", () => {
    const tx = new SrtpSession(opts);
    const rx = new SrtpSession(opts);
    const seqs = [65530, 65531, 65532, 65533, 65534, 65535, 0, 1, 2, 3];
    const sealed = seqs.map((s) => tx.protectRtp(rtp(s)));
    // Deliver with a reorder across the wrap: 65535 after 0 and 1.
    const order = [0, 1, 2, 3, 4, 6, 7, 5, 8, 9];
    for (const i of order) expect(toHex(rx.unprotectRtp(sealed[i] as Uint8Array))).toBe(toHex(rtp(seqs[i] as number)));
    // A sender that has wrapped uses ROC 1: the same seq under ROC 0 has different ciphertext.
    const again = new SrtpSession(opts).protectRtp(rtp(2));
    expect(toHex(again)).not.toBe(toHex(sealed[8] as Uint8Array));
    expect(rx.stats().unprotected).toBe(10);
  });

  it("RFC 3711 3.3.1: the ROC is not advanced by a packet that fails authentication", () => {
    const tx = new SrtpSession(opts);
    const rx = new SrtpSession(opts);
    rx.unprotectRtp(tx.protectRtp(rtp(65000)));
    // A forged packet with seq 10 (would mean ROC 1) and a bad tag.
    const forged = tx.protectRtp(rtp(10));
    forged[forged.length - 1] = (forged[forged.length - 1] as number) ^ 0xff;
    expect(() => rx.unprotectRtp(forged)).toThrow(AuthenticationError);
    // A genuine packet under ROC 0 still works.
    const fresh = new SrtpSession(opts);
    fresh.protectRtp(rtp(65000));
    expect(toHex(rx.unprotectRtp(fresh.protectRtp(rtp(65001))))).toBe(toHex(rtp(65001)));
  });

  it("RFC 3711 3.3.2: a replayed packet is rejected with ReplayError and counted", () => {
    const tx = new SrtpSession(opts);
    const rx = new SrtpSession(opts);
    const sealed = tx.protectRtp(rtp(7));
    rx.unprotectRtp(sealed);
    expect(() => rx.unprotectRtp(sealed)).toThrow(ReplayError);
    expect(() => rx.unprotectRtp(sealed)).toThrow(/^Cannot unprotect SRTP: .*already received/);
    expect(rx.stats().replayed).toBe(2);
  });

  it("RFC 3711 3.3.2: window edge: index top-127 accepted once, top-128 rejected (window 128)", () => {
    const tx = new SrtpSession(opts);
    const rx = new SrtpSession({ ...opts, replayWindow: 128 });
    const sealed = new Map<number, Uint8Array>();
    for (let s = 100; s <= 400; s++) sealed.set(s, tx.protectRtp(rtp(s)));
    rx.unprotectRtp(sealed.get(400) as Uint8Array);
    expect(toHex(rx.unprotectRtp(sealed.get(273) as Uint8Array))).toBe(toHex(rtp(273))); // 400 - 127
    expect(() => rx.unprotectRtp(sealed.get(273) as Uint8Array)).toThrow(ReplayError);
    expect(() => rx.unprotectRtp(sealed.get(272) as Uint8Array)).toThrow(/older than the 128-packet replay window/);
  });

  it("RFC 3711 3.3: a tampered tag, header or payload is rejected with AuthenticationError", () => {
    const tx = new SrtpSession(opts);
    const plain = rtp(42);
    const sealed = tx.protectRtp(plain);
    for (const at of [1, 5, 12, 100, sealed.length - 1]) {
      const rx = new SrtpSession(opts);
      const bad = sealed.slice();
      bad[at] = (bad[at] as number) ^ 0x01;
      expect(() => rx.unprotectRtp(bad)).toThrow(AuthenticationError);
      expect(() => rx.unprotectRtp(bad)).toThrow(/^Cannot unprotect SRTP: authentication tag does not match/);
      expect(rx.stats().authFailures).toBe(2);
      // And the good packet still goes through afterwards (no state was changed).
      expect(toHex(rx.unprotectRtp(sealed))).toBe(toHex(plain));
    }
  });

  it("RFC 3711 3.1: truncated packets are rejected with MalformedPacketError", () => {
    const sealed = new SrtpSession(opts).protectRtp(rtp(5));
    const rx = new SrtpSession(opts);
    for (const n of [0, 1, 11, 12, 12 + tag - 1]) {
      expect(() => rx.unprotectRtp(sealed.subarray(0, n))).toThrow(MalformedPacketError);
    }
    expect(() => rx.unprotectRtp(sealed.subarray(0, 11 + tag))).toThrow(/^Cannot unprotect SRTP: packet of/);
    // CSRC count claiming more than there is.
    const csrc = sealed.slice(0, 12 + tag);
    csrc[0] = 0x8f;
    expect(() => rx.unprotectRtp(csrc)).toThrow(MalformedPacketError);
    expect(() => new SrtpSession(opts).protectRtp(new Uint8Array(5))).toThrow(/^Cannot protect SRTP:/);
    expect(rx.stats().malformed).toBe(7);
  });

  it("RFC 3711 3.4: SRTCP round trip, E flag and index, replay per SSRC", () => {
    const tx = new SrtpSession(opts);
    const rx = new SrtpSession(opts);
    const plain = rtcp();
    const first = tx.protectRtcp(plain);
    const second = tx.protectRtcp(plain);
    expect(first.length).toBe(plain.length + tx.rtcpOverheadBytes);
    expect(toHex(first)).not.toBe(toHex(second)); // index 0 vs 1
    expect(toHex(rx.unprotectRtcp(second))).toBe(toHex(plain));
    expect(toHex(rx.unprotectRtcp(first))).toBe(toHex(plain)); // late but inside the window
    expect(() => rx.unprotectRtcp(first)).toThrow(ReplayError);
    const bad = second.slice();
    bad[10] = (bad[10] as number) ^ 4;
    expect(() => new SrtpSession(opts).unprotectRtcp(bad)).toThrow(AuthenticationError);
    expect(() => rx.unprotectRtcp(first.subarray(0, 8 + 4 + SRTP_SUITES[suite].rtcpTagLength - 1))).toThrow(MalformedPacketError);
  });

  it("RFC 3711 3.4: SRTCP with encryptRtcp false (E = 0) leaves the payload clear and verifies", () => {
    const tx = new SrtpSession({ ...opts, encryptRtcp: false });
    const sealed = tx.protectRtcp(rtcp());
    expect(toHex(sealed.subarray(0, 28))).toBe(toHex(rtcp()));
    expect(toHex(new SrtpSession(opts).unprotectRtcp(sealed))).toBe(toHex(rtcp()));
  });

  it("protectRtpInto / unprotectRtpInto work in place and at an unaligned offset", () => {
    const tx = new SrtpSession(opts);
    const rx = new SrtpSession(opts);
    const plain = rtp(9, 0x1234, 1200);
    const expected = new SrtpSession(opts).protectRtp(plain);
    const buf = new Uint8Array(1300);
    buf.set(plain, 3);
    const n = tx.protectRtpInto(buf.subarray(3, 3 + plain.length), buf, 3);
    expect(toHex(buf.subarray(3, 3 + n))).toBe(toHex(expected));
    const m = rx.unprotectRtpInto(buf.subarray(3, 3 + n), buf, 3);
    expect(toHex(buf.subarray(3, 3 + m))).toBe(toHex(plain));
    // Overlapping source and destination at different offsets.
    const buf2 = new Uint8Array(1300);
    buf2.set(expected, 0);
    const k = new SrtpSession(opts).unprotectRtpInto(buf2.subarray(0, expected.length), buf2, 1);
    expect(toHex(buf2.subarray(1, 1 + k))).toBe(toHex(plain));
    expect(() => tx.protectRtpInto(plain, new Uint8Array(plain.length))).toThrow(RangeError);
  });
});

describe("SrtpSession options", () => {
  it("bad master key or salt length is rejected with InvalidOptionError", () => {
    const good = optionsFor("AES_CM_128_HMAC_SHA1_80");
    expect(() => new SrtpSession({ ...good, masterKey: new Uint8Array(15) })).toThrow(InvalidOptionError);
    expect(() => new SrtpSession({ ...good, masterKey: new Uint8Array(15) })).toThrow(
      "Cannot use masterKey of 15 bytes: allowed is 16 bytes for AES_CM_128_HMAC_SHA1_80",
    );
    expect(() => new SrtpSession({ ...good, masterSalt: new Uint8Array(12) })).toThrow(InvalidOptionError);
    expect(() => new SrtpSession({ ...optionsFor("AEAD_AES_256_GCM"), masterKey: new Uint8Array(16) })).toThrow(InvalidOptionError);
    expect(() => new SrtpSession({ ...good, suite: "NULL" as SrtpSuiteName })).toThrow(/allowed is one of/);
    expect(() => new SrtpSession({ ...good, replayWindow: 32 })).toThrow(InvalidOptionError);
  });
});

describe("RFC 3711 Appendix A: index estimation", () => {
  it("RFC 3711 A: guessRolloverCounter picks ROC-1, ROC or ROC+1", () => {
    expect(guessRolloverCounter(100, 5, 101)).toBe(5);
    expect(guessRolloverCounter(100, 5, 65500)).toBe(4);
    expect(guessRolloverCounter(65500, 5, 3)).toBe(6);
    expect(guessRolloverCounter(65500, 5, 40000)).toBe(5);
    expect(guessRolloverCounter(40000, 5, 7000)).toBe(6);
  });

  it("RFC 3711 3.3.2: ReplayWindow with indices beyond 2^32", () => {
    const w = new ReplayWindow(64);
    const base = 2 ** 40;
    w.accept(base);
    expect(w.check(base)).toBe(ReplayVerdict.Duplicate);
    expect(w.check(base - 63)).toBe(ReplayVerdict.Fresh);
    expect(w.check(base - 64)).toBe(ReplayVerdict.TooOld);
    w.accept(base + 1000);
    expect(w.check(base)).toBe(ReplayVerdict.TooOld);
    expect(w.check(base + 999)).toBe(ReplayVerdict.Fresh);
  });
});

describe("SrtpProtectStage / SrtpUnprotectStage", () => {
  it("RFC 5761 4: demultiplex RTP and RTCP, drop and count bad packets without throwing", () => {
    const opts = optionsFor("AES_CM_128_HMAC_SHA1_80");
    const protect = new SrtpProtectStage({ session: opts });
    const unprotect = new SrtpUnprotectStage({ session: opts });
    const wire: Uint8Array[] = [];
    const received: Uint8Array[] = [];
    protect.pipe(sinkTo((p) => wire.push(p)));
    unprotect.pipe(sinkTo((p) => received.push(p)));
    protect.push(rtp(1), 0);
    protect.push(rtcp(), 0);
    protect.push(new Uint8Array(3), 0); // malformed
    expect(wire.length).toBe(2);
    for (const p of wire) unprotect.push(p, 0);
    unprotect.push(wire[0] as Uint8Array, 0); // replay
    const forged = (wire[0] as Uint8Array).slice();
    forged[20] = (forged[20] as number) ^ 1;
    forged[3] = 2; // new seq, bad tag
    unprotect.push(forged, 0);
    unprotect.push(new Uint8Array(2), 0);
    unprotect.push(undefined as unknown as Uint8Array, 0);
    expect(received.map(toHex)).toEqual([toHex(rtp(1)), toHex(rtcp())]);
    expect(protect.stats()).toMatchObject({ in: 3, out: 2, dropped: 1, malformed: 1 });
    expect(unprotect.stats()).toEqual({ in: 6, out: 2, dropped: 4, authFailures: 1, replayed: 1, malformed: 1, otherErrors: 1 });
  });
});
