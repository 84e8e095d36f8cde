import { beforeAll, describe, expect, it } from "vitest";
import { OpusEncoder } from "../../../src/codec/opus-encoder.js";
import { NetEqPlayout } from "../../../src/jitter/neteq/neteq-playout.js";
import { opusPacketHasLbrr } from "../../../src/jitter/neteq/opus-lbrr.js";
import type { NetEqPacket } from "../../../src/jitter/neteq/packet-buffer.js";
import { AUDIO_FRAME_SAMPLES } from "../../../src/media/audio-frame.js";
import { SpeechLikeSource } from "../../../src/media/speech-like-source.js";
import { SeededRandom } from "../../../src/util/seeded-random.js";
import { count, deliver, encodeSpeech, mean, run, type EncodedSpeech } from "./neteq-harness.js";

const F = AUDIO_FRAME_SAMPLES;

describe("NetEqPlayout with the real Opus codec and SpeechLikeSource", () => {
  let speech: EncodedSpeech; // 40 s, FEC off: concealment is PLC only
  let speechFec: EncodedSpeech; // 20 s, in-band FEC on at 32 kbps for 10% loss
  beforeAll(async () => {
    speech = await encodeSpeech(2000, { inbandFec: false });
    speechFec = await encodeSpeech(1000, { inbandFec: true, expectedLossPct: 10, bitrateBps: 32_000 });
  });

  it("(a) clean path: no concealment, target falls from the 80 ms start to the 25 ms floor", async () => {
    const n = await NetEqPlayout.create();
    const r = run(n, deliver(speech, 30_000, () => 0), 1000);
    const s = n.stats();
    // Threshold: zero. Nothing is lost or late, so any concealment would be a bug.
    expect(s.expand + s.cng + s.merge + s.fec).toBe(0);
    expect(s.concealedSamples).toBe(0);
    expect(count(r.concealed, (c) => c)).toBe(0);
    expect(r.targetMs[100]).toBe(80); // 2 s: start delay (libwebrtc kStartDelayMs)
    expect(r.targetMs[999]).toBe(25); // 20 s: one 20 ms packet + one 5 ms bucket
    // The buffer follows the target down by accelerating (mostly in pauses), then stays there.
    expect(s.accelerate).toBeGreaterThan(0);
    expect(mean(r.bufferMs.slice(800))).toBeLessThan(40);
    expect(s.latePackets + s.duplicatePackets + s.decodeErrors).toBe(0);
    n.close();
  });

  it("(b) jitter 0-120 ms for 20 s then none for 20 s: <2% concealed during jitter, delay shrinks within 10 s after", async () => {
    const rng = new SeededRandom(3);
    const n = await NetEqPlayout.create();
    // Uniform 0-120 ms extra delay per packet, independent: heavy reordering (6 packets in flight).
    const r = run(n, deliver(speech, 30_000, (i) => (i < 1000 ? rng.next() * 120_000 : 0)), 1990);
    const during = r.concealed.slice(0, 1000);
    const concealedPct = (100 * count(during, (c) => c)) / during.length;
    // Threshold 2% (the target for 10% loss; here nothing is lost, only late).
    expect(concealedPct).toBeLessThan(2);
    const peak = Math.max(...r.targetMs.slice(500, 1000));
    expect(peak).toBeGreaterThanOrEqual(120); // covers the jitter
    expect(mean(r.bufferMs.slice(900, 1000))).toBeGreaterThan(80);
    // After: the target must be back at the floor within 10 s (measured: ~8 s, forget τ = 2 s),
    // and the buffer has followed by accelerating.
    expect(r.targetMs[1000 + 500]).toBeLessThanOrEqual(30);
    expect(mean(r.bufferMs.slice(1550, 1600))).toBeLessThan(40);
    expect(count(r.concealed.slice(1000), (c) => c)).toBe(0);
    const s = n.stats();
    expect(s.acceleratedSamples).toBeGreaterThan(100 * 48); // at least 100 ms removed
    n.close();
  });

  it("(c) 10% random loss with in-band FEC: FEC recovers frames, with a better SNR than PLC on the same losses", async () => {
    const rng = new SeededRandom(21);
    const lost = new Set<number>();
    for (let i = 5; i < 1000; i++) if (rng.next() < 0.1) lost.add(i);
    // Same losses, same timeline: no time stretching and no merge shift, so outputs align.
    const opts = { timeStretch: { correlationThreshold: 1, silenceRms: 0 }, merge: { maxShiftMs: 0 } };
    const fec = await NetEqPlayout.create(opts);
    const plc = await NetEqPlayout.create({ ...opts, decision: { fec: false } });
    const dl = deliver(speechFec, 30_000, () => 0, (i) => lost.has(i));
    const rf = run(fec, dl, 990);
    const rp = run(plc, dl, 990);
    const sf = fec.stats();
    const sp = plc.stats();
    // Every lost frame whose next packet arrived with LBRR must be recovered from it (Opus puts
    // no LBRR in pauses, so those are concealed instead).
    const recoverable = [...lost].filter((i) => i + 1 < 990 && !lost.has(i + 1) && opusPacketHasLbrr(speechFec.packets[i + 1]!.payload)).length;
    expect(recoverable).toBeGreaterThan(30);
    expect(sf.fecRecoveredFrames).toBeGreaterThanOrEqual(recoverable);
    expect(sp.fecRecoveredFrames).toBe(0);
    expect(sp.expand).toBeGreaterThanOrEqual(lost.size - 2);
    // Align output with the source once (Opus delay + playout delay), on a clean stretch.
    const src = new Int16Array(speechFec.source.length * F);
    speechFec.source.forEach((f, i) => src.set(f, i * F));
    const lag = bestLag(rp.pcm, src, 0, 20 * F);
    let sig = 0, errF = 0, errP = 0, frames = 0;
    for (let j = 0; j < rf.ops.length; j++) {
      if (rf.ops[j] !== "fec") continue;
      expect(rp.ops[j]).toBe("expand"); // the same slot was PLC in the other run
      const s0 = j * F - lag;
      if (s0 < 0 || s0 + F > src.length) continue;
      let e = 0;
      for (let k = 0; k < F; k++) e += src[s0 + k]! ** 2;
      if (e / F < 300 ** 2) continue; // speech frames only (pauses say nothing about quality)
      frames++;
      sig += e;
      for (let k = 0; k < F; k++) {
        errF += (src[s0 + k]! - rf.pcm[j * F + k]!) ** 2;
        errP += (src[s0 + k]! - rp.pcm[j * F + k]!) ** 2;
      }
    }
    const snrFec = 10 * Math.log10(sig / errF);
    const snrPlc = 10 * Math.log10(sig / errP);
    // Reference: waveform SNR of normally decoded speech frames with the same alignment.
    let sigN = 0, errN = 0;
    for (let j = 0; j < rf.ops.length; j++) {
      const s0 = j * F - lag;
      if (!["normal", "accelerate", "preemptiveExpand"].includes(rf.ops[j]!) || s0 < 0 || s0 + F > src.length) continue;
      for (let k = 0; k < F; k++) (sigN += src[s0 + k]! ** 2), (errN += (src[s0 + k]! - rf.pcm[j * F + k]!) ** 2);
    }
    const snrNormal = 10 * Math.log10(sigN / errN);
    console.log(`(c) lost ${lost.size}, recoverable ${recoverable}, FEC frames ${sf.fecRecoveredFrames}, speech frames compared ${frames}: waveform SNR FEC ${snrFec.toFixed(1)} dB vs PLC ${snrPlc.toFixed(1)} dB (normal frames ${snrNormal.toFixed(1)} dB)`);
    expect(frames).toBeGreaterThan(20);
    // Threshold: FEC at least 1.5 dB better in waveform SNR. LBRR is a low-rate SILK re-encoding
    // of the lost frame itself (SILK is not waveform-matching, so its SNR is modest even
    // decoded normally); PLC only extrapolates and fails at every onset and formant change.
    expect(snrFec).toBeGreaterThan(snrPlc + 1.5);
    fec.close();
    plc.close();
  });

  it("reads the LBRR flag of real Opus packets: set with in-band FEC, never without", () => {
    const withFec = speechFec.packets.slice(1).filter((p) => opusPacketHasLbrr(p.payload)).length;
    const without = speech.packets.slice(0, 1000).filter((p) => opusPacketHasLbrr(p.payload)).length;
    expect(withFec).toBeGreaterThan(0.3 * 999); // speech frames carry LBRR (pauses may not)
    expect(without).toBe(0);
    expect(opusPacketHasLbrr(new Uint8Array([0xf8, 0xff]))).toBe(false); // CELT-only
    expect(opusPacketHasLbrr(new Uint8Array([0x0b]))).toBe(false); // too short
  });

  it("DTX: comfort noise in sender pauses, not counted as concealment", async () => {
    const src = new SpeechLikeSource({ seed: 4, noiseDbfs: -Infinity });
    const enc = await OpusEncoder.create({ dtx: true, inbandFec: false });
    const packets: { packet: NetEqPacket; arrivalUs: number; index: number }[] = [];
    let seq = 100;
    let prevDtx = false;
    for (let i = 0; i < 500; i++) {
      const p = enc.encode(src.frameAt(i));
      const dtx = p.data.length <= 2;
      const send = !dtx || !prevDtx || i % 20 === 0; // DTX: first silent packet, then one per 400 ms
      prevDtx = dtx;
      if (!send) continue;
      packets.push({ packet: { sequenceNumber: seq++, timestamp: i * F, payload: p.data }, arrivalUs: 30_000 + i * 20_000, index: i });
    }
    enc.close();
    expect(packets.length).toBeLessThan(450);
    const n = await NetEqPlayout.create();
    run(n, packets, 500);
    const s = n.stats();
    expect(s.cng).toBeGreaterThan(20);
    expect(s.expand).toBeLessThanOrEqual(2);
    expect(s.concealedSamples).toBeLessThanOrEqual(2 * F);
    n.close();
  });

  it("(e) bad input: garbage payloads, huge timestamp jumps, duplicates, floods are counted, never thrown, never unbounded", async () => {
    const rng = new SeededRandom(9);
    const n = await NetEqPlayout.create({ packetBuffer: { capacity: 50 } });
    const good = speech.packets;
    let now = 0;
    let maxHeld = 0;
    for (let i = 0; i < 600; i++) {
      now = i * 20_000 + 10_000;
      const p = good[i]!;
      n.insertPacket(p, now - 5_000);
      if (i % 7 === 0) n.insertPacket(p, now - 4_000); // duplicate
      if (i % 5 === 0) n.insertPacket({ ...p, payload: rng.fill(new Uint8Array(1 + rng.int(0, 200))) }, now); // garbage payload (duplicate ts)
      if (i % 11 === 0) n.insertPacket({ sequenceNumber: rng.int(0, 65535), timestamp: rng.nextUint32(), payload: rng.fill(new Uint8Array(40)) }, now); // random ts
      if (i % 13 === 0) n.insertPacket({ sequenceNumber: p.sequenceNumber, timestamp: (p.timestamp + 0x7fff0000) >>> 0, payload: p.payload }, now); // huge jump
      if (i === 300) for (let k = 0; k < 5000; k++) n.insertPacket({ sequenceNumber: k, timestamp: rng.nextUint32(), payload: new Uint8Array([1, 2, 3]) }, now); // flood
      if (i % 17 === 0) n.insertPacket({ sequenceNumber: 1, timestamp: 1, payload: new Uint8Array(0) }, now); // empty
      if (i % 19 === 0) n.insertPacket(null as unknown as NetEqPacket, now);
      const out = n.getAudio(now);
      expect(out.frame.samples.length).toBe(F);
      maxHeld = Math.max(maxHeld, n.heldPackets);
    }
    const s = n.stats();
    expect(maxHeld).toBeLessThanOrEqual(50);
    expect(s.duplicatePackets).toBeGreaterThan(80);
    expect(s.overflowPackets).toBeGreaterThan(0);
    expect(s.invalidPackets).toBeGreaterThan(0);
    expect(s.latePackets + s.discardedPackets).toBeGreaterThan(0);
    expect(Number.isFinite(s.bufferMs) && Number.isFinite(s.targetDelayMs)).toBe(true);
    expect(s.targetDelayMs).toBeLessThanOrEqual(1000);
    // The good stream kept playing: most output was decoded audio.
    expect(s.normal + s.accelerate + s.preemptiveExpand).toBeGreaterThan(400);
    expect(s.timelineResets).toBe(0); // garbage never restarts the timeline
    n.close();
    expect(() => n.getAudio(now)).toThrow(/closed/);
  });

  it("(e) a sender that restarts its timestamps is followed after 200 ms of late packets", async () => {
    const n = await NetEqPlayout.create();
    const dl = deliver(speech, 30_000, () => 0).slice(0, 600).map((d) =>
      d.index < 300 ? d : { ...d, packet: { ...d.packet, timestamp: (d.packet.timestamp - 48_000 * 60) >>> 0 } }, // 60 s back
    );
    const r = run(n, dl, 600);
    const s = n.stats();
    expect(s.timelineResets).toBe(1);
    expect(s.latePackets).toBe(10);
    expect(r.ops.slice(400).every((o) => o !== "expand" && o !== "idle")).toBe(true);
    n.close();
  });
});

/** Lag (samples) at which `out` best matches `src` (out[i] ≈ src[i − lag]), searched in [lo, hi]. */
function bestLag(out: Int16Array, src: Int16Array, lo: number, hi: number): number {
  const from = 100 * F, len = 100 * F;
  const corr = (lag: number, step: number): number => {
    let c = 0;
    for (let i = from; i < from + len; i += step) c += out[i]! * src[i - lag]!;
    return c;
  };
  let best = lo, bestC = -Infinity;
  for (let lag = lo; lag <= hi; lag += 4) {
    const c = corr(lag, 8);
    if (c > bestC) (bestC = c), (best = lag);
  }
  const coarse = best;
  bestC = -Infinity;
  for (let lag = Math.max(lo, coarse - 6); lag <= Math.min(hi, coarse + 6); lag++) {
    const c = corr(lag, 1);
    if (c > bestC) (bestC = c), (best = lag);
  }
  return best;
}
