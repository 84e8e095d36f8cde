import { describe, expect, it } from "vitest";
import { InvalidOptionError } from "../../src/errors.js";
import { ProbeController } from "../../src/congestion/probe-controller.js";

const S = 1_000_000;

describe("ProbeController (libwebrtc ProbeController: 3x and 6x at start, further at 2x above 70%, ALR every 5 s, after a drop 85%)", () => {
  it("start: two clusters at 3x and 6x the start rate, 5 packets and 15 ms of bytes each; only once", () => {
    const p = new ProbeController({ startRateBps: 300_000 });
    const c = p.start(0);
    expect(c.map((x) => x.targetRateBps)).toEqual([900_000, 1_800_000]);
    expect(c.map((x) => x.minProbes)).toEqual([5, 5]);
    expect(c[0]!.minBytes).toBe(Math.ceil((900_000 * 0.015) / 8));
    expect(new Set(c.map((x) => x.id)).size).toBe(2);
    expect(p.start(1)).toEqual([]);
  });

  it("probes are capped at the maximum; a cluster capped to the same rate is not repeated", () => {
    const p = new ProbeController({ startRateBps: 300_000, maxRateBps: 1_000_000 });
    expect(p.start(0).map((x) => x.targetRateBps)).toEqual([900_000, 1_000_000]);
    // Capped at max: no further probing even when the estimate lands near the last probe.
    expect(p.setEstimatedBitrate(950_000, 0.2 * S)).toEqual([]);
  });

  it("while a result lands above 70% of the last probe, a further probe at 2x the estimate", () => {
    const p = new ProbeController({ startRateBps: 300_000, maxRateBps: 10_000_000 });
    p.start(0);
    expect(p.setEstimatedBitrate(1_000_000, 0.2 * S)).toEqual([]); // below 0.7 x 1.8 Mbps
    const c = p.setEstimatedBitrate(1_700_000, 0.3 * S);
    expect(c.map((x) => x.targetRateBps)).toEqual([3_400_000]);
  });

  it("no result within 1 s ends probing; then in ALR a probe at 2x the estimate every 5 s", () => {
    const p = new ProbeController({ startRateBps: 300_000 });
    p.start(0);
    p.setEstimatedBitrate(400_000, 0.1 * S);
    expect(p.process(0.5 * S)).toEqual([]);
    p.process(1.1 * S); // probing complete
    p.setAlrStartTimeUs(2 * S);
    expect(p.process(6.9 * S)).toEqual([]);
    expect(p.process(7 * S).map((x) => x.targetRateBps)).toEqual([800_000]);
    p.setAlrStartTimeUs(undefined);
    expect(p.process(20 * S)).toEqual([]);
  });

  it("after a large drop (< 66%) and recovery in ALR: one probe at 85% of the rate before the drop, within 5 s", () => {
    const p = new ProbeController({ startRateBps: 300_000 });
    p.start(0);
    p.setEstimatedBitrate(1_000_000, 0.2 * S);
    p.process(2 * S); // complete
    p.setEstimatedBitrate(300_000, 10 * S); // large drop
    expect(p.requestProbe(11 * S)).toEqual([]); // not in ALR: sending at the estimate shows the path
    p.setAlrStartTimeUs(10.5 * S);
    expect(p.requestProbe(11 * S).map((x) => x.targetRateBps)).toEqual([850_000]);
    expect(p.requestProbe(11.5 * S)).toEqual([]); // at most one per 5 s
    const q = new ProbeController({ startRateBps: 300_000 });
    q.start(0);
    q.setEstimatedBitrate(1_000_000, 0.2 * S);
    q.process(2 * S);
    q.setEstimatedBitrate(300_000, 10 * S);
    q.setAlrStartTimeUs(10.5 * S);
    expect(q.requestProbe(15.1 * S)).toEqual([]); // more than 5 s after the drop
  });

  it("rapid recovery (libwebrtc WebRTC-BweRapidRecoveryExperiment): the probe after a large drop also outside ALR", () => {
    const p = new ProbeController({ startRateBps: 300_000, rapidRecovery: true });
    p.start(0);
    p.setEstimatedBitrate(1_900_000, 0.2 * S);
    p.process(2 * S); // complete
    p.setEstimatedBitrate(900_000, 2.1 * S); // the first keyframe's over-use halved it
    expect(p.requestProbe(2.5 * S).map((x) => x.targetRateBps)).toEqual([0.85 * 1_900_000]);
    expect(p.requestProbe(3 * S)).toEqual([]); // still at most one per 5 s
    const small = new ProbeController({ startRateBps: 300_000, rapidRecovery: true });
    small.start(0);
    small.setEstimatedBitrate(1_000_000, 0.2 * S);
    small.process(2 * S);
    small.setEstimatedBitrate(900_000, 3 * S); // not a large drop (> 66%): nothing to recover
    expect(small.requestProbe(3.5 * S)).toEqual([]);
  });

  it("probes for room while video is paused: 2x the estimate, at most every 2 s, none while probes are out", () => {
    const p = new ProbeController({ startRateBps: 300_000, maxRateBps: 10_000_000 });
    p.start(0);
    expect(p.probeForRoom(0.5 * S)).toEqual([]); // the initial probes are still out
    p.process(1.5 * S); // no result within 1 s: probing complete
    p.setEstimatedBitrate(60_000, 2 * S);
    expect(p.probeForRoom(2.1 * S).map((x) => x.targetRateBps)).toEqual([120_000]);
    p.process(3.2 * S); // that one got no result either
    expect(p.probeForRoom(3.5 * S)).toEqual([]); // within 2 s of the last
    expect(p.probeForRoom(4.2 * S).map((x) => x.targetRateBps)).toEqual([120_000]);
  });

  it("validates options", () => {
    expect(() => new ProbeController({ startRateBps: 5_000_000, maxRateBps: 1_000_000 })).toThrow(InvalidOptionError);
  });
});
