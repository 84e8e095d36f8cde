import { describe, expect, it } from "vitest";
import { InvalidOptionError } from "../../src/errors.js";
import { LossBasedEstimator } from "../../src/congestion/loss-based-estimator.js";

const S = 1_000_000;

/** Runs `seconds` of 25 ms ticks with a receiver report of `loss` every second. */
function run(e: LossBasedEstimator, fromS: number, seconds: number, loss: number): void {
  for (let t = fromS * S; t < (fromS + seconds) * S; t += 25_000) {
    if (t % S === 0) e.onLossReport(loss, t);
    e.update(t);
  }
}

describe("LossBasedEstimator (draft-ietf-rmcat-gcc-02 6; libwebrtc classic thresholds 2% / 10%)", () => {
  it("under 2% loss: +8% per second (over the lowest rate of the last second)", () => {
    const e = new LossBasedEstimator({ startRateBps: 500_000, maxRateBps: 1e9 });
    run(e, 0, 3, 0.01); // start phase (2 s) with loss seen: the rule applies from the start
    const r3 = e.rateBps;
    run(e, 3, 5, 0.01);
    // 5 s more: about 1.08^5 = 1.47 (+1 kbps per step).
    expect(e.rateBps / r3).toBeGreaterThan(1.08 ** 5 * 0.97);
    expect(e.rateBps / r3).toBeLessThan(1.08 ** 5 * 1.1);
  });

  it("2% to 10% loss: holds", () => {
    const e = new LossBasedEstimator({ startRateBps: 500_000 });
    run(e, 0, 10, 0.05);
    expect(e.rateBps).toBe(500_000);
    expect(e.decreases).toBe(0);
  });

  it("above 10% loss: rate x (1 - 0.5 p), once per report and at most every 300 ms + RTT", () => {
    const e = new LossBasedEstimator({ startRateBps: 1_000_000 });
    e.setRttMs(100);
    e.onLossReport(0.2, 0);
    e.update(0);
    expect(e.rateBps).toBeCloseTo(900_000, 6);
    e.update(500_000); // same report: no second decrease
    expect(e.rateBps).toBeCloseTo(900_000, 6);
    e.onLossReport(0.5, 300_000);
    e.update(350_000); // a new report, but only 350 ms since the last decrease (< 400 ms)
    expect(e.rateBps).toBeCloseTo(900_000, 6);
    e.update(400_000);
    expect(e.rateBps).toBeCloseTo(900_000 * 0.75, 6);
    expect(e.decreases).toBe(2);
  });

  it("is capped by the delay-based estimate; a probe result (setRate) lifts the cap", () => {
    const e = new LossBasedEstimator({ startRateBps: 1_000_000 });
    e.setDelayBasedLimit(400_000);
    expect(e.rateBps).toBe(400_000);
    run(e, 3, 3, 0); // no loss: grows, but not past the cap
    expect(e.rateBps).toBe(400_000);
    e.setRate(900_000);
    expect(e.rateBps).toBe(900_000);
  });

  it("in the first 2 s without loss it follows the delay-based estimate up (start-up probing)", () => {
    const e = new LossBasedEstimator({ startRateBps: 300_000 });
    e.update(0);
    e.onLossReport(0, 100_000);
    e.setDelayBasedLimit(1_500_000);
    e.update(200_000);
    expect(e.rateBps).toBe(1_500_000);
  });

  it("without any receiver report it follows the delay-based estimate", () => {
    const e = new LossBasedEstimator({ startRateBps: 300_000 });
    e.update(0);
    e.setDelayBasedLimit(700_000);
    e.update(5 * S);
    expect(e.rateBps).toBe(700_000);
  });

  it("a stale report (older than 6 s) neither grows nor cuts the rate", () => {
    const e = new LossBasedEstimator({ startRateBps: 500_000 });
    e.onLossReport(0.5, 0);
    e.update(7 * S);
    expect(e.rateBps).toBe(500_000);
  });

  it("with packet counts, reports are pooled until they cover 20 packets (libwebrtc kLimitNumPackets)", () => {
    const e = new LossBasedEstimator({ startRateBps: 1_000_000 });
    // 1 lost of 8 (12.5%) would cut the rate; pooled with the next 2 reports: 1 of 24 = 4.2%, hold.
    expect(e.onLossReport(1 / 8, 0, 8)).toBe(false);
    e.update(0);
    expect(e.rateBps).toBe(1_000_000);
    expect(e.onLossReport(0, 1 * S, 8)).toBe(false);
    expect(e.onLossReport(0, 2 * S, 8)).toBe(true);
    expect(e.lossFraction).toBeCloseTo(1 / 24, 9);
    e.update(2 * S);
    expect(e.decreases).toBe(0);
    // Without counts every report counts on its own.
    const f = new LossBasedEstimator({ startRateBps: 1_000_000 });
    f.onLossReport(1 / 8, 0);
    f.update(0);
    expect(f.decreases).toBe(1);
  });

  it("never leaves [min, max]", () => {
    const e = new LossBasedEstimator({ startRateBps: 100_000, minRateBps: 80_000, maxRateBps: 120_000 });
    run(e, 0, 20, 0);
    expect(e.rateBps).toBe(120_000);
    run(e, 20, 20, 1);
    expect(e.rateBps).toBe(80_000);
  });

  it("validates options", () => {
    expect(() => new LossBasedEstimator({ startRateBps: 10_000_000 })).toThrow(InvalidOptionError);
    expect(() => new LossBasedEstimator({ minRateBps: 0 })).toThrow(InvalidOptionError);
  });
});
