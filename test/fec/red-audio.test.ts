import { describe, expect, it } from "vitest";
import { RedAudioDecoder } from "../../src/fec/red-audio-decoder.js";
import { RedAudioEncoder } from "../../src/fec/red-audio-encoder.js";
import { RtpPacket } from "../../src/rtp/rtp-packet.js";
import { SeededRandom } from "../../src/util/seeded-random.js";

function opusPackets(n: number, rng: SeededRandom): RtpPacket[] {
  return Array.from({ length: n }, (_, i) =>
    new RtpPacket({ payloadType: 111, sequenceNumber: (65_500 + i) & 0xffff, timestamp: (0xffff_f000 + i * 960) >>> 0, ssrc: 7, payload: rng.fill(new Uint8Array(rng.int(20, 120))) }),
  );
}

function runThrough(distance: number, lossPct: number, n = 20_000) {
  const rng = new SeededRandom(2198 + distance);
  const sent = opusPackets(n, rng);
  const enc = new RedAudioEncoder({ redPayloadType: 63, distance });
  const dec = new RedAudioDecoder({ redPayloadType: 63 });
  const wire: RtpPacket[] = [];
  enc.pipe({ push: (p) => void wire.push(p) });
  const got = new Map<number, RtpPacket>();
  dec.pipe({ push: (p) => void got.set(p.timestamp, p) });
  for (const p of sent) enc.push(p, 0);
  for (const p of wire) if (rng.next() * 100 >= lossPct) dec.push(RtpPacket.parse(p.serialize()), 0);
  let missing = 0;
  for (const p of sent) {
    const r = got.get(p.timestamp);
    if (!r) missing++;
    else {
      expect(r.sequenceNumber).toBe(p.sequenceNumber);
      expect(r.payloadType).toBe(111);
      expect(r.payload).toEqual(p.payload);
    }
  }
  return { missingPct: (100 * missing) / n, wireBytes: wire.reduce((a, p) => a + p.payload.length, 0), mediaBytes: sent.reduce((a, p) => a + p.payload.length, 0) };
}

describe("Audio RED (RFC 2198)", () => {
  it("distance 0: only the primary, what is lost stays lost", () => {
    const r = runThrough(0, 10);
    expect(r.missingPct).toBeGreaterThan(8);
    expect(r.missingPct).toBeLessThan(12);
  });

  it("distance 1 at 10% independent loss: residual near p^2 = 1%, blocks rebuilt byte-exact with seq and timestamp across the wrap", () => {
    const r = runThrough(1, 10);
    expect(r.missingPct).toBeLessThan(1.5);
    expect(r.missingPct).toBeGreaterThan(0.5);
    expect(r.wireBytes / r.mediaBytes).toBeLessThan(2.1); // about twice the Opus bytes
  });

  it("distance 2 at 20% independent loss: residual near p^3 = 0.8%", () => {
    const r = runThrough(2, 20);
    expect(r.missingPct).toBeLessThan(1.5);
  });

  it("drops and counts malformed RED, passes other payload types through", () => {
    const dec = new RedAudioDecoder({ redPayloadType: 63 });
    const out: RtpPacket[] = [];
    dec.pipe({ push: (p) => void out.push(p) });
    dec.push(new RtpPacket({ payloadType: 63, sequenceNumber: 1, timestamp: 1, ssrc: 1, payload: Uint8Array.of(0x80 | 111, 0, 0) }), 0);
    dec.push(new RtpPacket({ payloadType: 111, sequenceNumber: 2, timestamp: 2, ssrc: 1, payload: Uint8Array.of(1) }), 0);
    expect(dec.stats().malformed).toBe(1);
    expect(out.map((p) => p.sequenceNumber)).toEqual([2]);
  });
});
