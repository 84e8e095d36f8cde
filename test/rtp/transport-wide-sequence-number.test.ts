import { describe, expect, it } from "vitest";
import { MalformedPacketError } from "../../src/errors.js";
import { AbsSendTime } from "../../src/rtp/abs-send-time.js";
import { RtpHeaderExtensions, TWO_BYTE_PROFILE } from "../../src/rtp/rtp-header-extensions.js";
import { RtpPacket } from "../../src/rtp/rtp-packet.js";
import { findRtpExtensionElement, TRANSPORT_WIDE_SEQUENCE_NUMBER_URI, TransportWideSequenceNumber } from "../../src/rtp/transport-wide-sequence-number.js";
import { SeededRandom } from "../../src/util/seeded-random.js";

const packet = (): RtpPacket => new RtpPacket({ payloadType: 96, sequenceNumber: 1, timestamp: 2, ssrc: 3, csrcs: [9], payload: Uint8Array.of(1, 2, 3) });

describe("transport-wide sequence number extension (draft-holmer-rmcat-transport-wide-cc-extensions-01 section 2)", () => {
  it("URI and the 2-byte big-endian form (pion/rtp transportccextension_test.go: 00 02 is 2)", () => {
    expect(TRANSPORT_WIDE_SEQUENCE_NUMBER_URI).toBe("http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01");
    const p = packet().setExtension(5, Uint8Array.of(0x00, 0x02));
    expect(TransportWideSequenceNumber.read(p, 5)).toBe(2);
    const wire = p.serialize();
    // One-byte element: id 5, L=1, then the number (RFC 8285 4.2).
    expect(Array.from(wire.subarray(16, 24))).toEqual([0xbe, 0xde, 0x00, 0x01, 0x51, 0x00, 0x02, 0x00]);
    expect(TransportWideSequenceNumber.read(RtpPacket.parse(wire), 5)).toBe(2);
    expect(TransportWideSequenceNumber.read(p, 6)).toBeUndefined();
  });

  it("write reuses the existing 2-byte element (no new array) and wraps to 16 bits", () => {
    const p = packet();
    TransportWideSequenceNumber.write(p, 3, 0x1234);
    const data = p.getExtension(3)!;
    TransportWideSequenceNumber.write(p, 3, 0x1_abcd);
    expect(p.getExtension(3)).toBe(data);
    expect(TransportWideSequenceNumber.read(p, 3)).toBe(0xabcd);
    // After parse the element is a view into the received bytes: written in place too.
    const parsed = RtpPacket.parse(p.serialize());
    TransportWideSequenceNumber.write(parsed, 3, 7);
    expect(TransportWideSequenceNumber.read(RtpPacket.parse(parsed.serialize()), 3)).toBe(7);
  });

  it("patch and peek work on serialized packets, one-byte and two-byte forms (RFC 8285 4.2, 4.3), and refuse what is not there", () => {
    const p = packet().setExtension(1, Uint8Array.of(9)).setExtension(4, Uint8Array.of(0, 0));
    const wire = p.serialize();
    expect(TransportWideSequenceNumber.patch(wire, 4, 54321)).toBe(true);
    expect(TransportWideSequenceNumber.read(RtpPacket.parse(wire), 4)).toBe(54321);
    expect(TransportWideSequenceNumber.peek(wire, 4)).toBe(54321);
    expect(TransportWideSequenceNumber.patch(wire, 1, 5)).toBe(false); // 1 byte, not 2
    expect(TransportWideSequenceNumber.patch(wire, 7, 5)).toBe(false);
    const two = new RtpPacket({ payloadType: 96, sequenceNumber: 1, timestamp: 2, ssrc: 3, headerExtensions: new RtpHeaderExtensions(TWO_BYTE_PROFILE).set(200, Uint8Array.of(0, 0)) });
    const w2 = two.serialize();
    expect(TransportWideSequenceNumber.patch(w2, 200, 0xbeef)).toBe(true);
    expect(TransportWideSequenceNumber.read(RtpPacket.parse(w2), 200)).toBe(0xbeef);
    expect(TransportWideSequenceNumber.patch(packet().serialize(), 4, 1)).toBe(false);
  });

  it("a wrong-length element is MalformedPacketError", () => {
    expect(() => TransportWideSequenceNumber.read(packet().setExtension(2, Uint8Array.of(1, 2, 3)), 2)).toThrow(MalformedPacketError);
  });

  it("fuzz: findRtpExtensionElement on 20k random and mutated packets never throws and agrees with RtpPacket.parse", () => {
    const rng = new SeededRandom(8285);
    let agreed = 0;
    for (let n = 0; n < 20_000; n++) {
      const p = packet();
      for (let k = rng.int(0, 3); k > 0; k--) p.setExtension(rng.int(1, 14), rng.fill(new Uint8Array(rng.int(1, 4))));
      const b = p.serialize();
      for (let k = rng.int(0, 3); k > 0; k--) b[rng.int(0, b.length - 1)] = rng.int(0, 255);
      const id = rng.int(1, 14);
      const r = findRtpExtensionElement(b, id);
      let viaParse: Uint8Array | undefined;
      try {
        viaParse = RtpPacket.parse(b).getExtension(id);
      } catch (e) {
        expect(e).toBeInstanceOf(MalformedPacketError);
        continue;
      }
      if (viaParse === undefined) expect(r).toBe(-1);
      else {
        expect(r & 0xff).toBe(viaParse.length);
        expect(b.subarray(r >>> 8, (r >>> 8) + (r & 0xff))).toEqual(viaParse);
      }
      agreed++;
    }
    expect(agreed).toBeGreaterThan(5000);
  });
});

describe("abs-send-time extension (webrtc.org abs-send-time, 6.18 fixed point)", () => {
  it("converts µs to 24-bit 6.18 seconds and back, wrapping every 64 s", () => {
    expect(AbsSendTime.URI).toBe("http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time");
    expect(AbsSendTime.fromUs(1_000_000)).toBe(0x040000);
    expect(AbsSendTime.fromUs(500_000)).toBe(0x020000);
    expect(AbsSendTime.fromUs(64_000_000)).toBe(0);
    expect(AbsSendTime.fromUs(65_000_000)).toBe(0x040000);
    expect(AbsSendTime.toUs(0x040000)).toBe(1_000_000);
    expect(Math.abs(AbsSendTime.toUs(AbsSendTime.fromUs(12_345_678)) - 12_345_678)).toBeLessThan(2);
    expect(AbsSendTime.diffUs(AbsSendTime.fromUs(64_500_000), AbsSendTime.fromUs(63_500_000))).toBe(1_000_000);
  });

  it("write/read on a packet (in place the second time) and patch on serialized bytes", () => {
    const p = packet();
    AbsSendTime.write(p, 2, 1_000_000);
    const data = p.getExtension(2)!;
    expect(Array.from(data)).toEqual([0x04, 0x00, 0x00]);
    AbsSendTime.write(p, 2, 2_000_000);
    expect(p.getExtension(2)).toBe(data);
    expect(AbsSendTime.read(p, 2)).toBe(0x080000);
    const wire = p.serialize();
    expect(AbsSendTime.patch(wire, 2, 3_000_000)).toBe(true);
    expect(AbsSendTime.read(RtpPacket.parse(wire), 2)).toBe(0x0c0000);
    expect(AbsSendTime.patch(wire, 3, 0)).toBe(false);
    expect(() => AbsSendTime.read(packet().setExtension(2, Uint8Array.of(1)), 2)).toThrow(MalformedPacketError);
  });
});
