import { describe, expect, it } from "vitest";
import { InvalidOptionError } from "../../src/errors.js";
import { AimdRateControl } from "../../src/congestion/aimd-rate-control.js";

const S = 1_000_000;

describe("AimdRateControl (draft-ietf-rmcat-gcc-02 5.5; libwebrtc beta 0.85, eta 1.08/s)", () => {
  it("states: normal moves hold -> increase, over-use -> decrease then hold, under-use -> hold", () => {
    const a = new AimdRateControl({ startRateBps: 500_000 });
    expect(a.state).toBe("hold");
    a.update("normal", 500_000, 0);
    expect(a.state).toBe("increase");
    a.update("overusing", 500_000, 0.1 * S);
    expect(a.state).toBe("hold"); // a decrease is one step, then hold until the queue drains
    a.update("underusing", 500_000, 0.2 * S);
    expect(a.state).toBe("hold");
    a.update("normal", 500_000, 0.3 * S);
    expect(a.state).toBe("increase");
  });

  it("far from convergence: +8% per second, multiplicative", () => {
    const a = new AimdRateControl({ startRateBps: 500_000 });
    a.update("normal", 1_000_000, 0); // first step: exponent unknown, the full 8%
    expect(a.estimateBps).toBeCloseTo(540_000, 6);
    let t = 0;
    for (let i = 0; i < 10; i++) a.update("normal", 1_000_000, (t += 0.1 * S));
    // Ten steps of 0.1 s: 1.08^(0.1 * 10) = 1.08 over one second.
    expect(a.estimateBps).toBeCloseTo(540_000 * 1.08, 0);
  });

  it("over-use: decrease to 0.85 x the acknowledged rate", () => {
    const a = new AimdRateControl({ startRateBps: 1_000_000 });
    a.update("overusing", 800_000, 0);
    expect(a.estimateBps).toBeCloseTo(0.85 * 800_000, 6);
    expect(a.linkCapacityBps).toBeCloseTo(800_000, 6);
    expect(a.decreases).toBe(1);
  });

  it("never increases on over-use, even when the throughput is above the estimate", () => {
    const a = new AimdRateControl({ startRateBps: 300_000 });
    a.update("overusing", 2_000_000, 0);
    expect(a.estimateBps).toBe(300_000);
  });

  it("near the link capacity seen at the last over-use: additive, about one packet per (RTT + 100 ms)", () => {
    const a = new AimdRateControl({ startRateBps: 1_000_000 });
    a.setRttMs(100);
    a.update("overusing", 1_000_000, 0); // capacity 1 Mbps, estimate 850 kbps
    a.update("normal", 850_000, 1 * S); // hold -> increase; 1 s since the last change
    // 850 kbps / 30 fps = 28 333 bits per frame, 3 packets, 9 444 bits each; per 0.2 s response
    // time: 47 222 bps per second, for 1 s.
    expect(a.estimateBps).toBeCloseTo(850_000 + (850_000 / 30 / 3) / 0.2, 0);
    // Far less than the multiplicative step would have given (8% = 68 kbps).
    expect(a.estimateBps - 850_000).toBeLessThan(0.08 * 850_000);
  });

  it("the increase is limited to 1.5 x throughput + 10 kbps (an application-limited sender does not run away)", () => {
    const a = new AimdRateControl({ startRateBps: 1_000_000 });
    for (let i = 0; i < 100; i++) a.update("normal", 100_000, i * 0.1 * S);
    expect(a.estimateBps).toBe(1_000_000); // already above 160 kbps: no increase, no decrease
    const b = new AimdRateControl({ startRateBps: 150_000 });
    for (let i = 0; i < 100; i++) b.update("normal", 100_000, i * 0.1 * S);
    expect(b.estimateBps).toBeCloseTo(1.5 * 100_000 + 10_000, 6);
  });

  it("stays within min/max", () => {
    const a = new AimdRateControl({ startRateBps: 100_000, minRateBps: 50_000, maxRateBps: 120_000 });
    for (let i = 0; i < 100; i++) a.update("normal", 1e9, i * 0.5 * S);
    expect(a.estimateBps).toBe(120_000);
    a.update("overusing", 1_000, 100 * S);
    expect(a.estimateBps).toBe(50_000);
    a.setEstimate(1e12, 101 * S);
    expect(a.estimateBps).toBe(120_000);
  });

  it("time to reduce further: after max(10 ms, min(RTT, 200 ms)) since the last change, or at once when the throughput halves", () => {
    const a = new AimdRateControl({ startRateBps: 1_000_000 });
    a.setRttMs(100);
    a.update("normal", 1_000_000, 0); // hold -> increase: a change, not a decrease
    expect(a.timeToReduceFurther(50_000, 800_000)).toBe(false);
    expect(a.timeToReduceFurther(100_000, 800_000)).toBe(true);
    expect(a.timeToReduceFurther(50_000, 0.4 * a.estimateBps)).toBe(true);
    a.setRttMs(10_000);
    expect(a.timeToReduceFurther(199_000, 800_000)).toBe(false);
    expect(a.timeToReduceFurther(200_000, 800_000)).toBe(true);
  });

  it("decreases stay one response time (RTT + 100 ms, at most 1 s) apart, even when the throughput halves", () => {
    const a = new AimdRateControl({ startRateBps: 1_000_000 });
    a.setRttMs(100);
    a.update("overusing", 1_000_000, 0);
    expect(a.estimateBps).toBe(850_000);
    expect(a.timeToReduceFurther(150_000, 100_000)).toBe(false); // acked fell because we sent less: wait
    expect(a.timeToReduceFurther(200_000, 100_000)).toBe(true);
    a.update("overusing", 100_000, 200_000);
    a.setRttMs(5_000);
    expect(a.timeToReduceFurther(1_100_000, 800_000)).toBe(false);
    expect(a.timeToReduceFurther(1_200_000, 800_000)).toBe(true); // capped at 1 s
  });

  it("validates options", () => {
    expect(() => new AimdRateControl({ startRateBps: 10, minRateBps: 30_000 })).toThrow(InvalidOptionError);
    expect(() => new AimdRateControl({ beta: 1 })).toThrow(InvalidOptionError);
    expect(() => new AimdRateControl({ minRateBps: 100_000, maxRateBps: 50_000 })).toThrow(InvalidOptionError);
  });
});
