import { describe, expect, it } from "vitest";
import { InvalidOptionError } from "../../src/errors.js";
import { FecEncoder } from "../../src/fec/fec-encoder.js";
import { RedPacket } from "../../src/fec/red-packet.js";
import { UlpfecPacket } from "../../src/fec/ulpfec-packet.js";
import { sinkTo } from "../../src/pipeline/stage.js";
import { RtpPacket } from "../../src/rtp/rtp-packet.js";
import { seqDiff } from "../../src/rtp/wrap-around-unwrapper.js";

function media(seq: number, marker: boolean, ts = seq * 100): RtpPacket {
  return new RtpPacket({ payloadType: 96, sequenceNumber: seq, timestamp: ts, ssrc: 9, marker, payload: new Uint8Array([seq & 0xff, 1, 2]) });
}

function collect(enc: FecEncoder): RtpPacket[] {
  const out: RtpPacket[] = [];
  enc.pipe(sinkTo((p) => out.push(p)));
  return out;
}

const fecOf = (p: RtpPacket): UlpfecPacket | undefined => {
  const b = RedPacket.parse(p.payload).primary;
  return b.payloadType === 100 ? UlpfecPacket.parse(b.data) : undefined;
};

describe("FecEncoder (RFC 5109 ULPFEC in RFC 2198 RED)", () => {
  it("wraps every media packet in RED and shares SSRC and one continuous sequence space with FEC (as libwebrtc/GStreamer)", () => {
    const enc = new FecEncoder({ protection: { fecPerMedia: 0.25 } });
    const out = collect(enc);
    for (let i = 0; i < 16; i++) enc.push(media(65530 + i, true), 0);
    expect(out.length).toBe(20);
    expect(out.every((p) => p.payloadType === 101 && p.ssrc === 9)).toBe(true);
    for (let i = 1; i < out.length; i++) expect(seqDiff(out[i]!.sequenceNumber, out[i - 1]!.sequenceNumber)).toBe(1);
    expect(out[0]!.sequenceNumber).toBe(65530);
    const fecIdx = out.map((p, i) => (fecOf(p) ? i : -1)).filter((i) => i >= 0);
    expect(fecIdx).toEqual([4, 9, 14, 19]);
    const f = fecOf(out[9]!)!;
    expect(f.snBase).toBe(out[5]!.sequenceNumber);
    expect(f.protectedOffsets).toEqual([0, 1, 2, 3]);
    expect(out[9]!.timestamp).toBe(out[8]!.timestamp);
    expect(enc.stats()).toMatchObject({ mediaPackets: 16, fecPackets: 4, groups: 4 });
  });

  it("groups close at frame ends (marker) once they hold 1/fecPerMedia packets, at most maxGroup", () => {
    const enc = new FecEncoder({ protection: { fecPerMedia: 0.25, maxGroup: 10 } });
    const out = collect(enc);
    for (let i = 0; i < 6; i++) enc.push(media(i, i === 5), 0); // one frame of 6 → round(1.5)=2 FEC
    expect(out.filter(fecOf).length).toBe(2);
    for (let i = 6; i < 30; i++) enc.push(media(i, false), 0); // no marker: closes at 10 and 20
    const fecs = out.map(fecOf).filter((f) => f !== undefined);
    expect(fecs.length).toBe(2 + 3 + 3); // round(10 · 0.25) = 3 per group of 10; 4 packets still open
    expect(fecs.slice(2, 5).map((f) => f.protectedOffsets)).toEqual([[0, 1, 2, 3], [0, 1, 2], [0, 1, 2]]);
    expect(fecs.every((f) => !f.longMask)).toBe(true);
  });

  it("a 48-packet group uses the 48-bit mask (L = 1) with bursty interleaving", () => {
    const enc = new FecEncoder({ protection: { fecPerMedia: 0.125, maskType: "bursty" } });
    const out = collect(enc);
    for (let i = 0; i < 48; i++) enc.push(media(i, i === 47), 0);
    const fecs = out.map(fecOf).filter((f) => f !== undefined);
    expect(fecs.length).toBe(6);
    expect(fecs[0]!.longMask).toBe(true);
    expect(fecs[0]!.protectedOffsets).toEqual([0, 6, 12, 18, 24, 30, 36, 42]);
  });

  it("setProtection changes the level live; 0 sends media only", () => {
    const enc = new FecEncoder();
    const out = collect(enc);
    for (let i = 0; i < 8; i++) enc.push(media(i, true), 0);
    expect(out.filter(fecOf).length).toBe(0);
    enc.setProtection({ fecPerMedia: 0.5 });
    for (let i = 8; i < 16; i++) enc.push(media(i, true), 0);
    expect(out.filter(fecOf).length).toBe(4);
    enc.setProtection({ fecPerMedia: 0 });
    for (let i = 16; i < 24; i++) enc.push(media(i, true), 0);
    expect(out.filter(fecOf).length).toBe(4);
    expect(enc.getProtection()).toEqual({ fecPerMedia: 0, maxGroup: 48, maskType: "random" });
  });

  it("validates options with 'Cannot use ...' messages", () => {
    expect(() => new FecEncoder({ protection: { fecPerMedia: 0.6 } })).toThrow(/Cannot use protection.fecPerMedia=0.6: allowed is a number from 0 to 0.5/);
    expect(() => new FecEncoder({ protection: { fecPerMedia: 0.2, maxGroup: 49 } })).toThrow(InvalidOptionError);
    expect(() => new FecEncoder({ redPayloadType: 100 })).toThrow(InvalidOptionError);
    expect(() => new FecEncoder().setProtection({ fecPerMedia: 0.1, maskType: "weird" as "random" })).toThrow(InvalidOptionError);
  });
});
