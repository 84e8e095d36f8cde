import { describe, expect, it } from "vitest";
import type { EncodedFrame } from "../../src/codec/encoded-frame.js";
import { VpxDecoder } from "../../src/codec/vpx-decoder.js";
import { VpxEncoder } from "../../src/codec/vpx-encoder.js";
import type { VideoFrame } from "../../src/media/video-frame.js";
import { sinkTo } from "../../src/pipeline/stage.js";
import { PatternSource, psnr } from "./synthetic-media.js";

async function encoderWithLog(options: ConstructorParameters<typeof VpxEncoder>[1]) {
  const enc = await VpxEncoder.create(options);
  const out: EncodedFrame[] = [];
  enc.pipe(sinkTo((f: EncodedFrame) => out.push(f)));
  return { enc, out };
}

function meanSize(frames: EncodedFrame[]): number {
  return frames.reduce((a, f) => a + f.data.length, 0) / Math.max(1, frames.length);
}

describe.each(["vp8", "vp9"] as const)("VpxEncoder %s", (codec) => {
  it("changes bitrate live: no keyframe, smaller frames", async () => {
    const src = new PatternSource(320, 240);
    const { enc, out } = await encoderWithLog({ codec, width: 320, height: 240, bitrateBps: 800_000 });
    for (let i = 0; i < 60; i++) enc.push(src.next(), 0);
    const before = out.slice(30, 60);
    enc.setBitrate(150_000);
    expect(enc.bitrateBps).toBe(150_000);
    for (let i = 0; i < 60; i++) enc.push(src.next(), 0);
    const after = out.filter((f) => f.frameIndex >= 90);
    expect(out.filter((f) => f.keyframe).map((f) => f.frameIndex)).toEqual([0]);
    console.log(`${codec} live bitrate 800k -> 150k: mean frame ${meanSize(before).toFixed(0)} B -> ${meanSize(after).toFixed(0)} B`);
    expect(meanSize(after)).toBeLessThan(meanSize(before) * 0.4);
    expect(enc.stats().keyframes).toBe(1);
    enc.close();
  });

  it("requestKeyframe makes the next frame a keyframe", async () => {
    const src = new PatternSource(160, 120);
    const { enc, out } = await encoderWithLog({ codec, width: 160, height: 120, bitrateBps: 300_000 });
    for (let i = 0; i < 10; i++) enc.push(src.next(), 0);
    enc.requestKeyframe();
    for (let i = 0; i < 10; i++) enc.push(src.next(), 0);
    expect(out.filter((f) => f.keyframe).map((f) => f.frameIndex)).toEqual([0, 10]);
    enc.close();
  });

  it("honours keyframeIntervalFrames", async () => {
    const src = new PatternSource(160, 120);
    const { enc, out } = await encoderWithLog({ codec, width: 160, height: 120, keyframeIntervalFrames: 10, bitrateBps: 300_000 });
    for (let i = 0; i < 35; i++) enc.push(src.next(), 0);
    expect(out.filter((f) => f.keyframe).map((f) => f.frameIndex)).toEqual([0, 10, 20, 30]);
    enc.close();
  });

  it("changes resolution down in place and back up, and the decoder follows", async () => {
    const { enc, out } = await encoderWithLog({ codec, width: 320, height: 240, bitrateBps: 500_000 });
    const dec = await VpxDecoder.create({ codec });
    const decoded: VideoFrame[] = [];
    dec.pipe(sinkTo((f: VideoFrame) => decoded.push(f)));
    const big = new PatternSource(320, 240);
    const small = new PatternSource(160, 120);
    for (let i = 0; i < 10; i++) enc.push(big.frameAt(i), 0);
    enc.setResolution(160, 120);
    for (let i = 10; i < 20; i++) enc.push(small.frameAt(i), 0);
    // A frame of another size reconfigures the encoder by itself (here: back up to 320x240).
    for (let i = 20; i < 30; i++) enc.push(big.frameAt(i), 0);
    for (const f of out) dec.push(f, 0);
    expect(out.map((f) => `${f.width}x${f.height}`)).toEqual([
      ...Array(10).fill("320x240"),
      ...Array(10).fill("160x120"),
      ...Array(10).fill("320x240"),
    ]);
    expect(dec.stats().decodeErrors).toBe(0);
    expect(decoded.map((f) => f.width)).toEqual([...Array(10).fill(320), ...Array(10).fill(160), ...Array(10).fill(320)]);
    const last = decoded[29]!;
    expect(psnr(big.frameAt(29), last)).toBeGreaterThan(28);
    expect(psnr(small.frameAt(19), decoded[19]!)).toBeGreaterThan(25);
    console.log(`${codec} resize: keyframes at ${out.filter((f) => f.keyframe).map((f) => f.frameIndex).join(",")}; reinitializations ${enc.stats().reinitializations}`);
    enc.close();
    dec.close();
  });

  it("drops frames at a tiny bitrate to hold the rate", async () => {
    const src = new PatternSource(640, 480, 30, 12);
    const { enc, out } = await encoderWithLog({ codec, width: 640, height: 480, bitrateBps: 50_000, dropFrameThreshold: 30 });
    for (let i = 0; i < 60; i++) enc.push(src.next(), 0);
    const s = enc.stats();
    const kbps = (out.slice(1).reduce((a, f) => a + f.data.length, 0) * 8) / 2 / 1000;
    console.log(`${codec} 640x480 @ 50 kbps: ${s.framesDropped} of 60 dropped, ${kbps.toFixed(0)} kbps after the keyframe`);
    expect(s.framesDropped).toBeGreaterThan(0);
    expect(kbps).toBeLessThan(150);
    expect((s.framesEncoded ?? 0) + (s.framesDropped ?? 0)).toBe(60);
    enc.close();
  });

  it("honours setFrameRate and carries captureTimeUs/frameIndex", async () => {
    const src = new PatternSource(160, 120, 15);
    const { enc, out } = await encoderWithLog({ codec, width: 160, height: 120, fps: 30 });
    enc.setFrameRate(15);
    expect(enc.fps).toBe(15);
    for (let i = 0; i < 5; i++) enc.push(src.next(), 0);
    expect(out.map((f) => f.rtpTimestamp)).toEqual([0, 6000, 12000, 18000, 24000]);
    expect(out.map((f) => f.captureTimeUs)).toEqual([0, 66667, 133333, 200000, 266667]);
    expect(out.map((f) => f.frameIndex)).toEqual([0, 1, 2, 3, 4]);
    enc.close();
  });
});
