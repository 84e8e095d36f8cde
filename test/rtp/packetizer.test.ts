import { describe, expect, it } from "vitest";
import type { CodecName, EncodedFrame } from "../../src/codec/encoded-frame.js";
import { InvalidOptionError } from "../../src/errors.js";
import { sinkTo } from "../../src/pipeline/stage.js";
import { balancedChunkSizes } from "../../src/rtp/codec-payload-format.js";
import { Packetizer, type PacketizerOptions } from "../../src/rtp/packetizer.js";
import { RtpPacket } from "../../src/rtp/rtp-packet.js";
import { Vp8Packetizer } from "../../src/rtp/vp8-packetizer.js";
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

describe("Packetizer with temporal layers", () => {
  /** VP8 frames in the encoder's two-layer pattern; `layers[i]` undefined means no layer signalled. */
  function vp8Layered(layers: readonly (0 | 1 | undefined)[], keyframes: ReadonlySet<number>, seed = 11): EncodedFrame[] {
    const rng = new SeededRandom(seed);
    return layers.map((layer, i) => {
      const f = vp8Frame(rng, rng.int(1500, 2600), keyframes.has(i), i * 3000);
      return layer === undefined ? f : { ...f, temporalLayer: layer };
    });
  }

  /** Packetizes each frame and returns the parsed descriptors of its packets. */
  function vp8Descriptors(frames: readonly EncodedFrame[]): Vp8PayloadDescriptor[][] {
    const { p, packets } = collect({ codec: "vp8", payloadType: 96, ssrc: 1 });
    return frames.map((f) => {
      const before = packets.length;
      p.push(f, 0);
      return packets.slice(before).map((x) => Vp8PayloadDescriptor.parse(x.payload));
    });
  }

  it("VP8: every packet carries TL0PICIDX (+1 per base frame, a keyframe is one), TID = layer, Y and N only on TID 1 (RFC 7741 4.2)", () => {
    const layers = [0, 1, 0, 1, 0, 0, 1, 0, 1] as const;
    // Frame 4 is a keyframe where an upper-layer frame would have come (the encoder restarts the pattern).
    const frames = vp8Layered(layers, new Set([0, 4]));
    const descs = vp8Descriptors(frames);
    expect(descs.some((d) => d.length > 1)).toBe(true); // the checks below cover continuation packets too
    let base = -1;
    descs.forEach((ds, i) => {
      const layer = layers[i]!;
      if (layer === 0 || frames[i]!.keyframe) base = (base + 1) & 0xff;
      for (const d of ds) {
        expect(d.tl0PicIdx).toBe(base);
        expect(d.tid).toBe(layer);
        expect(d.layerSync).toBe(layer === 1);
        expect(d.nonReference).toBe(layer === 1);
        expect(d.pictureId).toBe(i);
      }
    });
    // An upper-layer frame shares its base frame's index; the next base frame moves it on by one.
    expect(descs[1]![0]!.tl0PicIdx).toBe(descs[0]![0]!.tl0PicIdx);
    expect(descs[2]![0]!.tl0PicIdx).toBe(descs[1]![0]!.tl0PicIdx + 1);
  });

  it("VP8: TL0PICIDX starts at initialTl0PicIdx and wraps from 255 to 0 (RFC 7741 4.2)", () => {
    const vp8 = new Vp8Packetizer({ initialTl0PicIdx: 254 });
    const layers = [0, 1, 0, 1, 0, 1, 0] as const;
    const frames = vp8Layered(layers, new Set([0]));
    const got = frames.map((f) => vp8.packetize(f, 1000).map((x) => Vp8PayloadDescriptor.parse(x).tl0PicIdx));
    let base = 254 - 1;
    got.forEach((perPacket, i) => {
      if (layers[i] === 0) base = (base + 1) % 256;
      expect(perPacket.every((t) => t === base)).toBe(true);
    });
    expect(got[0]![0]).toBe(254);
    // The third base frame is past 255: it wraps rather than grow or stick.
    expect(got[4]![0]).toBe((254 + 2) % 256);
    expect(got[4]![0]).toBeLessThan(got[3]![0]!);
  });

  it("VP8: frames without temporalLayer carry no L or T field, even after layered frames (RFC 7741 4.2)", () => {
    const layers = [undefined, undefined, 0, 1, undefined, undefined] as const;
    const descs = vp8Descriptors(vp8Layered(layers, new Set([0])));
    descs.forEach((ds, i) => {
      for (const d of ds) {
        const layered = layers[i] !== undefined;
        expect(d.tl0PicIdx >= 0).toBe(layered);
        expect(d.tid >= 0).toBe(layered);
        if (!layered) {
          expect(d.tl0PicIdx).toBe(-1);
          expect(d.tid).toBe(-1);
          expect(d.layerSync).toBe(false);
          expect(d.nonReference).toBe(false);
        }
      }
    });
    // Without L and T the descriptor is two bytes shorter.
    expect(descs[0]![0]!.headerLength).toBe(descs[2]![0]!.headerLength - 2);
  });

  it("VP9 flexible mode: a layered frame's P_DIFF is the distance to the last base-layer frame, TID is the layer (RFC 9628 4.2)", () => {
    const { p, packets } = collect({ codec: "vp9", payloadType: 98, ssrc: 7, vp9Mode: "flexible" });
    const rng = new SeededRandom(12);
    const layers = [0, 1, 0, 1, 0, 1, 0] as const;
    const perFrame: Vp9PayloadDescriptor[][] = [];
    layers.forEach((layer, i) => {
      const before = packets.length;
      const key = i === 0;
      p.push({ kind: "video", codec: "vp9", data: rng.fill(new Uint8Array(rng.int(800, 2600))), keyframe: key, rtpTimestamp: i * 3000, captureTimeUs: 0, frameIndex: i, temporalLayer: layer, ...(key ? { width: 320, height: 240 } : {}) }, 0);
      perFrame.push(packets.slice(before).map((x) => Vp9PayloadDescriptor.parse(x.payload)));
    });
    expect(perFrame.some((ds) => ds.length > 1)).toBe(true);
    let lastBase = -1;
    perFrame.forEach((ds, i) => {
      for (const d of ds) {
        expect(d.pictureId).toBe(i);
        expect(d.tid).toBe(layers[i]);
        if (i === 0) expect(d.pDiffs).toEqual([]);
        else expect(d.pDiffs).toEqual([i - lastBase]);
      }
      if (layers[i] === 0) lastBase = i;
    });
    // The two-layer pattern: a base frame after an upper one skips it (2), an upper frame follows its base (1).
    expect(perFrame[2]![0]!.pDiffs).toEqual([2]);
    expect(perFrame[3]![0]!.pDiffs).toEqual([1]);
  });

  it("VP9 flexible mode: a frame without temporalLayer signals no layer and references the previous picture (RFC 9628 4.2)", () => {
    const { p, packets } = collect({ codec: "vp9", payloadType: 98, ssrc: 7, vp9Mode: "flexible" });
    const rng = new SeededRandom(13);
    for (let i = 0; i < 3; i++) {
      p.push({ kind: "video", codec: "vp9", data: rng.fill(new Uint8Array(300)), keyframe: i === 0, rtpTimestamp: i * 3000, captureTimeUs: 0, frameIndex: i, ...(i === 0 ? { width: 320, height: 240 } : {}) }, 0);
    }
    const d = packets.map((x) => Vp9PayloadDescriptor.parse(x.payload));
    expect(d.map((x) => x.tid)).toEqual([-1, -1, -1]);
    expect(d.map((x) => x.pDiffs)).toEqual([[], [1], [1]]);
  });

  it("VP9 flexible mode: the first base frame after frames without layers references the previous picture (RFC 9628 4.2)", () => {
    const rng = new SeededRandom(21);
    const layers: (0 | 1 | undefined)[] = [0, 1, 0, 1, undefined, undefined, undefined, 0, 1];
    const frames: EncodedFrame[] = layers.map((l, i) => ({
      kind: "video", codec: "vp9", data: rng.fill(new Uint8Array(200)), keyframe: i === 0, rtpTimestamp: i * 3000, captureTimeUs: 0, frameIndex: i,
      ...(l === undefined ? {} : { temporalLayer: l }), ...(i === 0 ? { width: 320, height: 240 } : {}),
    }));
    const { p, packets } = collect({ codec: "vp9", payloadType: 98, ssrc: 7 });
    for (const f of frames) p.push(f, 0);
    const d = packets.map((x) => Vp9PayloadDescriptor.parse(x.payload));
    expect(d.map((x) => x.pDiffs)).toEqual([[], [1], [2], [1], [1], [1], [1], [1], [1]]);
  });
});
