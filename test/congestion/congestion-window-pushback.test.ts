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

  it("more than 1.5 windows in flight: x0.9 per update; 1..1.5: x0.95; recovers x1.05; under 10%: back to 1", () => {
    const p = new CongestionWindowPushback();
    p.updateWindow(50, 800_000); // 40 000 bytes
    p.setDataInFlight(70_000);
    expect(p.apply(800_000)).toBeCloseTo(720_000, 6);
    p.setDataInFlight(50_000);
    expect(p.apply(800_000)).toBeCloseTo(800_000 * 0.9 * 0.95, 6);
    p.setDataInFlight(20_000);
    expect(p.apply(800_000)).toBeCloseTo(800_000 * 0.9 * 0.95 * 1.05, 6);
    p.setDataInFlight(1_000);
    expect(p.apply(800_000)).toBe(800_000);
  });

  it("does not push below the minimum, unless the estimate itself is lower", () => {
    const p = new CongestionWindowPushback({ minRateBps: 100_000 });
    p.updateWindow(50, 800_000);
    p.setDataInFlight(1e9);
    let r = 0;
    for (let i = 0; i < 100; i++) r = p.apply(800_000);
    expect(r).toBe(100_000);
    expect(p.apply(60_000)).toBe(60_000);
  });

  it("validates options", () => {
    expect(() => new CongestionWindowPushback({ queueTimeMs: -1 })).toThrow(InvalidOptionError);
  });
});
