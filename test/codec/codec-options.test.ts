import { describe, expect, it } from "vitest";
import { OpusDecoder } from "../../src/codec/opus-decoder.js";
import { OpusEncoder } from "../../src/codec/opus-encoder.js";
import { VpxDecoder } from "../../src/codec/vpx-decoder.js";
import { VpxEncoder } from "../../src/codec/vpx-encoder.js";
import { InvalidOptionError } from "../../src/errors.js";

const base = { codec: "vp8", width: 320, height: 240 } as const;

describe("codec options are validated", () => {
  const vpxCases: [string, Record<string, unknown>, RegExp][] = [
    ["unknown codec", { ...base, codec: "h264" }, /Cannot use codec="h264": allowed is one of vp8, vp9/],
    ["odd width", { ...base, width: 321 }, /Cannot use width=321: allowed is an even integer from 16 to 4096/],
    ["tiny height", { ...base, height: 8 }, /Cannot use height=8/],
    ["zero fps", { ...base, fps: 0 }, /Cannot use fps=0: allowed is a number from 1 to 120/],
    ["bitrate too low", { ...base, bitrateBps: 5 }, /Cannot use bitrateBps=5/],
    ["NaN bitrate", { ...base, bitrateBps: Number.NaN }, /Cannot use bitrateBps=NaN/],
    ["vp8 speed", { ...base, speed: 17 }, /Cannot use speed=17: allowed is .*from 0 to 16/],
    ["vp9 speed", { ...base, codec: "vp9", speed: 3 }, /Cannot use speed=3: allowed is .*from 5 to 9/],
    ["max quantizer", { ...base, maxQuantizer: 64 }, /Cannot use maxQuantizer=64/],
    ["min above max", { ...base, minQuantizer: 40, maxQuantizer: 30 }, /Cannot use minQuantizer=40: allowed is .*from 0 to 30/],
    ["drop threshold", { ...base, dropFrameThreshold: 101 }, /Cannot use dropFrameThreshold=101/],
    ["keyframe interval", { ...base, keyframeIntervalFrames: 1.5 }, /Cannot use keyframeIntervalFrames=1.5/],
  ];
  it.each(vpxCases)("VpxEncoder: %s", async (_name, options, message) => {
    const p = VpxEncoder.create(options as never);
    await expect(p).rejects.toBeInstanceOf(InvalidOptionError);
    await expect(VpxEncoder.create(options as never)).rejects.toThrowError(message);
  });

  it("VpxEncoder setters", async () => {
    const enc = await VpxEncoder.create(base);
    expect(() => enc.setBitrate(-1)).toThrowError(InvalidOptionError);
    expect(() => enc.setResolution(100, 75)).toThrowError(/Cannot use height=75/);
    expect(() => enc.setFrameRate(500)).toThrowError(/Cannot use fps=500/);
    expect(() => enc.setRateLimits(70, 10)).toThrowError(/Cannot use maxQuantizer=70/);
    enc.close();
    expect(() => enc.setBitrate(100_000)).toThrowError(/closed/);
  });

  it("VpxDecoder", async () => {
    await expect(VpxDecoder.create({ codec: "av1" as never })).rejects.toThrowError(/Cannot use codec="av1"/);
  });

  const opusCases: [string, Record<string, unknown>, RegExp][] = [
    ["channels", { channels: 3 }, /Cannot use channels=3: allowed is .*from 1 to 2/],
    ["bitrate", { bitrateBps: 1000 }, /Cannot use bitrateBps=1000: allowed is .*from 6000 to 510000/],
    ["complexity", { complexity: 11 }, /Cannot use complexity=11/],
    ["loss", { expectedLossPct: -1 }, /Cannot use expectedLossPct=-1/],
    ["application", { application: "music" }, /Cannot use application="music": allowed is one of voip, audio, lowdelay/],
  ];
  it.each(opusCases)("OpusEncoder: %s", async (_name, options, message) => {
    await expect(OpusEncoder.create(options as never)).rejects.toBeInstanceOf(InvalidOptionError);
    await expect(OpusEncoder.create(options as never)).rejects.toThrowError(message);
  });

  it("Opus setters and decoder", async () => {
    const enc = await OpusEncoder.create();
    expect(() => enc.setBitrate(600_000)).toThrowError(InvalidOptionError);
    expect(() => enc.setComplexity(-1)).toThrowError(InvalidOptionError);
    expect(() => enc.setExpectedLossPct(101)).toThrowError(InvalidOptionError);
    enc.close();
    await expect(OpusDecoder.create({ channels: 0 as never })).rejects.toThrowError(/Cannot use channels=0/);
  });
});
