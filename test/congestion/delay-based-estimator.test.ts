import { describe, expect, it } from "vitest";
import type { PacketResult } from "../../src/congestion/congestion-types.js";
import { DelayBasedEstimator } from "../../src/congestion/delay-based-estimator.js";

interface Gen {
  seq: number;
  sendUs: number;
  /** Extra queuing delay of the next packet (µs). */
  queueUs: number;
}

/** 50 ms of packets every `intervalUs`, queuing delay growing by `growthUs` per packet. */
function feedback(g: Gen, intervalUs: number, growthUs: number, audio = false): PacketResult[] {
  const out: PacketResult[] = [];
  const end = g.sendUs + 50_000;
  for (; g.sendUs < end; g.sendUs += intervalUs) {
    g.queueUs = Math.max(0, g.queueUs + growthUs);
    out.push({ sent: { sequenceNumber: g.seq++, sendTimeUs: g.sendUs, sizeBytes: 1200, probeClusterId: -1, isAudio: audio }, receiveTimeUs: g.sendUs + 40_000 + g.queueUs });
  }
  return out;
}

describe("DelayBasedEstimator (draft-ietf-rmcat-gcc-02 5: pre-filter, trendline, detector, AIMD)", () => {
  it("constant delay: normal, and the estimate grows", () => {
    const d = new DelayBasedEstimator({ startRateBps: 500_000 });
    const g: Gen = { seq: 0, sendUs: 0, queueUs: 0 };
    let r;
    for (let i = 0; i < 40; i++) r = d.onFeedback(feedback(g, 10_000, 0), 1_000_000, undefined, g.sendUs + 100_000);
    expect(r!.usage).toBe("normal");
    expect(d.estimateBps).toBeGreaterThan(500_000 * 1.08);
  });

  it("a growing queue (+2 ms per 10 ms packet): over-use and a decrease to 0.85 x throughput", () => {
    const d = new DelayBasedEstimator({ startRateBps: 1_000_000 });
    const g: Gen = { seq: 0, sendUs: 0, queueUs: 0 };
    for (let i = 0; i < 20; i++) d.onFeedback(feedback(g, 10_000, 0), 1_000_000, undefined, g.sendUs + 100_000);
    let overAtUs = NaN;
    for (let i = 0; i < 40 && d.stats().decreases === 0; i++) {
      const r = d.onFeedback(feedback(g, 10_000, 2_000), 800_000, undefined, g.sendUs + 100_000);
      if (r.usage === "overusing" && Number.isNaN(overAtUs)) overAtUs = g.sendUs;
    }
    expect(overAtUs).not.toBeNaN();
    // The decrease waits the reduction interval since the last change (RTT clamped to
    // 10..200 ms, 200 ms by default): at most 4 more 50 ms feedbacks after the detection.
    expect(g.sendUs - overAtUs).toBeLessThanOrEqual(200_000);
    expect(d.estimateBps).toBeCloseTo(0.85 * 800_000, 0);
    expect(d.stats().decreases).toBeGreaterThanOrEqual(1);
  });

  it("the latest throughput window, when lower, sets the decrease", () => {
    const d = new DelayBasedEstimator({ startRateBps: 1_000_000 });
    const g: Gen = { seq: 0, sendUs: 0, queueUs: 0 };
    for (let i = 0; i < 20; i++) d.onFeedback(feedback(g, 10_000, 0), 1_000_000, undefined, g.sendUs + 100_000);
    for (let i = 0; i < 40 && d.stats().decreases === 0; i++) d.onFeedback(feedback(g, 10_000, 2_000), 800_000, undefined, g.sendUs + 100_000, 300_000);
    expect(d.estimateBps).toBeCloseTo(0.85 * 300_000, 0);
  });

  it("the latest window cuts the decrease to no less than 30% of the smoothed rate (the sender had just sent less)", () => {
    const d = new DelayBasedEstimator({ startRateBps: 1_000_000 });
    const g: Gen = { seq: 0, sendUs: 0, queueUs: 0 };
    for (let i = 0; i < 20; i++) d.onFeedback(feedback(g, 10_000, 0), 1_000_000, undefined, g.sendUs + 100_000);
    for (let i = 0; i < 40 && d.stats().decreases === 0; i++) d.onFeedback(feedback(g, 10_000, 2_000), 800_000, undefined, g.sendUs + 100_000, 50_000);
    expect(d.estimateBps).toBeCloseTo(0.85 * 0.3 * 800_000, 0);
  });

  it("a probe result sets the estimate when there is no over-use", () => {
    const d = new DelayBasedEstimator({ startRateBps: 300_000 });
    const g: Gen = { seq: 0, sendUs: 0, queueUs: 0 };
    const r = d.onFeedback(feedback(g, 10_000, 0), undefined, 1_700_000, 100_000);
    expect(r).toMatchObject({ updated: true, probe: true, targetRateBps: 1_700_000 });
  });

  it("a probe result below an estimate an earlier probe set does not lower it; below the start rate it does", () => {
    const d = new DelayBasedEstimator({ startRateBps: 300_000 });
    const g: Gen = { seq: 0, sendUs: 0, queueUs: 0 };
    d.onFeedback(feedback(g, 10_000, 0), undefined, 1_900_000, 100_000);
    const r = d.onFeedback(feedback(g, 10_000, 0), undefined, 742_000, 200_000);
    expect(r.probe).toBe(false); // the second cluster shared the path with our media
    expect(d.estimateBps).toBeGreaterThanOrEqual(1_900_000);
    const slow = new DelayBasedEstimator({ startRateBps: 300_000 });
    const h: Gen = { seq: 0, sendUs: 0, queueUs: 0 };
    expect(slow.onFeedback(feedback(h, 10_000, 0), undefined, 125_000, 100_000)).toMatchObject({ probe: true, targetRateBps: 125_000 });
  });

  it("while video flows, audio packets do not drive the trendline (a growing delay of audio alone changes nothing below a standing queue)", () => {
    const d = new DelayBasedEstimator({ startRateBps: 1_000_000 });
    const g: Gen = { seq: 0, sendUs: 0, queueUs: 0 };
    const v: Gen = { seq: 100_000, sendUs: 0, queueUs: 0 };
    // +0.2 ms per audio packet for 2 s: the delay grows to 40 ms, under the 200 ms standing-queue
    // threshold; one video packet with a flat delay every 50 ms.
    for (let i = 0; i < 40; i++) {
      const audio = feedback(g, 10_000, 200, true);
      v.sendUs = g.sendUs - 60_000;
      const video = feedback(v, 50_000, 0).slice(0, 1);
      d.onFeedback([...video, ...audio], 800_000, undefined, g.sendUs + 100_000);
    }
    expect(d.usage).not.toBe("overusing");
    expect(d.stats().decreases).toBe(0);
  });

  it("with no video for a second (paused video, an audio-only call), audio packets drive the estimate: it grows", () => {
    const d = new DelayBasedEstimator({ startRateBps: 60_000 });
    const g: Gen = { seq: 0, sendUs: 0, queueUs: 0 };
    // 50 audio packets per second, a flat delay, 10 s: before, the estimate stayed at 60 kbps.
    for (let i = 0; i < 200; i++) d.onFeedback(feedback(g, 20_000, 0, true), 60_000, undefined, g.sendUs + 100_000);
    expect(d.stats().deltas).toBeGreaterThan(100);
    expect(d.estimateBps).toBeGreaterThan(80_000);
    // A growing audio delay now reads as over-use.
    for (let i = 0; i < 40; i++) d.onFeedback(feedback(g, 20_000, 1_000, true), 60_000, undefined, g.sendUs + 100_000);
    expect(d.stats().decreases).toBeGreaterThan(0);
  });

  it("audio packets do count for a standing queue (they wait in the same queue)", () => {
    const d = new DelayBasedEstimator({ startRateBps: 1_000_000 });
    const g: Gen = { seq: 0, sendUs: 0, queueUs: 0 };
    for (let i = 0; i < 40; i++) d.onFeedback(feedback(g, 10_000, 2_000, true), 800_000, undefined, g.sendUs + 100_000);
    expect(d.stats().standingQueueCuts).toBeGreaterThan(0);
    expect(d.estimateBps).toBeLessThan(800_000);
  });

  it("2 s without packets resets the filters (libwebrtc kStreamTimeOut)", () => {
    const d = new DelayBasedEstimator();
    const g: Gen = { seq: 0, sendUs: 0, queueUs: 0 };
    d.onFeedback(feedback(g, 10_000, 0), undefined, undefined, 100_000);
    g.sendUs += 3_000_000;
    d.onFeedback(feedback(g, 10_000, 0), undefined, undefined, g.sendUs + 100_000);
    expect(d.stats().streamTimeouts).toBe(1);
  });
});

describe("DelayBasedEstimator: a standing queue (ours, see StandingQueueDetector)", () => {
  /** Feedback of 10 packets 10 ms apart with a fixed extra delay. */
  function fb(seq: { n: number }, sendUs: number, queueUs: number): PacketResult[] {
    const out: PacketResult[] = [];
    for (let i = 0; i < 10; i++) {
      const s = sendUs + i * 10_000;
      out.push({ sent: { sequenceNumber: seq.n++, sendTimeUs: s, sizeBytes: 1200, probeClusterId: -1, isAudio: false }, receiveTimeUs: s + 40_000 + queueUs });
    }
    return out;
  }

  it("a 600 ms queue cuts the estimate at once to 0.4 x what the path delivers; once drained it goes back to 0.85 x that rate", () => {
    const d = new DelayBasedEstimator({ startRateBps: 1_000_000 });
    const seq = { n: 0 };
    let t = 0;
    for (; t < 2_000_000; t += 100_000) d.onFeedback(fb(seq, t, 0), 1_000_000, undefined, t + 150_000);
    const before = d.estimateBps;
    // The path now delivers 200 kbps and a 600 ms queue stands.
    const r = d.onFeedback(fb(seq, t, 600_000), 900_000, undefined, t + 800_000, 200_000);
    expect(r.usage).toBe("overusing");
    expect(before).toBeGreaterThan(900_000);
    expect(d.estimateBps).toBeCloseTo(0.4 * 200_000, -3);
    expect(d.stats().standingQueueCuts).toBe(1);
    // It does not grow while the queue stands.
    t += 100_000;
    d.onFeedback(fb(seq, t, 500_000), 250_000, undefined, t + 700_000, 200_000);
    expect(d.estimateBps).toBeLessThanOrEqual(0.5 * 200_000 + 1);
    // Drained: back to 0.85 x the mean delivered rate, flagged so the loss-based estimate follows.
    t += 100_000;
    const back = d.onFeedback(fb(seq, t, 20_000), 200_000, undefined, t + 250_000, 200_000);
    expect(back.restoredAfterDrain).toBe(true);
    expect(d.estimateBps).toBeCloseTo(0.85 * 200_000, -3);
  });

  it("once the queue has drained, the rise it left in the filters does not cut the restored estimate again (forward step, 166 -> 44 kbps before)", () => {
    const d = new DelayBasedEstimator({ startRateBps: 1_000_000 });
    const seq = { n: 0 };
    let t = 0;
    for (; t < 2_000_000; t += 100_000) d.onFeedback(fb(seq, t, 0), 1_000_000, undefined, t + 150_000);
    // The queue fills for 1 s (every packet 15 ms later than the one before: the trendline's
    // over-use), with few packets (a low rate), and then drains.
    const few = (sendUs: number, queueUs: number): PacketResult[] => [0, 40_000].map((dt, i) => ({ sent: { sequenceNumber: seq.n++, sendTimeUs: sendUs + dt, sizeBytes: 1200, probeClusterId: -1, isAudio: false }, receiveTimeUs: sendUs + dt + 40_000 + queueUs + i * 15_000 }));
    for (let q = 0; q <= 600_000; q += 30_000, t += 50_000) d.onFeedback(few(t, q), 400_000, undefined, t + 150_000 + q, 200_000);
    expect(d.stats().standingQueueCuts).toBeGreaterThan(0);
    expect(d.usage).toBe("overusing");
    const back = d.onFeedback(few(t, 20_000), 200_000, undefined, t + 170_000, 200_000);
    expect(back.restoredAfterDrain).toBe(true);
    const restored = d.estimateBps;
    expect(restored).toBeCloseTo(0.85 * 200_000, -3);
    // The sender still sends little (its pushback), so the acknowledged rate is low; the
    // delay is flat. No over-use, no cut to 0.85 x that low rate.
    for (let i = 0; i < 5; i++) {
      t += 100_000;
      const r = d.onFeedback(few(t, 20_000), 70_000, undefined, t + 170_000, 60_000);
      expect(r.usage).not.toBe("overusing");
    }
    expect(d.estimateBps).toBeGreaterThanOrEqual(restored);
  });

  it("a cut never goes below 60 kbps while the path delivers more than 70 kbps (a call keeps its video)", () => {
    const d = new DelayBasedEstimator({ startRateBps: 300_000 });
    const seq = { n: 0 };
    let t = 0;
    for (; t < 2_000_000; t += 100_000) d.onFeedback(fb(seq, t, 0), 300_000, undefined, t + 150_000);
    d.onFeedback(fb(seq, t, 1_500_000), 150_000, undefined, t + 1_700_000, 150_000);
    expect(d.estimateBps).toBeCloseTo(60_000, -3);
  });
});

describe("DelayBasedEstimator: a slower path read from a queued packet train (ours, see QueuedTrainRate)", () => {
  /** 1200-byte packets sent 5 ms apart (1.9 Mbps) through a bottleneck of `rateBps` that starts empty at `fromUs`. */
  function run(d: DelayBasedEstimator, rateBps: number, fromUs: number, untilUs: number, seq: { n: number }): void {
    const serviceUs = (1200 * 8e6) / rateBps;
    let busyUntil = fromUs;
    let batch: PacketResult[] = [];
    for (let s = fromUs; s < untilUs; s += 5_000) {
      busyUntil = Math.max(busyUntil, s) + serviceUs;
      batch.push({ sent: { sequenceNumber: seq.n++, sendTimeUs: s, sizeBytes: 1200, probeClusterId: -1, isAudio: false }, receiveTimeUs: busyUntil + 40_000 });
      if (batch.length === 10) {
        // Feedback 50 ms after the last packet of the batch has arrived.
        d.onFeedback(batch, 1_000_000, undefined, batch[9]!.receiveTimeUs! + 50_000);
        batch = [];
      }
    }
  }

  it("a drop to 200 kbps cuts the estimate while the queue is still under the 200 ms standing-queue threshold", () => {
    const d = new DelayBasedEstimator({ startRateBps: 1_000_000 });
    const seq = { n: 0 };
    // 2 s on a path faster than what we send: no queue, the estimate holds about 1 Mbps.
    for (let t = 0; t < 2_000_000; t += 50_000) run(d, 100e6, t, t + 50_000, seq);
    expect(d.estimateBps).toBeGreaterThan(900_000);
    // The path drops to 200 kbps: packets now queue, and leave 48 ms apart. Feed packets until
    // the first cut and check how deep the queue was by then.
    const serviceUs = (1200 * 8e6) / 200_000;
    const t0 = 2_000_000;
    let cutAtQueueMs = NaN;
    let busyUntil = t0;
    const batch: PacketResult[] = [];
    for (let s = t0; s < t0 + 1_000_000 && Number.isNaN(cutAtQueueMs); s += 5_000) {
      busyUntil = Math.max(busyUntil, s) + serviceUs;
      batch.push({ sent: { sequenceNumber: seq.n++, sendTimeUs: s, sizeBytes: 1200, probeClusterId: -1, isAudio: false }, receiveTimeUs: busyUntil + 40_000 });
      // Feedback every 50 ms of arrivals: whatever has arrived by then.
      const nowUs = s + 50_000;
      const arrived = batch.filter((p) => p.receiveTimeUs! <= nowUs);
      if (arrived.length >= 2) {
        batch.splice(0, arrived.length);
        d.onFeedback(arrived, 1_000_000, undefined, nowUs);
        if (d.estimateBps < 500_000) cutAtQueueMs = (arrived[arrived.length - 1]!.receiveTimeUs! - 40_000 - arrived[arrived.length - 1]!.sent.sendTimeUs) / 1000;
      }
    }
    expect(d.stats().capacityDropCuts).toBe(1);
    expect(d.stats().standingQueueCuts).toBe(0);
    expect(cutAtQueueMs).toBeLessThan(200);
    // The cut is to under the 200 kbps the train measured, not to the 1 Mbps acknowledged rate.
    expect(d.estimateBps).toBeLessThan(200_000);
    expect(d.estimateBps).toBeGreaterThan(50_000);
  });

  it("a keyframe burst at a path that carries the estimate queues too, but does not cut", () => {
    const d = new DelayBasedEstimator({ startRateBps: 1_000_000 });
    const seq = { n: 0 };
    for (let t = 0; t < 2_000_000; t += 50_000) run(d, 100e6, t, t + 50_000, seq);
    // 20 packets sent back to back (1 ms apart) through a 1 Mbps bottleneck: up to ~170 ms of queue.
    const before = d.estimateBps;
    let busyUntil = 2_000_000;
    const burst: PacketResult[] = [];
    for (let i = 0; i < 20; i++) {
      const s = 2_000_000 + i * 1_000;
      busyUntil = Math.max(busyUntil, s) + 9_600;
      burst.push({ sent: { sequenceNumber: seq.n++, sendTimeUs: s, sizeBytes: 1200, probeClusterId: -1, isAudio: false }, receiveTimeUs: busyUntil + 40_000 });
    }
    for (let i = 0; i < 20; i += 5) d.onFeedback(burst.slice(i, i + 5), 1_000_000, undefined, burst[i + 4]!.receiveTimeUs! + 10_000);
    expect(d.stats().capacityDropCuts).toBe(0);
    expect(d.estimateBps).toBeGreaterThan(0.8 * before);
  });
});
