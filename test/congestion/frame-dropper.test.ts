import { describe, expect, it } from "vitest";
import { FrameDropper } from "../../src/congestion/frame-dropper.js";
import { InvalidOptionError } from "../../src/errors.js";

const FRAME_US = 33_333;

/** Offers `n` frames at 30 fps from `startUs`, each encoded to `bytes`; returns the times of those that passed. */
function run(d: FrameDropper, startUs: number, n: number, bytes: number, mustSend = (_i: number) => false): number[] {
  const passed: number[] = [];
  for (let i = 0; i < n; i++) {
    const t = startUs + i * FRAME_US;
    if (d.shouldDrop(t, mustSend(i))) continue;
    passed.push(t);
    d.onEncoded(bytes, t);
  }
  return passed;
}

describe("FrameDropper (leaky bucket in front of the encoder)", () => {
  it("an encoder on its target (300 kbps, 1250-byte frames at 30 fps) loses no frame", () => {
    const d = new FrameDropper();
    d.setTargetRate(300_000, 0);
    expect(run(d, 0, 300, 1_250)).toHaveLength(300);
    expect(d.stats().framesDropped).toBe(0);
  });

  it("an encoder at 4x its target: the rate that passes falls to about the target, and no gap reaches the 150 ms limit + a frame", () => {
    const d = new FrameDropper();
    d.setTargetRate(100_000, 0);
    const passed = run(d, 0, 300, 1_667); // 400 kbps at 30 fps
    const kbps = (passed.length * 1_667 * 8) / 10 / 1000;
    expect(kbps).toBeLessThan(100 * 1.5); // the 150 ms gap limit lets a little more through
    expect(kbps).toBeGreaterThan(60);
    for (let i = 1; i < passed.length; i++) expect(passed[i]! - passed[i - 1]!).toBeLessThanOrEqual(150_000 + FRAME_US);
    expect(d.dropRatio).toBeGreaterThan(0.3);
  });

  it("a frame the caller must send (a requested keyframe) passes even over the window", () => {
    const d = new FrameDropper({ maxGapMs: 5_000 });
    d.setTargetRate(50_000, 0);
    expect(d.shouldDrop(0)).toBe(false);
    d.onEncoded(50_000, 0); // 8 s of the target, kept as 1 s
    expect(d.shouldDrop(FRAME_US)).toBe(true);
    expect(d.shouldDrop(2 * FRAME_US, true)).toBe(false);
    expect(d.stats().framesForced).toBe(1);
  });

  it("the bucket leaks at the target: after a burst, frames pass again once it has drained", () => {
    const d = new FrameDropper({ maxGapMs: 5_000 });
    d.setTargetRate(200_000, 0);
    expect(d.shouldDrop(0)).toBe(false);
    d.onEncoded(20_000, 0); // 160 kbit, capped at 1 s of the target (200 kbit)
    expect(d.shouldDrop(100_000)).toBe(true); // 140 kbit left > 40 kbit window
    expect(d.shouldDrop(700_000)).toBe(false); // 160 − 0.7 s × 200 kbps = 20 kbit < 40 kbit
  });

  it("target 0 turns dropping off; the drop ratio fades while no frame comes (paused video)", () => {
    const d = new FrameDropper();
    d.setTargetRate(50_000, 0);
    run(d, 0, 60, 2_000);
    const ratio = d.dropRatioAt(2_000_000);
    expect(ratio).toBeGreaterThan(0.3);
    expect(d.dropRatioAt(5_000_000)).toBeLessThan(ratio * 0.1);
    d.setTargetRate(0, 5_000_000);
    expect(run(d, 5_000_000, 30, 10_000)).toHaveLength(30);
  });

  it("congestion-window drops (libwebrtc DropFrame): ratio 0.5 passes every other frame, 0.2 one in five within the 150 ms gap limit; 1 passes all", () => {
    const d = new FrameDropper();
    d.setTargetRate(1_000_000, 0); // the bucket never objects: only the congestion ratio drops
    d.setCongestionRatio(0.5);
    expect(run(d, 0, 30, 1_000)).toHaveLength(15);
    d.setCongestionRatio(0.2);
    const passed = run(d, 1_000_000, 30, 1_000);
    expect(passed.length).toBeGreaterThanOrEqual(6);
    expect(passed.length).toBeLessThanOrEqual(8); // 0.2 x 30 = 6, and never 150 ms without a frame
    for (let i = 1; i < passed.length; i++) expect(passed[i]! - passed[i - 1]!).toBeLessThanOrEqual(150_000 + FRAME_US);
    d.setCongestionRatio(1);
    expect(run(d, 2_000_000, 30, 1_000)).toHaveLength(30);
    expect(d.stats().framesDroppedCongestion).toBeGreaterThan(30);
    expect(d.dropRatio).toBe(0); // they are not encoder overshoot
    expect(() => d.setCongestionRatio(1.5)).toThrow(InvalidOptionError);
  });

  it("reports each keyframe's size to onKeyframe (the congestion window makes room for it)", () => {
    const d = new FrameDropper();
    const seen: number[] = [];
    d.onKeyframe = (bytes) => seen.push(bytes);
    d.setTargetRate(300_000, 0);
    d.onEncoded(1_000, 0);
    d.onEncoded(20_000, 33_333, true);
    expect(seen).toEqual([20_000]);
  });

  it("rejects bad options with a typed error naming the range", () => {
    expect(() => new FrameDropper({ windowMs: 0 })).toThrow(InvalidOptionError);
    expect(() => new FrameDropper({ maxGapMs: -1 })).toThrow(/maxGapMs/);
    expect(() => new FrameDropper().setTargetRate(NaN, 0)).toThrow(InvalidOptionError);
  });
});
