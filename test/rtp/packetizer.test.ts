import { describe, expect, it } from "vitest";
import type { CodecName } from "../../src/codec/encoded-frame.js";
import { InvalidOptionError } from "../../src/errors.js";
import { sinkTo } from "../../src/pipeline/stage.js";
import { balancedChunkSizes } from "../../src/rtp/codec-payload-format.js";
import { Packetizer, type PacketizerOptions } from "../../src/rtp/packetizer.js";
import { RtpPacket } from "../../src/rtp/rtp-packet.js";
import { Vp8PayloadDescriptor } from "../../src/rtp/vp8-payload-descriptor.js";
import { Vp9PayloadDescriptor } from "../../src/rtp/vp9-payload-descriptor.js";
import { SeededRandom } from "../../src/util/seeded-random.js";
import { vp8Frame } from "./frames-helper.js";

function collect(options: PacketizerOptions): { p: Packetizer; packets: RtpPacket[] } {
  const p = new Packetizer(options);
  const packets: RtpPacket[] = [];
  p.pipe(sinkTo((x) => packets.push(x)));
  return { p, packets };
}

describe("balancedChunkSizes", () => {
  it("uses the fewest packets with sizes within one byte of each other", () => {
    const s = balancedChunkSizes(4000, 1168, 4, 4);
    expect(s).toHaveLength(4);
    expect(s.reduce((a, b) => a + b, 0)).toBe(4000);
    expect(Math.max(...s) - Math.min(...s)).toBeLessThanOrEqual(1);
  });

  it("balances whole payloads when the first descriptor is larger", () => {
    const s = balancedChunkSizes(3000, 1000, 20, 4);
    expect(s.reduce((a, b) => a + b, 0)).toBe(3000);
    expect(s[0]! + 20).toBeLessThanOrEqual(1000);
    for (const x of s.slice(1)) expect(x + 4).toBeLessThanOrEqual(1000);
  });

  it("always fits every chunk for many sizes", () => {
    const rng = new SeededRandom(5);
    for (let i = 0; i < 2000; i++) {
      const len = rng.int(0, 20000);
      const max = rng.int(30, 1500);
      const h0 = rng.int(1, 20);
      const h = rng.int(1, h0);
      const s = balancedChunkSizes(len, max, h0, h);
      expect(s.reduce((a, b) => a + b, 0)).toBe(len);
      s.forEach((x, k) => expect(x + (k === 0 ? h0 : h)).toBeLessThanOrEqual(max));
      expect(s.length).toBeLessThanOrEqual(1 + Math.max(0, Math.ceil((len - (max - h0)) / (max - h))));
    }
  });
});

describe("Packetizer", () => {
  it("splits a 4 KB VP8 frame into MTU-sized packets, marker on the last (RFC 7741 4.1)", () => {
    const { p, packets } = collect({ codec: "vp8", payloadType: 96, ssrc: 1234, initialSequenceNumber: 65534 });
    p.push(vp8Frame(new SeededRandom(1), 4096, true, 9000), 0);
    expect(packets.length).toBe(4);
    expect(packets.map((x) => x.sequenceNumber)).toEqual([65534, 65535, 0, 1]);
    expect(packets.map((x) => x.marker)).toEqual([false, false, false, true]);
    for (const x of packets) {
      expect(x.byteLength).toBeLessThanOrEqual(1200 - 16);
      expect(x.timestamp).toBe(9000);
      expect(x.ssrc).toBe(1234);
      expect(x.payloadType).toBe(96);
    }
    const descs = packets.map((x) => Vp8PayloadDescriptor.parse(x.payload));
    expect(descs.map((d) => d.startOfFrame)).toEqual([true, false, false, false]);
    expect(descs.every((d) => d.pictureId === 0 && d.pictureIdBits === 15)).toBe(true);
    expect(p.stats()).toEqual({ packets: 4, bytes: packets.reduce((a, x) => a + x.byteLength, 0), frames: 1, packetsOversize: 0 });
  });

  it("increments the PictureID per frame and wraps at 15 bits (RFC 7741 4.2)", () => {
    const { p, packets } = collect({ codec: "vp8", payloadType: 96, ssrc: 1, initialPictureId: 32767 });
    const rng = new SeededRandom(2);
    p.push(vp8Frame(rng, 100, true, 0), 0);
    p.push(vp8Frame(rng, 100, false, 3000), 0);
    expect(packets.map((x) => Vp8PayloadDescriptor.parse(x.payload).pictureId)).toEqual([32767, 0]);
  });

  it("honours the 7-bit PictureID option", () => {
    const { p, packets } = collect({ codec: "vp8", payloadType: 96, ssrc: 1, pictureIdBits: 7, initialPictureId: 127 });
    const rng = new SeededRandom(2);
    p.push(vp8Frame(rng, 100, true, 0), 0);
    p.push(vp8Frame(rng, 100, false, 3000), 0);
    expect(packets.map((x) => Vp8PayloadDescriptor.parse(x.payload).pictureIdBits)).toEqual([7, 7]);
    expect(packets.map((x) => Vp8PayloadDescriptor.parse(x.payload).pictureId)).toEqual([127, 0]);
  });

  it("reserves room for SRTP and header extensions", () => {
    const { p, packets } = collect({ codec: "vp8", payloadType: 96, ssrc: 1, mtuBytes: 500, srtpOverheadBytes: 10, headerExtensionBytes: 8 });
    p.push(vp8Frame(new SeededRandom(3), 5000, true, 0), 0);
    expect(p.maxPayloadBytes).toBe(500 - 12 - 8 - 10);
    for (const x of packets) expect(x.byteLength + 8 + 10).toBeLessThanOrEqual(500);
  });

  it("VP9 flexible mode: B/E bits, P_DIFF on delta frames, SS with resolution on keyframes (RFC 9628 4.2)", () => {
    const { p, packets } = collect({ codec: "vp9", payloadType: 98, ssrc: 7, vp9Mode: "flexible" });
    const rng = new SeededRandom(4);
    p.push({ kind: "video", codec: "vp9", data: rng.fill(new Uint8Array(3000)), keyframe: true, rtpTimestamp: 0, captureTimeUs: 0, frameIndex: 0, width: 640, height: 480 }, 0);
    const n1 = packets.length;
    p.push({ kind: "video", codec: "vp9", data: rng.fill(new Uint8Array(500)), keyframe: false, rtpTimestamp: 3000, captureTimeUs: 0, frameIndex: 1 }, 0);
    const d = packets.map((x) => Vp9PayloadDescriptor.parse(x.payload));
    expect(n1).toBe(3);
    expect(d.map((x) => x.beginningOfFrame)).toEqual([true, false, false, true]);
    expect(d.map((x) => x.endOfFrame)).toEqual([false, false, true, true]);
    expect(packets.map((x) => x.marker)).toEqual([false, false, true, true]);
    expect(d[0]!.ss?.resolutions).toEqual([{ width: 640, height: 480 }]);
    expect(d[0]!.interPicturePredicted).toBe(false);
    expect(d[1]!.ss).toBeNull();
    expect(d[3]!.flexibleMode).toBe(true);
    expect(d[3]!.interPicturePredicted).toBe(true);
    expect(d[3]!.pDiffs).toEqual([1]);
    expect(d.map((x) => x.pictureId)).toEqual([0, 0, 0, 1]);
  });

  it("VP9 non-flexible mode: layer indices, TL0PICIDX per frame, SS picture group (RFC 9628 4.2.1)", () => {
    const { p, packets } = collect({ codec: "vp9", payloadType: 98, ssrc: 7, vp9Mode: "non-flexible" });
    const rng = new SeededRandom(4);
    p.push({ kind: "video", codec: "vp9", data: rng.fill(new Uint8Array(100)), keyframe: true, rtpTimestamp: 0, captureTimeUs: 0, frameIndex: 0, width: 320, height: 240 }, 0);
    p.push({ kind: "video", codec: "vp9", data: rng.fill(new Uint8Array(100)), keyframe: false, rtpTimestamp: 3000, captureTimeUs: 0, frameIndex: 1 }, 0);
    const d = packets.map((x) => Vp9PayloadDescriptor.parse(x.payload));
    expect(d.map((x) => x.flexibleMode)).toEqual([false, false]);
    expect(d.map((x) => x.tl0PicIdx)).toEqual([0, 1]);
    expect(d.map((x) => x.tid)).toEqual([0, 0]);
    expect(d[0]!.ss?.pictureGroup).toEqual([{ tid: 0, switchingUpPoint: false, pDiffs: [1] }]);
  });

  it("Opus: one packet per frame, payload is the frame itself, marker at the start of the talkspurt (RFC 7587 4.1, 4.2)", () => {
    const { p, packets } = collect({ codec: "opus", payloadType: 111, ssrc: 9 });
    for (let i = 0; i < 3; i++) {
      const data = new Uint8Array(80).fill(i);
      p.push({ kind: "audio", codec: "opus", data, keyframe: true, rtpTimestamp: 960 * i, captureTimeUs: 0, frameIndex: i }, 0);
      expect(packets[i]!.payload).toBe(data);
    }
    expect(packets.map((x) => x.timestamp)).toEqual([0, 960, 1920]);
    expect(packets.map((x) => x.marker)).toEqual([true, false, false]);
    p.push({ kind: "audio", codec: "opus", data: new Uint8Array(1275), keyframe: true, rtpTimestamp: 2880, captureTimeUs: 0, frameIndex: 3 }, 0);
    expect(packets).toHaveLength(4);
    expect(p.stats().packetsOversize).toBe(1);
  });

  it.each<[string, Partial<PacketizerOptions>]>([
    ["unknown codec", { codec: "h264" as CodecName }],
    ["payload type 128", { payloadType: 128 }],
    ["MTU too small for the headers", { mtuBytes: 40 }],
    ["MTU leaving no payload after overheads", { mtuBytes: 64, srtpOverheadBytes: 50 }],
    ["bad vp9Mode", { codec: "vp9", vp9Mode: "svc" as "flexible" }],
    ["bad pictureIdBits", { pictureIdBits: 8 as 7 }],
    ["initialSequenceNumber out of range", { initialSequenceNumber: 70000 }],
  ])("rejects %s with InvalidOptionError", (_n, o) => {
    expect(() => new Packetizer({ codec: "vp8", payloadType: 96, ssrc: 1, ...o })).toThrow(InvalidOptionError);
  });
});
