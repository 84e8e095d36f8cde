import { describe, expect, it } from "vitest";
import { BandwidthAdaptation } from "../../src/session/bandwidth-adaptation.js";

const video = { captureWidth: 640, captureHeight: 480, captureFps: 30, maxBitrateBps: 2_500_000 };

describe("BandwidthAdaptation: the start of a call", () => {
  it("video waits for the first probe result, at most 1 s, while audio starts at once; then the ladder starts where the rate fits", () => {
    const a = new BandwidthAdaptation({ video });
    const first = a.onProcessInterval(0, 0);
    expect(a.controller.probing.requested).toBe(true); // the initial probes (3x, 6x the start)
    expect(first.video?.paused).toBe(true);
    expect(first.allocation.audioBitrateBps).toBeGreaterThan(0);
    expect(a.onProcessInterval(975_000, 0).video?.paused).toBe(true);
    // No feedback within 1 s (no probe measured): video starts anyway, at the 300 kbps start's
    // fit (320x240, not the top rung's 640x480 keyframe).
    const later = a.onProcessInterval(1_000_000, 0);
    expect(later.video?.paused).toBe(false);
    expect(later.video?.width).toBeLessThan(640);
    expect(later.video?.bitrateBps).toBeGreaterThan(0);
  });

  it("an audio-only sender has no video to hold", () => {
    const a = new BandwidthAdaptation({});
    expect(a.onProcessInterval(0, 0).video).toBeUndefined();
  });
});
