import { describe, expect, it } from "vitest";
import { InvalidOptionError } from "../../src/errors.js";
import { TrendlineEstimator } from "../../src/congestion/trendline-estimator.js";

describe("TrendlineEstimator (draft-ietf-rmcat-gcc-02 5.3, libwebrtc window 20, smoothing 0.9, gain 4)", () => {
  it("constant delay: slope 0", () => {
    const t = new TrendlineEstimator();
    let r = t.update(20, 20, 0);
    for (let i = 1; i < 100; i++) r = t.update(20, 20, i * 20);
    expect(r.slope).toBeCloseTo(0, 12);
    expect(r.modifiedTrend).toBeCloseTo(0, 12);
  });

  it("a queue growing 1 ms per 20 ms group: slope approaches 1/20 once the smoothing settles", () => {
    const t = new TrendlineEstimator();
    let r = t.update(21, 20, 0);
    for (let i = 1; i < 200; i++) r = t.update(21, 20, i * 21);
    // Accumulated delay grows 1 ms per point, x grows 21 ms per point: slope 1/21.
    expect(r.slope).toBeCloseTo(1 / 21, 3);
    // Modified trend = slope * min(deltas, 60) * 4.
    expect(r.modifiedTrend).toBeCloseTo((1 / 21) * 60 * 4, 2);
    expect(r.numDeltas).toBe(200);
  });

  it("the slope is 0 until the 20-point window is full, and the deltas factor ramps up to 60", () => {
    const t = new TrendlineEstimator();
    const slopes: number[] = [];
    for (let i = 0; i < 25; i++) slopes.push(t.update(25, 20, i * 25).slope);
    expect(slopes.slice(0, 19).every((s) => s === 0)).toBe(true);
    expect(slopes[19]).toBeGreaterThan(0);
    const r = t.current();
    expect(r.modifiedTrend).toBeCloseTo(r.slope * 25 * 4, 9);
  });

  it("a draining queue gives a negative slope; smoothing 0 follows the raw accumulated delay", () => {
    const t = new TrendlineEstimator({ smoothing: 0, windowSize: 5 });
    let r = t.update(18, 20, 0);
    for (let i = 1; i < 5; i++) r = t.update(18, 20, i * 18);
    // Accumulated delay falls 2 ms per point, x grows 18 ms per point.
    expect(r.slope).toBeCloseTo(-2 / 18, 9);
  });

  it("reset forgets the curve", () => {
    const t = new TrendlineEstimator({ windowSize: 2 });
    t.update(30, 20, 0);
    t.update(30, 20, 30);
    expect(t.current().slope).toBeGreaterThan(0);
    t.reset();
    expect(t.current()).toEqual({ slope: 0, modifiedTrend: 0, numDeltas: 0 });
  });

  it("validates options", () => {
    expect(() => new TrendlineEstimator({ windowSize: 1 })).toThrow(InvalidOptionError);
    expect(() => new TrendlineEstimator({ smoothing: 1 })).toThrow(InvalidOptionError);
    expect(() => new TrendlineEstimator({ thresholdGain: 0 })).toThrow(InvalidOptionError);
  });
});
