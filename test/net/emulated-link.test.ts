import { describe, expect, it } from "vitest";
import { InvalidOptionError } from "../../src/errors.js";
import { BandwidthTrace } from "../../src/net/bandwidth-trace.js";
import { EmulatedLink } from "../../src/net/emulated-link.js";
import type { EmulatedLinkOptions } from "../../src/net/emulated-link.js";
import { LossTrace } from "../../src/net/loss-trace.js";
import { sinkTo } from "../../src/pipeline/stage.js";
import { driveLink, missingIds } from "./drive-link.js";

/** Runs (maximal sequences) of consecutive missing ids: count and total. */
function bursts(missing: readonly number[]): { count: number; mean: number } {
  let count = 0;
  for (let i = 0; i < missing.length; i++) if (i === 0 || missing[i - 1] !== missing[i]! - 1) count++;
  return { count, mean: count === 0 ? 0 : missing.length / count };
}

describe("EmulatedLink delay and jitter", () => {
  it("delivers exactly delayMs later on the virtual timeline", () => {
    const link = new EmulatedLink({ delayMs: 50 });
    link.push(new Uint8Array([1]), 1000);
    expect(link.nextEventUs()).toBe(51_000);
    expect(link.deliverDue(50_999, () => {})).toBe(0);
    const got: number[] = [];
    expect(link.deliverDue(51_000, (_d, at) => got.push(at))).toBe(1);
    expect(got).toEqual([51_000]);
    expect(link.nextEventUs()).toBeUndefined();

    const all = driveLink(new EmulatedLink({ delayMs: 37.5 }), 1000, 3333);
    expect(all).toHaveLength(1000);
    for (const d of all) expect(d.atUs - d.sentUs).toBe(37_500);
  });

  it("keeps jitter within [delay, delay + jitter] and packets in order", () => {
    const all = driveLink(new EmulatedLink({ delayMs: 20, jitterMs: 30, seed: 7 }), 20_000, 10_000);
    expect(all).toHaveLength(20_000);
    let min = Infinity;
    let max = -Infinity;
    all.forEach((d, i) => {
      expect(d.id).toBe(i);
      const delay = d.atUs - d.sentUs;
      min = Math.min(min, delay);
      max = Math.max(max, delay);
      expect(delay).toBeGreaterThanOrEqual(20_000);
      expect(delay).toBeLessThanOrEqual(50_000);
    });
    expect(min).toBeLessThan(21_000);
    expect(max).toBeGreaterThan(49_000);
  });

  it("draws jitter uniformly when packets are far apart (mean jitter/2)", () => {
    const all = driveLink(new EmulatedLink({ delayMs: 10, jitterMs: 40, seed: 3 }), 10_000, 100_000);
    const extra = all.map((d) => d.atUs - d.sentUs - 10_000);
    const mean = extra.reduce((a, b) => a + b, 0) / extra.length;
    // Uniform on [0, 40 ms]: sd 11.5 ms, so the mean of 10 000 has sd 0.115 ms.
    expect(Math.abs(mean - 20_000)).toBeLessThan(600);
    const belowQuarter = extra.filter((e) => e < 10_000).length / extra.length;
    expect(Math.abs(belowQuarter - 0.25)).toBeLessThan(0.025);
  });

  it("works as a stage: tick pushes due datagrams downstream with their arrival time", () => {
    const link = new EmulatedLink({ delayMs: 5 });
    const got: Array<[number, number]> = [];
    link.pipe(sinkTo((d: Uint8Array, t: number) => got.push([d[0]!, t])));
    link.push(new Uint8Array([9]), 0);
    link.push(new Uint8Array([8]), 1000);
    link.tick(5500);
    expect(got).toEqual([[9, 5000]]);
    link.tick(10_000);
    expect(got).toEqual([[9, 5000], [8, 6000]]);
  });

  it("copies pushed bytes so the sender may reuse its buffer", () => {
    const link = new EmulatedLink({ delayMs: 1 });
    const buf = new Uint8Array([1, 2, 3]);
    link.push(buf, 0);
    buf.fill(0);
    let got: Uint8Array | undefined;
    link.deliverDue(1000, (d) => (got = d));
    expect(Array.from(got!)).toEqual([1, 2, 3]);
  });
});

describe("EmulatedLink bottleneck", () => {
  it("delivers at the configured rate within 2% when overloaded, and drops from the tail", () => {
    const link = new EmulatedLink({ rateBps: 1_000_000, delayMs: 20 });
    // 1000-byte packets every 5.333 ms = 1.5 Mbit/s offered for 10 s.
    const all = driveLink(link, 1875, 5333, 1000);
    const first = all[0]!;
    const last = all[all.length - 1]!;
    const bps = ((all.length - 1) * 1000 * 8) / ((last.atUs - first.atUs) / 1e6);
    expect(Math.abs(bps - 1_000_000) / 1_000_000).toBeLessThan(0.02);
    const s = link.stats();
    expect(s.droppedQueue).toBeGreaterThan(400);
    expect(s.packetsIn).toBe(s.packetsDelivered + s.droppedQueue);
    // Default queue: 300 ms at 1 Mbit/s = 37 500 bytes, so a packet waits at most ~300 ms.
    expect(link.queueLimitBytes).toBe(37_500);
    expect(s.queueDelayMaxMs).toBeGreaterThan(280);
    expect(s.queueDelayMaxMs).toBeLessThanOrEqual(300);
    expect(s.queueDelayP95Ms).toBeGreaterThan(250);
  });

  it("grows the queuing delay by (send interval − transmit time) per packet", () => {
    // 1000 bytes at 1 Mbit/s = 8 ms on the wire, sent every 6.4 ms: each waits 1.6 ms more.
    const link = new EmulatedLink({ rateBps: 1_000_000, delayMs: 10, queueBytes: 1_000_000 });
    const all = driveLink(link, 50, 6400, 1000);
    all.forEach((d, k) => {
      expect(d.id).toBe(k);
      const waitUs = k * 1600;
      expect(d.atUs - d.sentUs).toBe(waitUs + 8000 + 10_000);
    });
    expect(link.stats().queueDelayMs).toBeCloseTo(49 * 1.6, 6);
  });

  it("does not queue an under-loaded link", () => {
    const link = new EmulatedLink({ rateBps: 2_000_000 });
    const all = driveLink(link, 100, 10_000, 1200);
    for (const d of all) expect(d.atUs - d.sentUs).toBe(4800);
    expect(link.stats().queueDelayMaxMs).toBe(0);
  });

  it("honours an explicit queueBytes limit", () => {
    const link = new EmulatedLink({ rateBps: 100_000, queueBytes: 3000 });
    for (let i = 0; i < 10; i++) link.push(new Uint8Array(1000), 0);
    expect(link.stats().droppedQueue).toBe(7);
    expect(link.stats().queuedBytes).toBe(3000);
  });
});

describe("EmulatedLink loss models", () => {
  it("loses lossPct of packets within binomial bounds", () => {
    for (const [pct, seed] of [[5, 1], [10, 2], [20, 3]] as const) {
      const n = 100_000;
      const link = new EmulatedLink({ lossPct: pct, seed });
      const all = driveLink(link, n, 1000, 20);
      const lost = n - all.length;
      const p = pct / 100;
      const sd = Math.sqrt(n * p * (1 - p));
      expect(Math.abs(lost - n * p)).toBeLessThan(5 * sd);
      expect(link.stats().lostRandom).toBe(lost);
    }
  });

  it("matches the Gilbert-Elliott mean loss and mean burst length", () => {
    for (const [pct, meanBurst, seed] of [[10, 3, 11], [10, 8, 12], [5, 2, 13]] as const) {
      const n = 200_000;
      const link = new EmulatedLink({ burstLossPct: pct, burstMeanLength: meanBurst, seed });
      const all = driveLink(link, n, 1000, 20);
      const missing = missingIds(all, n);
      const lossPct = (100 * missing.length) / n;
      // Correlated losses: sd of the rate is ~0.25 points at 10%/8; allow about 4 sd.
      expect(Math.abs(lossPct - pct)).toBeLessThan(1);
      const b = bursts(missing);
      // Burst lengths are geometric with mean B; thousands of bursts: within 10%.
      expect(Math.abs(b.mean - meanBurst) / meanBurst).toBeLessThan(0.1);
      expect(link.stats().lostBurst).toBe(missing.length);
    }
  });

  it("reorders about reorderPct of packets behind later ones", () => {
    const n = 10_000;
    const link = new EmulatedLink({ reorderPct: 5, reorderDelayMs: 20, seed: 5 });
    const all = driveLink(link, n, 5000);
    expect(all).toHaveLength(n);
    let maxId = -1;
    let late = 0;
    for (const d of all) {
      if (d.id < maxId) late++;
      maxId = Math.max(maxId, d.id);
    }
    expect(late).toBe(link.stats().reordered);
    expect(Math.abs(late - 500)).toBeLessThan(5 * Math.sqrt(n * 0.05 * 0.95));
    const delays = all.map((d) => d.atUs - d.sentUs);
    expect(new Set(delays)).toEqual(new Set([0, 20_000]));
  });

  it("duplicates about duplicatePct of packets as separate copies", () => {
    const n = 20_000;
    const link = new EmulatedLink({ duplicatePct: 3, delayMs: 1, seed: 6 });
    const all = driveLink(link, n, 1000);
    const s = link.stats();
    expect(all).toHaveLength(n + s.duplicated);
    expect(s.packetsDelivered).toBe(n + s.duplicated);
    expect(Math.abs(s.duplicated - 600)).toBeLessThan(5 * Math.sqrt(n * 0.03 * 0.97));
    expect(s.reordered).toBe(0);
    const copies = new Map<number, Uint8Array[]>();
    const link2 = new EmulatedLink({ duplicatePct: 50, seed: 1 });
    for (let i = 0; i < 20; i++) link2.push(new Uint8Array([i]), 0);
    link2.deliverDue(0, (d) => copies.set(d[0]!, [...(copies.get(d[0]!) ?? []), d]));
    const pair = [...copies.values()].find((v) => v.length === 2)!;
    expect(pair[0]).not.toBe(pair[1]);
    expect(pair[0]).toEqual(pair[1]);
  });
});

describe("EmulatedLink trace replay", () => {
  it("replays a per-packet loss trace exactly, looping past its end", () => {
    const trace = LossTrace.loadSync("fixtures/loss/random-10.txt");
    const n = trace.length * 2 + 123;
    const link = new EmulatedLink({ lossTrace: trace });
    const missing = missingIds(driveLink(link, n, 1000), n);
    const expected: number[] = [];
    for (let i = 0; i < n; i++) if (trace.isLost(i % trace.length)) expected.push(i);
    expect(missing).toEqual(expected);
    expect(link.stats().lostTrace).toBe(expected.length);
  });

  it("replays a time-based outage trace", () => {
    const trace = LossTrace.loadSync("fixtures/loss/outage-2s.txt");
    const link = new EmulatedLink({ lossTrace: trace, traceStartUs: 0 });
    const missing = missingIds(driveLink(link, 1000, 10_000), 1000);
    // Packets every 10 ms; those sent in [5000, 7000) ms are lost.
    expect(missing).toEqual(Array.from({ length: 200 }, (_, k) => 500 + k));
  });

  it("runs a Gilbert-Elliott header trace", () => {
    const trace = LossTrace.parse("@gilbert-elliott loss_pct=10 mean_burst=4\n");
    const link = new EmulatedLink({ lossTrace: trace, seed: 9 });
    const n = 100_000;
    const missing = missingIds(driveLink(link, n, 1000, 20), n);
    expect(Math.abs((100 * missing.length) / n - 10)).toBeLessThan(1.2);
    expect(Math.abs(bursts(missing).mean - 4)).toBeLessThan(0.4);
    expect(link.stats().lostTrace).toBe(missing.length);
  });

  it("changes throughput with the steps of a bandwidth trace", () => {
    const trace = BandwidthTrace.loadSync("fixtures/bandwidth/step-1m-200k-1m.csv");
    const link = new EmulatedLink({ bandwidthTrace: trace, traceStartUs: 0 });
    // Offer 800 kbit/s for 30 s: 1000-byte packets every 10 ms.
    const all = driveLink(link, 3000, 10_000, 1000);
    const kbpsIn = (fromMs: number, toMs: number): number =>
      (all.filter((d) => d.atUs >= fromMs * 1000 && d.atUs < toMs * 1000).length * 8000) / (toMs - fromMs);
    expect(Math.abs(kbpsIn(1000, 9000) - 800) / 800).toBeLessThan(0.02);
    expect(Math.abs(kbpsIn(11_000, 19_000) - 200) / 200).toBeLessThan(0.02);
    // After 20 s the link runs at 1 Mbit/s until the queue built at 200 kbit/s drains.
    expect(Math.abs(kbpsIn(20_100, 20_300) - 1000) / 1000).toBeLessThan(0.05);
    // The queue limit is 300 ms at the trace's highest rate (1 Mbit/s): 37 500 bytes.
    expect(link.queueLimitBytes).toBe(37_500);
    expect(link.stats().droppedQueue).toBeGreaterThan(500);
  });

  it("holds packets through a bandwidth outage and sends the queue when it ends", () => {
    const trace = BandwidthTrace.loadSync("fixtures/bandwidth/outage-2s.csv");
    const link = new EmulatedLink({ bandwidthTrace: trace, traceStartUs: 0, delayMs: 30 });
    const all = driveLink(link, 1000, 10_000, 500);
    const during = all.filter((d) => d.atUs > 5_031_000 && d.atUs < 7_030_000);
    expect(during).toHaveLength(0);
    const s = link.stats();
    expect(s.droppedQueue).toBeGreaterThan(0);
    // 300 ms at 2 Mbit/s = 75 000 bytes = 150 packets of 500 bytes held through the outage.
    expect(all.filter((d) => d.atUs >= 7_030_000 && d.atUs < 7_031_000 + 150 * 2000).length).toBeGreaterThanOrEqual(149);
    expect(s.packetsIn).toBe(s.packetsDelivered + s.droppedQueue);
  });
});

describe("EmulatedLink determinism", () => {
  const everything: EmulatedLinkOptions = {
    delayMs: 40,
    jitterMs: 15,
    rateBps: 800_000,
    lossPct: 3,
    burstLossPct: 4,
    burstMeanLength: 5,
    reorderPct: 2,
    duplicatePct: 1,
  };
  const run = (seed: number): string =>
    JSON.stringify(driveLink(new EmulatedLink({ ...everything, seed }), 5000, 9000, 1000).map((d) => [d.id, d.atUs]));

  it("gives the same output for the same seed and a different one for another seed", () => {
    expect(run(42)).toBe(run(42));
    expect(run(42)).not.toBe(run(43));
  });

  it("keeps each mechanism's draws independent of the others", () => {
    const a = missingIds(driveLink(new EmulatedLink({ lossPct: 10, seed: 5 }), 5000, 1000), 5000);
    const b = missingIds(driveLink(new EmulatedLink({ lossPct: 10, jitterMs: 30, duplicatePct: 10, seed: 5 }), 5000, 1000), 5000);
    expect(b).toEqual(a);
  });
});

describe("EmulatedLink options", () => {
  const bad: Array<[EmulatedLinkOptions, RegExp]> = [
    [{ delayMs: -1 }, /^Cannot use delayMs=-1: allowed is a number from 0 to 60000$/],
    [{ delayMs: Number.NaN }, /Cannot use delayMs=NaN/],
    [{ jitterMs: 20_000 }, /Cannot use jitterMs=20000: allowed is a number from 0 to 10000/],
    [{ rateBps: -5 }, /Cannot use rateBps=-5/],
    [{ lossPct: 101 }, /Cannot use lossPct=101: allowed is a number from 0 to 100/],
    [{ burstLossPct: 100 }, /Cannot use burstLossPct=100/],
    [{ burstLossPct: 10, burstMeanLength: 0.5 }, /Cannot use burstMeanLength=0.5: allowed is a number from 1/],
    [{ burstLossPct: 60, burstMeanLength: 1 }, /Cannot use burstLossPct=60 with burstMeanLength=1: .*up to 50\.000/],
    [{ reorderPct: -1 }, /Cannot use reorderPct=-1/],
    [{ reorderDelayMs: 0 }, /Cannot use reorderDelayMs=0/],
    [{ duplicatePct: 200 }, /Cannot use duplicatePct=200/],
    [{ seed: 1.5 }, /Cannot use seed=1.5: allowed is an integer/],
    [{ rateBps: 1e6, queueBytes: 0 }, /Cannot use queueBytes=0/],
    [{ rateBps: 1e6, queueBytes: 1000, queueMs: 100 }, /Cannot use queueBytes and queueMs together/],
    [{ rateBps: 1e6, bandwidthTrace: BandwidthTrace.fromSteps([{ timeMs: 0, capacityKbps: 100 }]) }, /Cannot use rateBps=1000000 with a bandwidthTrace/],
  ];
  it.each(bad)("rejects %j", (options, message) => {
    expect(() => new EmulatedLink(options)).toThrow(InvalidOptionError);
    expect(() => new EmulatedLink(options)).toThrow(message);
  });

  it("uses documented defaults: a perfect link", () => {
    const link = new EmulatedLink();
    const all = driveLink(link, 100, 1000);
    expect(all.map((d) => d.atUs - d.sentUs)).toEqual(new Array(100).fill(0));
    expect(link.queueLimitBytes).toBe(Infinity);
  });
});

describe("EmulatedLink input types", () => {
  it("copies a Buffer input into a plain Uint8Array", () => {
    const link = new EmulatedLink();
    const buf = Buffer.from([5, 6]);
    link.push(buf, 0);
    buf[0] = 0;
    let got: Uint8Array | undefined;
    link.deliverDue(0, (d) => (got = d));
    expect(Object.getPrototypeOf(got!)).toBe(Uint8Array.prototype);
    expect(Array.from(got!)).toEqual([5, 6]);
  });
});

describe("EmulatedLink capacity and queue-delay sums", () => {
  it("reports the trace's capacity over time and sums queue waits", () => {
    const trace = BandwidthTrace.fromSteps([{ timeMs: 0, capacityKbps: 1000 }, { timeMs: 1000, capacityKbps: 200 }]);
    const link = new EmulatedLink({ bandwidthTrace: trace, traceStartUs: 0 });
    expect(link.capacityBpsAt(500_000)).toBe(1_000_000);
    expect(link.capacityBpsAt(1_500_000)).toBe(200_000);
    expect(new EmulatedLink({ rateBps: 64_000 }).capacityBpsAt(0)).toBe(64_000);
    expect(new EmulatedLink({}).capacityBpsAt(0)).toBe(Infinity);
    // Three 1250-byte packets at once through 1 Mbit/s: waits 0, 10, 20 ms.
    for (let i = 0; i < 3; i++) link.push(new Uint8Array(1250), 0);
    expect(link.stats()).toMatchObject({ queuedPackets: 3, queueDelaySumMs: 30 });
  });
});
