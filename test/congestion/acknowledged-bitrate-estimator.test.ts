import { describe, expect, it } from "vitest";
import { InvalidOptionError } from "../../src/errors.js";
import { AcknowledgedBitrateEstimator } from "../../src/congestion/acknowledged-bitrate-estimator.js";
import type { PacketResult } from "../../src/congestion/congestion-types.js";

let seq = 0;
/** Packets of `size` bytes arriving every `intervalUs` from `startUs` for `durationUs`. */
function stream(startUs: number, durationUs: number, intervalUs: number, size: number): PacketResult[] {
  const out: PacketResult[] = [];
  for (let t = startUs; t < startUs + durationUs; t += intervalUs) {
    out.push({ sent: { sequenceNumber: seq++, sendTimeUs: t, sizeBytes: size, probeClusterId: -1, isAudio: false }, receiveTimeUs: t + 50_000 });
  }
  return out;
}

describe("AcknowledgedBitrateEstimator (libwebrtc BitrateEstimator: 500 ms first window, 150 ms after, Bayesian update)", () => {
  it("nothing before the first 500 ms window closes; then the window's rate", () => {
    const e = new AcknowledgedBitrateEstimator();
    e.onPacketResults(stream(0, 490_000, 10_000, 1250)); // 1 Mbps
    expect(e.bitrateBps).toBeUndefined();
    e.onPacketResults(stream(490_000, 20_000, 10_000, 1250));
    expect(e.bitrateBps).toBeCloseTo(1_000_000, -3);
  });

  it("a steady rate converges on it; lost packets do not count", () => {
    const e = new AcknowledgedBitrateEstimator();
    const pkts = stream(0, 3_000_000, 5_000, 625); // 1 Mbps
    for (let i = 0; i < pkts.length; i += 3) pkts[i] = { ...pkts[i]!, receiveTimeUs: undefined };
    e.onPacketResults(pkts);
    expect(e.bitrateBps! / 1e6).toBeCloseTo(2 / 3, 1);
  });

  it("a lasting change wins within a few windows, a single odd window moves it little", () => {
    const e = new AcknowledgedBitrateEstimator();
    e.onPacketResults(stream(0, 2_000_000, 10_000, 1250)); // 1 Mbps
    const before = e.bitrateBps!;
    e.onPacketResults(stream(2_000_000, 150_000, 10_000, 2500)); // one window at 2 Mbps
    e.onPacketResults(stream(2_150_000, 160_000, 10_000, 1250));
    const afterOne = e.bitrateBps!;
    expect(afterOne - before).toBeLessThan(0.3 * before);
    e.onPacketResults(stream(2_310_000, 2_000_000, 10_000, 375)); // 300 kbps for 2 s
    expect(e.bitrateBps!).toBeLessThan(400_000);
    expect(e.lastSampleBps!).toBeCloseTo(300_000, -4);
  });

  it("ALR end: packets sent after it raise the variance so the next samples count more", () => {
    const slow = new AcknowledgedBitrateEstimator();
    const fast = new AcknowledgedBitrateEstimator();
    // A slightly uneven 1 Mbps (packet sizes 1200-1300), so the variance is not exactly 0.
    const uneven = (): PacketResult[] => stream(0, 2_000_000, 10_000, 1250).map((p, i) => ({ ...p, sent: { ...p.sent, sizeBytes: i % 2 === 0 ? 1200 : 1300 } }));
    for (const e of [slow, fast]) e.onPacketResults(uneven());
    fast.setAlrEndedTimeUs(1_999_000);
    const jump = (e: AcknowledgedBitrateEstimator): void => e.onPacketResults(stream(2_000_000, 320_000, 10_000, 2500));
    jump(slow);
    jump(fast);
    expect(fast.bitrateBps!).toBeGreaterThan(slow.bitrateBps!);
  });

  it("arrival time going backwards restarts the window instead of producing a negative rate", () => {
    const e = new AcknowledgedBitrateEstimator();
    e.onPacketResults(stream(0, 1_000_000, 10_000, 1250));
    const at = e.bitrateBps!;
    e.onPacketResults(stream(-10_000_000, 100_000, 10_000, 1250));
    expect(e.bitrateBps).toBe(at);
  });

  it("validates its option", () => {
    expect(() => new AcknowledgedBitrateEstimator({ windowUs: 0 })).toThrow(InvalidOptionError);
  });
});
