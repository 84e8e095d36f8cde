import { describe, expect, it } from "vitest";
import { InvalidOptionError, MalformedPacketError } from "../../src/errors.js";
import { Goodbye } from "../../src/rtcp/goodbye.js";
import { ReceiverReport } from "../../src/rtcp/receiver-report.js";
import { ReportBlock } from "../../src/rtcp/report-block.js";
import { RtcpCompoundPacket } from "../../src/rtcp/rtcp-compound-packet.js";
import { parseRtcpPacket, type RtcpPacket } from "../../src/rtcp/rtcp-packet.js";
import { SenderReport } from "../../src/rtcp/sender-report.js";
import { SdesItemType, SourceDescription } from "../../src/rtcp/source-description.js";
import { UnknownRtcpPacket } from "../../src/rtcp/unknown-rtcp-packet.js";
import { PictureLossIndication } from "../../src/rtcp/picture-loss-indication.js";
import type { SeededRandom } from "../../src/util/seeded-random.js";
import { fuzz } from "../rtp/fuzz-helper.js";

const hex = (s: string): Uint8Array => Uint8Array.from(s.replace(/\s+/g, "").match(/../g)!.map((x) => parseInt(x, 16)));

// SR with one report block (RFC 3550 6.4.1 layout).
const SR_BYTES = hex(`
  81c8 000c  902f9e2e
  da8bd1fc dbba7a80  0001e240  00000064  00003e80
  bc5e9a40 05fffffe 00012345 00000020 d1fc1000 00010000`);

describe("RTCP packets (RFC 3550 6.4-6.6)", () => {
  it("parses an SR with one report block (RFC 3550 6.4.1)", () => {
    const sr = SenderReport.parse(SR_BYTES);
    expect(sr.ssrc).toBe(0x902f9e2e);
    expect(sr.ntpSeconds).toBe(0xda8bd1fc);
    expect(sr.ntpFraction).toBe(0xdbba7a80);
    expect(sr.rtpTimestamp).toBe(123456);
    expect(sr.packetCount).toBe(100);
    expect(sr.octetCount).toBe(16000);
    expect(sr.reportBlocks).toHaveLength(1);
    const b = sr.reportBlocks[0]!;
    expect(b.ssrc).toBe(0xbc5e9a40);
    expect(b.fractionLost).toBe(5);
    expect(b.cumulativeLost).toBe(-2); // signed 24-bit
    expect(b.extendedHighestSequenceNumber).toBe(0x12345);
    expect(b.jitter).toBe(32);
    expect(b.lastSenderReport).toBe(0xd1fc1000);
    expect(b.delaySinceLastSenderReport).toBe(65536);
    expect(sr.serialize()).toEqual(SR_BYTES);
  });

  it("parses an RR with a profile-specific extension (RFC 3550 6.4.2)", () => {
    const rr = new ReceiverReport({ ssrc: 1, reportBlocks: [new ReportBlock({ ssrc: 2, cumulativeLost: 0x7fffff, fractionLost: 255 })], profileExtension: Uint8Array.of(1, 2, 3, 4) });
    const bytes = rr.serialize();
    expect(Array.from(bytes.subarray(0, 4))).toEqual([0x81, 201, 0x00, 0x08]);
    const q = ReceiverReport.parse(bytes);
    expect(q.reportBlocks[0]!.cumulativeLost).toBe(0x7fffff);
    expect(q.profileExtension).toEqual(Uint8Array.of(1, 2, 3, 4));
  });

  it("clamps cumulative lost to the 24-bit signed range (RFC 3550 6.4.1)", () => {
    expect(new ReportBlock({ ssrc: 1, cumulativeLost: 1e9 }).cumulativeLost).toBe(0x7fffff);
    expect(new ReportBlock({ ssrc: 1, cumulativeLost: -1e9 }).cumulativeLost).toBe(-0x800000);
    expect(ReportBlock.parse(new ReportBlock({ ssrc: 1, cumulativeLost: -0x800000 }).serialize()).cumulativeLost).toBe(-0x800000);
  });

  it("SDES with CNAME: chunk ends with a null item, padded to 32 bits (RFC 3550 6.5, 6.5.1)", () => {
    const sdes = SourceDescription.withCname(0x11223344, "user@host");
    const bytes = sdes.serialize();
    // header + ssrc + (2 + 9) item + null, padded: 4 + 4 + 12 = 20
    expect(Array.from(bytes)).toEqual([0x81, 202, 0, 4, 0x11, 0x22, 0x33, 0x44, 1, 9, ...new TextEncoder().encode("user@host"), 0]);
    const q = SourceDescription.parse(bytes);
    expect(q.cname()).toBe("user@host");
    expect(q.cname(0x11223344)).toBe("user@host");
    expect(q.cname(5)).toBeUndefined();
  });

  it("SDES with several chunks and items, including an exactly aligned chunk needing a full null word", () => {
    const sdes = new SourceDescription([
      { ssrc: 1, items: [{ type: SdesItemType.CNAME, value: new Uint8Array(2) }] }, // 4+4 → +4 null word
      { ssrc: 2, items: [{ type: SdesItemType.NAME, value: Uint8Array.of(65) }, { type: SdesItemType.TOOL, value: Uint8Array.of(66, 67) }] },
    ]);
    const q = SourceDescription.parse(sdes.serialize());
    expect(q.chunks).toHaveLength(2);
    expect(q.chunks[0]!.items[0]!.value).toHaveLength(2);
    expect(q.chunks[1]!.items.map((i) => i.type)).toEqual([2, 6]);
    expect(sdes.byteLength).toBe(4 + 12 + 12);
  });

  it("BYE with and without a reason (RFC 3550 6.6)", () => {
    const a = Goodbye.parse(new Goodbye([1, 2]).serialize());
    expect(a.ssrcs).toEqual([1, 2]);
    expect(a.reason).toBeUndefined();
    const b = new Goodbye([0xdeadbeef], "camera off");
    const bytes = b.serialize();
    expect(bytes.length).toBe(4 + 4 + 12);
    expect(Goodbye.parse(bytes).reason).toBe("camera off");
  });

  it("PLI (RFC 4585 6.3.1): PSFB FMT=1, 12 bytes, sender and media SSRC", () => {
    const bytes = Uint8Array.of(0x81, 206, 0, 2, 0, 0, 0, 1, 0xde, 0xad, 0xbe, 0xef);
    const p = parseRtcpPacket(bytes);
    expect(p).toBeInstanceOf(PictureLossIndication);
    expect((p as PictureLossIndication).senderSsrc).toBe(1);
    expect((p as PictureLossIndication).mediaSsrc).toBe(0xdeadbeef);
    expect(new PictureLossIndication(1, 0xdeadbeef).serialize()).toEqual(bytes);
    expect(() => PictureLossIndication.parse(bytes.subarray(0, 8))).toThrow(/Cannot parse PLI/);
  });

  it("keeps unknown types as bytes; padding round-trips (RFC 3550 6.1)", () => {
    const u = new UnknownRtcpPacket(206, 2, Uint8Array.of(0, 0, 0, 1, 0, 0, 0, 2));
    const p = parseRtcpPacket(u.serialize());
    expect(p).toBeInstanceOf(UnknownRtcpPacket);
    expect((p as UnknownRtcpPacket).count).toBe(2);
    const odd = new UnknownRtcpPacket(204, 0, Uint8Array.of(1, 2, 3, 4, 5));
    const bytes = odd.serialize();
    expect(bytes[0]! & 0x20).toBe(0x20);
    expect(UnknownRtcpPacket.parse(bytes).body).toEqual(Uint8Array.of(1, 2, 3, 4, 5));
  });

  it.each([
    ["SR shorter than sender info", () => SenderReport.parse(hex("80c8 0001 00000001"))],
    ["SR report count overrun", () => SenderReport.parse(hex("81c8 0006 00000001 00000000 00000000 00000000 00000000 00000000"))],
    ["SR with wrong type", () => SenderReport.parse(hex("80c9 0001 00000001"))],
    ["RR length mismatch", () => ReceiverReport.parse(hex("80c9 0002 00000001"))],
    ["version 1", () => ReceiverReport.parse(hex("40c9 0001 00000001"))],
    ["padding count 0", () => ReceiverReport.parse(hex("a0c9 0001 00000000"))],
    ["padding larger than the packet", () => ReceiverReport.parse(hex("a0c9 0001 00000009"))],
    ["SDES chunk without null item", () => SourceDescription.parse(hex("81ca 0002 00000001 01020a0b"))],
    ["SDES item overrun", () => SourceDescription.parse(hex("81ca 0002 00000001 01090a0b"))],
    ["SDES missing chunk", () => SourceDescription.parse(hex("82ca 0002 00000001 00000000"))],
    ["BYE reason overrun", () => Goodbye.parse(hex("81cb 0002 00000001 09414243"))],
    ["BYE ssrc overrun", () => Goodbye.parse(hex("83cb 0002 00000001 00000002"))],
  ])("rejects %s with MalformedPacketError", (_n, f) => {
    expect(f).toThrow(MalformedPacketError);
  });

  it("validates on serialize", () => {
    expect(() => new ReceiverReport({ ssrc: 1, reportBlocks: Array.from({ length: 32 }, () => new ReportBlock({ ssrc: 1 })) }).serialize()).toThrow(InvalidOptionError);
    expect(() => new Goodbye([1], new Uint8Array(256)).serialize()).toThrow(InvalidOptionError);
  });
});

describe("RtcpCompoundPacket (RFC 3550 6.1, A.2)", () => {
  const compound = (): RtcpCompoundPacket =>
    new RtcpCompoundPacket([
      new ReceiverReport({ ssrc: 1, reportBlocks: [new ReportBlock({ ssrc: 2, jitter: 10 })] }),
      SourceDescription.withCname(1, "abc"),
      new UnknownRtcpPacket(205, 1, Uint8Array.of(0, 0, 0, 1, 0, 0, 0, 2, 0, 1, 0, 1)),
      new Goodbye([1]),
    ]);

  it("round-trips SR/RR + SDES + an unknown type + BYE", () => {
    const bytes = compound().serialize();
    const c = RtcpCompoundPacket.parse(bytes);
    expect(c.packets.map((p) => p.packetType)).toEqual([201, 202, 205, 203]);
    expect(c.serialize()).toEqual(bytes);
  });

  it("accepts padding on the last packet only (A.2)", () => {
    const last = new Goodbye([1]).serialize();
    const padded = new Uint8Array(last.length + 4);
    padded.set(last);
    padded[0] = padded[0]! | 0x20;
    padded[3] = padded[3]! + 1;
    padded[padded.length - 1] = 4;
    const rr = new ReceiverReport({ ssrc: 1 }).serialize();
    const ok = new Uint8Array(rr.length + padded.length);
    ok.set(rr);
    ok.set(padded, rr.length);
    expect(RtcpCompoundPacket.parse(ok).packets).toHaveLength(2);
    const bad = new Uint8Array(rr.length + padded.length);
    bad.set(padded);
    bad.set(rr, padded.length);
    bad[1] = 200 + 1; // make the first an RR type so only the padding rule trips
    expect(() => RtcpCompoundPacket.parse(bad)).toThrow(/padding but is not the last/);
  });

  it.each([
    ["empty", new Uint8Array(0)],
    ["first packet is SDES", SourceDescription.withCname(1, "x").serialize()],
    ["lengths do not sum up", Uint8Array.of(...new ReceiverReport({ ssrc: 1 }).serialize(), 0x81)],
    ["length field overruns", Uint8Array.of(0x80, 201, 0, 5, 0, 0, 0, 1)],
    ["second packet version 0", Uint8Array.of(...new ReceiverReport({ ssrc: 1 }).serialize(), 0x00, 202, 0, 0)],
  ])("rejects %s (A.2)", (_n, bytes) => {
    expect(() => RtcpCompoundPacket.parse(bytes)).toThrow(MalformedPacketError);
  });

  it("allows a non-SR/RR first packet with the reduced-size option (RFC 5506)", () => {
    expect(RtcpCompoundPacket.parse(SourceDescription.withCname(1, "x").serialize(), { reducedSize: true }).packets).toHaveLength(1);
  });
});

function randomBlock(rng: SeededRandom): ReportBlock {
  return new ReportBlock({
    ssrc: rng.nextUint32(),
    fractionLost: rng.int(0, 255),
    cumulativeLost: rng.int(-0x800000, 0x7fffff),
    extendedHighestSequenceNumber: rng.nextUint32(),
    jitter: rng.nextUint32(),
    lastSenderReport: rng.nextUint32(),
    delaySinceLastSenderReport: rng.nextUint32(),
  });
}

function randomPacket(rng: SeededRandom, first: boolean, kind?: number): RtcpPacket {
  const k = kind ?? (first ? rng.int(0, 1) : rng.int(0, 5));
  const blocks = (): ReportBlock[] => Array.from({ length: rng.int(0, 3) }, () => randomBlock(rng));
  const ext = (): Uint8Array => rng.fill(new Uint8Array(4 * (rng.int(0, 3) === 0 ? rng.int(1, 3) : 0)));
  switch (k) {
    case 0:
      return new SenderReport({ ssrc: rng.nextUint32(), ntpSeconds: rng.nextUint32(), ntpFraction: rng.nextUint32(), rtpTimestamp: rng.nextUint32(), packetCount: rng.nextUint32(), octetCount: rng.nextUint32(), reportBlocks: blocks(), profileExtension: ext() });
    case 1:
      return new ReceiverReport({ ssrc: rng.nextUint32(), reportBlocks: blocks(), profileExtension: ext() });
    case 2:
      return new SourceDescription(
        Array.from({ length: rng.int(0, 3) }, () => ({
          ssrc: rng.nextUint32(),
          items: Array.from({ length: rng.int(0, 3) }, () => ({ type: rng.int(1, 8), value: rng.fill(new Uint8Array(rng.int(0, 20))) })),
        })),
      );
    case 5:
      return new PictureLossIndication(rng.nextUint32(), rng.nextUint32());
    case 3:
      return new Goodbye(Array.from({ length: rng.int(0, 3) }, () => rng.nextUint32()), rng.int(0, 1) ? rng.fill(new Uint8Array(rng.int(0, 12))) : undefined);
    default:
      return new UnknownRtcpPacket(rng.int(204, 210), rng.int(0, 31), rng.fill(new Uint8Array(4 * rng.int(0, 5))));
  }
}

describe("RTCP fuzz (RFC 3550 A.2)", () => {
  it("fuzz: 30k compound inputs, malformed throw MalformedPacketError, valid round-trip", () => {
    const valid = (rng: SeededRandom): Uint8Array => new RtcpCompoundPacket(Array.from({ length: rng.int(1, 4) }, (_, i) => randomPacket(rng, i === 0))).serialize();
    const r = fuzz({ parse: (b) => RtcpCompoundPacket.parse(b), serialize: (c) => c.serialize(), valid }, 30_000, 3550_62);
    expect(r.parsed).toBeGreaterThan(7500);
    expect(r.rejected).toBeGreaterThan(5000);
  });

  it.each([
    ["SenderReport", 0, (b: Uint8Array) => SenderReport.parse(b)],
    ["ReceiverReport", 1, (b: Uint8Array) => ReceiverReport.parse(b)],
    ["SourceDescription", 2, (b: Uint8Array) => SourceDescription.parse(b)],
    ["Goodbye", 3, (b: Uint8Array) => Goodbye.parse(b)],
    ["UnknownRtcpPacket", 4, (b: Uint8Array) => UnknownRtcpPacket.parse(b)],
    ["PictureLossIndication", 5, (b: Uint8Array) => PictureLossIndication.parse(b)],
  ] as const)("fuzz: 8k %s inputs", (_n, kind, parse) => {
    const valid = (rng: SeededRandom): Uint8Array => randomPacket(rng, false, kind).serialize();
    const r = fuzz({ parse, serialize: (p: RtcpPacket) => p.serialize(), valid }, 8_000, 600 + kind);
    expect(r.parsed).toBeGreaterThan(2000);
  });
});
