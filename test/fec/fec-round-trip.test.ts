/**
 * FecEncoder → lossy channel → FecDecoder. Residual loss under independent loss is compared
 * with the single-parity XOR theory p·(1 − (1 − p)^4) for 1 FEC per 4 media (RFC 5109; the
 * DESIGN.md anchor: ≈0.9% at 5%, ≈3.4% at 10%), and every recovered packet must equal the
 * packet the encoder sent, byte for byte (CSRCs and header extensions included; padding is not
 * carried in RED, RFC 2198).
 */
import { describe, expect, it } from "vitest";
import { FecDecoder } from "../../src/fec/fec-decoder.js";
import { FecEncoder } from "../../src/fec/fec-encoder.js";
import { residualLossWithFec } from "../../src/fec/fec-controller.js";
import { RedPacket } from "../../src/fec/red-packet.js";
import { sinkTo } from "../../src/pipeline/stage.js";
import { RtpPacket } from "../../src/rtp/rtp-packet.js";
import { SeededRandom } from "../../src/util/seeded-random.js";
import { SequenceUnwrapper } from "../../src/rtp/wrap-around-unwrapper.js";

interface Run { media: number; lost: number; recovered: number; residual: number; mismatches: number; fec: number; dup: number }

/** `frames` frames of 1..`maxPerFrame` packets; each wire packet lost with `loss(i)`. */
function run(opts: { seed: number; packets: number; fecPerMedia: number; maskType?: "random" | "bursty"; maxPerFrame: number; minPerFrame?: number; lose: (rng: SeededRandom) => boolean; xor?: "wasm" | "typescript" }): Run {
  const rng = new SeededRandom(opts.seed);
  const enc = new FecEncoder({ protection: { fecPerMedia: opts.fecPerMedia, maskType: opts.maskType ?? "random" }, xor: opts.xor ?? "wasm" });
  const dec = new FecDecoder({ mediaPayloadTypes: [96], xor: opts.xor ?? "wasm" });
  const sent = new Map<number, Uint8Array>(); // media as unwrapped from RED, by seq
  const got = new Map<number, Uint8Array>();
  // Sequence numbers wrap during long runs: key by the unwrapped number.
  const sentSeq = new SequenceUnwrapper();
  const gotSeq = new SequenceUnwrapper();
  let wireLostMedia = 0, recovered = 0, mismatches = 0, fec = 0, dup = 0;
  let now = 0;
  enc.pipe(sinkTo((p, t) => {
    const isFec = RedPacket.parse(p.payload).primary.payloadType === 100;
    if (isFec) fec++;
    else sent.set(sentSeq.unwrap(p.sequenceNumber), RedPacket.unwrap(p).serialize());
    // Through a real wire: serialize and parse again.
    if (opts.lose(rng)) {
      if (!isFec) wireLostMedia++;
      return;
    }
    dec.push(RtpPacket.parse(p.serialize()), t);
  }));
  dec.pipe(sinkTo((p) => {
    const bytes = p.serialize();
    const u = gotSeq.unwrap(p.sequenceNumber);
    if (got.has(u)) dup++;
    got.set(u, bytes);
    if (FecDecoder.isRecovered(p)) {
      recovered++;
      const want = sent.get(u);
      if (!want || want.length !== bytes.length || want.some((b, i) => b !== bytes[i])) mismatches++;
    }
  }));
  let seq = rng.int(0, 65535); // wraps during the run
  let ts = rng.nextUint32();
  let left = opts.packets;
  while (left > 0) {
    const n = Math.min(left, rng.int(opts.minPerFrame ?? 1, opts.maxPerFrame));
    for (let i = 0; i < n; i++) {
      const p = new RtpPacket({
        payloadType: 96, sequenceNumber: seq, timestamp: ts, ssrc: 0x1234, marker: i === n - 1, payload: rng.fill(new Uint8Array(rng.int(20, 1100))),
        csrcs: rng.next() < 0.1 ? [rng.nextUint32()] : [], paddingLength: rng.next() < 0.05 ? rng.int(1, 30) : 0,
      });
      if (rng.next() < 0.3) p.setExtension(rng.int(1, 14), rng.fill(new Uint8Array(rng.int(1, 12)))); // e.g. TWCC, abs-send-time
      enc.push(p, now);
      seq = (seq + 1) & 0xffff;
      now += 1000;
    }
    left -= n;
    ts = (ts + 3000) >>> 0;
  }
  enc.flush(now);
  const media = sent.size;
  const residual = [...sent.keys()].filter((s) => !got.has(s)).length;
  return { media, lost: wireLostMedia, recovered, residual: residual / media, mismatches, fec, dup };
}

describe("FEC round trip (RFC 5109 ULPFEC in RFC 2198 RED)", () => {
  it("no loss: every media packet passes once, nothing is recovered, overhead is 1/4", () => {
    const r = run({ seed: 1, packets: 4000, fecPerMedia: 0.25, maxPerFrame: 1, lose: () => false });
    expect(r.residual).toBe(0);
    expect(r.recovered).toBe(0);
    expect(r.dup).toBe(0);
    expect(r.fec).toBe(1000);
  });

  for (const p of [0.05, 0.1]) {
    it(`1 FEC per 4 media at ${p * 100}% independent loss: residual matches p·(1 − (1 − p)^4)`, () => {
      const theory = residualLossWithFec(p, 4);
      const r = run({ seed: 7 + p * 100, packets: 100_000, fecPerMedia: 0.25, maxPerFrame: 1, lose: (rng) => rng.next() < p });
      console.log(`ULPFEC 1/4 at ${p * 100}% loss: ${r.media} media, ${r.lost} lost on the wire (${((100 * r.lost) / r.media).toFixed(2)}%), ${r.recovered} recovered, residual ${(100 * r.residual).toFixed(3)}% (theory ${(100 * theory).toFixed(3)}%)`);
      expect(r.mismatches).toBe(0);
      expect(r.dup).toBe(0);
      // 100k packets: the standard error of the residual is about sqrt(theory/100k) ≈ 0.03-0.06 points.
      expect(Math.abs(r.residual - theory)).toBeLessThan(0.15 * theory);
    });
  }

  it("multi-packet frames (groups closed at frame ends, up to 48): residual no worse than the 1/4 theory, byte-exact", () => {
    const p = 0.1;
    const r = run({ seed: 99, packets: 40_000, fecPerMedia: 0.25, maxPerFrame: 20, lose: (rng) => rng.next() < p });
    console.log(`multi-packet frames at 10%: residual ${(100 * r.residual).toFixed(3)}%, recovered ${r.recovered}`);
    expect(r.mismatches).toBe(0);
    expect(r.residual).toBeLessThan(residualLossWithFec(p, 4) * 1.15);
  });

  it("bursty masks recover every burst of 2 with 1 FEC per 2 media", () => {
    let k = 0;
    const r = run({ seed: 5, packets: 8000, fecPerMedia: 0.5, maskType: "bursty", minPerFrame: 8, maxPerFrame: 8, lose: () => { const i = k++; return i % 40 === 10 || i % 40 === 11; } });
    console.log(`bursty 2-packet bursts: lost ${r.lost}, recovered ${r.recovered}, residual ${(100 * r.residual).toFixed(3)}%`);
    expect(r.mismatches).toBe(0);
    expect(r.residual).toBe(0);
  });

  it("the TypeScript XOR gives the same result as the WASM one", () => {
    const a = run({ seed: 3, packets: 5000, fecPerMedia: 0.25, maxPerFrame: 5, lose: (rng) => rng.next() < 0.1 });
    const b = run({ seed: 3, packets: 5000, fecPerMedia: 0.25, maxPerFrame: 5, lose: (rng) => rng.next() < 0.1, xor: "typescript" });
    expect(b).toEqual(a);
  });
});
