import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { BitrateAllocator } from "../../src/congestion/bitrate-allocator.js";
import { InvalidOptionError } from "../../src/errors.js";
import { fecProtectionFor } from "../../src/fec/fec-controller.js";

const clean = { lossFraction: 0, rttMs: 50 };

describe("BitrateAllocator: the split", () => {
  it("counts the audio packet overhead: 30 bytes x 50 packets/s = 12 kbps, floor 18 kbps", () => {
    const a = new BitrateAllocator();
    expect(a.audioFloorBps).toBe(18_000);
    const r = a.allocate({ targetRateBps: 40_000, ...clean });
    expect(r.audioWireRateBps - r.audioBitrateBps).toBe(12_000);
  });

  it.each([
    // target, expected audio codec rate, video on?
    { target: 10_000, audio: 6_000, video: false },
    { target: 18_000, audio: 6_000, video: false },
    { target: 30_000, audio: 18_000, video: false },
    { target: 49_000, audio: 32_000, video: false },
    { target: 100_000, audio: 18_000, video: true },
    { target: 150_000, audio: 32_000, video: true },
    { target: 2_000_000, audio: 32_000, video: true },
  ])("clean path, target $target: audio $audio, video $video", ({ target, audio, video }) => {
    const a = new BitrateAllocator();
    if (target >= 60_000) a.allocate({ targetRateBps: target, ...clean }); // (a fresh allocator starts with video on)
    const r = a.allocate({ targetRateBps: target, ...clean });
    expect(r.audioBitrateBps).toBe(audio);
    expect(r.videoPaused).toBe(!video);
    expect(r.videoBitrateBps > 0).toBe(video);
    expect(r.fecRateBps).toBe(0);
    expect(r.rtxRateBps).toBe(0);
    if (target >= 18_000) {
      expect(r.totalBps).toBeLessThanOrEqual(target);
      expect(r.belowAudioFloor).toBe(false);
    }
    // With video on and no loss, all of the target is used (to rounding), up to the video max.
    if (video) expect(target - r.totalBps).toBeLessThan(5);
  });

  it("audio RED (RFC 2198): the share covers the primary and its copies plus 4 bytes per block", () => {
    const a = new BitrateAllocator();
    const plain = a.allocate({ targetRateBps: 200_000, ...clean });
    const red = a.allocate({ targetRateBps: 200_000, ...clean, audioRedCopies: 1 });
    // 0.3 x 200 kbps = 60 kbps for audio: less 12 kbps packet overhead and (4 + 1) bytes x 50/s
    // = 2 kbps of RED headers, split between the primary and one copy: 23 kbps each.
    expect(plain.audioBitrateBps).toBe(32_000);
    expect(red.audioBitrateBps).toBe(23_000);
    expect(red.audioWireRateBps).toBe(2 * 23_000 + 12_000 + 2_000);
    expect(red.totalBps).toBeLessThanOrEqual(200_000);
    expect(() => a.allocate({ targetRateBps: 200_000, ...clean, audioRedCopies: 3 })).toThrow(InvalidOptionError);
  });

  it("below the floor, audio keeps 6 kbps and says so", () => {
    const r = new BitrateAllocator().allocate({ targetRateBps: 10_000, ...clean });
    expect(r.audioBitrateBps).toBe(6_000);
    expect(r.belowAudioFloor).toBe(true);
    expect(r.videoBitrateBps).toBe(0);
  });

  it("video pauses below 50 kbps and resumes only at 60 kbps (hysteresis)", () => {
    const a = new BitrateAllocator();
    const seq = [100_000, 55_000, 49_000, 55_000, 59_999, 60_000, 55_000].map((t) => a.allocate({ targetRateBps: t, ...clean }).videoPaused);
    expect(seq).toEqual([false, false, true, true, true, false, false]);
    expect(a.stats()["pauses"]).toBe(1);
    expect(a.stats()["resumes"]).toBe(1);
  });

  it("with loss: FEC at the FecController policy's ratio, an RTX budget of loss/(1 − loss), audio FEC on", () => {
    const a = new BitrateAllocator();
    const input = { targetRateBps: 500_000, lossFraction: 0.1, rttMs: 100 };
    const r = a.allocate(input);
    const policy = fecProtectionFor(input);
    expect(r.fecPerMedia).toBe(policy.fecPerMedia);
    expect(r.fecPerMedia).toBeGreaterThan(0);
    const media = r.videoBitrateBps * 1.03;
    expect(r.fecRateBps / media).toBeCloseTo(policy.fecPerMedia, 3);
    expect(r.rtxRateBps / media).toBeCloseTo(0.1 / 0.9, 3);
    expect(r.audioInbandFec).toBe(true);
    expect(r.audioExpectedLossPct).toBe(10);
    expect(r.totalBps).toBeLessThanOrEqual(500_000);
    expect(500_000 - r.totalBps).toBeLessThan(10);
  });

  it("video's minimum comes before its protection: at 63 kbps with 8.5% loss and a pacer queue, FEC is given up, not the video (3G)", () => {
    const input = { targetRateBps: 63_000, lossFraction: 0.085, rttMs: 250, pacerQueueTimeUs: 300_000 };
    expect(fecProtectionFor(input).fecPerMedia).toBeGreaterThan(0);
    const r = new BitrateAllocator().allocate(input);
    expect(r.videoPaused).toBe(false);
    expect(r.videoBitrateBps).toBeGreaterThanOrEqual(20_000);
    expect(r.fecPerMedia).toBe(0);
    expect(r.fecRateBps).toBe(0);
    expect(r.totalBps).toBeLessThanOrEqual(63_000);
    // With room for both, the protection stays.
    const big = new BitrateAllocator().allocate({ ...input, targetRateBps: 300_000 });
    expect(big.fecPerMedia).toBe(fecProtectionFor(input).fecPerMedia);
    // And below what even bare video needs, video still pauses.
    expect(new BitrateAllocator().allocate({ ...input, targetRateBps: 30_000 }).videoPaused).toBe(true);
  });

  it("no RTX budget when no NACK round fits the RTT (recovery budget 150 ms)", () => {
    const r = new BitrateAllocator().allocate({ targetRateBps: 500_000, lossFraction: 0.05, rttMs: 400 });
    expect(r.rtxRateBps).toBe(0);
    expect(r.fecRateBps).toBeGreaterThan(0);
  });

  it("raises audio to where Opus in-band FEC works (LBRR > 16 kbps x (1.25 − loss)) when video can spare it", () => {
    const a = new BitrateAllocator();
    const lossy = a.allocate({ targetRateBps: 80_000, lossFraction: 0.05, rttMs: 50 });
    // 0.3 x 80 k − 12 k = 12 k on a clean path; with 5% loss ≥ 16 k x 1.2 = 19.2 k.
    expect(a.allocate({ targetRateBps: 80_000, ...clean }).audioBitrateBps).toBe(12_000);
    expect(lossy.audioBitrateBps).toBeGreaterThan(19_200);
    expect(lossy.audioInbandFec).toBe(true);
    expect(lossy.videoPaused).toBe(false);
    // No FEC below 1% loss, and none at a rate where even narrowband LBRR would not code.
    expect(a.allocate({ targetRateBps: 80_000, lossFraction: 0.005, rttMs: 50 }).audioInbandFec).toBe(false);
    const tight = new BitrateAllocator({ audioMaxBps: 12_000 }).allocate({ targetRateBps: 300_000, lossFraction: 0.05, rttMs: 50 });
    expect(tight.audioBitrateBps).toBe(12_000);
    expect(tight.audioInbandFec).toBe(false); // 12 kbps < 12 k x 1.2
  });

  it.each([
    { queueUs: 0, factor: 1 },
    { queueUs: 100_000, factor: 1 },
    { queueUs: 550_000, factor: 0.75 },
    { queueUs: 1_000_000, factor: 0.5 },
    { queueUs: 5_000_000, factor: 0.5 },
  ])("pacer pushback at $queueUs µs of queue: video x $factor", ({ queueUs, factor }) => {
    const a = new BitrateAllocator();
    const base = a.allocate({ targetRateBps: 1_000_000, ...clean });
    const r = a.allocate({ targetRateBps: 1_000_000, ...clean, pacerQueueTimeUs: queueUs });
    expect(r.pushbackFactor).toBeCloseTo(factor, 9);
    expect(Math.abs(r.videoBitrateBps - Math.floor(base.videoBitrateBps * factor))).toBeLessThanOrEqual(1);
    expect(r.audioBitrateBps).toBe(base.audioBitrateBps);
  });

  it("video stops at its max; the rest is left unused", () => {
    const r = new BitrateAllocator({ videoMaxBps: 1_000_000 }).allocate({ targetRateBps: 5_000_000, ...clean });
    expect(r.videoBitrateBps).toBe(1_000_000);
    expect(r.totalBps).toBeLessThan(1_100_000);
  });

  it.each([{ audioMinBps: 100 }, { audioMinBps: 10_000, audioMaxBps: 8_000 }, { audioShare: 2 }, { videoResumeAboveBps: 10_000 }, { pushbackMinFactor: -1 }])("rejects %o", (o) => {
    expect(() => new BitrateAllocator(o)).toThrow(InvalidOptionError);
  });

  it("rejects absurd inputs with a typed error", () => {
    const a = new BitrateAllocator();
    expect(() => a.allocate({ targetRateBps: Number.NaN, ...clean })).toThrow(InvalidOptionError);
    expect(() => a.allocate({ targetRateBps: 1e5, lossFraction: 1.5, rttMs: 1 })).toThrow(InvalidOptionError);
    expect(() => a.allocate({ targetRateBps: 1e5, lossFraction: 0, rttMs: -1 })).toThrow(InvalidOptionError);
  });
});

describe("BitrateAllocator properties (fast-check)", () => {
  const inputArb = fc.record({
    targetRateBps: fc.double({ min: 0, max: 10_000_000, noNaN: true }),
    lossFraction: fc.double({ min: 0, max: 1, noNaN: true }),
    rttMs: fc.double({ min: 0, max: 3_000, noNaN: true }),
    pacerQueueTimeUs: fc.double({ min: 0, max: 5_000_000, noNaN: true }),
  });

  it("never exceeds the target once the target carries audio; audio always 6-32 kbps; no video below 50 kbps", () => {
    fc.assert(
      fc.property(fc.array(inputArb, { minLength: 1, maxLength: 30 }), (inputs) => {
        const a = new BitrateAllocator();
        for (const input of inputs) {
          const r = a.allocate(input);
          expect(r.audioBitrateBps).toBeGreaterThanOrEqual(6_000);
          expect(r.audioBitrateBps).toBeLessThanOrEqual(32_000);
          if (input.targetRateBps >= a.audioFloorBps) {
            expect(r.belowAudioFloor).toBe(false);
            expect(r.totalBps).toBeLessThanOrEqual(input.targetRateBps);
          } else {
            expect(r.totalBps).toBe(r.audioWireRateBps);
          }
          if (input.targetRateBps < 50_000) expect(r.videoBitrateBps).toBe(0);
          expect(r.videoPaused).toBe(r.videoBitrateBps === 0);
          if (r.videoPaused) expect(r.fecRateBps + r.rtxRateBps).toBe(0);
          for (const v of [r.audioBitrateBps, r.videoBitrateBps, r.fecRateBps, r.rtxRateBps, r.totalBps]) expect(Number.isInteger(v)).toBe(true);
        }
      }),
      { numRuns: 300, seed: 50 },
    );
  });

  it("more target never means less audio or less video (same loss, RTT and queue, video on)", () => {
    fc.assert(
      fc.property(inputArb, fc.double({ min: 0, max: 1_000_000, noNaN: true }), (input, more) => {
        const lo = new BitrateAllocator().allocate(input);
        const hi = new BitrateAllocator().allocate({ ...input, targetRateBps: input.targetRateBps + more });
        expect(hi.videoBitrateBps).toBeGreaterThanOrEqual(lo.videoBitrateBps);
        if (!lo.videoPaused && !hi.videoPaused) expect(hi.audioBitrateBps).toBeGreaterThanOrEqual(lo.audioBitrateBps);
      }),
      { numRuns: 300, seed: 51 },
    );
  });
});
