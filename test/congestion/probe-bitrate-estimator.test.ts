import { describe, expect, it } from "vitest";
import type { PacketResult } from "../../src/congestion/congestion-types.js";
import { ProbeBitrateEstimator } from "../../src/congestion/probe-bitrate-estimator.js";

/** A probe cluster of `n` 1000-byte packets sent at `sendRateBps`, arriving at `recvRateBps`. */
function cluster(id: number, n: number, sendRateBps: number, recvRateBps: number, startUs = 0): PacketResult[] {
  const out: PacketResult[] = [];
  for (let i = 0; i < n; i++) {
    out.push({
      sent: { sequenceNumber: i, sendTimeUs: startUs + (i * 8000 * 1e6) / sendRateBps, sizeBytes: 1000, probeClusterId: id, isAudio: false },
      receiveTimeUs: startUs + 50_000 + (i * 8000 * 1e6) / recvRateBps,
    });
  }
  return out;
}

function feed(e: ProbeBitrateEstimator, pkts: PacketResult[], nowUs = 200_000): number | undefined {
  let r: number | undefined;
  for (const p of pkts) r = e.onPacketResult(p, nowUs) ?? r;
  return r;
}

describe("ProbeBitrateEstimator (libwebrtc: 80% of packets and bytes, ratio <= 2, saturated -> 95% of receive rate)", () => {
  it("an unsaturated link: the probe rate (min of send and receive rates)", () => {
    const e = new ProbeBitrateEstimator();
    e.addCluster(1, { minProbes: 5, minBytes: 4000 });
    expect(feed(e, cluster(1, 5, 1_000_000, 1_000_000))).toBeCloseTo(1_000_000, 0);
    expect(e.fetchAndResetLastEstimateBps()).toBeCloseTo(1_000_000, 0);
    expect(e.fetchAndResetLastEstimateBps()).toBeUndefined();
  });

  it("a saturated link (receive < 90% of send): 95% of the receive rate", () => {
    const e = new ProbeBitrateEstimator();
    e.addCluster(2, { minProbes: 5, minBytes: 4000 });
    expect(feed(e, cluster(2, 5, 2_000_000, 1_000_000))).toBeCloseTo(950_000, 0);
  });

  it("too few packets (< 80% of minProbes) give nothing", () => {
    const e = new ProbeBitrateEstimator();
    e.addCluster(3, { minProbes: 10, minBytes: 4000 });
    expect(feed(e, cluster(3, 7, 1_000_000, 1_000_000))).toBeUndefined();
    expect(feed(e, cluster(3, 1, 1_000_000, 1_000_000, 100_000))).toBeDefined(); // the 8th packet
  });

  it("a receive rate over 2x the send rate is a measurement error", () => {
    const e = new ProbeBitrateEstimator();
    e.addCluster(4, { minProbes: 5, minBytes: 4000 });
    expect(feed(e, cluster(4, 5, 500_000, 1_500_000))).toBeUndefined();
    expect(e.stats().invalid).toBeGreaterThan(0);
  });

  it("unknown clusters and non-probe or lost packets are ignored", () => {
    const e = new ProbeBitrateEstimator();
    expect(feed(e, cluster(9, 5, 1_000_000, 1_000_000))).toBeUndefined();
    e.addCluster(5, { minProbes: 5, minBytes: 4000 });
    expect(feed(e, cluster(5, 5, 1_000_000, 1_000_000).map((p) => ({ ...p, receiveTimeUs: undefined })))).toBeUndefined();
    expect(feed(e, cluster(-1, 5, 1_000_000, 1_000_000))).toBeUndefined();
  });

  it("a cluster spread over more than 1 s is not a probe", () => {
    const e = new ProbeBitrateEstimator();
    e.addCluster(6, { minProbes: 5, minBytes: 4000 });
    expect(feed(e, cluster(6, 5, 20_000, 20_000))).toBeUndefined();
  });

  it("remembers at most 64 cluster specs", () => {
    const e = new ProbeBitrateEstimator();
    for (let id = 0; id < 100; id++) e.addCluster(id, { minProbes: 5, minBytes: 4000 });
    expect(feed(e, cluster(0, 5, 1_000_000, 1_000_000))).toBeUndefined(); // forgotten
    expect(feed(e, cluster(99, 5, 1_000_000, 1_000_000))).toBeDefined();
  });
});
