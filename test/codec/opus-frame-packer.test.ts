/**
 * OpusFramePacker: 20 ms Opus packets in, packets of 1 or 3 frames out (RFC 7587 4.2, up to
 * 120 ms per RTP packet; RFC 6716 3.2.5 code 3 packets; the first frame's timestamp, RFC 7587 4.1).
 */
import { describe, expect, it } from "vitest";
import type { EncodedFrame } from "../../src/codec/encoded-frame.js";
import { OpusFramePacker } from "../../src/codec/opus-frame-packer.js";
import { InvalidOptionError } from "../../src/errors.js";
import { sinkTo } from "../../src/pipeline/stage.js";
import { opusFrames, packOpusFrames } from "../../src/rtp/opus-frame-packing.js";

// RFC 6716 Table 2: CELT-only FB 20 ms, and hybrid FB 20 ms (another config after a rate change).
const CELT_FB_20 = 31;
const HYBRID_FB_20 = 15;

function hex(b: Uint8Array): string {
  return Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
}

/** A code 0 packet (RFC 6716 3.2.2) of `len` bytes of frame after the TOC. */
function code0(config: number, len: number, seed: number, stereo = false): Uint8Array {
  const p = new Uint8Array(1 + len);
  p[0] = (config << 3) | (stereo ? 4 : 0);
  for (let i = 1; i <= len; i++) p[i] = (seed * 37 + i * 3) & 0xff;
  return p;
}

/** The i-th 20 ms Opus frame of a stream: 960 samples at 48 kHz, 20 000 µs apart. */
function opusFrame(i: number, data: Uint8Array, dtx?: boolean): EncodedFrame {
  return {
    kind: "audio",
    codec: "opus",
    data,
    keyframe: true,
    rtpTimestamp: 960 * i,
    captureTimeUs: 20_000 * i,
    frameIndex: i,
    ...(dtx === undefined ? {} : { dtx }),
  };
}

function setup(): { packer: OpusFramePacker; out: EncodedFrame[] } {
  const packer = new OpusFramePacker();
  const out: EncodedFrame[] = [];
  packer.pipe(sinkTo((f: EncodedFrame) => void out.push(f)));
  return { packer, out };
}

describe("OpusFramePacker (RFC 7587 4.2, RFC 6716 3.2.5)", () => {
  it("RFC 7587 4.2: with 3 frames per packet, three 20 ms frames leave as one packet after the third push", () => {
    const { packer, out } = setup();
    packer.setFramesPerPacket(3);
    expect(packer.currentFramesPerPacket).toBe(3);
    const frames = [opusFrame(0, code0(CELT_FB_20, 40, 1)), opusFrame(1, code0(CELT_FB_20, 300, 2)), opusFrame(2, code0(CELT_FB_20, 9, 3))];
    packer.push(frames[0]!, 0);
    expect(out).toHaveLength(0);
    packer.push(frames[1]!, 20_000);
    expect(out).toHaveLength(0);
    packer.push(frames[2]!, 40_000);
    expect(out).toHaveLength(1);
    const p = out[0]!;
    // RFC 7587 4.1: the packet carries the first frame's timestamp (and capture time, index).
    expect(p.rtpTimestamp).toBe(0);
    expect(p.captureTimeUs).toBe(0);
    expect(p.frameIndex).toBe(0);
    expect(p.kind).toBe("audio");
    expect(p.codec).toBe("opus");
    expect(p.keyframe).toBe(true);
    expect(hex(p.data)).toBe(hex(packOpusFrames(frames.map((f) => f.data))!));
    // RFC 6716 3.2.5: a code 3 packet whose frames are the three frames, in order.
    expect(p.data[0]! & 3).toBe(3);
    expect(opusFrames(p.data).map(hex)).toEqual(frames.map((f) => hex(f.data.subarray(1))));
  });

  it("RFC 7587 4.2: the next three frames leave as the next packet, with the fourth frame's timestamp", () => {
    const { packer, out } = setup();
    packer.setFramesPerPacket(3);
    const frames = [0, 1, 2, 3, 4, 5].map((i) => opusFrame(i, code0(CELT_FB_20, 20 + i, i)));
    frames.forEach((f, i) => packer.push(f, i * 20_000));
    expect(out).toHaveLength(2);
    expect(out.map((f) => f.rtpTimestamp)).toEqual([0, 3 * 960]);
    expect(out.map((f) => f.captureTimeUs)).toEqual([0, 60_000]);
    expect(out.map((f) => f.frameIndex)).toEqual([0, 3]);
    expect(opusFrames(out[1]!.data).map(hex)).toEqual(frames.slice(3).map((f) => hex(f.data.subarray(1))));
  });

  it("RFC 7587 4.2: by default (1 frame per packet) every frame passes through unchanged at once", () => {
    const { packer, out } = setup();
    expect(packer.currentFramesPerPacket).toBe(1);
    const frames = [0, 1, 2, 3].map((i) => opusFrame(i, code0(CELT_FB_20, 30, i)));
    frames.forEach((f, i) => {
      packer.push(f, i * 20_000);
      expect(out).toHaveLength(i + 1);
      expect(out[i]).toBe(f);
    });
  });

  it("RFC 7587 4.2: a DTX frame makes the held frames leave as one packet, then passes itself through", () => {
    const { packer, out } = setup();
    packer.setFramesPerPacket(3);
    const a = opusFrame(0, code0(CELT_FB_20, 40, 1));
    const b = opusFrame(1, code0(CELT_FB_20, 41, 2));
    const silence = opusFrame(2, code0(CELT_FB_20, 1, 3), true);
    packer.push(a, 0);
    packer.push(b, 20_000);
    expect(out).toHaveLength(0);
    packer.push(silence, 40_000);
    expect(out).toHaveLength(2);
    expect(out[0]!.rtpTimestamp).toBe(0);
    expect(hex(out[0]!.data)).toBe(hex(packOpusFrames([a.data, b.data])!));
    expect(opusFrames(out[0]!.data).map(hex)).toEqual([hex(a.data.subarray(1)), hex(b.data.subarray(1))]);
    expect(out[1]).toBe(silence);
    // Packing starts over after it.
    const next = [3, 4, 5].map((i) => opusFrame(i, code0(CELT_FB_20, 10, i)));
    next.forEach((f, i) => packer.push(f, (3 + i) * 20_000));
    expect(out).toHaveLength(3);
    expect(out[2]!.rtpTimestamp).toBe(3 * 960);
    expect(opusFrames(out[2]!.data)).toHaveLength(3);
  });

  it("RFC 7587 4.2: a DTX frame with nothing held passes through at once", () => {
    const { packer, out } = setup();
    packer.setFramesPerPacket(3);
    const silence = opusFrame(0, code0(CELT_FB_20, 0, 0), true);
    packer.push(silence, 0);
    expect(out).toHaveLength(1);
    expect(out[0]).toBe(silence);
  });

  it("RFC 6716 3.1 / 3.2.5: a frame of another TOC config makes the held frames leave before it is held", () => {
    const { packer, out } = setup();
    packer.setFramesPerPacket(3);
    const a = opusFrame(0, code0(CELT_FB_20, 40, 1));
    const b = opusFrame(1, code0(CELT_FB_20, 44, 2));
    const c = opusFrame(2, code0(HYBRID_FB_20, 50, 3));
    packer.push(a, 0);
    packer.push(b, 20_000);
    packer.push(c, 40_000);
    expect(out).toHaveLength(1);
    expect(out[0]!.rtpTimestamp).toBe(0);
    expect(hex(out[0]!.data)).toBe(hex(packOpusFrames([a.data, b.data])!));
    // c is held: two more frames of its config complete its packet.
    const d = opusFrame(3, code0(HYBRID_FB_20, 51, 4));
    const e = opusFrame(4, code0(HYBRID_FB_20, 52, 5));
    packer.push(d, 60_000);
    expect(out).toHaveLength(1);
    packer.push(e, 80_000);
    expect(out).toHaveLength(2);
    expect(out[1]!.rtpTimestamp).toBe(2 * 960);
    expect(out[1]!.frameIndex).toBe(2);
    expect(out[1]!.data[0]! >> 3).toBe(HYBRID_FB_20);
    expect(opusFrames(out[1]!.data).map(hex)).toEqual([c, d, e].map((f) => hex(f.data.subarray(1))));
  });

  it("RFC 6716 3.1: a change of the stereo bit also closes the packet", () => {
    const { packer, out } = setup();
    packer.setFramesPerPacket(3);
    const a = opusFrame(0, code0(CELT_FB_20, 40, 1, false));
    const b = opusFrame(1, code0(CELT_FB_20, 40, 2, true));
    packer.push(a, 0);
    packer.push(b, 20_000);
    expect(out).toHaveLength(1);
    // One frame held alone leaves as it came.
    expect(out[0]).toBe(a);
  });

  it("RFC 7587 4.2: switching from 3 to 1 while frames are held sends them, packed, with the next frame", () => {
    const { packer, out } = setup();
    packer.setFramesPerPacket(3);
    const frames = [0, 1, 2, 3].map((i) => opusFrame(i, code0(CELT_FB_20, 25 + i, i)));
    packer.push(frames[0]!, 0);
    packer.push(frames[1]!, 20_000);
    packer.setFramesPerPacket(1);
    expect(out).toHaveLength(0);
    packer.push(frames[2]!, 40_000);
    expect(out).toHaveLength(1);
    expect(out[0]!.rtpTimestamp).toBe(0);
    expect(out[0]!.captureTimeUs).toBe(0);
    expect(hex(out[0]!.data)).toBe(hex(packOpusFrames(frames.slice(0, 3).map((f) => f.data))!));
    // From then on each frame passes through unchanged.
    packer.push(frames[3]!, 60_000);
    expect(out).toHaveLength(2);
    expect(out[1]).toBe(frames[3]);
  });

  it("RFC 7587 4.2: flush() sends what is held as one packet", () => {
    const { packer, out } = setup();
    packer.setFramesPerPacket(3);
    const a = opusFrame(0, code0(CELT_FB_20, 40, 1));
    const b = opusFrame(1, code0(CELT_FB_20, 41, 2));
    packer.flush(0);
    expect(out).toHaveLength(0);
    packer.push(a, 0);
    packer.push(b, 20_000);
    packer.flush(30_000);
    expect(out).toHaveLength(1);
    expect(hex(out[0]!.data)).toBe(hex(packOpusFrames([a.data, b.data])!));
    packer.flush(40_000);
    expect(out).toHaveLength(1);
  });

  it.each([2, 0, 4, 6, 1.5])("RFC 7587 4.2: setFramesPerPacket(%s) throws InvalidOptionError naming 1 or 3", (n) => {
    const { packer } = setup();
    packer.setFramesPerPacket(3);
    let thrown: unknown;
    try {
      packer.setFramesPerPacket(n as 1 | 3);
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toBeInstanceOf(InvalidOptionError);
    expect((thrown as Error).message).toMatch(/\b1 or 3\b/);
    expect(packer.currentFramesPerPacket).toBe(3);
  });

  it("RFC 7587 4.2: stats() counts framesIn, packetsOut and packedPackets", () => {
    const { packer, out } = setup();
    expect(packer.stats()).toMatchObject({ framesIn: 0, packetsOut: 0, packedPackets: 0, framesPerPacket: 1 });
    // Two frames through at 1 per packet.
    packer.push(opusFrame(0, code0(CELT_FB_20, 10, 0)), 0);
    packer.push(opusFrame(1, code0(CELT_FB_20, 10, 1)), 20_000);
    expect(packer.stats()).toMatchObject({ framesIn: 2, packetsOut: 2, packedPackets: 0, framesPerPacket: 1 });
    // Three frames packed into one.
    packer.setFramesPerPacket(3);
    for (let i = 2; i < 5; i++) packer.push(opusFrame(i, code0(CELT_FB_20, 10, i)), i * 20_000);
    expect(packer.stats()).toMatchObject({ framesIn: 5, packetsOut: 3, packedPackets: 1, framesPerPacket: 3 });
    // One held, then DTX: one packet of one frame (not packed) and the DTX frame.
    packer.push(opusFrame(5, code0(CELT_FB_20, 10, 5)), 100_000);
    expect(packer.stats()).toMatchObject({ framesIn: 6, packetsOut: 3, packedPackets: 1 });
    packer.push(opusFrame(6, code0(CELT_FB_20, 0, 6), true), 120_000);
    expect(packer.stats()).toMatchObject({ framesIn: 7, packetsOut: 5, packedPackets: 1 });
    expect(out).toHaveLength(packer.stats().packetsOut!);
  });
});
