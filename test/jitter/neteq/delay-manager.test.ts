import { describe, expect, it } from "vitest";
import { DelayManager } from "../../../src/jitter/neteq/delay-manager.js";
import { SeededRandom } from "../../../src/util/seeded-random.js";

/** Feeds `n` packets from index `from`, 20 ms apart, each delayed by jitterUs(i). Returns the target after each second. */
function feed(dm: DelayManager, from: number, n: number, jitterUs: (i: number) => number): number[] {
  const perSecond: number[] = [];
  for (let i = from; i < from + n; i++) {
    dm.update(i * 960, 50_000 + i * 20_000 + jitterUs(i));
    if ((i + 1) % 50 === 0) perSecond.push(dm.targetDelayMs());
  }
  return perSecond;
}

describe("DelayManager", () => {
  it("starts at 80 ms (libwebrtc kStartDelayMs) and settles at one packet + one bucket on a clean path", () => {
    const dm = new DelayManager();
    expect(dm.targetDelayMs()).toBe(80);
    const t = feed(dm, 0, 500, () => 0);
    expect(t[2]).toBe(80); // 3 s: start delay still dominates the histogram
    expect(t[9]).toBe(25); // 10 s: 5 ms bucket + 20 ms packet
  });

  it("targets the 95th percentile of the per-100 ms worst relative delay (~99th of packets) under 0-120 ms jitter", () => {
    const rng = new SeededRandom(11);
    const dm = new DelayManager();
    const t = feed(dm, 0, 1000, () => rng.next() * 120_000);
    const last = t[t.length - 1]!;
    // The max of 5 uniform delays has its 95th percentile at 120·0.95^(1/5) ≈ 119 ms; + 20 ms packet.
    expect(last).toBeGreaterThanOrEqual(130);
    expect(last).toBeLessThanOrEqual(145);
  });

  it("shrinks back within ~8 s when jitter stops (forget factor 0.95 per 100 ms, τ = 2 s)", () => {
    const rng = new SeededRandom(12);
    const dm = new DelayManager();
    feed(dm, 0, 1000, () => rng.next() * 120_000);
    const t = feed(dm, 1000, 500, () => 0);
    expect(t[1]).toBeGreaterThan(100); // 2 s after: still covering (a lull is not trusted at once)
    expect(t[7]).toBeLessThanOrEqual(30); // 8 s after: back to the clean-path target
  });

  it("respects min/max and ignores a single wild timestamp (jump), re-basing after 3", () => {
    const dm = new DelayManager({ minDelayMs: 60, maxDelayMs: 200 });
    feed(dm, 0, 500, () => 0);
    expect(dm.targetDelayMs()).toBe(60);
    dm.update(500 * 960 + 48_000 * 3600, 50_000 + 500 * 20_000); // 1 hour ahead
    expect(dm.stats()["timestampJumps"]).toBe(1);
    feed(dm, 501, 100, () => 0);
    expect(dm.targetDelayMs()).toBe(60);
    const rng = new SeededRandom(1);
    feed(dm, 601, 1000, () => rng.next() * 1_000_000);
    expect(dm.targetDelayMs()).toBe(200);
  });

  it("rejects min > max", () => {
    expect(() => new DelayManager({ minDelayMs: 300, maxDelayMs: 200 })).toThrow(/minDelayMs/);
  });
});
