import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { InvalidOptionError } from "../../src/errors.js";
import { Pacer, type PacerOptions, type PaddingPacket } from "../../src/congestion/pacer.js";
import { PACKET_KINDS, packetKindPriority, type PacedPacket, type PacketKind } from "../../src/congestion/pacer-queue.js";

interface Item {
  id: number;
  kind: PacketKind;
}

interface Sent {
  id: number;
  kind: PacketKind;
  sizeBytes: number;
  atUs: number;
  probeClusterId: number;
  /** Packets of higher-priority kinds still queued when this one left. */
  higherQueued: number;
}

function makePacer(options: PacerOptions<Item> = {}): { pacer: Pacer<Item>; sent: Sent[] } {
  const pacer = new Pacer<Item>(options);
  const sent: Sent[] = [];
  pacer.pipe({
    push(p: PacedPacket<Item>, atUs: number) {
      let higher = 0;
      for (const k of PACKET_KINDS) if (packetKindPriority(k) < packetKindPriority(p.kind)) higher += pacer.queuedOf(k);
      sent.push({ id: p.item.id, kind: p.kind, sizeBytes: p.sizeBytes, atUs, probeClusterId: p.probeClusterId, higherQueued: higher });
    },
  });
  return { pacer, sent };
}

/** Ticks exactly at nextDueUs until `untilUs` (inclusive); fails on a due time in the past or a stuck loop. */
function runUntil(pacer: Pacer<Item>, nowUs: number, untilUs: number): number {
  let now = nowUs;
  for (let guard = 0; guard < 1_000_000; guard++) {
    const due = pacer.nextDueUs(now);
    expect(due).toBeGreaterThanOrEqual(now);
    if (due > untilUs) return untilUs;
    const before = pacer.stats()["queuedPackets"]!;
    const statsBefore = JSON.stringify(pacer.stats());
    pacer.tick(due);
    // A tick at a due time must do something (send, drop a cluster, or count a padding miss), else the owner would spin.
    if (due === now && JSON.stringify(pacer.stats()) === statsBefore) throw new Error(`tick at due ${due} did nothing (queue ${before})`);
    now = due;
  }
  throw new Error("runUntil: no progress");
}

let nextId = 0;
const item = (kind: PacketKind): Item => ({ id: nextId++, kind });

describe("Pacer: priority (libwebrtc PacingController / PrioritizedPacketQueue order)", () => {
  it.each([
    { name: "all five kinds at once", order: ["padding", "fec", "video", "retransmission", "audio"] as PacketKind[] },
    { name: "video before retransmission in time", order: ["video", "video", "retransmission", "audio"] as PacketKind[] },
  ])("$name leave audio, retransmission, video, fec, padding", ({ order }) => {
    // A slow rate so everything queues: only priority decides.
    const { pacer, sent } = makePacer({ pacingRateBps: 10_000, burstUs: 0, audioBypassesBudget: false });
    for (const k of order) pacer.enqueue(item(k), k, 100, 0);
    runUntil(pacer, 0, 10_000_000);
    const kinds = sent.map((s) => s.kind);
    const expected = [...order].sort((a, b) => packetKindPriority(a) - packetKindPriority(b));
    expect(kinds).toEqual(expected);
    for (const s of sent) expect(s.higherQueued).toBe(0);
  });

  it("audio bypasses the budget: it leaves at once while video waits", () => {
    const { pacer, sent } = makePacer({ pacingRateBps: 100_000, burstUs: 0 });
    for (let i = 0; i < 10; i++) pacer.enqueue(item("video"), "video", 1250, 0); // 100 ms of data
    pacer.tick(0);
    pacer.enqueue(item("audio"), "audio", 100, 1_000);
    expect(pacer.nextDueUs(1_000)).toBe(1_000);
    pacer.tick(1_000);
    expect(sent.at(-1)!.kind).toBe("audio");
    expect(sent.at(-1)!.atUs).toBe(1_000);
  });

  it("bypassing audio counts in the debt by default (video yields to it); with countBypassingAudio false it does not (libwebrtc's default)", () => {
    const video10AfterAudio = (countBypassingAudio: boolean): number => {
      const { pacer, sent } = makePacer({ pacingRateBps: 100_000, burstUs: 0, countBypassingAudio });
      for (let i = 0; i < 10; i++) pacer.enqueue(item("audio"), "audio", 125, 0); // 10 ms of budget each
      pacer.tick(0);
      for (let i = 0; i < 10; i++) pacer.enqueue(item("video"), "video", 1250, 0);
      runUntil(pacer, 0, 2_000_000);
      return sent.filter((s) => s.kind === "video").at(-1)!.atUs;
    };
    // 10 x 1250 bytes at 100 kbps is 1 s; the 1250 bytes of audio add 100 ms when counted.
    expect(video10AfterAudio(true) - video10AfterAudio(false)).toBe(100_000);
  });

  it("without bypass, audio waits for the budget but still goes first", () => {
    const { pacer, sent } = makePacer({ pacingRateBps: 100_000, burstUs: 0, audioBypassesBudget: false });
    pacer.enqueue(item("video"), "video", 1250, 0);
    pacer.tick(0); // debt 1250 bytes = 100 ms
    pacer.enqueue(item("video"), "video", 1250, 1_000);
    pacer.enqueue(item("audio"), "audio", 100, 2_000);
    pacer.tick(2_000);
    expect(sent).toHaveLength(1);
    expect(pacer.nextDueUs(2_000)).toBe(100_000);
    pacer.tick(100_000);
    expect(sent.map((s) => s.kind)).toEqual(["video", "audio"]);
  });
});

describe("Pacer: leaky-bucket budget", () => {
  it.each([
    { rateBps: 1_000_000, sizeBytes: 1250, n: 100, burstUs: 0 },
    { rateBps: 300_000, sizeBytes: 1000, n: 50, burstUs: 5_000 },
    { rateBps: 2_500_000, sizeBytes: 1200, n: 400, burstUs: 40_000 },
  ])("$n x $sizeBytes B at $rateBps bps leave at the pacing rate (burst $burstUs µs)", ({ rateBps, sizeBytes, n, burstUs }) => {
    const { pacer, sent } = makePacer({ pacingRateBps: rateBps, burstUs, drainLargeQueues: false });
    for (let i = 0; i < n; i++) pacer.enqueue(item("video"), "video", sizeBytes, 0);
    runUntil(pacer, 0, 60_000_000);
    expect(sent).toHaveLength(n);
    // The last packet leaves when the debt of the first n-1 (minus the burst) has drained.
    const burstBytes = Math.max((rateBps * burstUs) / 8e6, sizeBytes);
    const expectedLastUs = (((n - 1) * sizeBytes + sizeBytes - burstBytes) * 8e6) / rateBps;
    // Ticks fall on whole µs: at most 1 µs of budget is lost per packet.
    expect(sent.at(-1)!.atUs).toBeGreaterThanOrEqual(Math.max(0, expectedLastUs) - 1);
    expect(sent.at(-1)!.atUs).toBeLessThanOrEqual(Math.max(0, expectedLastUs) + n);
    // Evenly spaced beyond the burst: each later packet one packet time after the previous.
    const gapUs = (sizeBytes * 8e6) / rateBps;
    const late = sent.filter((s) => s.atUs > 0);
    for (let i = 1; i < late.length; i++) expect(Math.abs(late[i]!.atUs - late[i - 1]!.atUs - gapUs)).toBeLessThanOrEqual(2);
  });

  it("a rate change takes effect from the time given", () => {
    const { pacer, sent } = makePacer({ pacingRateBps: 1_000_000, burstUs: 0, drainLargeQueues: false });
    for (let i = 0; i < 20; i++) pacer.enqueue(item("video"), "video", 1250, 0);
    runUntil(pacer, 0, 50_000); // 10 ms each: packets at 0..50 ms
    const before = sent.length;
    pacer.setRates(500_000, 0, 50_000);
    runUntil(pacer, 50_000, 150_000); // 20 ms each now
    expect(before).toBe(6);
    expect(sent.length - before).toBe(5);
  });

  it("expected queue time and oldest age (what the allocator's pushback reads)", () => {
    const { pacer } = makePacer({ pacingRateBps: 800_000, burstUs: 0 });
    pacer.enqueue(item("video"), "video", 1000, 0);
    pacer.tick(0);
    for (let i = 0; i < 10; i++) pacer.enqueue(item("video"), "video", 1000, 1_000 + i);
    const s = pacer.queueStats(21_000);
    expect(s.queuedPackets).toBe(10);
    expect(s.queuedBytes).toBe(10_000);
    expect(s.expectedQueueTimeUs).toBe(100_000); // 80 000 bits at 800 kbps
    expect(s.oldestPacketAgeUs).toBe(20_000);
    expect(s.averageQueueTimeUs).toBeCloseTo(21_000 - 1_004.5, 6);
  });
});

describe("Pacer: bounded queue", () => {
  it("raises the drain rate past the 2 s queue-time limit (libwebrtc drain_large_queues)", () => {
    // 3 s of data at the pacing rate, enqueued at once.
    const rateBps = 400_000;
    const n = 120;
    const { pacer, sent } = makePacer({ pacingRateBps: rateBps, burstUs: 0 });
    for (let i = 0; i < n; i++) pacer.enqueue(item("video"), "video", 1250, 0);
    expect(pacer.queueStats(0).expectedQueueTimeUs).toBe(3_000_000);
    runUntil(pacer, 0, 10_000_000);
    expect(sent).toHaveLength(n);
    expect(sent.at(-1)!.atUs).toBeLessThanOrEqual(2_000_000);
    expect(pacer.stats()["drainBoostTicks"]).toBeGreaterThan(0);
    // Without the boost the same queue takes the full 3 s.
    const slow = makePacer({ pacingRateBps: rateBps, burstUs: 0, drainLargeQueues: false });
    for (let i = 0; i < n; i++) slow.pacer.enqueue(item("video"), "video", 1250, 0);
    runUntil(slow.pacer, 0, 10_000_000);
    expect(slow.sent.at(-1)!.atUs).toBeGreaterThan(2_900_000);
  });

  it("the hard cap drops the oldest lowest-priority packet, or the newcomer when it is the lowest", () => {
    const dropped: Array<[number, PacketKind]> = [];
    const { pacer } = makePacer({ pacingRateBps: 10_000, maxQueuedPackets: 4, onDropped: (it, k) => dropped.push([it.id, k]) });
    const ids = ["video", "fec", "video", "fec"].map((k) => {
      const it = item(k as PacketKind);
      expect(pacer.enqueue(it, k as PacketKind, 500, 0)).toBe(true);
      return it.id;
    });
    expect(pacer.enqueue(item("audio"), "audio", 100, 0)).toBe(true);
    expect(dropped).toEqual([[ids[1], "fec"]]);
    const pad = item("padding");
    expect(pacer.enqueue(pad, "padding", 100, 0)).toBe(false);
    expect(dropped.at(-1)).toEqual([pad.id, "padding"]);
    expect(pacer.enqueue(item("video"), "video", 100, 0)).toBe(true);
    expect(dropped.at(-1)).toEqual([ids[3], "fec"]);
    expect(pacer.queueStats(0).queuedPackets).toBe(4);
    const s = pacer.stats();
    expect(s["dropped.fec"]).toBe(2);
    expect(s["dropped.padding"]).toBe(1);
  });

  it("the byte cap holds too", () => {
    const { pacer } = makePacer({ pacingRateBps: 10_000, maxQueuedBytes: 5_000 });
    for (let i = 0; i < 20; i++) pacer.enqueue(item("video"), "video", 1_000, i);
    expect(pacer.queueStats(20).queuedBytes).toBe(5_000);
    expect(pacer.stats()["dropped.video"]).toBe(15);
  });
});

describe("Pacer: probe clusters (libwebrtc BitrateProber)", () => {
  const padder = (calls: number[]): ((sizeBytes: number) => PaddingPacket<Item>[]) => (sizeBytes) => {
    calls.push(sizeBytes);
    return [{ item: item("padding"), sizeBytes }];
  };

  it("sends a cluster at its rate with padding when the queue is empty, tagged with its id", () => {
    const calls: number[] = [];
    const { pacer, sent } = makePacer({ pacingRateBps: 300_000, generatePadding: padder(calls) });
    pacer.enqueue(item("video"), "video", 1000, 0);
    pacer.tick(0);
    pacer.createProbeCluster({ id: 7, targetRateBps: 2_000_000, minProbes: 5, minBytes: 10_000 }, 10_000);
    runUntil(pacer, 10_000, 200_000);
    const probes = sent.filter((s) => s.probeClusterId === 7);
    expect(probes.length).toBeGreaterThanOrEqual(5);
    const bytes = probes.reduce((a, s) => a + s.sizeBytes, 0);
    expect(bytes).toBeGreaterThanOrEqual(10_000);
    // Rate over the cluster: bytes before the last packet / time to the last packet.
    const spanUs = probes.at(-1)!.atUs - probes[0]!.atUs;
    const rate = ((bytes - probes.at(-1)!.sizeBytes) * 8e6) / spanUs;
    expect(rate).toBeGreaterThan(1_900_000);
    expect(rate).toBeLessThan(2_100_000);
    expect(calls[0]).toBe(500); // 2 ms at 2 Mbps
    expect(pacer.stats()["probeClustersDone"]).toBe(1);
    expect(pacer.pendingProbeClusters).toBe(0);
    // Nothing more is sent once the cluster is done (no padding rate).
    expect(sent.filter((s) => s.atUs > probes.at(-1)!.atUs)).toHaveLength(0);
  });

  it("uses queued media for probes before padding, and clusters run in order", () => {
    const { pacer, sent } = makePacer({ pacingRateBps: 100_000, generatePadding: padder([]) });
    pacer.enqueue(item("video"), "video", 1000, 0);
    pacer.tick(0);
    for (let i = 0; i < 3; i++) pacer.enqueue(item("video"), "video", 1000, 1_000);
    pacer.createProbeCluster({ id: 1, targetRateBps: 1_000_000, minProbes: 4, minBytes: 0 }, 1_000);
    pacer.createProbeCluster({ id: 2, targetRateBps: 2_000_000, minProbes: 3, minBytes: 0 }, 1_000);
    runUntil(pacer, 1_000, 100_000);
    const tagged = sent.filter((s) => s.probeClusterId >= 0);
    expect(tagged.map((s) => s.probeClusterId)).toEqual([1, 1, 1, 1, 2, 2, 2]);
    expect(tagged.slice(0, 3).every((s) => s.kind === "video")).toBe(true);
    expect(tagged.slice(3).every((s) => s.kind === "padding")).toBe(true);
  });

  it("waits for the first media packet, abandons a cluster with nothing to send, and times out", () => {
    const { pacer, sent } = makePacer({ pacingRateBps: 300_000, probeClusterTimeoutUs: 1_000_000 });
    pacer.createProbeCluster({ id: 3, targetRateBps: 1_000_000, minProbes: 5, minBytes: 5_000 }, 0);
    expect(pacer.nextDueUs(0)).toBe(1_000_001); // only its timeout: no media seen yet
    runUntil(pacer, 0, 2_000_000);
    expect(sent).toHaveLength(0);
    expect(pacer.stats()["probeClustersAbandoned"]).toBe(1);
    // Media seen, no padding source, queue empty after one packet: the cluster is abandoned.
    pacer.enqueue(item("video"), "video", 1000, 2_000_000);
    pacer.createProbeCluster({ id: 4, targetRateBps: 1_000_000, minProbes: 5, minBytes: 5_000 }, 2_000_000);
    runUntil(pacer, 2_000_000, 3_000_000);
    expect(sent.map((s) => s.probeClusterId)).toEqual([4]);
    expect(pacer.stats()["probeClustersAbandoned"]).toBe(2);
  });

  it("applies a NetworkTargetUpdate: rates and clusters", () => {
    const { pacer } = makePacer();
    pacer.applyNetworkUpdate({ atUs: 0, targetRateBps: 400_000, pacingRateBps: 1_000_000, paddingRateBps: 50_000, probeClusters: [{ id: 9, targetRateBps: 800_000, minProbes: 5, minBytes: 1000 }], lossFraction: 0, rttMs: 50, limitedBy: "delay" }, 0);
    expect(pacer.pacingRateBps).toBe(1_000_000);
    expect(pacer.paddingRateBps).toBe(50_000);
    expect(pacer.pendingProbeClusters).toBe(1);
  });
});

describe("Pacer: padding", () => {
  it("pads at the padding rate when the queue is empty, only after media, in ~5 ms chunks", () => {
    const sizes: number[] = [];
    const { pacer, sent } = makePacer({
      pacingRateBps: 1_000_000,
      paddingRateBps: 200_000,
      generatePadding: (sizeBytes) => {
        sizes.push(sizeBytes);
        return [{ item: item("padding"), sizeBytes }];
      },
    });
    runUntil(pacer, 0, 100_000);
    expect(sent).toHaveLength(0); // no media yet
    pacer.enqueue(item("video"), "video", 1000, 100_000);
    runUntil(pacer, 100_000, 1_100_000);
    const padBytes = sent.filter((s) => s.kind === "padding").reduce((a, s) => a + s.sizeBytes, 0);
    // 200 kbps over 1 s = 25 000 bytes, within one chunk.
    expect(Math.abs(padBytes - 25_000)).toBeLessThanOrEqual(125);
    expect(sizes.every((s) => s === 125)).toBe(true); // 5 ms at 200 kbps
    expect(sent.filter((s) => s.kind === "padding").every((s) => s.probeClusterId === -1)).toBe(true);
  });

  it("a padding source with nothing to give is asked at most once per chunk time", () => {
    const { pacer } = makePacer({ pacingRateBps: 1_000_000, paddingRateBps: 200_000, generatePadding: () => [] });
    pacer.enqueue(item("video"), "video", 1000, 0);
    runUntil(pacer, 0, 1_000_000);
    const s = pacer.stats();
    expect(s["paddingRequests"]).toBeLessThanOrEqual(201);
    expect(s["paddingUnavailable"]).toBe(s["paddingRequests"]);
  });
});

describe("Pacer: options", () => {
  it.each([
    { pacingRateBps: 0 },
    { pacingRateBps: Number.NaN },
    { paddingRateBps: -1 },
    { burstUs: 2_000_000 },
    { maxQueuedPackets: 0 },
    { maxQueuedPackets: 1.5 },
    { maxQueueTimeUs: 1 },
  ])("rejects %o", (o) => {
    expect(() => new Pacer(o as PacerOptions<Item>)).toThrow(InvalidOptionError);
  });

  it("rejects bad sizes and clusters with a typed error", () => {
    const { pacer } = makePacer();
    expect(() => pacer.enqueue(item("video"), "video", 0, 0)).toThrow(/Cannot use sizeBytes=0/);
    expect(() => pacer.createProbeCluster({ id: 1, targetRateBps: 0, minProbes: 5, minBytes: 0 }, 0)).toThrow(InvalidOptionError);
    expect(() => pacer.setRates(500, 0)).toThrow(InvalidOptionError);
  });
});

// ---------------------------------------------------------------------------------------------
// Properties over random traffic.

const kindArb = fc.constantFrom<PacketKind>("audio", "retransmission", "video", "fec", "padding");
const opArb = fc.record({
  dtUs: fc.integer({ min: 0, max: 30_000 }),
  kind: kindArb,
  sizeBytes: fc.integer({ min: 40, max: 1_500 }),
  count: fc.integer({ min: 1, max: 12 }),
});
const scenarioArb = fc.record({
  rateBps: fc.integer({ min: 50_000, max: 5_000_000 }),
  burstUs: fc.constantFrom(0, 5_000, 40_000),
  audioBypass: fc.boolean(),
  ops: fc.array(opArb, { minLength: 1, maxLength: 60 }),
});

function play(s: { rateBps: number; burstUs: number; audioBypass: boolean; ops: { dtUs: number; kind: PacketKind; sizeBytes: number; count: number }[] }, extra: PacerOptions<Item> = {}) {
  const { pacer, sent } = makePacer({ pacingRateBps: s.rateBps, burstUs: s.burstUs, audioBypassesBudget: s.audioBypass, drainLargeQueues: false, ...extra });
  let now = 0;
  let enqueued = 0;
  let maxQueued = 0;
  let maxQueuedBytes = 0;
  for (const op of s.ops) {
    now = runUntil(pacer, now, now + op.dtUs);
    for (let i = 0; i < op.count; i++) {
      pacer.enqueue(item(op.kind), op.kind, op.sizeBytes, now);
      enqueued++;
      const q = pacer.queueStats(now);
      maxQueued = Math.max(maxQueued, q.queuedPackets);
      maxQueuedBytes = Math.max(maxQueuedBytes, q.queuedBytes);
    }
  }
  runUntil(pacer, now, now + 600_000_000);
  return { pacer, sent, enqueued, maxQueued, maxQueuedBytes };
}

describe("Pacer properties (fast-check)", () => {
  it("never exceeds the pacing rate over any window beyond the burst allowance (+ bypassing audio)", () => {
    fc.assert(
      fc.property(scenarioArb, (s) => {
        const { sent } = play(s);
        const burstBytes = (s.rateBps * s.burstUs) / 8e6;
        const maxSize = Math.max(...s.ops.map((o) => o.sizeBytes));
        const allowance = Math.max(burstBytes, maxSize);
        // Prefix sums over the send log; every window [sent[i].atUs, sent[j].atUs].
        const n = sent.length;
        const cum = new Float64Array(n + 1);
        const cumAudio = new Float64Array(n + 1);
        for (let i = 0; i < n; i++) {
          cum[i + 1] = cum[i]! + sent[i]!.sizeBytes;
          cumAudio[i + 1] = cumAudio[i]! + (s.audioBypass && sent[i]!.kind === "audio" ? sent[i]!.sizeBytes : 0);
        }
        for (let i = 0; i < n; i++) {
          // Start a window at the first packet sent at this instant.
          if (i > 0 && sent[i - 1]!.atUs === sent[i]!.atUs) continue;
          for (let j = i; j < n; j++) {
            const bytes = cum[j + 1]! - cum[i]!;
            const audio = cumAudio[j + 1]! - cumAudio[i]!;
            const limit = (s.rateBps * (sent[j]!.atUs - sent[i]!.atUs)) / 8e6 + allowance + audio + 0.01;
            if (bytes > limit) throw new Error(`window ${sent[i]!.atUs}..${sent[j]!.atUs}: ${bytes} B > ${limit} B`);
          }
        }
      }),
      { numRuns: 120, seed: 5 },
    );
  });

  it("never reorders within a kind, never sends a kind while a higher one is queued, sends everything", () => {
    fc.assert(
      fc.property(scenarioArb, (s) => {
        const { sent, enqueued } = play(s);
        expect(sent).toHaveLength(enqueued);
        const last = new Map<PacketKind, number>();
        for (const p of sent) {
          expect(p.id).toBeGreaterThan(last.get(p.kind) ?? -1);
          last.set(p.kind, p.id);
          expect(p.higherQueued).toBe(0);
          expect(p.probeClusterId).toBe(-1);
        }
      }),
      { numRuns: 120, seed: 6 },
    );
  });

  it("the queue stays within its packet and byte caps; sent + dropped = enqueued", () => {
    fc.assert(
      fc.property(scenarioArb, fc.integer({ min: 1, max: 40 }), fc.integer({ min: 1_500, max: 30_000 }), (s, maxPackets, maxBytes) => {
        const { pacer, sent, enqueued, maxQueued, maxQueuedBytes } = play(s, { maxQueuedPackets: maxPackets, maxQueuedBytes: maxBytes, drainLargeQueues: true });
        expect(maxQueued).toBeLessThanOrEqual(maxPackets);
        expect(maxQueuedBytes).toBeLessThanOrEqual(maxBytes);
        const st = pacer.stats();
        const dropped = PACKET_KINDS.reduce((a, k) => a + st[`dropped.${k}`]!, 0);
        expect(sent.length + dropped).toBe(enqueued);
      }),
      { numRuns: 120, seed: 7 },
    );
  });
});

describe("Pacer properties with probes, padding and the drain boost (fast-check)", () => {
  const eventArb = fc.oneof(
    { weight: 6, arbitrary: fc.record({ type: fc.constant("packet" as const), dtUs: fc.integer({ min: 0, max: 20_000 }), kind: kindArb, sizeBytes: fc.integer({ min: 40, max: 1_500 }), count: fc.integer({ min: 1, max: 30 }) }) },
    { weight: 1, arbitrary: fc.record({ type: fc.constant("probe" as const), dtUs: fc.integer({ min: 0, max: 50_000 }), rateBps: fc.integer({ min: 100_000, max: 10_000_000 }), minProbes: fc.integer({ min: 1, max: 10 }), minBytes: fc.integer({ min: 0, max: 20_000 }) }) },
    { weight: 1, arbitrary: fc.record({ type: fc.constant("rates" as const), dtUs: fc.integer({ min: 0, max: 50_000 }), pacingBps: fc.integer({ min: 1_000, max: 5_000_000 }), paddingBps: fc.integer({ min: 0, max: 1_000_000 }) }) },
    { weight: 1, arbitrary: fc.record({ type: fc.constant("congest" as const), dtUs: fc.integer({ min: 0, max: 1_000_000 }), on: fc.boolean() }) },
  );

  it("never hangs, keeps priority and per-kind order, tags only created clusters, conserves packets (also across congestion)", () => {
    fc.assert(
      fc.property(fc.array(eventArb, { minLength: 1, maxLength: 40 }), fc.boolean(), fc.integer({ min: 5, max: 200 }), (events, padSource, maxPackets) => {
        const created = new Set<number>();
        const generated = new Set<number>();
        const { pacer, sent } = makePacer({
          pacingRateBps: 300_000,
          maxQueuedPackets: maxPackets,
          generatePadding: padSource
            ? (sizeBytes) => {
                const it = item("padding");
                generated.add(it.id);
                return [{ item: it, sizeBytes }];
              }
            : undefined,
        });
        let now = 0;
        let enqueued = 0;
        let clusterId = 0;
        for (const e of events) {
          now = runUntil(pacer, now, now + e.dtUs);
          if (e.type === "packet") {
            for (let i = 0; i < e.count; i++) {
              pacer.enqueue(item(e.kind), e.kind, e.sizeBytes, now);
              enqueued++;
              expect(pacer.queueStats(now).queuedPackets).toBeLessThanOrEqual(maxPackets);
            }
          } else if (e.type === "probe") {
            created.add(clusterId);
            pacer.createProbeCluster({ id: clusterId++, targetRateBps: e.rateBps, minProbes: e.minProbes, minBytes: e.minBytes }, now);
          } else if (e.type === "rates") {
            pacer.setRates(e.pacingBps, e.paddingBps, now);
          } else {
            pacer.setCongested(e.on, now);
          }
        }
        // Drain: with padding on, padding never ends, so stop padding and run until the queue is empty.
        pacer.setRates(pacer.pacingRateBps, 0, now);
        pacer.setCongested(false, now);
        // (6 s: past the 5 s probe timeout, so clusters that never got media are abandoned.)
        runUntil(pacer, now, now + 6_000_000);
        const s = pacer.stats();
        expect(pacer.queueStats(now + 6_000_000).queuedPackets).toBe(0);
        const dropped = PACKET_KINDS.reduce((a, k) => a + s[`dropped.${k}`]!, 0);
        expect(s["enqueued"]).toBe(enqueued);
        const sentQueued = sent.filter((p) => !generated.has(p.id)).length;
        expect(sentQueued + dropped).toBe(enqueued);
        // Generated padding goes out only for the padding rate or a probe, never while media waits.
        for (const p of sent) if (generated.has(p.id)) expect(p.kind).toBe("padding");
        const last = new Map<PacketKind, number>();
        for (const p of sent) {
          if (p.probeClusterId !== -1) expect(created.has(p.probeClusterId)).toBe(true);
          if (!generated.has(p.id)) {
            expect(p.id).toBeGreaterThan(last.get(p.kind) ?? -1);
            last.set(p.kind, p.id);
          }
          expect(p.higherQueued).toBe(0);
        }
        expect(s["probeClustersDone"]! + s["probeClustersAbandoned"]!).toBe(created.size);
      }),
      { numRuns: 150, seed: 8 },
    );
  });
});

describe("Pacer: congested mode (libwebrtc kCongestedPacketInterval)", () => {
  it("sends only audio and one packet per 500 ms while congested, then resumes at the pacing rate", () => {
    const { pacer, sent } = makePacer({ pacingRateBps: 1_000_000, burstUs: 0, generatePadding: (sizeBytes) => [{ item: item("padding"), sizeBytes }] });
    pacer.enqueue(item("video"), "video", 1000, 0);
    runUntil(pacer, 0, 10_000);
    pacer.setCongested(true, 10_000);
    for (let i = 0; i < 50; i++) pacer.enqueue(item("video"), "video", 1000, 10_000);
    let now = 10_000;
    for (let t = 20_000; t < 1_300_000; t += 20_000) {
      now = runUntil(pacer, now, t);
      pacer.enqueue(item("audio"), "audio", 100, t);
    }
    runUntil(pacer, now, 1_299_999);
    const during = sent.filter((s) => s.atUs > 10_000 && s.atUs < 1_300_000);
    const audio = during.filter((s) => s.kind === "audio");
    expect(audio).toHaveLength(64);
    expect(audio.every((s, i) => s.atUs === 20_000 * (i + 1))).toBe(true); // at once, every one
    // One keep-alive per 500 ms after the last send (the video packet at 0).
    expect(during.filter((s) => s.kind === "video").map((s) => s.atUs)).toEqual([500_000, 1_000_000]);
    expect(pacer.stats()["congestedKeepalives"]).toBe(2);
    pacer.setCongested(false, 1_300_000);
    runUntil(pacer, 1_300_000, 1_400_000);
    // 8 ms per packet at 1 Mbps: 13 more packets in 100 ms.
    expect(sent.filter((s) => s.kind === "video" && s.atUs >= 1_300_000)).toHaveLength(13);
  });

  it("with an empty queue, the keep-alive is padding (after media), and no probe runs", () => {
    const { pacer, sent } = makePacer({ pacingRateBps: 1_000_000, generatePadding: (sizeBytes) => [{ item: item("padding"), sizeBytes }] });
    pacer.enqueue(item("video"), "video", 1000, 0);
    pacer.tick(0);
    pacer.setCongested(true, 0);
    pacer.createProbeCluster({ id: 1, targetRateBps: 2_000_000, minProbes: 5, minBytes: 0 }, 0);
    runUntil(pacer, 0, 1_200_000);
    const pads = sent.filter((s) => s.kind === "padding");
    expect(pads.map((s) => [s.atUs, s.sizeBytes, s.probeClusterId])).toEqual([[500_000, 50, -1], [1_000_000, 50, -1]]);
  });
});
