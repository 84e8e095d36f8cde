import { describe, expect, it } from "vitest";
import { InvalidOptionError, MalformedPacketError } from "../../src/errors.js";
import { ReceiverEstimatedMaxBitrate, REMB_MAX_BITRATE_BPS, rembExponentMantissa } from "../../src/rtcp/receiver-estimated-max-bitrate.js";
import { parseRtcpPacket } from "../../src/rtcp/rtcp-packet.js";
import { UnknownRtcpPacket } from "../../src/rtcp/unknown-rtcp-packet.js";
import type { SeededRandom } from "../../src/util/seeded-random.js";
import { fuzz } from "../rtp/fuzz-helper.js";

const hex = (s: string): Uint8Array => Uint8Array.from(s.replace(/\s+/g, "").match(/../g)!.map((x) => parseInt(x, 16)));

describe("REMB (draft-alvestrand-rmcat-remb-03 2.2, RFC 4585 6.4)", () => {
  it("pion/rtcp receiver_estimated_maximum_bitrate_test.go, Chrome at 6 Mb/s: exp 6, mantissa 139487 = 8 927 168 bps; byte-exact", () => {
    const bytes = Uint8Array.from([143, 206, 0, 5, 0, 0, 0, 1, 0, 0, 0, 0, 82, 69, 77, 66, 1, 26, 32, 223, 72, 116, 237, 22]);
    const r = ReceiverEstimatedMaxBitrate.parse(bytes);
    expect(r.senderSsrc).toBe(1);
    expect(r.mediaSsrc).toBe(0);
    expect(r.bitrateBps).toBe(8927168);
    expect(r.ssrcs).toEqual([1215622422]);
    expect(r.serialize()).toEqual(bytes);
    expect(parseRtcpPacket(bytes)).toBeInstanceOf(ReceiverEstimatedMaxBitrate);
    // pion's truncation case: one bps less rounds the mantissa down to 139486 → 8 927 104.
    expect(new ReceiverEstimatedMaxBitrate(1, 8927167, [1215622422]).bitrateBps).toBe(8927104);
  });

  it("pion/rtcp overflow vector: exp 63, mantissa 2^18−1, no SSRCs; the largest rate round-trips", () => {
    const bytes = Uint8Array.from([143, 206, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 82, 69, 77, 66, 0, 255, 255, 255]);
    const r = ReceiverEstimatedMaxBitrate.parse(bytes);
    expect(r.bitrateBps).toBe(REMB_MAX_BITRATE_BPS);
    expect(r.ssrcs).toEqual([]);
    expect(r.serialize()).toEqual(bytes);
    expect(() => new ReceiverEstimatedMaxBitrate(1, REMB_MAX_BITRATE_BPS * 2, [])).toThrow(InvalidOptionError);
    expect(() => new ReceiverEstimatedMaxBitrate(1, -1, [])).toThrow(InvalidOptionError);
  });

  it("exponent/mantissa: exact below 2^18, smallest exponent above, always rounding down", () => {
    expect(rembExponentMantissa(262143)).toEqual({ exponent: 0, mantissa: 262143 });
    expect(rembExponentMantissa(262144)).toEqual({ exponent: 1, mantissa: 131072 });
    expect(rembExponentMantissa(1_000_001)).toEqual({ exponent: 2, mantissa: 250000 });
    for (const bps of [0, 1, 30_000, 2_500_000, 1e9, 123_456_789]) {
      const { exponent, mantissa } = rembExponentMantissa(bps);
      expect(mantissa).toBeLessThanOrEqual(0x3ffff);
      expect(mantissa * 2 ** exponent).toBeLessThanOrEqual(bps);
      expect((mantissa + 1) * 2 ** exponent).toBeGreaterThan(bps);
    }
  });

  it("rejects a wrong identifier and a Num SSRC that disagrees with the length; the dispatch keeps those opaque", () => {
    const badCount = hex("8fce0005 00000001 00000000 52454d42 021a20df 4874ed16");
    expect(() => ReceiverEstimatedMaxBitrate.parse(badCount)).toThrow(MalformedPacketError);
    expect(parseRtcpPacket(badCount)).toBeInstanceOf(UnknownRtcpPacket);
    const notRemb = hex("8fce0005 00000001 00000000 41424344 011a20df 4874ed16");
    expect(() => ReceiverEstimatedMaxBitrate.parse(notRemb)).toThrow(MalformedPacketError);
    expect(parseRtcpPacket(notRemb)).toBeInstanceOf(UnknownRtcpPacket);
    expect(() => ReceiverEstimatedMaxBitrate.parse(hex("8fce0003 00000001 00000000 52454d42"))).toThrow(MalformedPacketError);
  });

  it("fuzz: 20k REMB inputs (direct and through the dispatch), only MalformedPacketError, valid round-trip", () => {
    const valid = (rng: SeededRandom): Uint8Array =>
      new ReceiverEstimatedMaxBitrate(rng.nextUint32(), rng.next() * 10 ** rng.int(0, 12), Array.from({ length: rng.int(0, 5) }, () => rng.nextUint32())).serialize();
    const r = fuzz({ parse: (b) => ReceiverEstimatedMaxBitrate.parse(b), serialize: (p) => p.serialize(), valid }, 20_000, 4585_64);
    expect(r.parsed).toBeGreaterThan(5000);
    expect(r.rejected).toBeGreaterThan(5000);
    const d = fuzz({ parse: (b) => parseRtcpPacket(b), serialize: (p) => p.serialize(), valid }, 20_000, 4585_206);
    expect(d.parsed).toBeGreaterThan(5000);
  });
});
