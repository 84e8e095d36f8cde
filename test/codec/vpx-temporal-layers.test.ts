import { describe, expect, it } from "vitest";
import type { EncodedFrame } from "../../src/codec/encoded-frame.js";
import { VpxDecoder } from "../../src/codec/vpx-decoder.js";
import { VpxEncoder } from "../../src/codec/vpx-encoder.js";
import { InvalidOptionError } from "../../src/errors.js";
import type { VideoFrame } from "../../src/media/video-frame.js";
import { sinkTo } from "../../src/pipeline/stage.js";
import { PatternSource } from "./synthetic-media.js";

/** Decodes `frames` and returns the decoded pictures by source frame index. */
async function decodeAll(codec: "vp8" | "vp9", frames: readonly EncodedFrame[]): Promise<{ pictures: Map<number, VideoFrame>; errors: number }> {
  const dec = await VpxDecoder.create({ codec });
  const pictures = new Map<number, VideoFrame>();
  dec.pipe(sinkTo((f: VideoFrame) => void pictures.set(f.frameIndex, f)));
  for (const f of frames) dec.push(f, 0);
  const errors = dec.stats().decodeErrors ?? 0;
  dec.close();
  return { pictures, errors };
}

describe("VpxEncoder temporal layers (real libvpx)", () => {
  for (const codec of ["vp8", "vp9"] as const) {
    it(`${codec}: with 2 layers every other frame is an upper-layer frame, and dropping all of them leaves the base frames decoding bit-exactly`, async () => {
      const src = new PatternSource(160, 120, 30);
      const enc = await VpxEncoder.create({ codec, width: 160, height: 120, bitrateBps: 200_000, fps: 30, temporalLayers: 2 });
      const encoded: EncodedFrame[] = [];
      enc.pipe(sinkTo((f: EncodedFrame) => void encoded.push(f)));
      for (let i = 0; i < 40; i++) {
        const frame = src.next();
        if (i === 21) enc.requestKeyframe();
        enc.push(frame, frame.captureTimeUs);
      }
      enc.close();
      expect(encoded).toHaveLength(40);
      // Base, upper, base, upper ...; a keyframe is a base frame and restarts the pattern.
      const layers = encoded.map((f) => f.temporalLayer);
      expect(layers.slice(0, 6)).toEqual([0, 1, 0, 1, 0, 1]);
      expect(encoded[21]!.keyframe).toBe(true);
      expect(layers.slice(21, 24)).toEqual([0, 1, 0]);
      const all = await decodeAll(codec, encoded);
      const base = await decodeAll(codec, encoded.filter((f) => f.temporalLayer === 0));
      expect(all.errors).toBe(0);
      expect(base.errors).toBe(0);
      expect(all.pictures.size).toBe(40);
      const baseFrames = encoded.filter((f) => f.temporalLayer === 0);
      expect(base.pictures.size).toBe(baseFrames.length);
      // No base frame depends on an upper one: the same pixels with or without them.
      for (const f of baseFrames) {
        const a = all.pictures.get(f.frameIndex)!;
        const b = base.pictures.get(f.frameIndex)!;
        expect(Buffer.compare(b.y, a.y)).toBe(0);
        expect(Buffer.compare(b.u, a.u)).toBe(0);
        expect(Buffer.compare(b.v, a.v)).toBe(0);
      }
    });
  }

  it("one layer (the default) marks no frame with a layer", async () => {
    const src = new PatternSource(160, 120, 30);
    const enc = await VpxEncoder.create({ codec: "vp8", width: 160, height: 120, bitrateBps: 200_000, fps: 30 });
    const encoded: EncodedFrame[] = [];
    enc.pipe(sinkTo((f: EncodedFrame) => void encoded.push(f)));
    for (let i = 0; i < 4; i++) {
      const frame = src.next();
      enc.push(frame, frame.captureTimeUs);
    }
    enc.close();
    expect(encoded.map((f) => f.temporalLayer)).toEqual([undefined, undefined, undefined, undefined]);
  });

  it("refuses a layer count other than 1 or 2 with a message saying what is allowed", async () => {
    await expect(VpxEncoder.create({ codec: "vp8", width: 160, height: 120, temporalLayers: 3 as 2 })).rejects.toThrow(InvalidOptionError);
    await expect(VpxEncoder.create({ codec: "vp8", width: 160, height: 120, temporalLayers: 3 as 2 })).rejects.toThrow(/temporalLayers/);
  });
});
