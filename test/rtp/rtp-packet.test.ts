import { describe, expect, it } from "vitest";
import { InvalidOptionError, MalformedPacketError } from "../../src/errors.js";
import { RtpHeaderExtensions } from "../../src/rtp/rtp-header-extensions.js";
import { RtpPacket } from "../../src/rtp/rtp-packet.js";
import type { SeededRandom } from "../../src/util/seeded-random.js";
import { fuzz } from "./fuzz-helper.js";

const hex = (s: string): Uint8Array => Uint8Array.from(s.replace(/\s+/g, "").match(/../g)!.map((x) => parseInt(x, 16)));

describe("RtpPacket (RFC 3550 5.1)", () => {
  it("parses the fixed header fields", () => {
    const p = RtpPacket.parse(hex("80e0 1234 0000 0064 deadbeef 0102 03"));
    expect(p.version).toBe(2);
    expect(p.padding).toBe(false);
    expect(p.extension).toBe(false);
    expect(p.marker).toBe(true);
    expect(p.payloadType).toBe(96);
    expect(p.sequenceNumber).toBe(0x1234);
    expect(p.timestamp).toBe(100);
    expect(p.ssrc).toBe(0xdeadbeef);
    expect(p.csrcs).toEqual([]);
    expect(Array.from(p.payload)).toEqual([1, 2, 3]);
  });

  it("parses CSRCs (CC field) and padding with its count byte (RFC 3550 5.1)", () => {
    const bytes = hex("a26f ffff ffffffff 00000001 00000002 00000003 aabb 0000 03");
    const p = RtpPacket.parse(bytes);
    expect(p.csrcs).toEqual([2, 3]);
    expect(p.padding).toBe(true);
    expect(p.paddingLength).toBe(3);
    expect(Array.from(p.payload)).toEqual([0xaa, 0xbb]);
    expect(p.timestamp).toBe(0xffffffff);
    expect(p.serialize()).toEqual(bytes);
  });

  it("parses a header extension (RFC 3550 5.3.1) lazily and finds RFC 8285 elements", () => {
    const bytes = hex("9060 0001 00000002 00000003 bede0001 10ff 0000 cafe");
    const p = RtpPacket.parse(bytes);
    expect(p.extension).toBe(true);
    expect(p.getExtension(1)).toEqual(Uint8Array.of(0xff));
    expect(p.getExtension(2)).toBeUndefined();
    expect(p.headerExtensions?.form).toBe("one-byte");
    expect(Array.from(p.payload)).toEqual([0xca, 0xfe]);
    expect(p.serialize()).toEqual(bytes);
  });

  it("payload is a view into the input (no copy)", () => {
    const bytes = hex("8060 0001 00000002 00000003 0102030405");
    const p = RtpPacket.parse(bytes);
    expect(p.payload.buffer).toBe(bytes.buffer);
    expect(p.payload.byteOffset).toBe(12);
  });

  it("builds and serializes with extensions set by id (RFC 8285)", () => {
    const p = new RtpPacket({ payloadType: 111, sequenceNumber: 65535, timestamp: 48000, ssrc: 42, payload: Uint8Array.of(9, 9), paddingLength: 4, csrcs: [7] });
    p.setExtension(3, Uint8Array.of(1, 2, 3));
    p.setExtension(5, Uint8Array.of(4));
    expect(p.byteLength).toBe(12 + 4 + 4 + 8 + 2 + 4);
    const q = RtpPacket.parse(p.serialize());
    expect(q.getExtension(3)).toEqual(Uint8Array.of(1, 2, 3));
    expect(q.getExtension(5)).toEqual(Uint8Array.of(4));
    expect(q.csrcs).toEqual([7]);
    expect(q.paddingLength).toBe(4);
    expect(q.sequenceNumber).toBe(65535);
    expect(Array.from(q.payload)).toEqual([9, 9]);
  });

  it("serializeInto writes at an offset and returns bytes written", () => {
    const p = new RtpPacket({ payloadType: 96, sequenceNumber: 1, timestamp: 2, ssrc: 3, payload: Uint8Array.of(1) });
    const dst = new Uint8Array(40);
    expect(p.serializeInto(dst, 5)).toBe(13);
    expect(RtpPacket.parse(dst.subarray(5, 18)).payload).toEqual(Uint8Array.of(1));
    expect(() => p.serializeInto(new Uint8Array(12), 0)).toThrow(RangeError);
  });

  it("validates constructor options", () => {
    expect(() => new RtpPacket({ payloadType: 128, sequenceNumber: 0, timestamp: 0, ssrc: 0 })).toThrow(InvalidOptionError);
    expect(() => new RtpPacket({ payloadType: 0, sequenceNumber: 0, timestamp: 0, ssrc: 0, paddingLength: 256 })).toThrow(InvalidOptionError);
    expect(() => new RtpPacket({ payloadType: 0, sequenceNumber: 0, timestamp: 0, ssrc: 0, csrcs: new Array(16).fill(1) })).toThrow(InvalidOptionError);
  });

  it.each([
    ["shorter than 12 bytes", "8060 0001 0000"],
    ["version 1", "4060 0001 00000002 00000003"],
    ["CSRC overrun", "8360 0001 00000002 00000003 00000004"],
    ["extension header overrun", "9060 0001 00000002 00000003 bede"],
    ["extension length overrun", "9060 0001 00000002 00000003 bede0002 00000000"],
    ["padding count 0", "a060 0001 00000002 00000003 0000"],
    ["padding overrun", "a060 0001 00000002 00000003 0009"],
    ["malformed one-byte element", "9060 0001 00000002 00000003 bede0001 13000000"],
  ])("rejects %s with MalformedPacketError", (_name, h) => {
    expect(() => RtpPacket.parse(hex(h))).toThrow(MalformedPacketError);
    expect(() => RtpPacket.parse(hex(h))).toThrow(/^Cannot parse RTP packet: /);
  });

  it("fuzz: 30k inputs, malformed throw MalformedPacketError, valid round-trip (RFC 3550 5.1)", () => {
    const valid = (rng: SeededRandom): Uint8Array => {
      const csrcs: number[] = [];
      const cc = rng.int(0, 3) === 0 ? rng.int(1, 15) : 0;
      for (let i = 0; i < cc; i++) csrcs.push(rng.nextUint32());
      let ext: RtpHeaderExtensions | null = null;
      const x = rng.int(0, 3);
      if (x === 1 || x === 2) {
        ext = new RtpHeaderExtensions(x === 1 ? 0xbede : 0x1000);
        for (let i = rng.int(1, 4); i > 0; i--) ext.set(x === 1 ? rng.int(1, 14) : rng.int(1, 255), rng.fill(new Uint8Array(rng.int(1, 16))));
      } else if (x === 3) {
        ext = new RtpHeaderExtensions(rng.int(0, 0xbedd), [], rng.fill(new Uint8Array(4 * rng.int(0, 3))));
      }
      return new RtpPacket({
        marker: rng.int(0, 1) === 1,
        payloadType: rng.int(0, 127),
        sequenceNumber: rng.int(0, 65535),
        timestamp: rng.nextUint32(),
        ssrc: rng.nextUint32(),
        csrcs,
        headerExtensions: ext,
        payload: rng.fill(new Uint8Array(rng.int(0, 200))),
        paddingLength: rng.int(0, 4) === 0 ? rng.int(1, 255) : 0,
      }).serialize();
    };
    const r = fuzz({ parse: (b) => RtpPacket.parse(b), serialize: (p) => p.serialize(), valid }, 30_000, 3550);
    expect(r.inputs).toBe(30_000);
    expect(r.parsed).toBeGreaterThan(7500);
    expect(r.rejected).toBeGreaterThan(3000);
  });
});
