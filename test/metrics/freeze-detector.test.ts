import { describe, expect, it } from "vitest";
import { FreezeDetector } from "../../src/metrics/freeze-detector.js";

describe("FreezeDetector (webrtc-stats freezeCount definition)", () => {
  it("counts no freeze at a steady 30 fps", () => {
    const d = new FreezeDetector();
    for (let i = 0; i < 100; i++) d.frameRendered(i * 33_333);
    expect(d.stats().count).toBe(0);
  });

  it("counts a gap longer than max(3 x mean, mean + 150 ms) as one freeze of that length", () => {
    const d = new FreezeDetector();
    let t = 0;
    for (let i = 0; i < 30; i++) d.frameRendered((t += 33_333));
    d.frameRendered((t += 150_000)); // 150 ms < 33 + 150: not a freeze
    d.frameRendered((t += 400_000)); // 400 ms: a freeze
    for (let i = 0; i < 30; i++) d.frameRendered((t += 33_333));
    expect(d.stats()).toEqual({ count: 1, totalMs: 400, longestMs: 400 });
  });

  it("counts a stream that stops before the end", () => {
    const d = new FreezeDetector();
    for (let i = 0; i < 30; i++) d.frameRendered(i * 33_333);
    d.finish(29 * 33_333 + 1_000_000);
    expect(d.stats().count).toBe(1);
    expect(d.stats().totalMs).toBeCloseTo(1000, 0);
  });
});
