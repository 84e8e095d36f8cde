import { describe, expect, it } from "vitest";
import { InvalidOptionError } from "../../src/errors.js";
import { CongestionWindowPushback } from "../../src/congestion/congestion-window-pushback.js";

describe("CongestionWindowPushback (libwebrtc CongestionWindowPushbackController, window RTT + 350 ms)", () => {
  it("no window yet: the target passes unchanged", () => {
    expect(new CongestionWindowPushback().apply(500_000)).toBe(500_000);
  });

  it("window = (RTT + 350 ms) x target, averaged with the previous window", () => {
    const p = new CongestionWindowPushback();
    p.updateWindow(50, 800_000);
    expect(p.dataWindowBytes).toBe((400 * 800_000) / 8000);
    p.updateWindow(50, 400_000);
    expect(p.dataWindowBytes).toBe((40_000 + 20_000) / 2);
  });

  it("over the window: down by the overfill (at least x0.9 above 1.5 windows, x0.95 above 1); recovers x1.05; under 10%: back to 1", () => {
    const p = new CongestionWindowPushback();
    p.updateWindow(50, 800_000); // 40 000 bytes
    p.setDataInFlight(70_000); // 1.75 windows: x 1/1.75
    expect(p.apply(800_000)).toBeCloseTo(800_000 / 1.75, 6);
    p.setDataInFlight(42_000); // 1.05 windows: x0.95
    expect(p.apply(800_000)).toBeCloseTo((800_000 / 1.75) * 0.95, 6);
    p.setDataInFlight(20_000);
    expect(p.apply(800_000)).toBeCloseTo((800_000 / 1.75) * 0.95 * 1.05, 6);
    p.setDataInFlight(1_000);
    expect(p.apply(800_000)).toBe(800_000);
  });

  it("the window's queue time follows the feedback interval: one interval + 50 ms, between 100 and 350 ms", () => {
    const p = new CongestionWindowPushback();
    expect(p.windowQueueTimeMs).toBe(350);
    let t = 0;
    const feedbackEvery = (ms: number, n: number): void => {
      for (let i = 0; i < n; i++) p.onFeedback((t += ms * 1000));
    };
    feedbackEvery(80, 2); // the first gap sets the interval
    expect(p.windowQueueTimeMs).toBeCloseTo(130, 6);
    p.updateWindow(100, 800_000);
    expect(p.dataWindowBytes).toBeCloseTo((230 * 800_000) / 8000, 6);
    feedbackEvery(10, 60); // smoothed: converges to 10 ms, the window to its 100 ms floor
    expect(p.windowQueueTimeMs).toBe(100);
    feedbackEvery(400, 60);
    expect(p.windowQueueTimeMs).toBe(350);
    feedbackEvery(5_000, 1); // an outage is not an interval
    expect(p.windowQueueTimeMs).toBe(350);
  });

  it("a keyframe's burst is allowed on top of the window until it is due to be acknowledged", () => {
    const p = new CongestionWindowPushback();
    p.updateWindow(50, 800_000); // 40 000 bytes
    p.allowBurst(33_000, 1_000_000);
    p.setDataInFlight(60_000); // over the window, within window + burst
    expect(p.apply(800_000, 500_000)).toBe(800_000);
    p.setDataInFlight(60_000); // the burst has had its time: 1.5 windows
    expect(p.apply(800_000, 1_000_000)).toBeCloseTo(800_000 / 1.5, 6);
  });

  it("does not push below the minimum, unless the estimate itself is lower", () => {
    const p = new CongestionWindowPushback({ minRateBps: 100_000 });
    p.updateWindow(50, 800_000);
    let r = 0;
    for (let i = 0; i < 100; i++) {
      p.setDataInFlight(1e9);
      r = p.apply(800_000);
    }
    expect(r).toBe(100_000);
    expect(p.apply(60_000)).toBe(60_000);
  });

  it("steps once per in-flight figure: ticks repeating a stale figure do not compound", () => {
    const p = new CongestionWindowPushback();
    p.updateWindow(50, 800_000); // 40 000 bytes
    p.setDataInFlight(70_000);
    expect(p.apply(800_000)).toBeCloseTo(800_000 / 1.75, 6);
    for (let i = 0; i < 20; i++) expect(p.apply(800_000)).toBeCloseTo(800_000 / 1.75, 6);
  });

  it("does not stack on a decrease of the estimate: the pushed target holds, then steps from there", () => {
    const p = new CongestionWindowPushback();
    p.updateWindow(50, 800_000);
    for (let i = 0; i < 2; i++) {
      p.setDataInFlight(70_000);
      p.apply(800_000);
    }
    const pushed = 800_000 / 1.75 ** 2; // ~261 kbps
    expect(p.apply(800_000)).toBeCloseTo(pushed, 6);
    expect(p.apply(600_000)).toBeCloseTo(pushed, 6); // the estimate fell to 600 kbps: still ~261, not 196
    expect(p.apply(200_000)).toBeCloseTo(200_000, 6); // below the pushed target: ratio back to 1
    p.setDataInFlight(70_000);
    expect(p.apply(200_000)).toBeCloseTo(200_000 / 1.75, 6);
  });

  it("validates options", () => {
    expect(() => new CongestionWindowPushback({ queueTimeMs: -1 })).toThrow(InvalidOptionError);
  });
});
