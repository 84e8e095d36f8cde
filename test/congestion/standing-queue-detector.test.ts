import { describe, expect, it } from "vitest";
import { StandingQueueDetector } from "../../src/congestion/standing-queue-detector.js";

/** One feedback of `n` packets sent 10 ms apart from `sendUs`, each with one-way delay `delayUs(i)` (plus a 5 s clock offset). */
function feedback(d: StandingQueueDetector, sendUs: number, n: number, delayUs: (i: number) => number): number {
  for (let i = 0; i < n; i++) d.onPacket(sendUs + i * 10_000, 5_000_000 + sendUs + i * 10_000 + delayUs(i));
  return d.endFeedback(sendUs + n * 10_000 + 100_000);
}

describe("StandingQueueDetector (base delay as in RFC 6817 4.1, least excess per feedback)", () => {
  it("no verdict in the first second, then 0 ms on a path of constant delay (the clock offset cancels)", () => {
    const d = new StandingQueueDetector();
    expect(feedback(d, 0, 10, () => 50_000)).toBeNaN();
    let q = NaN;
    for (let t = 100_000; t < 2_000_000; t += 100_000) q = feedback(d, t, 10, () => 50_000);
    expect(q).toBe(0);
  });

  it("a standing queue of 400 ms reads 400 ms; a keyframe burst within one feedback does not count", () => {
    const d = new StandingQueueDetector();
    for (let t = 0; t < 2_000_000; t += 100_000) feedback(d, t, 10, () => 50_000);
    // A burst: the later packets of the feedback wait behind the first ones.
    expect(feedback(d, 2_000_000, 10, (i) => 50_000 + i * 30_000)).toBe(0);
    // A standing queue: every packet waits 400 ms more than the base.
    expect(feedback(d, 2_100_000, 10, (i) => 450_000 + i * 1_000)).toBeCloseTo(400, 5);
  });

  it("the base forgets after 10 s: a longer path (route change) stops reading as a queue", () => {
    const d = new StandingQueueDetector();
    for (let t = 0; t < 2_000_000; t += 100_000) feedback(d, t, 10, () => 50_000);
    let q = NaN;
    for (let t = 2_000_000; t < 14_000_000; t += 100_000) q = feedback(d, t, 10, () => 250_000);
    expect(q).toBe(0);
  });

  it("NaN times are skipped; an empty feedback gives NaN", () => {
    const d = new StandingQueueDetector();
    d.onPacket(NaN, 1);
    expect(d.endFeedback(2_000_000)).toBeNaN();
  });
});
