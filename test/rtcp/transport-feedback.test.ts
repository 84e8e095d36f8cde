import { describe, expect, it } from "vitest";
import { InvalidOptionError, MalformedPacketError } from "../../src/errors.js";
import { RtcpCompoundPacket } from "../../src/rtcp/rtcp-compound-packet.js";
import { parseRtcpPacket } from "../../src/rtcp/rtcp-packet.js";
import { ReceiverReport } from "../../src/rtcp/receiver-report.js";
import { TransportFeedback } from "../../src/rtcp/transport-feedback.js";
import { UnknownRtcpPacket } from "../../src/rtcp/unknown-rtcp-packet.js";
import { SeededRandom } from "../../src/util/seeded-random.js";
import { fuzz } from "../rtp/fuzz-helper.js";

const hex = (s: string): Uint8Array => Uint8Array.from(s.replace(/\s+/g, "").match(/../g)!.map((x) => parseInt(x, 16)));
const REF_US = 64_000;

/** Received deltas in µs, in packet order (the per-packet deltas pion's tests list). */
function deltasUs(fb: TransportFeedback): number[] {
  return Array.from(fb.deltaTicks, (t) => t * 250);
}

/** Fewest chunks any encoding can use for `symbols` (dynamic programming over the three chunk kinds, draft 3.1.3-3.1.4). */
function optimalChunkCount(symbols: Uint8Array): number {
  const n = symbols.length;
  const best = new Array<number>(n + 1).fill(Infinity);
  best[n] = 0;
  for (let i = n - 1; i >= 0; i--) {
    for (let j = i; j < n && j - i < 8191 && symbols[j] === symbols[i]; j++) best[i] = Math.min(best[i]!, 1 + best[j + 1]!);
    const end14 = Math.min(n, i + 14);
    let ok = true;
    for (let j = i; j < end14; j++) if (symbols[j]! > 1) ok = false;
    if (ok) best[i] = Math.min(best[i]!, 1 + best[end14]!);
    best[i] = Math.min(best[i]!, 1 + best[Math.min(n, i + 7)]!);
  }
  return best[0]!;
}

describe("TransportFeedback (draft-holmer-rmcat-transport-wide-cc-extensions-01 3.1)", () => {
  it("pion/rtcp transport_layer_cc_test.go example1: one run-length chunk, one small delta, RTCP padding; byte-exact round-trip (3.1.3, 3.1.5)", () => {
    const bytes = hex("afcd0005 fa17fa17 43032fa0 00990001 3de80217 20019401");
    const fb = TransportFeedback.parse(bytes);
    expect(fb.senderSsrc).toBe(4195875351);
    expect(fb.mediaSsrc).toBe(1124282272);
    expect(fb.baseSequenceNumber).toBe(153);
    expect(fb.packetStatusCount).toBe(1);
    expect(fb.referenceTime).toBe(4057090);
    expect(fb.feedbackPacketCount).toBe(23);
    expect(deltasUs(fb)).toEqual([37000]);
    expect(fb.packets()).toEqual([{ sequenceNumber: 153, receiveTimeUs: 4057090 * REF_US + 37000 }]);
    expect(fb.serialize()).toEqual(bytes);
    expect(parseRtcpPacket(bytes)).toBeInstanceOf(TransportFeedback);
  });

  it("pion/rtcp transport_layer_cc_test.go example4: run of 7 small deltas, byte-exact round-trip (3.1.3)", () => {
    const bytes = hex("afcd0007 fa17fa17 193dd8bb 00040007 10636e01 20074c24 24100c0c 10000003");
    const fb = TransportFeedback.parse(bytes);
    expect([fb.baseSequenceNumber, fb.packetStatusCount, fb.referenceTime, fb.feedbackPacketCount]).toEqual([4, 7, 1074030, 1]);
    expect(deltasUs(fb)).toEqual([19000, 9000, 9000, 4000, 3000, 3000, 4000]);
    const times = fb.packets().map((p) => p.receiveTimeUs! - 1074030 * REF_US);
    expect(times).toEqual([19000, 28000, 37000, 41000, 44000, 47000, 51000]);
    expect(fb.serialize()).toEqual(bytes);
  });

  it("pion/rtcp transport_layer_cc_test.go example6: 2-bit vector with a large delta then a run of losses (3.1.4)", () => {
    const bytes = hex("afcd0007 9b74f61f 9371dcbc 853c0009 63f916b3 d5520030 9baa6aaa 7b010901");
    const fb = TransportFeedback.parse(bytes);
    expect([fb.senderSsrc, fb.mediaSsrc, fb.baseSequenceNumber, fb.packetStatusCount, fb.referenceTime, fb.feedbackPacketCount]).toEqual([2608133663, 2473712828, 34108, 9, 6551830, 179]);
    expect(Array.from(fb.symbols)).toEqual([1, 1, 1, 1, 1, 0, 2, 0, 0]);
    expect(deltasUs(fb)).toEqual([38750, 42500, 26500, 42500, 30750, 66250]);
    expect(fb.packets().filter((p) => p.receiveTimeUs === undefined).map((p) => p.sequenceNumber)).toEqual([34113, 34115, 34116]);
    // The run-length chunk said 48 lost where 2 were counted; we re-encode it as a run of 2.
    const again = fb.serialize();
    expect(again.length).toBe(bytes.length);
    expect(Array.from(again.subarray(22, 24))).toEqual([0x00, 0x02]);
    expect(TransportFeedback.parse(again).packets()).toEqual(fb.packets());
  });

  it("pion/rtcp transport_layer_cc_test.go example3 and example5: P bit set without valid RTCP padding is tolerated (3.1)", () => {
    const ex3 = TransportFeedback.parse(hex("afcd0007 fa17fa17 193dd8bb 01740006 45b15a40 40022004 1ffe1f9a d000d000"));
    expect([ex3.baseSequenceNumber, ex3.packetStatusCount, ex3.referenceTime, ex3.feedbackPacketCount]).toEqual([372, 6, 4567386, 64]);
    expect(Array.from(ex3.symbols)).toEqual([2, 2, 1, 1, 1, 1]);
    expect(deltasUs(ex3)).toEqual([2047500, 2022500, 52000, 0, 52000, 0]);
    // Re-encoded with one 2-bit vector (2,2,1,1,1,1) instead of two runs: 2 bytes shorter, real RTCP padding.
    const again = ex3.serialize();
    expect(again).toEqual(hex("afcd0007 fa17fa17 193dd8bb 01740006 45b15a40 e9541ffe 1f9ad000 d0000002"));
    expect(TransportFeedback.parse(again).packets()).toEqual(ex3.packets());
    const ex5 = TransportFeedback.parse(hex("afcd0006 fa17fa17 193dd8bb 0001000e 10636d00 ba00100c 0c100003"));
    expect([ex5.baseSequenceNumber, ex5.packetStatusCount, ex5.referenceTime]).toEqual([1, 14, 1074029]);
    expect(Array.from(ex5.symbols)).toEqual([1, 1, 1, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
    expect(deltasUs(ex5)).toEqual([4000, 3000, 3000, 4000]);
  });

  it.each([
    ["pion example2: reserved symbol 3 in a 2-bit vector (3.1.1)", "afcd0006 fa17fa17 193dd8bb 0174000e 45b15a40 d800f0ff d0000003"],
    ["pion example7: packet status count 0", "8fcd0004 9acb0442 00000000 00000000 00000000"],
    ["pion example8: three small deltas announced, one present", "afcd0005 fa17fa17 43032fa0 00990003 3de80217 20039401"],
    ["pion example9: two large deltas announced, one byte and padding present", "afcd0005 fa17fa17 43032fa0 00990002 3de80217 40029401"],
    ["chunks end before the status count", "8fcd0005 00000001 00000002 00000020 00000000 20010000"],
    ["a run-length chunk with the reserved symbol", "8fcd0005 00000001 00000002 00000001 00000000 60010000"],
    ["4 stray bytes after the deltas", "8fcd0006 00000001 00000002 00000001 00000000 20010000 00000000"],
    ["wrong FMT", "81cd0005 00000001 00000002 00000001 00000000 20010100"],
    ["length field disagrees", "8fcd0006 00000001 00000002 00000001 00000000 20010100"],
  ])("rejects %s with MalformedPacketError, and the dispatch keeps it opaque", (_name, h) => {
    const bytes = hex(h);
    expect(() => TransportFeedback.parse(bytes)).toThrow(MalformedPacketError);
    if ((bytes[0]! & 0x1f) === 15 && ((bytes[2]! << 8) | bytes[3]!) * 4 + 4 === bytes.length) expect(parseRtcpPacket(bytes)).toBeInstanceOf(UnknownRtcpPacket);
  });

  it("validates fields on construction: symbols 0-2, one delta per received packet, small deltas 0-255", () => {
    const base = { senderSsrc: 1, mediaSsrc: 2, baseSequenceNumber: 0, referenceTime: 0, feedbackPacketCount: 0 };
    expect(() => new TransportFeedback({ ...base, symbols: Uint8Array.of(3), deltaTicks: Int16Array.of(0) })).toThrow(InvalidOptionError);
    expect(() => new TransportFeedback({ ...base, symbols: Uint8Array.of(1, 1), deltaTicks: Int16Array.of(0) })).toThrow(InvalidOptionError);
    expect(() => new TransportFeedback({ ...base, symbols: Uint8Array.of(1), deltaTicks: Int16Array.of(256) })).toThrow(InvalidOptionError);
    expect(() => new TransportFeedback({ ...base, symbols: new Uint8Array(0), deltaTicks: new Int16Array(0) })).toThrow(InvalidOptionError);
    expect(new TransportFeedback({ ...base, symbols: Uint8Array.of(2), deltaTicks: Int16Array.of(-32768) }).packets()[0]!.receiveTimeUs).toBe(-32768 * 250);
  });

  it("travels in a compound packet after an RR (RFC 3550 6.1, draft 3.1)", () => {
    const [fb] = TransportFeedback.build({ senderSsrc: 1, mediaSsrc: 2, feedbackPacketCount: 5 }, 100, [100, 102], [1_000_000, 1_004_000]);
    const compound = new RtcpCompoundPacket([new ReceiverReport({ ssrc: 1 }), fb!]);
    const parsed = RtcpCompoundPacket.parse(compound.serialize());
    expect(parsed.packets[1]).toBeInstanceOf(TransportFeedback);
    expect((parsed.packets[1] as TransportFeedback).packets().map((p) => p.receiveTimeUs)).toEqual([1_000_000, undefined, 1_004_000]);
  });
});

describe("TransportFeedback.build (draft 3.1)", () => {
  const opts = { senderSsrc: 7, mediaSsrc: 9, feedbackPacketCount: 250 };

  it("chunks: 1-bit vector for mixed small/lost, 2-bit when a large delta is near, run-length for long runs (3.1.3, 3.1.4)", () => {
    // 20 packets, every 3rd lost, 5 ms apart: only symbols 0/1, so 1-bit vectors.
    const seqs: number[] = [];
    const times: number[] = [];
    for (let s = 0; s < 20; s++) if (s % 3 !== 2) (seqs.push(s), times.push(10_000_000 + s * 5000));
    const [a] = TransportFeedback.build(opts, 0, seqs, times);
    expect(a!.chunkCount).toBe(2);
    const words = a!.serialize().subarray(20, 24);
    expect(words[0]! >> 6).toBe(0b10); // T=1, S=0
    // 100 packets in a row: one run-length chunk.
    const run = TransportFeedback.build(opts, 0, Array.from({ length: 100 }, (_, i) => i), Array.from({ length: 100 }, (_, i) => 64_000 + i * 1000))[0]!;
    expect(run.chunkCount).toBe(1);
    expect(run.serialize().subarray(20, 22)).toEqual(Uint8Array.of(0x20, 100));
    // A 100 ms gap makes a large delta: 2-bit vector.
    const large = TransportFeedback.build(opts, 0, [0, 1, 3], [64_000, 65_000, 165_000])[0]!;
    expect(Array.from(large.symbols)).toEqual([1, 1, 0, 2]);
    expect(large.serialize()[20]! >> 6).toBe(0b11);
  });

  it("round-trips random arrivals across the 16-bit wrap: statuses exact, times within 125 µs, packets contiguous (3.1, 3.1.5)", () => {
    const rng = new SeededRandom(2015);
    let worstRatio = 0;
    for (let t = 0; t < 200; t++) {
      const base = rng.int(60_000, 70_000); // crosses 65535 often
      const n = rng.int(1, 600);
      const seqs: number[] = [];
      const times: number[] = [];
      let s = base + rng.int(0, 3);
      let us = rng.int(0, 1e9);
      for (let k = 0; k < n; k++) {
        seqs.push(s);
        times.push(us);
        s += rng.next() < 0.8 ? 1 : rng.int(2, rng.next() < 0.05 ? 20_000 : 30);
        us += rng.next() < 0.02 ? rng.int(-20_000, 12_000_000) : rng.int(0, 20_000);
      }
      const maxPacketBytes = rng.int(0, 1) === 0 ? 1200 : rng.int(32, 200);
      const fbs = TransportFeedback.build({ ...opts, maxPacketBytes }, base, seqs, times);
      const got = new Map<number, number | undefined>();
      let expectBase = base & 0xffff;
      let unwrappedBase = base;
      let expectCount = opts.feedbackPacketCount;
      let covered = 0;
      for (const fb of fbs) {
        const wire = fb.serialize();
        expect(wire.length).toBeLessThanOrEqual(maxPacketBytes);
        expect(wire.length).toBe(fb.byteLength);
        const back = TransportFeedback.parse(wire);
        expect(back.baseSequenceNumber).toBe(expectBase);
        expect(back.feedbackPacketCount).toBe(expectCount & 0xff);
        expectBase = (back.baseSequenceNumber + back.packetStatusCount) & 0xffff;
        const ub = unwrappedBase;
        unwrappedBase += back.packetStatusCount;
        expectCount++;
        covered += back.packetStatusCount;
        let badSeq = 0;
        back.forEachPacket((seq, i, rx) => {
          if (seq !== ((ub + i) & 0xffff)) badSeq++;
          if (rx !== undefined) got.set(ub + i, rx);
        });
        expect(badSeq).toBe(0);
        if (fb.packetStatusCount <= 1500) worstRatio = Math.max(worstRatio, fb.chunkCount / optimalChunkCount(fb.symbols));
      }
      // Every sequence number from the base to the last arrival is covered exactly once...
      expect(covered).toBe(seqs[n - 1]! - base + 1);
      // ...with the right status and time.
      for (let k = 0; k < n; k++) {
        const rx = got.get(seqs[k]!);
        expect(rx).toBeDefined();
        expect(Math.abs(rx! - times[k]!)).toBeLessThanOrEqual(125);
      }
      expect(got.size).toBe(n);
    }
    // The greedy chunk choice stays within 15% of the optimal chunk count (dynamic programming above).
    expect(worstRatio).toBeLessThanOrEqual(1.15); // measured worst 1.10 over these 200 cases
  });

  it("splits when a delta leaves the 16-bit range (> 8.19 s) and when the size limit is reached (3.1.5)", () => {
    const [a, b] = TransportFeedback.build(opts, 10, [10, 11], [0, 9_000_000]);
    expect(a!.packetStatusCount).toBe(1);
    expect(b!.baseSequenceNumber).toBe(11);
    expect(b!.packets()[0]!.receiveTimeUs).toBe(9_000_000);
    // -8.192 s still fits one large delta.
    const back = TransportFeedback.build(opts, 0, [0, 1], [10_048_000, 10_048_000 - 8_192_000]);
    expect(back).toHaveLength(1);
    expect(back[0]!.packets()[1]!.receiveTimeUs).toBe(10_048_000 - 8_192_000);
    // 1000 packets with large deltas in 200-byte packets.
    const seqs = Array.from({ length: 1000 }, (_, i) => i);
    const times = seqs.map((i) => i * 70_000);
    const many = TransportFeedback.build({ ...opts, maxPacketBytes: 200 }, 0, seqs, times);
    expect(many.length).toBeGreaterThan(10);
    for (const fb of many) expect(fb.byteLength).toBeLessThanOrEqual(200);
    expect(many.reduce((n, fb) => n + fb.receivedCount, 0)).toBe(1000);
  });

  it("reports losses before the first arrival from the base; drops them when they cannot fit", () => {
    const [fb] = TransportFeedback.build(opts, 5, [8], [1000]);
    expect(Array.from(fb!.symbols)).toEqual([0, 0, 0, 1]);
    const far = TransportFeedback.build(opts, 0, [70_000], [1000]);
    expect(far).toHaveLength(1);
    expect(far[0]!.baseSequenceNumber).toBe(70_000 & 0xffff);
    expect(far[0]!.packetStatusCount).toBe(1);
  });

  it("rejects unsorted or duplicate sequence numbers and bad options with InvalidOptionError", () => {
    expect(() => TransportFeedback.build(opts, 0, [2, 1], [0, 0])).toThrow(InvalidOptionError);
    expect(() => TransportFeedback.build(opts, 0, [1, 1], [0, 0])).toThrow(InvalidOptionError);
    expect(() => TransportFeedback.build(opts, 5, [4], [0])).toThrow(InvalidOptionError);
    expect(() => TransportFeedback.build({ ...opts, maxPacketBytes: 16 }, 0, [0], [0])).toThrow(InvalidOptionError);
    expect(() => TransportFeedback.build(opts, 0, [0], [NaN])).toThrow(InvalidOptionError);
    expect(TransportFeedback.build(opts, 0, [], [])).toEqual([]);
  });
});

describe("transport feedback fuzz (draft 3.1)", () => {
  const valid = (rng: SeededRandom): Uint8Array => {
    const n = rng.int(1, 40);
    const seqs: number[] = [];
    const times: number[] = [];
    let s = rng.int(0, 65535);
    let us = rng.int(0, 1e10);
    const base = s;
    for (let k = 0; k < n; k++) {
      seqs.push(s);
      times.push(us);
      s += rng.int(1, 4);
      us += rng.int(-5000, rng.next() < 0.1 ? 200_000 : 20_000);
    }
    return TransportFeedback.build({ senderSsrc: rng.nextUint32(), mediaSsrc: rng.nextUint32(), feedbackPacketCount: rng.int(0, 255), maxPacketBytes: 100_000 }, base, seqs, times)[0]!.serialize();
  };

  it("fuzz: 20k transport feedback inputs, only MalformedPacketError, valid round-trip", () => {
    const r = fuzz({ parse: (b) => TransportFeedback.parse(b), serialize: (p) => p.serialize(), valid }, 20_000, 2015_31);
    expect(r.parsed).toBeGreaterThan(5000);
    expect(r.rejected).toBeGreaterThan(3000);
  });

  it("fuzz: 20k through the RTCP dispatch (TWCC or opaque), only MalformedPacketError", () => {
    const r = fuzz({ parse: (b) => parseRtcpPacket(b), serialize: (p) => p.serialize(), valid }, 20_000, 2015_205);
    expect(r.parsed).toBeGreaterThan(5000);
  });
});
