import { describe, expect, it } from "vitest";
import type { SentPacketInfo } from "../../src/congestion/congestion-types.js";
import { TransportFeedbackAdapter } from "../../src/congestion/transport-feedback-adapter.js";
import { TransportFeedbackGenerator } from "../../src/congestion/transport-feedback-generator.js";
import { InvalidOptionError } from "../../src/errors.js";
import { ReceiverReport } from "../../src/rtcp/receiver-report.js";
import { RtcpCompoundPacket } from "../../src/rtcp/rtcp-compound-packet.js";
import { TransportFeedback } from "../../src/rtcp/transport-feedback.js";
import { RtpPacket } from "../../src/rtp/rtp-packet.js";
import { TransportWideSequenceNumber } from "../../src/rtp/transport-wide-sequence-number.js";
import { SeededRandom } from "../../src/util/seeded-random.js";

const sent = (sequenceNumber: number, sendTimeUs: number, sizeBytes = 100): SentPacketInfo => ({ sequenceNumber, sendTimeUs, sizeBytes, probeClusterId: -1, isAudio: false });
const fbOpts = (count = 0) => ({ senderSsrc: 1, mediaSsrc: 2, feedbackPacketCount: count });

describe("TransportFeedbackAdapter (sender side of draft-holmer-rmcat-transport-wide-cc-extensions-01)", () => {
  it("turns feedback into received and lost results in sequence order, with bytes in flight", () => {
    const a = new TransportFeedbackAdapter();
    for (let s = 0; s < 5; s++) a.onPacketSent(sent(s, s * 1000));
    expect(a.dataInFlightBytes).toBe(500);
    const [fb] = TransportFeedback.build(fbOpts(), 0, [0, 1, 3], [50_000, 51_000, 53_000]);
    const u = a.onFeedback(fb!, 60_000)!;
    expect(u.feedbackTimeUs).toBe(60_000);
    expect(u.packets.map((p) => [p.sent.sequenceNumber, p.receiveTimeUs])).toEqual([[0, 50_000], [1, 51_000], [2, undefined], [3, 53_000]]);
    expect(u.dataInFlightBytes).toBe(100);
    expect(a.stats()).toMatchObject({ packetsReceived: 3, packetsLost: 1, feedbacksUsed: 1 });
  });

  it("packets whose feedback was lost stop counting as in flight once a later feedback is 3 s past them (a merely late feedback is not)", () => {
    const a = new TransportFeedbackAdapter();
    for (let s = 0; s < 30; s++) a.onPacketSent(sent(s, s * 1000));
    const fb = (count: number, base: number) => TransportFeedback.build(fbOpts(count), base, [base, base + 1, base + 2, base + 3, base + 4, base + 5, base + 6, base + 7, base + 8, base + 9], Array.from({ length: 10 }, (_, i) => (base + i) * 1000 + 50_000))[0]!;
    a.onFeedback(fb(0, 0), 100_000);
    expect(a.dataInFlightBytes).toBe(2000);
    // The feedback for 10-19 is lost; 20-29's arrives soon after: 10-19 may still be reported.
    a.onFeedback(fb(2, 20), 200_000);
    expect(a.dataInFlightBytes).toBe(1000);
    // Much later, another feedback: 10-19 were sent over 3 s before it and never reported.
    for (let s = 30; s < 40; s++) a.onPacketSent(sent(s, 4_000_000 + s * 1000));
    a.onFeedback(fb(3, 30), 4_200_000);
    expect(a.dataInFlightBytes).toBe(0);
    expect(a.stats().feedbackLostPackets).toBe(10);
  });

  it("a duplicate feedback is dropped; a packet reported lost and later received is reported once more, received", () => {
    const a = new TransportFeedbackAdapter();
    for (let s = 0; s < 3; s++) a.onPacketSent(sent(s, s * 1000));
    const [first] = TransportFeedback.build(fbOpts(7), 0, [0, 2], [10_000, 12_000]);
    expect(a.onFeedback(first!, 20_000)!.packets).toHaveLength(3);
    expect(a.onFeedback(first!, 21_000)).toBeUndefined();
    expect(a.stats()).toMatchObject({ droppedDuplicate: 1, outOfOrderFeedbacks: 1, duplicateReports: 3 });
    const [late] = TransportFeedback.build(fbOpts(8), 0, [0, 1, 2], [10_000, 15_000, 12_000]);
    const u = a.onFeedback(late!, 30_000)!;
    expect(u.packets.map((p) => [p.sent.sequenceNumber, p.receiveTimeUs])).toEqual([[1, 15_000]]);
    expect(a.stats().lostThenReceived).toBe(1);
  });

  it("drops feedback for unsent packets, for packets older than the history, and with absurd delays; never throws", () => {
    const a = new TransportFeedbackAdapter({ maxHistoryPackets: 64 });
    expect(a.onFeedback(TransportFeedback.build(fbOpts(), 0, [0], [0])[0]!, 0)).toBeUndefined();
    for (let s = 0; s < 1000; s++) a.onPacketSent(sent(s, s * 1000));
    expect(a.onFeedback(TransportFeedback.build(fbOpts(1), 2000, [2000], [0])[0]!, 0)).toBeUndefined();
    expect(a.onFeedback(TransportFeedback.build(fbOpts(2), 10, [10, 11], [0, 1000])[0]!, 0)).toBeUndefined();
    // Delays spread over 12 s while sent 1 ms apart.
    const absurd = new TransportFeedback({ ...fbOpts(3), baseSequenceNumber: 990, referenceTime: 0, symbols: Uint8Array.of(2, 2, 2), deltaTicks: Int16Array.of(0, 32767, 16000) });
    expect(a.onFeedback(absurd, 0)).toBeUndefined();
    // Partly beyond the newest sent: the known part is used, the rest counted.
    const partly = a.onFeedback(TransportFeedback.build(fbOpts(4), 998, [998, 999, 1000, 1001], [5000, 6000, 7000, 8000])[0]!, 0)!;
    expect(partly.packets.map((p) => p.sent.sequenceNumber)).toEqual([998, 999]);
    expect(a.stats()).toMatchObject({ droppedUnsent: 2, droppedAncient: 1, droppedAbsurd: 1, unknownReports: 2, evictedInFlight: 1000 - 64 });
  });

  it("unwraps the 16-bit base against the newest sent number and the 24-bit reference time across its wrap", () => {
    const a = new TransportFeedbackAdapter();
    for (let s = 65_530; s < 65_546; s++) a.onPacketSent(sent(s, s * 1000));
    // Reference time 2^24 − 1 (64 ms units), then 0: 64 ms later, not 12 days earlier.
    const refEnd = (1 << 24) - 1;
    const f1 = new TransportFeedback({ ...fbOpts(0), baseSequenceNumber: 65_530, referenceTime: refEnd, symbols: Uint8Array.of(1, 1), deltaTicks: Int16Array.of(0, 4) });
    const f2 = new TransportFeedback({ ...fbOpts(1), baseSequenceNumber: 65_532 & 0xffff, referenceTime: 0, symbols: new Uint8Array(14).fill(1), deltaTicks: new Int16Array(14).fill(1) });
    const u1 = a.onFeedback(f1, 0)!;
    const u2 = a.onFeedback(f2, 0)!;
    expect(u1.packets.map((p) => p.sent.sequenceNumber)).toEqual([65_530, 65_531]);
    expect(u2.packets.map((p) => p.sent.sequenceNumber)).toEqual(Array.from({ length: 14 }, (_, i) => 65_532 + i));
    expect(u2.packets[0]!.receiveTimeUs! - u1.packets[0]!.receiveTimeUs!).toBe(64_000 + 250);
  });

  it("history: refuses non-increasing numbers, forgets packets older than maxHistoryAgeUs, counting bytes that left in flight", () => {
    const a = new TransportFeedbackAdapter({ maxHistoryAgeUs: 1_000_000 });
    a.onPacketSent(sent(5, 0));
    a.onPacketSent(sent(5, 1));
    a.onPacketSent(sent(4, 2));
    a.onPacketSent({ ...sent(6, 3), sizeBytes: NaN });
    expect(a.stats().sentRejected).toBe(3);
    a.onPacketSent(sent(6, 500_000));
    a.onPacketSent(sent(7, 1_200_000));
    expect(a.dataInFlightBytes).toBe(200);
    expect(a.stats().evictedInFlight).toBe(1);
    expect(a.onFeedback(TransportFeedback.build(fbOpts(), 5, [5], [0])[0]!, 0)).toBeUndefined();
    expect(() => new TransportFeedbackAdapter({ maxHistoryPackets: 1 })).toThrow(InvalidOptionError);
  });
});

describe("TWCC round trip: extension → generator → RTCP serialize/parse → adapter", () => {
  it("10% loss, reordering, feedback loss and reordering, across the 16-bit wrap: every result matches what happened", () => {
    const rng = new SeededRandom(1505);
    const EXT_ID = 5;
    const gen = new TransportFeedbackGenerator({ senderSsrc: 11, mediaSsrc: 22 });
    gen.setBitrate(1_000_000);
    const adapter = new TransportFeedbackAdapter();
    // What really happened to each unwrapped number: arrival time or lost.
    const truth = new Map<number, number | undefined>();
    const reported = new Map<number, number | undefined>();
    const firstSeq = 65_000;
    const N = 6000;
    const inFlight: { at: number; bytes: Uint8Array }[] = [];
    const fbInFlight: { at: number; bytes: Uint8Array }[] = [];
    let seq = firstSeq;
    let lostThenReceived = 0;
    const updates: number[] = [];
    const wire = new Uint8Array(1500);
    const rtp = new RtpPacket({ payloadType: 96, sequenceNumber: 0, timestamp: 0, ssrc: 22, payload: new Uint8Array(1000) });
    for (let now = 0; now < 60_000_000 && (seq < firstSeq + N || inFlight.length > 0 || fbInFlight.length > 0); now += 1000) {
      // Sender: one packet per ms, the number stamped into the serialized bytes.
      if (seq < firstSeq + N) {
        TransportWideSequenceNumber.write(rtp, EXT_ID, 0);
        rtp.sequenceNumber = seq & 0xffff;
        const n = rtp.serializeInto(wire, 0);
        const bytes = wire.slice(0, n);
        expect(TransportWideSequenceNumber.patch(bytes, EXT_ID, seq)).toBe(true);
        adapter.onPacketSent({ sequenceNumber: seq, sendTimeUs: now, sizeBytes: n, probeClusterId: -1, isAudio: false });
        if (rng.next() < 0.1) truth.set(seq, undefined);
        else inFlight.push({ at: now + 30_000 + rng.int(0, 5000) + (rng.next() < 0.03 ? 150_000 : 0), bytes });
        seq++;
      }
      // Network to the receiver (reordered by the random delays).
      for (let i = inFlight.length - 1; i >= 0; i--) {
        if (inFlight[i]!.at > now) continue;
        const p = RtpPacket.parse(inFlight[i]!.bytes);
        const s16 = TransportWideSequenceNumber.read(p, EXT_ID)!;
        truth.set(firstSeq + ((s16 - firstSeq) & 0xffff), now); // N < 65536, so this unwraps exactly
        gen.onPacketReceived(s16, now);
        inFlight.splice(i, 1);
      }
      // Receiver → sender: compound RTCP; 5% of feedback lost, some delayed past the next.
      for (const fb of gen.tick(now)) {
        const bytes = new RtcpCompoundPacket([new ReceiverReport({ ssrc: 11 }), fb]).serialize();
        if (rng.next() < 0.05) continue;
        fbInFlight.push({ at: now + 30_000 + (rng.next() < 0.1 ? 150_000 : 0), bytes });
      }
      for (let i = 0; i < fbInFlight.length; i++) {
        if (fbInFlight[i]!.at > now) continue;
        const parsed = RtcpCompoundPacket.parse(fbInFlight[i]!.bytes).packets[1];
        fbInFlight.splice(i--, 1);
        expect(parsed).toBeInstanceOf(TransportFeedback);
        const u = adapter.onFeedback(parsed as TransportFeedback, now);
        if (u === undefined) continue;
        updates.push(u.packets.length);
        let last = -Infinity;
        for (const r of u.packets) {
          expect(r.sent.sequenceNumber).toBeGreaterThan(last); // sequence order
          last = r.sent.sequenceNumber;
          if (reported.has(r.sent.sequenceNumber)) {
            expect(reported.get(r.sent.sequenceNumber)).toBeUndefined(); // only lost → received
            lostThenReceived++;
          }
          reported.set(r.sent.sequenceNumber, r.receiveTimeUs);
        }
      }
    }
    // Every packet reported received arrived, at that time (250 µs resolution).
    let received = 0;
    let lostReported = 0;
    let wrongLost = 0;
    for (const [s, rx] of reported) {
      const t = truth.get(s);
      if (rx !== undefined) {
        received++;
        expect(t).toBeDefined();
        expect(Math.abs(rx - t!)).toBeLessThanOrEqual(125);
      } else {
        lostReported++;
        if (t !== undefined) wrongLost++; // late arrival the feedback has not re-reported (its re-report was lost)
      }
    }
    const reallyLost = [...truth.values()].filter((v) => v === undefined).length;
    expect(reported.size).toBeGreaterThan(N * 0.9); // lost feedback leaves some unreported
    expect(received).toBeGreaterThan(N * 0.8);
    expect(lostReported).toBeGreaterThan(reallyLost * 0.85);
    expect(wrongLost).toBeLessThan(N * 0.01);
    expect(lostThenReceived).toBeGreaterThan(20); // the 150 ms late packets
    expect(seq - 1).toBeGreaterThan(65_535); // crossed the wrap
    const st = adapter.stats();
    expect(st.missedFeedbacks).toBeGreaterThan(0);
    expect(st.outOfOrderFeedbacks).toBeGreaterThan(0);
    expect(st.packetsReceived + st.packetsLost - st.lostThenReceived).toBe(reported.size);
    // Whatever was never covered is still in flight.
    const uncovered = N - reported.size;
    expect(adapter.dataInFlightBytes).toBe(uncovered * rtp.byteLength);
    expect(updates.length).toBeGreaterThan(50);
  });
});
