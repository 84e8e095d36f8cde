import { describe, expect, it } from "vitest";
import { InvalidOptionError, MalformedPacketError } from "../../src/errors.js";
import { FecDecoder } from "../../src/fec/fec-decoder.js";
import { FecEncoder } from "../../src/fec/fec-encoder.js";
import { RedPacket } from "../../src/fec/red-packet.js";
import { UlpfecPacket } from "../../src/fec/ulpfec-packet.js";
import { sinkTo } from "../../src/pipeline/stage.js";
import { RtpPacket } from "../../src/rtp/rtp-packet.js";
import { SeededRandom } from "../../src/util/seeded-random.js";

function mediaPacket(seq: number, rng: SeededRandom, marker = true): RtpPacket {
  return new RtpPacket({ payloadType: 96, sequenceNumber: seq, timestamp: seq * 3000, ssrc: 77, marker, payload: rng.fill(new Uint8Array(rng.int(10, 300))) });
}

function encodeAll(n: number, fecPerMedia: number, seed = 1): RtpPacket[] {
  const rng = new SeededRandom(seed);
  const enc = new FecEncoder({ protection: { fecPerMedia } });
  const out: RtpPacket[] = [];
  enc.pipe(sinkTo((p) => out.push(p)));
  for (let i = 0; i < n; i++) enc.push(mediaPacket(i, rng), i * 1000);
  return out;
}

function fecOf(p: RtpPacket): UlpfecPacket | undefined {
  const b = RedPacket.parse(p.payload).primary;
  return b.payloadType === 100 ? UlpfecPacket.parse(b.data) : undefined;
}

function redFec(seq: number, fecBytes: Uint8Array): RtpPacket {
  return new RtpPacket({ payloadType: 101, sequenceNumber: seq, timestamp: 0, ssrc: 77, payload: new RedPacket([{ payloadType: 100, timestampOffset: 0, data: fecBytes }]).serialize() });
}

describe("FecDecoder (RFC 5109 6.3 recovery, RFC 2198 unwrapping)", () => {
  it("passes media through at once, unwrapped from RED, and non-RED media unchanged", () => {
    const dec = new FecDecoder();
    const got: RtpPacket[] = [];
    dec.pipe(sinkTo((p) => got.push(p)));
    const rng = new SeededRandom(1);
    const m = mediaPacket(5, rng);
    dec.push(RedPacket.wrap(m, 101), 0);
    dec.push(mediaPacket(6, rng), 0);
    expect(got.length).toBe(2);
    expect(got[0]!.serialize()).toEqual(m.serialize());
    expect(dec.stats().passedThrough).toBe(1);
  });

  it("recovers iteratively: a packet recovered by one FEC completes another FEC's set", () => {
    // Hand-built: FEC A protects {0,1}, FEC B protects {1,2}; 1 and 2 lost. A gives 1, then B gives 2.
    const rng = new SeededRandom(2);
    const pk = [0, 1, 2].map((s) => mediaPacket(s, rng));
    const mk = (offs: number[], base: number) => {
      const bytes = offs.map((o) => pk[base + o]!.serialize());
      let len = 0;
      for (const b of bytes) len = Math.max(len, b.length);
      const acc = new Uint8Array(len);
      for (const b of bytes) for (let i = 0; i < b.length; i++) acc[i]! ^= b[i]!;
      let lr = 0;
      for (const b of bytes) lr ^= b.length - 12;
      return new UlpfecPacket({ headerRecovery: acc[0]! & 0x3f, markerPtRecovery: acc[1]!, snBase: base, tsRecovery: ((acc[4]! << 24) | (acc[5]! << 16) | (acc[6]! << 8) | acc[7]!) >>> 0, lengthRecovery: lr, protectedOffsets: offs, payload: acc.subarray(12) }).serialize();
    };
    const dec = new FecDecoder();
    const got: RtpPacket[] = [];
    dec.pipe(sinkTo((p) => got.push(p)));
    dec.push(RedPacket.wrap(pk[0]!, 101), 0);
    dec.push(redFec(4, mk([0, 1], 1)), 0); // B first: two missing, kept
    expect(got.length).toBe(1);
    dec.push(redFec(3, mk([0, 1], 0)), 0); // A: recovers 1, then B recovers 2
    expect(got.map((p) => p.sequenceNumber)).toEqual([0, 1, 2]);
    expect(got.slice(1).every((p) => FecDecoder.isRecovered(p))).toBe(true);
    expect(got[1]!.serialize()).toEqual(pk[1]!.serialize());
    expect(got[2]!.serialize()).toEqual(pk[2]!.serialize());
    expect(dec.stats().recovered).toBe(2);
  });

  it("a late original after its recovered copy is dropped as a duplicate", () => {
    const wire = encodeAll(4, 0.25);
    const dec = new FecDecoder();
    const got: RtpPacket[] = [];
    dec.pipe(sinkTo((p) => got.push(p)));
    const [m0, m1, m2, m3, f] = wire;
    for (const p of [m0!, m2!, m3!, f!, m1!]) dec.push(p, 0);
    expect(got.length).toBe(4);
    expect(dec.stats().duplicates).toBe(1);
  });

  it("drops and counts garbage: bad RED, bad FEC, far masks, unknown PT, impossible lengths", () => {
    const wire = encodeAll(8, 0.25);
    const dec = new FecDecoder({ mediaPayloadTypes: [96] });
    for (const p of wire.slice(0, 6)) dec.push(p, 0);
    const fec = fecOf(wire.find((p) => fecOf(p))!)!;
    const bytes = fec.serialize();
    // Malformed RED and FEC.
    dec.push(new RtpPacket({ payloadType: 101, sequenceNumber: 100, timestamp: 0, ssrc: 77, payload: new Uint8Array([0x80, 1]) }), 0);
    dec.push(redFec(101, bytes.subarray(0, 12)), 0);
    // A mask pointing 30000 packets away.
    const far = bytes.slice(); far[2] = 0x75; far[3] = 0x30;
    dec.push(redFec(102, far), 0);
    // Unknown payload type inside RED.
    dec.push(new RtpPacket({ payloadType: 101, sequenceNumber: 103, timestamp: 0, ssrc: 77, payload: new Uint8Array([55, 1, 2, 3]) }), 0);
    // A length recovery larger than the protection length (protects 6 and 7; 7 missing).
    const lie = new UlpfecPacket({ headerRecovery: 0, markerPtRecovery: 96, snBase: 6, tsRecovery: 0, lengthRecovery: 0xffff, protectedOffsets: [0, 1], payload: new Uint8Array(8) });
    dec.push(wire[7]!, 0); // media 6 (wire index 7: media 0-3, FEC, media 4-5, media 6)
    dec.push(redFec(104, lie.serialize()), 0);
    const s = dec.stats();
    expect(s.malformed).toBe(2);
    expect(s.fecOutOfWindow).toBe(1);
    expect(s.unknownPayloadType).toBe(1);
    expect(s.recoveryFailed).toBe(1);
    expect(s.recovered).toBe(0);
  });

  it("one forged packet far ahead does not stop later recovery", () => {
    const wire = encodeAll(40, 0.25, 4);
    const dec = new FecDecoder({ mediaPayloadTypes: [96] });
    const rng = new SeededRandom(8);
    const forged = RedPacket.wrap(mediaPacket(30_000, rng), 101);
    let n = 0;
    for (const p of wire) {
      if (n++ === 3) dec.push(forged, 0);
      if (p.sequenceNumber % 10 === 7 && !fecOf(p)) continue; // lose one media packet per 2 groups
      dec.push(p, 0);
    }
    expect(dec.stats().recovered).toBe(5);
    expect(dec.stats().fecOutOfWindow).toBe(0);
  });

  it("stays bounded by count and age under a flood of unrecoverable FEC and media", () => {
    const dec = new FecDecoder({ maxMediaPackets: 100, maxFecPackets: 20, maxAgeUs: 50_000 });
    const rng = new SeededRandom(3);
    for (let i = 0; i < 20_000; i++) {
      const seq = (i * 2) & 0xffff; // every other packet lost: FEC never completes
      dec.push(RedPacket.wrap(mediaPacket(seq, rng), 101), i * 100);
      const fec = new UlpfecPacket({ headerRecovery: 0, markerPtRecovery: 96, snBase: seq, tsRecovery: 0, lengthRecovery: 0, protectedOffsets: [0, 1, 3], payload: new Uint8Array(4) });
      dec.push(redFec((seq + 1) & 0xffff, fec.serialize()), i * 100);
      expect(dec.buffered.media).toBeLessThanOrEqual(100);
      expect(dec.buffered.fec).toBeLessThanOrEqual(20);
    }
    dec.tick(20_000 * 100 + 1_000_000);
    expect(dec.buffered).toEqual({ media: 0, fec: 0 });
  });

  it("fuzz: 20k random and mutated packets never throw and stay bounded", () => {
    const rng = new SeededRandom(2198);
    const wire = encodeAll(400, 0.5, 9).map((p) => p.serialize());
    const dec = new FecDecoder({ mediaPayloadTypes: [96], maxMediaPackets: 64, maxFecPackets: 16 });
    let out = 0;
    dec.pipe(sinkTo(() => out++));
    for (let n = 0; n < 20_000; n++) {
      const b = wire[rng.int(0, wire.length - 1)]!.slice();
      const flips = rng.int(0, 4);
      for (let k = 0; k < flips; k++) b[rng.int(0, b.length - 1)] = rng.int(0, 255);
      let p: RtpPacket;
      try {
        p = RtpPacket.parse(rng.next() < 0.1 ? b.subarray(0, rng.int(0, b.length)) : b);
      } catch (e) {
        expect(e).toBeInstanceOf(MalformedPacketError);
        continue;
      }
      dec.push(p, n * 1000);
    }
    expect(dec.buffered.media).toBeLessThanOrEqual(64);
    expect(dec.buffered.fec).toBeLessThanOrEqual(16);
    expect(out).toBeGreaterThan(0);
  });

  it("validates options (RFC 2198 / RFC 5109 payload types must differ)", () => {
    expect(() => new FecDecoder({ redPayloadType: 100, ulpfecPayloadType: 100 })).toThrow(InvalidOptionError);
    expect(() => new FecDecoder({ maxMediaPackets: 10 })).toThrow(/Cannot use maxMediaPackets=10/);
    expect(() => new FecDecoder({ mediaPayloadTypes: [200] })).toThrow(InvalidOptionError);
  });
});
