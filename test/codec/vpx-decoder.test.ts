import { describe, expect, it } from "vitest";
import type { EncodedFrame } from "../../src/codec/encoded-frame.js";
import { VpxDecoder } from "../../src/codec/vpx-decoder.js";
import { VpxEncoder } from "../../src/codec/vpx-encoder.js";
import type { VideoFrame } from "../../src/media/video-frame.js";
import { sinkTo } from "../../src/pipeline/stage.js";
import { SeededRandom } from "../../src/util/seeded-random.js";
import { PatternSource } from "./synthetic-media.js";

describe.each(["vp8", "vp9"] as const)("VpxDecoder %s with corrupt input", (codec) => {
  it("counts and drops bad frames, never throws, and recovers at the next keyframe", async () => {
    const src = new PatternSource(160, 120);
    const enc = await VpxEncoder.create({ codec, width: 160, height: 120, bitrateBps: 300_000 });
    const frames: EncodedFrame[] = [];
    enc.pipe(sinkTo((f: EncodedFrame) => frames.push(f)));
    for (let i = 0; i < 20; i++) {
      if (i === 12) enc.requestKeyframe();
      enc.push(src.next(), 0);
    }
    const dec = await VpxDecoder.create({ codec });
    const decoded: VideoFrame[] = [];
    dec.pipe(sinkTo((f: VideoFrame) => decoded.push(f)));
    const rng = new SeededRandom(3);
    const garbage = (n: number): EncodedFrame => ({ ...frames[5]!, data: rng.fill(new Uint8Array(n)), keyframe: false });

    // Garbage before any keyframe, an empty frame, a wrong codec.
    expect(() => dec.push(garbage(500), 0)).not.toThrow();
    dec.push({ ...frames[0]!, data: new Uint8Array(0) }, 0);
    dec.push({ ...frames[0]!, codec: codec === "vp8" ? "vp9" : "vp8" }, 0);
    expect(dec.stats().decodeErrors).toBe(3);
    expect(dec.needsKeyframe).toBe(true);
    // Then the real stream, with a truncated keyframe and random bytes mid-stream.
    const truncatedKey = { ...frames[0]!, data: frames[0]!.data.subarray(0, 12) };
    dec.push(truncatedKey, 0);
    for (let i = 0; i < 5; i++) dec.push(frames[i]!, 0);
    for (let i = 0; i < 30; i++) dec.push(garbage(1 + rng.int(0, 3000)), 0);
    for (let i = 5; i < 20; i++) dec.push(frames[i]!, 0);
    const s = dec.stats();
    console.log(`${codec} corrupt input: ${JSON.stringify(s)}; last error: ${dec.lastError}`);
    expect(s.decodeErrors).toBeGreaterThanOrEqual(4 + 1);
    expect(s.decodeErrors! + s.framesSkipped! + s.framesDecoded!).toBeLessThanOrEqual(s.framesIn!);
    // Frames 12..19 (from the requested keyframe on) decode again.
    expect(decoded.slice(-8).map((f) => f.frameIndex)).toEqual([12, 13, 14, 15, 16, 17, 18, 19]);
    expect(dec.needsKeyframe).toBe(false);
    enc.close();
    dec.close();
  });

  it("survives random bit flips in real frames", async () => {
    const src = new PatternSource(160, 120);
    const enc = await VpxEncoder.create({ codec, width: 160, height: 120, bitrateBps: 300_000, keyframeIntervalFrames: 10 });
    const frames: EncodedFrame[] = [];
    enc.pipe(sinkTo((f: EncodedFrame) => frames.push(f)));
    for (let i = 0; i < 40; i++) enc.push(src.next(), 0);
    const dec = await VpxDecoder.create({ codec });
    const rng = new SeededRandom(11);
    for (const f of frames) {
      const data = f.data.slice();
      for (let k = 0; k < 8; k++) {
        const at = rng.int(0, data.length - 1);
        data[at] = (data[at] ?? 0) ^ (1 << rng.int(0, 7));
      }
      expect(() => dec.push({ ...f, data }, 0)).not.toThrow();
    }
    expect(dec.stats().framesIn).toBe(40);
    enc.close();
    dec.close();
  });
});
