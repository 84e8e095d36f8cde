import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { PacketResult, TransportFeedbackUpdate } from "../../src/congestion/congestion-types.js";
import { NetworkController } from "../../src/congestion/network-controller.js";
import { InvalidOptionError } from "../../src/errors.js";

const MS = 1000;

/** Feedback for packets `fromSeq..toSeq` sent every 10 ms (1200 bytes), arriving 40 ms later. */
function fb(fromSeq: number, toSeq: number, feedbackTimeUs: number, extra: Partial<PacketResult["sent"]> = {}): TransportFeedbackUpdate {
  const packets: PacketResult[] = [];
  for (let s = fromSeq; s <= toSeq; s++) {
    packets.push({ sent: { sequenceNumber: s, sendTimeUs: s * 10 * MS, sizeBytes: 1200, probeClusterId: -1, isAudio: false, ...extra }, receiveTimeUs: s * 10 * MS + 40 * MS });
  }
  return { feedbackTimeUs, packets, dataInFlightBytes: 6000 };
}

describe("NetworkController (libwebrtc GoogCcNetworkController shape)", () => {
  it("the first input gives the start rate, pacing at 2.5x, and the initial probes", () => {
    const c = new NetworkController();
    const u = c.onProcessInterval(0)!;
    expect(u).toMatchObject({ atUs: 0, targetRateBps: 300_000, pacingRateBps: 750_000, paddingRateBps: 0, limitedBy: "start", rttMs: 200, lossFraction: 0 });
    expect(u.probeClusters.map((p) => p.targetRateBps)).toEqual([900_000, 1_800_000]);
    // Nothing changed: no update.
    expect(c.onProcessInterval(25 * MS)).toBeUndefined();
  });

  it("options: defaults documented, validated", () => {
    expect(() => new NetworkController({ startRateBps: 10_000 })).toThrow(InvalidOptionError);
    expect(() => new NetworkController({ minRateBps: 500_000, maxRateBps: 100_000 })).toThrow(InvalidOptionError);
    expect(() => new NetworkController({ pacingFactor: 0.5 })).toThrow(InvalidOptionError);
    expect(() => new NetworkController({ startRateBps: NaN })).toThrow(InvalidOptionError);
    expect(new NetworkController({ startRateBps: 100_000, pacingFactor: 1 }).onProcessInterval(0)!.pacingRateBps).toBe(100_000);
  });

  it("feedback going backwards in time is dropped whole and counted", () => {
    const c = new NetworkController();
    c.onTransportFeedback(fb(0, 9, 200 * MS));
    expect(c.onTransportFeedback(fb(10, 19, 150 * MS))).toBeUndefined();
    c.onTransportFeedback({ ...fb(10, 19, 300 * MS), feedbackTimeUs: NaN });
    // Not even an object (a caller bug, or a decoder that returned nothing): dropped, no throw.
    c.onTransportFeedback(undefined as unknown as TransportFeedbackUpdate);
    c.onTransportFeedback({ feedbackTimeUs: 400 * MS, packets: null, dataInFlightBytes: 0 } as unknown as TransportFeedbackUpdate);
    c.onSentPacket(null as unknown as PacketResult["sent"]);
    expect(c.stats()).toMatchObject({ feedbacks: 1, droppedFeedback: 4, packets: 10, droppedInputs: 1 });
  });

  it("absurd packets are dropped and counted; already-reported sequence numbers are stale", () => {
    const c = new NetworkController();
    c.onTransportFeedback(fb(0, 9, 200 * MS));
    const bad = fb(10, 19, 300 * MS);
    bad.packets[0]!.receiveTimeUs = NaN;
    bad.packets[1]!.sent.sizeBytes = -5;
    bad.packets[2]!.sent.sizeBytes = 1e9;
    bad.packets[3]!.sent.sendTimeUs = 10_000 * MS; // "sent" after the feedback arrived
    bad.packets[4]!.sent.sequenceNumber = 2.5;
    bad.packets[5]!.sent.sendTimeUs = Infinity;
    bad.dataInFlightBytes = -1;
    c.onTransportFeedback(bad);
    c.onTransportFeedback(fb(5, 25, 400 * MS)); // 5..19 again
    const s = c.stats();
    expect(s.droppedPackets).toBe(6);
    expect(s.droppedFields).toBe(1);
    expect(s.stalePackets).toBe(15);
    expect(s.packets).toBe(10 + 4 + 6);
  });

  it("a single arrival time hours off is dropped; a lasting receiver clock jump is adopted after one packet", () => {
    const c = new NetworkController();
    c.onTransportFeedback(fb(0, 9, 200 * MS));
    const spike = fb(10, 19, 300 * MS);
    spike.packets[3]!.receiveTimeUs! += 3_600_000_000; // one packet an hour late
    c.onTransportFeedback(spike);
    expect(c.stats()).toMatchObject({ offsetJumps: 1, droppedPackets: 1, packets: 19 });
    const jumped = fb(20, 29, 400 * MS);
    for (const p of jumped.packets) p.receiveTimeUs! += 1e12; // the receiver clock leapt for good
    c.onTransportFeedback(jumped);
    expect(c.stats()).toMatchObject({ offsetJumps: 2, droppedPackets: 2, packets: 28 });
    expect(c.targetRateBps).toBeGreaterThanOrEqual(30_000);
    expect(c.targetRateBps).toBeLessThanOrEqual(2_500_000);
  });

  it("one packet with a sequence number far ahead (forged) is dropped and does not make later ones stale", () => {
    const c = new NetworkController();
    c.onTransportFeedback(fb(0, 9, 200 * MS));
    const forged = fb(10, 19, 300 * MS);
    forged.packets[0]!.sent.sequenceNumber = 1e9;
    c.onTransportFeedback(forged);
    c.onTransportFeedback(fb(20, 29, 400 * MS));
    expect(c.stats()).toMatchObject({ sequenceJumps: 1, stalePackets: 0, packets: 29 });
    // A lasting jump (two packets in a row agree) is taken as real.
    const restart = fb(100_000, 100_009, 500 * MS);
    restart.packets.forEach((p, i) => {
      p.sent.sendTimeUs = 450 * MS + i * 100;
      p.receiveTimeUs = p.sent.sendTimeUs + 40 * MS;
    });
    c.onTransportFeedback(restart);
    expect(c.stats()).toMatchObject({ sequenceJumps: 2, offsetJumps: 0, packets: 38 });
  });

  it("bad RTT and loss reports are dropped; good ones show in the update", () => {
    const c = new NetworkController();
    c.onProcessInterval(0);
    for (const r of [-1, NaN, Infinity, 1e9]) expect(c.onRttMs(r, 10 * MS)).toBeUndefined();
    for (const l of [-0.1, 1.5, NaN]) expect(c.onLossReport(l, 10 * MS)).toBeUndefined();
    expect(c.onRttMs(80, 20 * MS)!.rttMs).toBe(80);
    expect(c.onRttMs(90, 10 * MS)).toBeUndefined(); // time going backwards
    expect(c.onProcessInterval(-5)).toBeUndefined();
    expect(c.stats().droppedInputs).toBe(9);
    // A keyframe report with an absurd size or time is dropped and counted too.
    for (const [bytes, t] of [[-1, 30 * MS], [NaN, 30 * MS], [1000, NaN]] as const) c.onKeyframe(bytes, t);
    expect(c.stats().droppedInputs).toBe(12);
  });

  it("sustained 30% loss reports bring the target down, limited by loss, never below the minimum", () => {
    const c = new NetworkController({ startRateBps: 1_000_000, minRateBps: 100_000 });
    let last;
    let seq = 0;
    for (let t = 0; t < 30_000 * MS; t += 25 * MS) {
      if (t % (50 * MS) === 0 && t > 0) {
        last = c.onTransportFeedback(fb(seq, seq + 4, t)) ?? last;
        seq += 5;
      }
      if (t % (1000 * MS) === 0) last = c.onLossReport(0.3, t) ?? last;
      last = c.onProcessInterval(t) ?? last;
    }
    expect(c.targetRateBps).toBe(100_000);
    expect(c.stats().lossDecreases).toBeGreaterThan(5);
    expect(last!.lossFraction).toBeCloseTo(0.3, 9);
    const mid = new NetworkController({ startRateBps: 1_000_000 });
    mid.onProcessInterval(0);
    mid.onTransportFeedback(fb(0, 4, 50 * MS));
    const u = mid.onLossReport(0.3, 100 * MS)!;
    expect(u.targetRateBps).toBeCloseTo(1_000_000 * (1 - 0.5 * 0.3), 0);
    expect(u.limitedBy).toBe("loss");
  });

  it("fast-check: any sequence of inputs, however absurd, never throws and keeps the target within [min, max]", () => {
    const num = fc.oneof(fc.double(), fc.integer({ min: -1e6, max: 1e7 }), fc.constantFrom(NaN, Infinity, -Infinity, 0, -1));
    const packet = fc.record({
      sent: fc.record({ sequenceNumber: num, sendTimeUs: num, sizeBytes: num, probeClusterId: fc.oneof(fc.constant(-1), fc.integer({ min: 0, max: 5 }), num), isAudio: fc.boolean() }),
      receiveTimeUs: fc.option(num, { nil: undefined }),
    });
    const input = fc.oneof(
      fc.record({ kind: fc.constant("fb" as const), t: num, packets: fc.array(packet, { maxLength: 30 }), inFlight: num }),
      fc.record({ kind: fc.constant("rtt" as const), t: num, v: num }),
      fc.record({ kind: fc.constant("loss" as const), t: num, v: num }),
      fc.record({ kind: fc.constant("tick" as const), t: num }),
    );
    fc.assert(
      fc.property(fc.array(input, { maxLength: 60 }), (inputs) => {
        const c = new NetworkController({ minRateBps: 50_000, maxRateBps: 1_000_000 });
        for (const i of inputs) {
          const u =
            i.kind === "fb" ? c.onTransportFeedback({ feedbackTimeUs: i.t, packets: i.packets, dataInFlightBytes: i.inFlight })
            : i.kind === "rtt" ? c.onRttMs(i.v, i.t)
            : i.kind === "loss" ? c.onLossReport(i.v, i.t)
            : c.onProcessInterval(i.t);
          if (u) {
            expect(u.targetRateBps).toBeGreaterThanOrEqual(50_000);
            expect(u.targetRateBps).toBeLessThanOrEqual(1_000_000);
            expect(Number.isFinite(u.pacingRateBps)).toBe(true);
          }
          expect(c.targetRateBps).toBeGreaterThanOrEqual(50_000);
          expect(c.targetRateBps).toBeLessThanOrEqual(1_000_000);
        }
      }),
      { numRuns: 300, seed: 5 },
    );
  });

  it("realistic feedback mixed with garbage: the garbage is counted, the estimate still follows the good feedback", () => {
    const clean = new NetworkController();
    const mixed = new NetworkController();
    let seq = 0;
    for (let t = 50 * MS; t < 5000 * MS; t += 50 * MS) {
      const f = fb(seq, seq + 4, t);
      seq += 5;
      clean.onTransportFeedback(f);
      mixed.onTransportFeedback(structuredClone(f));
      mixed.onTransportFeedback({ feedbackTimeUs: t - 1, packets: f.packets, dataInFlightBytes: 0 }); // backwards
      mixed.onTransportFeedback({ feedbackTimeUs: t, packets: [{ sent: { sequenceNumber: seq + 1e6, sendTimeUs: NaN, sizeBytes: 1200, probeClusterId: -1, isAudio: false }, receiveTimeUs: 0 }], dataInFlightBytes: 0 });
      clean.onProcessInterval(t);
      mixed.onProcessInterval(t);
    }
    expect(mixed.stats().droppedFeedback).toBeGreaterThan(90);
    expect(mixed.stats().droppedPackets).toBeGreaterThan(90);
    expect(mixed.targetRateBps).toBeCloseTo(clean.targetRateBps, 0);
  });
});
