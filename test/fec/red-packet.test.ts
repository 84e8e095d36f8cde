import { describe, expect, it } from "vitest";
import { InvalidOptionError, MalformedPacketError } from "../../src/errors.js";
import { RedPacket } from "../../src/fec/red-packet.js";
import { RtpPacket } from "../../src/rtp/rtp-packet.js";
import { SeededRandom } from "../../src/util/seeded-random.js";
import { fuzz } from "../rtp/fuzz-helper.js";

describe("RedPacket (RFC 2198)", () => {
  it("RFC 2198 section 3: parses a primary plus one redundant block", () => {
    // F=1 PT=0, offset 0x123, length 5; then F=0 PT=0, primary of 3 bytes.
    const bytes = new Uint8Array([0x80, 0x123 >> 6, ((0x123 & 0x3f) << 2) | 0, 5, 0x00, 1, 2, 3, 4, 5, 9, 8, 7]);
    const red = RedPacket.parse(bytes);
    expect(red.blocks.length).toBe(2);
    expect(red.blocks[0]).toMatchObject({ payloadType: 0, timestampOffset: 0x123 });
    expect(Array.from(red.blocks[0]!.data)).toEqual([1, 2, 3, 4, 5]);
    expect(red.primary.payloadType).toBe(0);
    expect(Array.from(red.primary.data)).toEqual([9, 8, 7]);
    expect(red.serialize()).toEqual(bytes);
  });

  it("RFC 2198 section 3: primary-only packet has a 1-byte header", () => {
    const red = new RedPacket([{ payloadType: 96, timestampOffset: 0, data: new Uint8Array([1, 2]) }]);
    expect(Array.from(red.serialize())).toEqual([96, 1, 2]);
    expect(RedPacket.parse(new Uint8Array([100])).primary.data.length).toBe(0);
  });

  it("rejects truncated headers and overlong blocks", () => {
    expect(() => RedPacket.parse(new Uint8Array([]))).toThrow(MalformedPacketError);
    expect(() => RedPacket.parse(new Uint8Array([0x80, 0, 0]))).toThrow(MalformedPacketError);
    expect(() => RedPacket.parse(new Uint8Array([0x80, 0, 0, 9, 0x60, 1]))).toThrow(MalformedPacketError);
    expect(() => RedPacket.parse(new Uint8Array([0x80, 0, 0, 0, 0x80, 0, 0, 0]))).toThrow(MalformedPacketError);
    expect(() => new RedPacket([])).toThrow(InvalidOptionError);
    expect(() => new RedPacket([{ payloadType: 1, timestampOffset: 0, data: new Uint8Array(1024) }, { payloadType: 1, timestampOffset: 0, data: new Uint8Array(1) }])).toThrow(InvalidOptionError);
  });

  it("wrap/unwrap round-trips an RTP packet with CSRCs and an extension (padding is dropped)", () => {
    const p = new RtpPacket({ payloadType: 96, sequenceNumber: 65535, timestamp: 0xdeadbeef, ssrc: 42, marker: true, csrcs: [7, 8], payload: new Uint8Array([1, 2, 3]), paddingLength: 4 });
    p.setExtension(3, new Uint8Array([0xaa, 0xbb]));
    const red = RedPacket.wrap(p, 101);
    expect(red.payloadType).toBe(101);
    expect(red.marker).toBe(true);
    expect(red.padding).toBe(false);
    expect(Array.from(red.payload)).toEqual([96, 1, 2, 3]);
    const back = RedPacket.unwrap(red);
    p.paddingLength = 0;
    expect(back.serialize()).toEqual(p.serialize());
  });

  it("fuzz: ~20k random and mutated inputs only ever throw MalformedPacketError", () => {
    const r = fuzz(
      {
        parse: (b) => RedPacket.parse(b),
        serialize: (v) => v.serialize(),
        valid: (rng: SeededRandom) => {
          const n = rng.int(0, 3);
          const blocks = Array.from({ length: n + 1 }, (_, i) => ({
            payloadType: rng.int(0, 127),
            timestampOffset: i === n ? 0 : rng.int(0, 0x3fff),
            data: rng.fill(new Uint8Array(rng.int(0, 40))),
          }));
          return new RedPacket(blocks).serialize();
        },
      },
      20_000,
      2198,
    );
    expect(r.parsed).toBeGreaterThan(5000);
    expect(r.rejected).toBeGreaterThan(500);
  });
});
