/**
 * NACK + RTX end to end on a virtual timeline (arrays and nowUs, no sockets): a 500 packet/s
 * stream (1000-byte payloads, 4 Mbps) crossing the 16-bit wrap, seeded random loss, 50 ms
 * one-way delay + 0-4 ms jitter (RTT ≈ 100 ms). Media and retransmissions are both lost at the
 * stated rate; NACKs go through the wire format (serialize → parse).
 */
import { describe, expect, it } from "vitest";
import { NackGenerator } from "../../src/feedback/nack-generator.js";
import { NackResponder } from "../../src/feedback/nack-responder.js";
import { RtxReceiver } from "../../src/feedback/rtx-receiver.js";
import { GenericNack } from "../../src/rtcp/generic-nack.js";
import { RtpPacket } from "../../src/rtp/rtp-packet.js";
import { SeededRandom } from "../../src/util/seeded-random.js";

interface SimOptions {
  packets: number;
  mediaLoss: number;
  rtxLoss: number;
  nackLoss: number;
  seed: number;
}

interface SimResult {
  sent: number;
  wireLost: number;
  /** Packets not at the receiver within 1, 2, 3, 5 RTTs of being sent, and never. */
  residual: { rtt1: number; rtt2: number; rtt3: number; rtt5: number; rtt7: number; never: number };
  overheadPct: number;
  generator: ReturnType<NackGenerator["stats"]>;
  responder: ReturnType<NackResponder["stats"]>;
}

const MEDIA_SSRC = 0x1111;
const RTX_SSRC = 0x2222;
const ONE_WAY_MS = 50;
const RTT_US = 100_000;
const START_SEQ = 64_000;

function simulate(o: SimOptions): SimResult {
  const rng = new SeededRandom(o.seed);
  const generator = new NackGenerator();
  const responder = new NackResponder({ mediaSsrc: MEDIA_SSRC, rtx: { ssrc: RTX_SSRC, payloadType: 97, initialSequenceNumber: 65_500 } });
  const rtxReceiver = new RtxReceiver({ mappings: [{ rtxSsrc: RTX_SSRC, rtxPayloadType: 97, mediaSsrc: MEDIA_SSRC, mediaPayloadType: 96 }] });
  const toReceiver = new Map<number, Uint8Array[]>();
  const toSender = new Map<number, Uint8Array[]>();
  const schedule = (q: Map<number, Uint8Array[]>, atMs: number, bytes: Uint8Array): void => {
    const l = q.get(atMs);
    if (l === undefined) q.set(atMs, [bytes]);
    else l.push(bytes);
  };
  const sendMs = new Float64Array(o.packets);
  const arriveMs = new Float64Array(o.packets).fill(Infinity);
  const payload = new Uint8Array(1000);
  let sent = 0;
  let wireLost = 0;
  const endMs = 2 * o.packets + 3000;
  for (let t = 0; t < endMs; t++) {
    const nowUs = t * 1000;
    if (t % 2 === 0 && sent < o.packets) {
      const p = new RtpPacket({ payloadType: 96, sequenceNumber: (START_SEQ + sent) & 0xffff, timestamp: sent * 180, ssrc: MEDIA_SSRC, payload });
      responder.onPacketSent(p, nowUs);
      sendMs[sent] = t;
      sent++;
      if (rng.next() < o.mediaLoss) wireLost++;
      else schedule(toReceiver, t + ONE_WAY_MS + rng.int(0, 4), p.serialize());
    }
    for (const bytes of toReceiver.get(t) ?? []) {
      let p = RtpPacket.parse(bytes);
      if (rtxReceiver.isRtxSsrc(p.ssrc)) {
        const media = rtxReceiver.push(p);
        if (media === undefined) continue;
        p = media;
      }
      generator.received(p.sequenceNumber, nowUs);
      const i = (p.sequenceNumber - START_SEQ) & 0xffff;
      arriveMs[i] = Math.min(arriveMs[i]!, t);
    }
    toReceiver.delete(t);
    for (const bytes of toSender.get(t) ?? []) {
      const nack = GenericNack.parse(bytes);
      for (const rtx of responder.onNack(nack, nowUs, RTT_US)) {
        if (rng.next() >= o.rtxLoss) schedule(toReceiver, t + ONE_WAY_MS + rng.int(0, 4), rtx.serialize());
      }
    }
    toSender.delete(t);
    if (t % 5 === 0) {
      const r = generator.tick(nowUs, RTT_US);
      if (r.sequenceNumbers.length > 0 && rng.next() >= o.nackLoss) {
        schedule(toSender, t + ONE_WAY_MS + rng.int(0, 4), GenericNack.fromSequenceNumbers(0x3333, MEDIA_SSRC, r.sequenceNumbers).serialize());
      }
    }
  }
  const late = (ms: number): number => {
    let n = 0;
    for (let i = 0; i < o.packets; i++) if (arriveMs[i]! - sendMs[i]! > ms) n++;
    return n / o.packets;
  };
  const rs = responder.stats();
  return {
    sent,
    wireLost,
    residual: { rtt1: late(100), rtt2: late(200), rtt3: late(300), rtt5: late(500), rtt7: late(700), never: late(Infinity - 1) },
    overheadPct: (100 * rs.retransmittedBytes) / rs.mediaBytes,
    generator: generator.stats(),
    responder: rs,
  };
}

const pct = (x: number): string => `${(100 * x).toFixed(3)}%`;

describe("NACK + RTX on a virtual timeline (RFC 4585 6.2.1, RFC 4588)", () => {
  it("10% random loss, retransmissions also lost at 10%, RTT 100 ms: residual loss after 3 RTTs < 0.2%", () => {
    const r = simulate({ packets: 30_000, mediaLoss: 0.1, rtxLoss: 0.1, nackLoss: 0, seed: 10 });
    console.log(
      `10%/10% RTX loss: wire ${pct(r.wireLost / r.sent)}, residual after 1 RTT ${pct(r.residual.rtt1)}, 2 RTT ${pct(r.residual.rtt2)}, 3 RTT ${pct(r.residual.rtt3)}, 5 RTT ${pct(r.residual.rtt5)}, never ${pct(r.residual.never)}; RTX overhead ${r.overheadPct.toFixed(2)}%`,
      JSON.stringify({ generator: r.generator, responder: r.responder }),
    );
    // Wire loss is the stated 10% (± sampling).
    expect(r.wireLost / r.sent).toBeGreaterThan(0.09);
    expect(r.wireLost / r.sent).toBeLessThan(0.11);
    // Two retransmission rounds fit in 3 RTTs: expected ≈ 0.1 · 0.1 · 0.1 = 0.1%; threshold 0.2%.
    expect(r.residual.rtt3).toBeLessThan(0.002);
    // Five rounds by 5 RTTs: expected ≈ 0.1 · 0.1^4 = 0.001%.
    expect(r.residual.rtt5).toBeLessThan(0.0005);
    // Every retransmission was asked for once per loss (no duplicates beyond the lost RTX): overhead ≈ 10% / 0.9 ≈ 11.1% + OSN.
    expect(r.overheadPct).toBeLessThan(13);
    expect(r.responder.rateLimited).toBe(0);
    expect(r.generator.recoveredAfterNack).toBeGreaterThan(0.99 * r.wireLost);
    expect(r.generator.givenUp).toBe(0);
    expect(r.generator.missing).toBe(0);
  });

  it("10% loss on media, RTX and NACKs alike: residual after 5 RTTs < 0.2%", () => {
    const r = simulate({ packets: 30_000, mediaLoss: 0.1, rtxLoss: 0.1, nackLoss: 0.1, seed: 11 });
    console.log(`10%/10%/10% NACK loss: residual after 3 RTT ${pct(r.residual.rtt3)}, 5 RTT ${pct(r.residual.rtt5)}, never ${pct(r.residual.never)}; overhead ${r.overheadPct.toFixed(2)}%`);
    // Each round fails with 1 − 0.9² = 19%; four rounds by 5 RTTs: 0.1 · 0.19^4 ≈ 0.013%.
    expect(r.residual.rtt5).toBeLessThan(0.002);
    expect(r.residual.never).toBeLessThan(0.0005);
  });

  it("20% loss on media, RTX and NACKs: residual after 5 RTTs < 1%, after 7 RTTs < 0.2%", () => {
    const r = simulate({ packets: 20_000, mediaLoss: 0.2, rtxLoss: 0.2, nackLoss: 0.2, seed: 20 });
    console.log(`20% everywhere: residual after 3 RTT ${pct(r.residual.rtt3)}, 5 RTT ${pct(r.residual.rtt5)}, 7 RTT ${pct(r.residual.rtt7)}, never ${pct(r.residual.never)}; overhead ${r.overheadPct.toFixed(2)}%`);
    // A round fails with 1 − 0.8² = 36%; rounds come every RTT + 10 ms margin after the first at
    // ≈ 110 ms: 4 rounds by 5 RTTs (0.2 · 0.36^4 ≈ 0.34%, the fourth lands near the edge),
    // 6 rounds by 7 RTTs (≈ 0.04%).
    expect(r.residual.rtt5).toBeLessThan(0.01);
    expect(r.residual.rtt7).toBeLessThan(0.002);
    expect(r.residual.never).toBeLessThan(0.001);
  });
});
