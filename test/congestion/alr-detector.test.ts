import { describe, expect, it } from "vitest";
import { AlrDetector } from "../../src/congestion/alr-detector.js";

/** Sends `sizeBytes` every `intervalUs` for `durationUs` from `fromUs`. */
function send(d: AlrDetector, fromUs: number, durationUs: number, intervalUs: number, sizeBytes: number): void {
  for (let t = fromUs; t < fromUs + durationUs; t += intervalUs) d.onBytesSent(sizeBytes, t);
}

describe("AlrDetector (libwebrtc: budget at 65% of the estimate, start above 80% unused, stop below 50%)", () => {
  it("sending at the estimate: never in ALR", () => {
    const d = new AlrDetector();
    d.setEstimatedBitrate(1_000_000);
    send(d, 0, 5_000_000, 10_000, 1250); // 1 Mbps
    expect(d.alrStartTimeUs).toBeUndefined();
  });

  it("sending at 20% of the estimate enters ALR; back at the estimate leaves it", () => {
    const d = new AlrDetector();
    d.setEstimatedBitrate(1_000_000);
    send(d, 0, 2_000_000, 10_000, 250); // 200 kbps
    expect(d.alrStartTimeUs).toBeDefined();
    const started = d.alrStartTimeUs!;
    expect(started).toBeLessThan(1_000_000);
    send(d, 2_000_000, 2_000_000, 10_000, 1250);
    expect(d.alrStartTimeUs).toBeUndefined();
    expect(d.alrEndedTimeUs).toBeGreaterThan(2_000_000);
  });

  it("send times going backwards are ignored", () => {
    const d = new AlrDetector();
    d.setEstimatedBitrate(1_000_000);
    send(d, 0, 1_000_000, 10_000, 1250);
    d.onBytesSent(1, -5_000_000);
    expect(d.alrStartTimeUs).toBeUndefined();
  });
});
