import { describe, expect, it } from "vitest";
import { simulate, type Sample, type SimulationResult } from "./bottleneck-simulation.js";

/**
 * Closed-loop tests of the NetworkController against a fluid bottleneck model (see
 * bottleneck-simulation.ts): 50 ms one-way delay, feedback every 50 ms, RTCP-RR-like loss and
 * RTT every second, 1200-byte packets, a drop-tail buffer sized in time at the highest
 * capacity of the run (as the project's emulated link sizes it, `queueMs` 300 by default).
 */

const firstTime = (samples: Sample[], from: number, pred: (s: Sample) => boolean): number =>
  samples.find((s) => s.tS >= from && pred(s))?.tS ?? Infinity;
/** The time from which `pred` holds for every later sample up to `until` (Infinity if never). */
const holdsFrom = (samples: Sample[], from: number, until: number, pred: (s: Sample) => boolean): number => {
  let t = Infinity;
  for (const s of samples) {
    if (s.tS < from || s.tS > until) continue;
    if (pred(s)) {
      if (t === Infinity) t = s.tS;
    } else {
      t = Infinity;
    }
  }
  return t;
};
const between = (r: SimulationResult, a: number, b: number): Sample[] => r.samples.filter((s) => s.tS >= a && s.tS <= b);
const mean = (xs: number[]): number => xs.reduce((x, y) => x + y, 0) / xs.length;
const queueOk = (limitMs: number) => (s: Sample): boolean => Number.isNaN(s.maxQueueDelayMs) || s.maxQueueDelayMs < limitMs;
const bufferBytes = (rateBps: number, ms: number): number => (rateBps * ms) / 8000;

describe("NetworkController closed loop (draft-ietf-rmcat-gcc-02 behaviour on a bottleneck)", () => {
  it("steady 2 Mbps: from a 300 kbps start, >= 90% of capacity within 5 s (issue 5 target), then stays near it with a small queue", () => {
    const r = simulate({ durationS: 30, capacityBps: () => 2e6, bufferBytes: bufferBytes(2e6, 300) });
    const reached = firstTime(r.samples, 0, (s) => s.targetBps >= 0.9 * 2e6);
    console.log(`steady 2 Mbps: >= 90% at ${reached} s`);
    // The target: 90% of the usable capacity within 5 s. Probes at 3x and 6x the start
    // rate (900 kbps, 1.8 Mbps) and a further one get there well before that.
    expect(reached).toBeLessThanOrEqual(5);
    const tail = between(r, 5, 30);
    const meanTarget = mean(tail.map((s) => s.targetBps));
    const meanDelivered = mean(tail.map((s) => s.deliveredBps));
    const maxQueue = Math.max(...tail.map((s) => (Number.isNaN(s.maxQueueDelayMs) ? 0 : s.maxQueueDelayMs)));
    console.log(`steady 2 Mbps 5..30 s: mean target ${(meanTarget / 1e3).toFixed(0)} kbps, delivered ${(meanDelivered / 1e3).toFixed(0)} kbps, max queue ${maxQueue.toFixed(0)} ms`);
    // AIMD saws between 0.85x and just above capacity: the mean stays above 85% (0.85 is the
    // back-off, so a mean below it would mean repeated back-offs or a collapse).
    expect(meanTarget).toBeGreaterThan(0.85 * 2e6);
    expect(meanDelivered).toBeGreaterThan(0.85 * 2e6);
    // Over-use is caught while the queue is small: 100 ms is the "natural" latency budget (G.114).
    expect(maxQueue).toBeLessThan(100);
    expect(r.controller.stats()).toMatchObject({ droppedFeedback: 0, droppedPackets: 0, stalePackets: 0 });
  });

  it("steady 2 Mbps with 0-20 ms of jitter after the bottleneck: jitter is not taken for congestion", () => {
    const r = simulate({ durationS: 30, capacityBps: () => 2e6, bufferBytes: bufferBytes(2e6, 300), jitterMs: 20, seed: 3 });
    const reached = firstTime(r.samples, 0, (s) => s.targetBps >= 0.9 * 2e6);
    const tail = between(r, 5, 30);
    const meanTarget = mean(tail.map((s) => s.targetBps));
    console.log(`steady 2 Mbps, 20 ms jitter: >= 90% at ${reached} s, mean target ${(meanTarget / 1e3).toFixed(0)} kbps, delay-based decreases ${r.controller.stats().delayDecreases}`);
    // Same targets as without jitter: the trendline's smoothing and the adaptive threshold are
    // there so that delay noise of this size (a Wi-Fi hop) does not read as over-use.
    expect(reached).toBeLessThanOrEqual(5);
    expect(meanTarget).toBeGreaterThan(0.85 * 2e6);
  });

  const step = (t: number): number => (t >= 10 && t < 20 ? 2e5 : 1e6);

  it("step 1 Mbps -> 200 kbps at 10 s, buffer 300 ms at 1 Mbps: target below capacity within 1 s, queue drained within 2.8 s, no collapse", () => {
    const r = simulate({ durationS: 40, capacityBps: step, bufferBytes: bufferBytes(1e6, 300) });
    const below = firstTime(r.samples, 10, (s) => s.targetBps < 2e5);
    const drained = holdsFrom(r.samples, 10, 20, queueOk(100));
    console.log(`step down: target < 200 kbps at ${below} s, queue < 100 ms from ${drained} s`);
    // Issue 5: sending rate below capacity within 1 s of the drop.
    expect(below).toBeLessThanOrEqual(11);
    // This buffer (37.5 kB) holds 1.5 s at 200 kbps and is full ~0.4 s after the drop, before
    // any feedback can show it; even a sender that stopped dead then needs 1.5 s to drain it,
    // so the 2 s is out of reach here (the 100 ms-buffer case below checks it): 2 s
    // after the drop is the physical bound for ~0.4 s of detection. We measure 2.4 s; 2.8 s
    // leaves a margin while still failing if pushback (which cuts the target to the minimum
    // while the queue is over the window) stopped working: without it the queue does not stay
    // under 100 ms at all before the capacity steps back up 10 s later.
    expect(drained).toBeLessThanOrEqual(12.8);
    // After draining, the estimate settles under the capacity again instead of staying at the minimum.
    const settled = between(r, 15, 20);
    expect(Math.min(...settled.map((s) => s.targetBps))).toBeGreaterThan(0.5 * 2e5);
    expect(Math.max(...settled.map((s) => s.targetBps))).toBeLessThan(1.25 * 2e5);
  });

  it("step 1 Mbps -> 200 kbps with a 100 ms buffer: queuing delay back under 100 ms within 2 s (issue 5 target)", () => {
    const r = simulate({ durationS: 20, capacityBps: step, bufferBytes: bufferBytes(1e6, 100) });
    const below = firstTime(r.samples, 10, (s) => s.targetBps < 2e5);
    const drained = holdsFrom(r.samples, 10, 20, queueOk(100));
    console.log(`step down, 100 ms buffer: target < 200 kbps at ${below} s, queue < 100 ms from ${drained} s`);
    expect(below).toBeLessThanOrEqual(11);
    // The buffer holds 500 ms at 200 kbps; the issue asks for < 100 ms within 2 s of the drop.
    expect(drained).toBeLessThanOrEqual(12);
  });

  it("step back up 200 kbps -> 1 Mbps at 20 s: the estimate grows again (8%/s multiplicative once above the old link capacity)", () => {
    const r = simulate({ durationS: 40, capacityBps: step, bufferBytes: bufferBytes(1e6, 300) });
    const at = (t: number): number => r.samples.find((s) => s.tS >= t)!.targetBps;
    console.log(`step up: target at 20 s ${(at(20) / 1e3).toFixed(0)} kbps, 30 s ${(at(30) / 1e3).toFixed(0)}, 40 s ${(at(40) / 1e3).toFixed(0)}`);
    // draft 5.5 eta = 1.08/s: 20 s of growth multiply by 1.08^20 = 4.7 at best; we ask for
    // 2.5x the 200 kbps level (half of what eta allows, room for the additive phase near the
    // old capacity), and that the queue stays small while growing into free capacity.
    expect(at(40)).toBeGreaterThan(2.5 * 2e5);
    expect(at(30)).toBeGreaterThan(at(21));
    expect(at(40)).toBeGreaterThan(at(30));
    const growing = between(r, 22, 40);
    expect(Math.max(...growing.map((s) => (Number.isNaN(s.maxQueueDelayMs) ? 0 : s.maxQueueDelayMs)))).toBeLessThan(100);
  });

  it("3% random loss on 1 Mbps: the estimate does not collapse (draft 6: 2-10% loss holds)", () => {
    const r = simulate({ durationS: 30, capacityBps: () => 1e6, bufferBytes: bufferBytes(1e6, 300), lossPct: 3, seed: 7 });
    const tail = between(r, 5, 30);
    const minTarget = Math.min(...tail.map((s) => s.targetBps));
    console.log(`3% loss: min target 5..30 s ${(minTarget / 1e3).toFixed(0)} kbps, loss-based decreases ${r.controller.stats().lossDecreases}`);
    // A loss-driven collapse would fall by 1 - 0.5 p per report; holding means no loss-based
    // decrease at all, and the delay-based saw-tooth stays above 0.85 x 0.85 of capacity (two
    // back-offs in a row), so 0.7 of capacity is the floor.
    expect(r.controller.stats().lossDecreases).toBe(0);
    expect(minTarget).toBeGreaterThan(0.7 * 1e6);
  });

  it("3G-like 150 kbps, 100 ms one-way, 3% loss: the target tracks the capacity with a short queue", () => {
    const r = simulate({ durationS: 60, capacityBps: () => 150e3, bufferBytes: bufferBytes(150e3, 300), oneWayDelayMs: 100, lossPct: 3, seed: 11 });
    const tail = between(r, 10, 60);
    const meanTarget = mean(tail.map((s) => s.targetBps));
    const queues = tail.map((s) => (Number.isNaN(s.maxQueueDelayMs) ? 0 : s.maxQueueDelayMs)).sort((a, b) => a - b);
    const p95 = queues[Math.floor(0.95 * queues.length)]!;
    console.log(`3G-like: mean target ${(meanTarget / 1e3).toFixed(0)} kbps, p95 queue ${p95.toFixed(0)} ms`);
    // AIMD saws between 0.85x and just above capacity, so the mean stays above 0.75x unless
    // loss (3%, held by draft 6) or noise drives repeated cuts; at most 5% above, or the queue grows.
    expect(meanTarget).toBeGreaterThan(0.75 * 150e3);
    expect(meanTarget).toBeLessThan(1.05 * 150e3);
    // The 3G target is p95 capture-to-render < 400 ms with 100 ms of path delay: the
    // queue must leave most of that to the jitter buffer, so < 150 ms.
    expect(p95).toBeLessThan(150);
  });

  it("20% random loss on 1 Mbps: the estimate falls (draft 6: rate x (1 - 0.5 p) above 10%)", () => {
    const r = simulate({ durationS: 30, capacityBps: () => 1e6, bufferBytes: bufferBytes(1e6, 300), lossPct: 20, seed: 7 });
    const at = (t: number): number => r.samples.find((s) => s.tS >= t)!.targetBps;
    console.log(`20% loss: target at 2 s ${(at(2) / 1e3).toFixed(0)} kbps, 10 s ${(at(10) / 1e3).toFixed(0)}, 30 s ${(at(30) / 1e3).toFixed(0)}`);
    // One decrease per report (every 1 s) by 1 - 0.5 x 0.2 = 0.9: 0.9^25 = 0.07 over the run.
    // We ask for a fall below 25% of capacity (a fall of 0.9^13), and the minimum is kept.
    expect(at(30)).toBeLessThan(0.25 * 1e6);
    expect(at(10)).toBeLessThan(at(2));
    expect(Math.min(...r.samples.map((s) => s.targetBps))).toBeGreaterThanOrEqual(30_000);
    expect(r.controller.stats().lossDecreases).toBeGreaterThan(10);
  });
});
