import { describe, expect, it } from "vitest";
import { InvalidOptionError } from "../../src/errors.js";
import { OveruseDetector } from "../../src/congestion/overuse-detector.js";

describe("OveruseDetector (draft-ietf-rmcat-gcc-02 5.4, 5.5; libwebrtc threshold 12.5 ms, 6..600, k_up 0.0087, k_down 0.039)", () => {
  it("over-use needs the trend above the threshold for more than 10 ms and more than one update, with the slope not falling", () => {
    const d = new OveruseDetector();
    // m = 20 > 12.5. First update: time over-using = 8/2 = 4 ms, counter 1 -> still normal.
    expect(d.detect(20, 0.1, 8, 100, 0)).toBe("normal");
    // Second: 4 + 8 = 12 ms > 10, counter 2 > 1, slope 0.1 >= 0.1 -> over-using.
    expect(d.detect(20, 0.1, 8, 100, 8)).toBe("overusing");
  });

  it("a falling slope does not signal over-use even when the trend stays above the threshold", () => {
    const d = new OveruseDetector();
    d.detect(20, 0.2, 8, 100, 0);
    expect(d.detect(20, 0.1, 8, 100, 8)).toBe("normal");
    expect(d.detect(20, 0.1, 8, 100, 16)).toBe("overusing");
  });

  it("a trend below -threshold is under-use; within +-threshold normal", () => {
    const d = new OveruseDetector();
    expect(d.detect(-20, -0.1, 8, 100, 0)).toBe("underusing");
    expect(d.detect(5, 0.01, 8, 100, 8)).toBe("normal");
  });

  it("fewer than 2 deltas: always normal", () => {
    const d = new OveruseDetector();
    expect(d.detect(100, 1, 100, 1, 0)).toBe("normal");
    expect(d.detect(100, 1, 100, 1, 100)).toBe("normal");
  });

  it("the threshold follows |m|: down with k_down when below, up with k_up when above, clamped to [6, 600]", () => {
    const d = new OveruseDetector();
    d.detect(0, 0, 10, 100, 0); // first call sets the time base, no change
    expect(d.currentThresholdMs).toBe(12.5);
    d.detect(0, 0, 10, 100, 10); // dt 10 ms, |m| = 0 < 12.5: 12.5 + 0.039 * (0 - 12.5) * 10
    expect(d.currentThresholdMs).toBeCloseTo(12.5 - 0.039 * 12.5 * 10, 9);
    for (let t = 20; t < 5000; t += 10) d.detect(0, 0, 10, 100, t);
    expect(d.currentThresholdMs).toBe(6);
    const up = new OveruseDetector();
    up.detect(20, 0, 10, 100, 0);
    up.detect(20, 0, 10, 100, 50); // |m| 20 within threshold + 15: 12.5 + 0.0087 * 7.5 * 50
    expect(up.currentThresholdMs).toBeCloseTo(12.5 + 0.0087 * 7.5 * 50, 9);
  });

  it("a spike more than 15 ms above the threshold does not move it (libwebrtc kMaxAdaptOffsetMs)", () => {
    const d = new OveruseDetector();
    d.detect(0, 0, 10, 100, 0);
    d.detect(500, 0, 10, 100, 100);
    expect(d.currentThresholdMs).toBe(12.5);
  });

  it("one threshold step integrates at most 100 ms", () => {
    const d = new OveruseDetector();
    d.detect(0, 0, 10, 100, 0);
    d.detect(0, 0, 10, 100, 10_000);
    // 12.5 + 0.039 * (0 - 12.5) * 100 < 6 -> clamped at 6 (and not further, however long the gap).
    expect(d.currentThresholdMs).toBe(6);
    const e = new OveruseDetector({ kDown: 0.001 });
    e.detect(0, 0, 10, 100, 0);
    e.detect(0, 0, 10, 100, 10_000);
    expect(e.currentThresholdMs).toBeCloseTo(12.5 - 0.001 * 12.5 * 100, 9);
  });

  it("validates options", () => {
    expect(() => new OveruseDetector({ initialThresholdMs: 1 })).toThrow(InvalidOptionError);
    expect(() => new OveruseDetector({ kUp: -1 })).toThrow(InvalidOptionError);
  });
});
