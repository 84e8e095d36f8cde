import { describe, expect, it } from "vitest";
import { InvalidOptionError } from "../../src/errors.js";
import { NackResponder } from "../../src/feedback/nack-responder.js";
import { RtpSendHistory } from "../../src/feedback/rtp-send-history.js";
import { RtxReceiver } from "../../src/feedback/rtx-receiver.js";
import { GenericNack } from "../../src/rtcp/generic-nack.js";
import { RtpPacket } from "../../src/rtp/rtp-packet.js";
import { rtxOriginalSequenceNumber } from "../../src/rtp/rtx.js";
import { SeededRandom } from "../../src/util/seeded-random.js";

const MS = 1000;
const MEDIA = 0xaaaa;
const packet = (seq: number, bytes = 988): RtpPacket => new RtpPacket({ payloadType: 96, sequenceNumber: seq, timestamp: seq * 90, ssrc: MEDIA, payload: new Uint8Array(bytes).fill(seq & 0xff) });
const nack = (seqs: number[], ssrc = MEDIA): GenericNack => GenericNack.fromSequenceNumbers(1, ssrc, seqs);

describe("NackResponder (RFC 4585 6.2.1 + RFC 4588)", () => {
  it("answers with RTX packets: own SSRC, own PT, own sequence numbers across the wrap, OSN first (RFC 4588 4)", () => {
    const r = new NackResponder({ mediaSsrc: MEDIA, rtx: { ssrc: 0xbbbb, payloadType: 97, initialSequenceNumber: 65535 } });
    for (let i = 0; i < 20; i++) r.onPacketSent(packet((65530 + i) & 0xffff), i * MS);
    const out = r.onNack(nack([65534, 65535, 0, 3]), 20 * MS, 100 * MS);
    expect(out.map((p) => p.ssrc)).toEqual([0xbbbb, 0xbbbb, 0xbbbb, 0xbbbb]);
    expect(out.map((p) => p.payloadType)).toEqual([97, 97, 97, 97]);
    expect(out.map((p) => p.sequenceNumber)).toEqual([65535, 0, 1, 2]);
    expect(out.map(rtxOriginalSequenceNumber)).toEqual([65534, 65535, 0, 3]);
    expect(out[0]!.timestamp).toBe((65534 * 90) >>> 0);
    // Receiver side restores the original bytes.
    const rx = new RtxReceiver({ mappings: [{ rtxSsrc: 0xbbbb, rtxPayloadType: 97, mediaSsrc: MEDIA, mediaPayloadType: 96 }] });
    expect(rx.push(RtpPacket.parse(out[3]!.serialize()))!.serialize()).toEqual(packet(3).serialize());
  });

  it("without RTX resends the original packets", () => {
    const r = new NackResponder({ mediaSsrc: MEDIA });
    r.onPacketSent(packet(5), 0);
    expect(r.onNack(nack([5]), 1 * MS, 100 * MS)[0]!.serialize()).toEqual(packet(5).serialize());
  });

  it("resends a packet at most once per RTT (libwebrtc rule)", () => {
    const r = new NackResponder({ mediaSsrc: MEDIA, rtx: { ssrc: 2, payloadType: 97 } });
    r.onPacketSent(packet(1), 0);
    expect(r.onNack(nack([1]), 10 * MS, 100 * MS)).toHaveLength(1);
    expect(r.onNack(nack([1]), 60 * MS, 100 * MS)).toHaveLength(0);
    expect(r.onNack(nack([1]), 110 * MS, 100 * MS)).toHaveLength(1);
    expect(r.stats()).toMatchObject({ retransmitted: 2, withinRtt: 1 });
  });

  it("drops and counts NACKs for another SSRC, never-sent and evicted (ancient) numbers", () => {
    const r = new NackResponder({ mediaSsrc: MEDIA, history: { maxBytes: 10_000 } });
    for (let i = 100; i < 120; i++) r.onPacketSent(packet(i), i * MS);
    expect(r.onNack(nack([110], 0xdead), 200 * MS, 100 * MS)).toHaveLength(0);
    expect(r.onNack(nack([100, 125, 119]), 200 * MS, 100 * MS)).toHaveLength(1);
    expect(r.stats()).toMatchObject({ unknownSsrc: 1, evicted: 1, neverSent: 1, retransmitted: 1 });
  });

  it("rate-limits retransmissions with a token bucket: a flood of NACKs cannot multiply traffic", () => {
    // 1 Mbps of media; budget 50% = 500 kbps; 250 ms of burst.
    const r = new NackResponder({ mediaSsrc: MEDIA, rtx: { ssrc: 2, payloadType: 97 }, maxRateRatio: 0.5, minRateBps: 0, burstUs: 250_000 });
    let t = 0;
    let seq = 0;
    let retransmittedBytes = 0;
    for (; t < 2_000 * MS; t += 8 * MS) r.onPacketSent(packet(seq++), t); // 1000 B / 8 ms = 1 Mbps
    const start = t;
    for (; t < 4_000 * MS; t += 1 * MS) {
      if (t % (8 * MS) === 0) r.onPacketSent(packet(seq++), t);
      // Every ms, a NACK for the last 100 packets (a malicious or broken receiver).
      const seqs = Array.from({ length: 100 }, (_, i) => (seq - 100 + i) & 0xffff);
      for (const p of r.onNack(nack(seqs), t, 10 * MS)) retransmittedBytes += p.byteLength;
    }
    const seconds = (t - start) / 1e6;
    const budgetBytes = (0.5 * 1_000_000 * seconds) / 8 + (0.5 * 1_000_000 * 0.25) / 8;
    console.log(`NACK flood: ${(retransmittedBytes / 1000).toFixed(0)} kB resent in ${seconds} s against a budget of ${(budgetBytes / 1000).toFixed(0)} kB; ${JSON.stringify(r.stats())}`);
    expect(retransmittedBytes).toBeLessThanOrEqual(budgetBytes * 1.05);
    expect(retransmittedBytes).toBeGreaterThan(budgetBytes * 0.7);
    expect(r.stats().rateLimited).toBeGreaterThan(0);
  });

  it("stays bounded under a flood of NACKs for random and ancient numbers (bad input)", () => {
    const history = new RtpSendHistory({ maxBytes: 200_000, maxAgeUs: 1_000 * MS });
    const r = new NackResponder({ mediaSsrc: MEDIA, rtx: { ssrc: 2, payloadType: 97 }, history, maxRateRatio: 0.2 });
    const rng = new SeededRandom(99);
    let seq = 0;
    let sentBytes = 0;
    let maxHistoryBytes = 0;
    let maxHistoryPackets = 0;
    for (let t = 0; t < 10_000 * MS; t += 1 * MS) {
      if (t % (2 * MS) === 0) r.onPacketSent(packet(seq++ & 0xffff), t);
      const entries = Array.from({ length: rng.int(1, 50) }, () => ({ pid: rng.int(0, 65535), blp: rng.int(0, 65535) }));
      const out = r.onNack(new GenericNack(1, rng.next() < 0.1 ? rng.nextUint32() : MEDIA, entries), t, 100 * MS);
      for (const p of out) sentBytes += p.byteLength;
      maxHistoryBytes = Math.max(maxHistoryBytes, history.byteCount);
      maxHistoryPackets = Math.max(maxHistoryPackets, history.packetCount);
    }
    const s = r.stats();
    console.log(`random-NACK flood over 10 s: ${JSON.stringify(s)}; history max ${maxHistoryBytes} B / ${maxHistoryPackets} packets`);
    expect(maxHistoryBytes).toBeLessThanOrEqual(200_000);
    expect(s.seqsRequested).toBe(s.retransmitted + s.neverSent + s.evicted + s.withinRtt + s.rateLimited);
    expect(s.unknownSsrc).toBeGreaterThan(800);
    expect(s.neverSent + s.evicted).toBeGreaterThan(0.9 * s.seqsRequested);
    // 20% of 4 Mbps over 10 s (+ burst), far below the media: the flood cannot multiply traffic.
    expect(sentBytes).toBeLessThan(0.2 * s.mediaBytes * 1.1);
  });

  it("above duplicateAboveLoss sends each retransmission twice, with its own RTX sequence numbers; a clean report ends it slowly", () => {
    const r = new NackResponder({ mediaSsrc: MEDIA, rtx: { ssrc: 2, payloadType: 97 }, duplicateAboveLoss: 0.05, minRateBps: 1_000_000 });
    for (let i = 0; i < 10; i++) r.onPacketSent(packet(i), i * MS);
    expect(r.onNack(nack([1]), 10 * MS, 100 * MS)).toHaveLength(1); // no report yet: one copy
    r.onLossReport(0.12);
    expect(r.copies).toBe(2);
    const out = r.onNack(nack([2, 3]), 11 * MS, 100 * MS);
    expect(out.map(rtxOriginalSequenceNumber)).toEqual([2, 3, 2, 3]); // without copiesOut, second copies follow
    expect(new Set(out.map((p) => p.sequenceNumber)).size).toBe(4);
    // The duplicate NACK a lossy receiver sends is not answered again (once per RTT).
    expect(r.onNack(nack([2, 3]), 12 * MS, 100 * MS)).toHaveLength(0);
    expect(r.stats()).toMatchObject({ retransmitted: 3, duplicated: 2, withinRtt: 2 });
    expect(r.stats().retransmittedBytes).toBe(5 * (988 + 12 + 2));
    // Reports riding on NACKs cover few packets: one saying 0 does not switch duplicates off...
    r.onLossReport(0);
    expect(r.copies).toBe(2);
    // ...a clean path does, within a few reports.
    for (let i = 0; i < 10; i++) r.onLossReport(0);
    expect(r.copies).toBe(1);
  });

  it("takes second copies only from the top quarter of the rate budget; copiesOut holds them apart", () => {
    // 1 Mbps floor x 0.5 s = 62 500 bytes of tokens, 1002 bytes per RTX: 7 packets get a
    // second copy before a quarter of the bucket is spent, the other 13 one copy each, none refused.
    const r = new NackResponder({ mediaSsrc: MEDIA, rtx: { ssrc: 2, payloadType: 97 }, minRateBps: 1_000_000, maxRateRatio: 0, burstUs: 500_000 });
    for (let i = 0; i < 20; i++) r.onPacketSent(packet(i), 0);
    r.onLossReport(0.2);
    const copies: RtpPacket[] = [];
    const out = r.onNack(nack([...Array(20).keys()]), 0, 100 * MS, copies);
    expect(out.map(rtxOriginalSequenceNumber)).toEqual([...Array(20).keys()]);
    expect(copies.map(rtxOriginalSequenceNumber)).toEqual([0, 1, 2, 3, 4, 5, 6]);
    expect(r.stats()).toMatchObject({ retransmitted: 20, duplicated: 7, rateLimited: 0 });
  });

  it("setRateCapBps caps the budget at the congestion-control target, under the 100 kbps floor too (libwebrtc's retransmission limiter)", () => {
    const r = new NackResponder({ mediaSsrc: MEDIA, rtx: { ssrc: 2, payloadType: 97 } });
    for (let i = 0; i < 100; i++) r.onPacketSent(packet(i), i * MS);
    expect(r.budgetBps(100 * MS)).toBeGreaterThanOrEqual(100_000);
    r.setRateCapBps(40_000);
    expect(r.budgetBps(100 * MS)).toBe(40_000);
    r.setRateCapBps(Infinity);
    expect(r.budgetBps(100 * MS)).toBeGreaterThanOrEqual(100_000);
    expect(() => r.setRateCapBps(-1)).toThrow(InvalidOptionError);
    expect(() => r.setRateCapBps(Number.NaN)).toThrow(InvalidOptionError);
  });

  it("rejects bad options", () => {
    expect(() => new NackResponder({ mediaSsrc: 1, duplicateAboveLoss: -0.1 })).toThrow(InvalidOptionError);
    expect(() => new NackResponder({ mediaSsrc: -1 })).toThrow(InvalidOptionError);
    expect(() => new NackResponder({ mediaSsrc: 1, rtx: { ssrc: 2, payloadType: 200 } })).toThrow(InvalidOptionError);
    expect(() => new NackResponder({ mediaSsrc: 1, maxRateRatio: -1 })).toThrow(InvalidOptionError);
  });
});

describe("RtxReceiver (RFC 4588 4, 8.6)", () => {
  const rx = (): RtxReceiver => new RtxReceiver({ mappings: [{ rtxSsrc: 20, rtxPayloadType: 97, mediaSsrc: 10, mediaPayloadType: 96 }, { rtxSsrc: 20, rtxPayloadType: 99, mediaSsrc: 10, mediaPayloadType: 98 }] });

  it("maps RTX SSRC and payload type back to the media stream (apt)", () => {
    const r = rx();
    const p = r.push(new RtpPacket({ payloadType: 99, sequenceNumber: 7, timestamp: 1, ssrc: 20, payload: Uint8Array.of(0x12, 0x34, 9) }))!;
    expect(p).toMatchObject({ ssrc: 10, payloadType: 98, sequenceNumber: 0x1234 });
    expect(p.payload).toEqual(Uint8Array.of(9));
  });

  it("drops and counts RTX for an unknown SSRC or payload type, and padding-only RTX", () => {
    const r = rx();
    expect(r.push(new RtpPacket({ payloadType: 97, sequenceNumber: 1, timestamp: 1, ssrc: 21, payload: Uint8Array.of(0, 1) }))).toBeUndefined();
    expect(r.push(new RtpPacket({ payloadType: 100, sequenceNumber: 1, timestamp: 1, ssrc: 20, payload: Uint8Array.of(0, 1) }))).toBeUndefined();
    expect(r.push(new RtpPacket({ payloadType: 97, sequenceNumber: 1, timestamp: 1, ssrc: 20, paddingLength: 200 }))).toBeUndefined();
    expect(r.stats()).toEqual({ received: 3, restored: 0, unknownSsrc: 1, unknownPayloadType: 1, paddingOnly: 1 });
  });

  it("rejects an RTX SSRC equal to its media SSRC (RFC 4588 5.3)", () => {
    expect(() => new RtxReceiver({ mappings: [{ rtxSsrc: 1, rtxPayloadType: 97, mediaSsrc: 1, mediaPayloadType: 96 }] })).toThrow(InvalidOptionError);
  });
});
