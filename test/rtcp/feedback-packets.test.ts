import { describe, expect, it } from "vitest";
import { MalformedPacketError } from "../../src/errors.js";
import { FullIntraRequest } from "../../src/rtcp/full-intra-request.js";
import { GenericNack, nackEntriesFromSequenceNumbers, sequenceNumbersFromNackEntries } from "../../src/rtcp/generic-nack.js";
import { ReceiverReport } from "../../src/rtcp/receiver-report.js";
import { RtcpCompoundPacket } from "../../src/rtcp/rtcp-compound-packet.js";
import { parseRtcpPacket } from "../../src/rtcp/rtcp-packet.js";
import { UnknownRtcpPacket } from "../../src/rtcp/unknown-rtcp-packet.js";
import { RtpPacket } from "../../src/rtp/rtp-packet.js";
import { rtxOriginalSequenceNumber, unwrapRtx, wrapRtx } from "../../src/rtp/rtx.js";
import { SeededRandom } from "../../src/util/seeded-random.js";
import { fuzz } from "../rtp/fuzz-helper.js";

const hex = (s: string): Uint8Array => Uint8Array.from(s.replace(/\s+/g, "").match(/../g)!.map((x) => parseInt(x, 16)));

describe("Generic NACK (RFC 4585 6.2.1)", () => {
  it("parses PID + BLP: bit i of BLP names PID+i+1 (RFC 4585 6.2.1)", () => {
    // PID 100, BLP 0x0005: 100, 101 and 103 lost.
    const bytes = hex("81cd0003 00000001 00000002 00640005");
    const nack = GenericNack.parse(bytes);
    expect(nack.senderSsrc).toBe(1);
    expect(nack.mediaSsrc).toBe(2);
    expect(nack.entries).toEqual([{ pid: 100, blp: 5 }]);
    expect(nack.sequenceNumbers).toEqual([100, 101, 103]);
    expect(nack.serialize()).toEqual(bytes);
    expect(parseRtcpPacket(bytes)).toBeInstanceOf(GenericNack);
  });

  it.each([
    ["one number", [7], [{ pid: 7, blp: 0 }]],
    ["RFC 4585 6.2.1 example 100,101,103", [100, 101, 103], [{ pid: 100, blp: 0b101 }]],
    ["17 in a row fit one entry", Array.from({ length: 17 }, (_, i) => 1000 + i), [{ pid: 1000, blp: 0xffff }]],
    ["18 in a row need two", Array.from({ length: 18 }, (_, i) => 1000 + i), [{ pid: 1000, blp: 0xffff }, { pid: 1017, blp: 0 }]],
    ["across the 16-bit wrap", [65534, 65535, 0, 1, 20], [{ pid: 65534, blp: 0b111 }, { pid: 20, blp: 0 }]],
    ["PID 65535 with BLP covering 0..15", [65535, 0, 15], [{ pid: 65535, blp: 0x8001 }]],
    ["unsorted, with duplicates", [5, 3, 3, 4, 40], [{ pid: 3, blp: 0b11 }, { pid: 40, blp: 0 }]],
    ["empty", [], []],
  ] as const)("minimal FCI: %s (RFC 4585 6.2.1)", (_name, seqs, entries) => {
    const got = nackEntriesFromSequenceNumbers(seqs);
    expect(got).toEqual(entries);
    expect(new Set(sequenceNumbersFromNackEntries(got))).toEqual(new Set(seqs));
  });

  it("minimal FCI round-trips random loss sets across the wrap, entry count equals a brute-force minimum", () => {
    const rng = new SeededRandom(4585);
    for (let t = 0; t < 500; t++) {
      const start = rng.int(0, 65535);
      const seqs: number[] = [];
      for (let d = 0; d < 300; d++) if (rng.next() < 0.2) seqs.push((start + d) & 0xffff);
      const entries = nackEntriesFromSequenceNumbers(seqs);
      expect(sequenceNumbersFromNackEntries(entries)).toEqual(seqs);
      // Minimum cover of points by windows [p, p+16] (dynamic programming on offsets).
      const offs = seqs.map((s) => (s - start) & 0xffff);
      const best = new Array<number>(offs.length + 1).fill(0);
      for (let i = offs.length - 1; i >= 0; i--) {
        let j = i;
        while (j < offs.length && offs[j]! - offs[i]! <= 16) j++;
        best[i] = 1 + best[j]!;
      }
      expect(entries.length).toBe(best[0]);
    }
  });

  it("rejects an empty FCI and a partial entry with MalformedPacketError (RFC 4585 6.2.1)", () => {
    expect(() => GenericNack.parse(hex("81cd0002 00000001 00000002"))).toThrow(MalformedPacketError);
    expect(() => GenericNack.parse(hex("a1cd0004 00000001 00000002 00640005 00000002"))).toThrow(MalformedPacketError);
    expect(() => new GenericNack(1, 2, []).serialize()).toThrow(RangeError);
    // The dispatch keeps odd shapes opaque instead of failing a compound packet.
    expect(parseRtcpPacket(hex("81cd0002 00000001 00000002"))).toBeInstanceOf(UnknownRtcpPacket);
  });
});

describe("FIR (RFC 5104 4.3.1)", () => {
  it("parses SSRC + seq nr entries, media source SSRC 0 (RFC 5104 4.3.1.1)", () => {
    const bytes = hex("84ce0004 00000001 00000000 0000abcd 07000000");
    const fir = FullIntraRequest.parse(bytes);
    expect(fir.senderSsrc).toBe(1);
    expect(fir.mediaSsrc).toBe(0);
    expect(fir.entries).toEqual([{ ssrc: 0xabcd, sequenceNumber: 7 }]);
    expect(fir.serialize()).toEqual(bytes);
    expect(parseRtcpPacket(bytes)).toBeInstanceOf(FullIntraRequest);
    const two = new FullIntraRequest(9, [{ ssrc: 1, sequenceNumber: 255 }, { ssrc: 2, sequenceNumber: 0 }]);
    expect(FullIntraRequest.parse(two.serialize()).entries).toEqual(two.entries);
  });

  it("rejects an FCI that is not whole 8-byte entries (RFC 5104 4.3.1.1)", () => {
    expect(() => FullIntraRequest.parse(hex("84ce0003 00000001 00000000 0000abcd"))).toThrow(MalformedPacketError);
    expect(() => FullIntraRequest.parse(hex("84ce0002 00000001 00000000"))).toThrow(MalformedPacketError);
    expect(parseRtcpPacket(hex("84ce0003 00000001 00000000 0000abcd"))).toBeInstanceOf(UnknownRtcpPacket);
  });

  it("NACK and FIR travel in a compound packet after an RR (RFC 3550 6.1, RFC 4585 3.1)", () => {
    const c = new RtcpCompoundPacket([new ReceiverReport({ ssrc: 1 }), GenericNack.fromSequenceNumbers(1, 2, [10, 12, 40]), new FullIntraRequest(1, [{ ssrc: 2, sequenceNumber: 3 }])]);
    const back = RtcpCompoundPacket.parse(c.serialize());
    expect(back.packets[1]).toBeInstanceOf(GenericNack);
    expect((back.packets[1] as GenericNack).sequenceNumbers).toEqual([10, 12, 40]);
    expect(back.packets[2]).toBeInstanceOf(FullIntraRequest);
    expect(back.serialize()).toEqual(c.serialize());
  });
});

describe("RTX payload format (RFC 4588 4)", () => {
  const original = (rng: SeededRandom): RtpPacket => {
    const p = new RtpPacket({
      marker: rng.int(0, 1) === 1,
      payloadType: 96,
      sequenceNumber: rng.int(0, 65535),
      timestamp: rng.nextUint32(),
      ssrc: 0x1111,
      csrcs: Array.from({ length: rng.int(0, 2) }, () => rng.nextUint32()),
      payload: rng.fill(new Uint8Array(rng.int(0, 40))),
      paddingLength: rng.int(0, 3) === 0 ? rng.int(1, 8) : 0,
    });
    if (rng.int(0, 1) === 1) p.setExtension(rng.int(1, 14), rng.fill(new Uint8Array(rng.int(1, 4))));
    return p;
  };

  it("wrap puts OSN + original payload on the RTX SSRC/PT/seq; unwrap restores the original byte-exact (RFC 4588 4)", () => {
    const rng = new SeededRandom(4588);
    for (let i = 0; i < 2000; i++) {
      const p = original(rng);
      const rtx = wrapRtx(p, { ssrc: 0x2222, payloadType: 97, sequenceNumber: 65535 - i });
      const wire = rtx.serialize();
      const parsed = RtpPacket.parse(wire);
      expect(parsed.ssrc).toBe(0x2222);
      expect(parsed.payloadType).toBe(97);
      expect(parsed.sequenceNumber).toBe((65535 - i) & 0xffff);
      expect(parsed.timestamp).toBe(p.timestamp);
      expect(rtxOriginalSequenceNumber(parsed)).toBe(p.sequenceNumber);
      expect(parsed.payload.length).toBe(p.payload.length + 2);
      expect(unwrapRtx(parsed, { ssrc: 0x1111, payloadType: 96 }).serialize()).toEqual(p.serialize());
    }
  });

  it("the RTX copy of the extension is independent of the original's", () => {
    const p = new RtpPacket({ payloadType: 96, sequenceNumber: 1, timestamp: 2, ssrc: 3 }).setExtension(1, Uint8Array.of(1));
    const rtx = wrapRtx(p, { ssrc: 4, payloadType: 97, sequenceNumber: 5 });
    rtx.setExtension(1, Uint8Array.of(9));
    expect(p.getExtension(1)).toEqual(Uint8Array.of(1));
  });

  it("an RTX payload shorter than the OSN is MalformedPacketError (RFC 4588 4)", () => {
    const p = new RtpPacket({ payloadType: 97, sequenceNumber: 1, timestamp: 2, ssrc: 3, payload: Uint8Array.of(1) });
    expect(() => unwrapRtx(p, { ssrc: 1, payloadType: 96 })).toThrow(MalformedPacketError);
  });
});

describe("feedback packet fuzz (RFC 4585 6.2.1, RFC 5104 4.3.1, RFC 4588 4)", () => {
  it("fuzz: 20k Generic NACK inputs, only MalformedPacketError, valid round-trip", () => {
    const valid = (rng: SeededRandom): Uint8Array =>
      new GenericNack(rng.nextUint32(), rng.nextUint32(), Array.from({ length: rng.int(1, 6) }, () => ({ pid: rng.int(0, 65535), blp: rng.int(0, 65535) }))).serialize();
    const r = fuzz({ parse: (b) => GenericNack.parse(b), serialize: (p) => p.serialize(), valid }, 20_000, 4585_621);
    expect(r.parsed).toBeGreaterThan(5000);
    expect(r.rejected).toBeGreaterThan(5000);
  });

  it("fuzz: 20k FIR inputs, only MalformedPacketError, valid round-trip", () => {
    const valid = (rng: SeededRandom): Uint8Array =>
      new FullIntraRequest(rng.nextUint32(), Array.from({ length: rng.int(1, 4) }, () => ({ ssrc: rng.nextUint32(), sequenceNumber: rng.int(0, 255) }))).serialize();
    const r = fuzz({ parse: (b) => FullIntraRequest.parse(b), serialize: (p) => p.serialize(), valid }, 20_000, 5104_431);
    expect(r.parsed).toBeGreaterThan(5000);
    expect(r.rejected).toBeGreaterThan(5000);
  });

  it("fuzz: 20k RTX packets (RTP parse + unwrap + rewrap), only MalformedPacketError, byte-exact round-trip", () => {
    interface Rtx {
      rtx: RtpPacket;
      media: RtpPacket;
    }
    const parse = (b: Uint8Array): Rtx => {
      const rtx = RtpPacket.parse(b);
      return { rtx, media: unwrapRtx(rtx, { ssrc: 0x1111, payloadType: 96 }) };
    };
    const serialize = (v: Rtx): Uint8Array => wrapRtx(v.media, { ssrc: v.rtx.ssrc, payloadType: v.rtx.payloadType, sequenceNumber: v.rtx.sequenceNumber }).serialize();
    const valid = (rng: SeededRandom): Uint8Array => {
      const p = new RtpPacket({ marker: rng.int(0, 1) === 1, payloadType: 96, sequenceNumber: rng.int(0, 65535), timestamp: rng.nextUint32(), ssrc: 0x1111, payload: rng.fill(new Uint8Array(rng.int(0, 30))) });
      if (rng.int(0, 2) === 0) p.setExtension(rng.int(1, 14), rng.fill(new Uint8Array(rng.int(1, 3))));
      return wrapRtx(p, { ssrc: rng.nextUint32(), payloadType: 97, sequenceNumber: rng.int(0, 65535) }).serialize();
    };
    const r = fuzz({ parse, serialize, valid }, 20_000, 4588_4);
    expect(r.parsed).toBeGreaterThan(5000);
    expect(r.rejected).toBeGreaterThan(3000);
  });

  it("fuzz: 20k RTCP packets through the dispatch (NACK/FIR shapes or opaque), only MalformedPacketError", () => {
    const valid = (rng: SeededRandom): Uint8Array =>
      rng.int(0, 1) === 0
        ? GenericNack.fromSequenceNumbers(rng.nextUint32(), rng.nextUint32(), Array.from({ length: rng.int(1, 30) }, () => rng.int(0, 65535)).sort((a, b) => a - b)).serialize()
        : new FullIntraRequest(rng.nextUint32(), [{ ssrc: rng.nextUint32(), sequenceNumber: rng.int(0, 255) }]).serialize();
    const r = fuzz({ parse: (b) => parseRtcpPacket(b), serialize: (p) => p.serialize(), valid }, 20_000, 3550_205);
    expect(r.parsed).toBeGreaterThan(5000);
  });
});
