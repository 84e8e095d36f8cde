import { describe, expect, it } from "vitest";
import type { EncodedFrame } from "../../src/codec/encoded-frame.js";
import { OpusDecoder } from "../../src/codec/opus-decoder.js";
import { OpusEncoder } from "../../src/codec/opus-encoder.js";
import { AUDIO_FRAME_SAMPLES, createAudioFrame, type AudioFrame } from "../../src/media/audio-frame.js";
import { sinkTo } from "../../src/pipeline/stage.js";
import { SeededRandom } from "../../src/util/seeded-random.js";
import { audioFrames, snrDb, voicedSignal } from "./synthetic-media.js";

const N = AUDIO_FRAME_SAMPLES;

function concat(frames: AudioFrame[]): Int16Array {
  const out = new Int16Array(frames.length * N);
  frames.forEach((f, i) => out.set(f.samples, i * N));
  return out;
}

async function encodeAll(signal: Int16Array, options: Parameters<typeof OpusEncoder.create>[0]) {
  const enc = await OpusEncoder.create(options);
  const packets: EncodedFrame[] = [];
  enc.pipe(sinkTo((p: EncodedFrame) => packets.push(p)));
  for (const f of audioFrames(signal)) enc.push(f, f.captureTimeUs);
  return { enc, packets };
}

describe("Opus", () => {
  // Measured here: 11.1 dB (VOIP mode, 32 kbps) at the best alignment, which is 309 samples,
  // 3 below the encoder's reported lookahead of 312; the threshold leaves 2 dB of margin.
  it("round trip of a voiced signal: SNR above 9 dB at 32 kbps (aligned by the codec delay)", async () => {
    const signal = voicedSignal(48_000 * 2);
    const { enc, packets } = await encodeAll(signal, { bitrateBps: 32_000 });
    const delay = enc.lookaheadSamples;
    const dec = await OpusDecoder.create();
    const out: AudioFrame[] = [];
    dec.pipe(sinkTo((f: AudioFrame) => out.push(f)));
    for (const p of packets) dec.push(p, 0);
    expect(out.length).toBe(100);
    expect(out.every((f) => f.samples.length === N && !f.concealed)).toBe(true);
    expect(out[7]?.captureTimeUs).toBe(140_000);
    expect(packets[7]?.rtpTimestamp).toBe(7 * N);
    const decoded = concat(out);
    // Align within +-16 samples of the reported lookahead (waveform SNR is sensitive to it).
    let snr = -Infinity;
    let bestDelay = delay;
    for (let d = delay - 16; d <= delay + 16; d++) {
      const s = snrDb(signal, decoded, d, 10 * N, decoded.length);
      if (s > snr) [snr, bestDelay] = [s, d];
    }
    const kbps = (enc.stats().bytesOut! * 8) / 2 / 1000;
    console.log(`opus 32k: SNR ${snr.toFixed(2)} dB at delay ${bestDelay} (lookahead ${delay}) samples, ${kbps.toFixed(1)} kbps, encode ${(enc.stats().encodeMsTotal! / 100).toFixed(3)} ms/frame, decode ${(dec.stats().decodeMsTotal! / 100).toFixed(3)} ms/frame`);
    expect(delay).toBeGreaterThan(0);
    expect(snr).toBeGreaterThan(9);
    // Misaligned by 5 ms the same comparison is far worse: the delay matters.
    expect(snrDb(signal, decoded, bestDelay + 240, 10 * N, decoded.length)).toBeLessThan(snr - 5);
    enc.close();
    dec.close();
  });

  it("PLC returns exactly 960 samples, marked concealed, continuing the timing", async () => {
    const { packets } = await encodeAll(voicedSignal(48_000), { bitrateBps: 24_000 });
    const dec = await OpusDecoder.create();
    for (let i = 0; i < 10; i++) dec.decode(packets[i]!);
    const plc = dec.conceal(0);
    expect(plc.samples.length).toBe(960);
    expect(plc.concealed).toBe(true);
    expect(plc.captureTimeUs).toBe(200_000);
    expect(plc.frameIndex).toBe(10);
    expect(plc.samples.some((s) => s !== 0)).toBe(true);
    // Two decoders: stereo output also gives exactly 960 per channel.
    const stereo = await OpusDecoder.create({ channels: 2 });
    stereo.decode(packets[0]!);
    expect(stereo.conceal(0).samples.length).toBe(1920);
    expect(dec.stats().concealedFrames).toBe(1);
    dec.close();
    stereo.close();
  });

  it("in-band FEC recovers a lost frame better than PLC", async () => {
    const signal = voicedSignal(48_000 * 2);
    const { enc, packets } = await encodeAll(signal, { bitrateBps: 32_000, inbandFec: true, expectedLossPct: 20 });
    const delay = enc.lookaheadSamples;
    const lost = new Set([20, 35, 50, 65, 80]);
    const run = async (useFec: boolean) => {
      const dec = await OpusDecoder.create();
      const out: AudioFrame[] = [];
      for (let i = 0; i < packets.length; i++) {
        if (lost.has(i)) continue;
        if (lost.has(i - 1)) out.push(useFec ? dec.decodeFec(packets[i]!) : dec.conceal(0));
        out.push(dec.decode(packets[i]!)!);
      }
      const stats = dec.stats();
      dec.close();
      return { out, stats };
    };
    const fec = await run(true);
    const plc = await run(false);
    const lostSnr = (frames: AudioFrame[]) =>
      [...lost].map((i) => snrDb(signal, concat(frames), delay - 3, i * N, (i + 1) * N)).reduce((a, b) => a + b, 0) / lost.size;
    const fecSnr = lostSnr(fec.out);
    const plcSnr = lostSnr(plc.out);
    console.log(`opus 32k, 20% expected loss: lost frames SNR FEC ${fecSnr.toFixed(2)} dB vs PLC ${plcSnr.toFixed(2)} dB`);
    expect(fec.out.length).toBe(100);
    expect(fec.out[20]?.concealed).toBe(true);
    expect(fec.out[20]?.frameIndex).toBe(20);
    expect(fec.out[20]?.captureTimeUs).toBe(400_000);
    expect(fec.stats.fecFrames).toBe(5);
    expect(fecSnr).toBeGreaterThan(plcSnr + 2);
    expect(fecSnr).toBeGreaterThan(5);
  });

  it("DTX makes tiny packets for silence", async () => {
    const silence = new Int16Array(48_000 * 2);
    const { enc, packets } = await encodeAll(silence, { bitrateBps: 24_000, dtx: true });
    const tail = packets.slice(20);
    console.log(`opus DTX: sizes of the last silent packets ${tail.slice(-10).map((p) => p.data.length).join(",")}`);
    expect(tail.filter((p) => p.data.length <= 2).length).toBeGreaterThan(tail.length * 0.8);
    expect(tail.filter((p) => p.dtx).length).toBe(tail.filter((p) => p.data.length <= 2).length);
    expect(enc.stats().dtxFrames).toBeGreaterThan(50);
    const noDtx = await encodeAll(silence, { bitrateBps: 24_000, dtx: false });
    expect(noDtx.packets.slice(20).every((p) => p.data.length > 2)).toBe(true);
    enc.close();
  });

  it("live setters change the output", async () => {
    const signal = voicedSignal(48_000 * 2);
    const enc = await OpusEncoder.create({ bitrateBps: 64_000, inbandFec: false });
    const packets: EncodedFrame[] = [];
    enc.pipe(sinkTo((p: EncodedFrame) => packets.push(p)));
    const frames = audioFrames(signal);
    frames.slice(0, 50).forEach((f) => enc.push(f, 0));
    enc.setBitrate(12_000);
    enc.setComplexity(5);
    enc.setInbandFec(true);
    enc.setExpectedLossPct(15);
    enc.setDtx(true);
    frames.slice(50).forEach((f) => enc.push(f, 0));
    const size = (ps: EncodedFrame[]) => ps.reduce((a, p) => a + p.data.length, 0) / ps.length;
    expect(size(packets.slice(60))).toBeLessThan(size(packets.slice(10, 50)) * 0.4);
    expect(enc.current).toEqual({ bitrateBps: 12_000, complexity: 5, inbandFec: true, expectedLossPct: 15, dtx: true });
    enc.close();
  });

  it("corrupt packets are counted, not thrown", async () => {
    const { packets } = await encodeAll(voicedSignal(48_000), { bitrateBps: 24_000 });
    const dec = await OpusDecoder.create();
    const rng = new SeededRandom(5);
    const out: AudioFrame[] = [];
    dec.pipe(sinkTo((f: AudioFrame) => out.push(f)));
    const bad: Uint8Array[] = [
      new Uint8Array(0),
      new Uint8Array(2000),
      Uint8Array.of(0xff), // code 3 without a count byte
      Uint8Array.of(0x03, 0xff), // code 3, too many frames
      Uint8Array.of(0x0b, 0, 0), // 60 ms SILK frame: not 20 ms
    ];
    for (let i = 0; i < 40; i++) bad.push(rng.fill(new Uint8Array(rng.int(1, 300))));
    for (const data of bad) expect(() => dec.push({ ...packets[0]!, data }, 0)).not.toThrow();
    expect(() => dec.decodeFec({ ...packets[0]!, data: new Uint8Array(0) })).not.toThrow();
    const s = dec.stats();
    console.log(`opus corrupt: ${s.decodeErrors} errors of ${bad.length + 1} bad inputs (random bytes may be valid Opus), last: ${dec.lastError}`);
    expect(s.decodeErrors).toBeGreaterThanOrEqual(6);
    dec.push(packets[3]!, 0);
    expect(out.at(-1)?.frameIndex).toBe(3);
    dec.close();
  });

  it("rejects a frame of the wrong shape with InvalidOptionError", async () => {
    const enc = await OpusEncoder.create({ channels: 1 });
    expect(() => enc.push(createAudioFrame(2), 0)).toThrowError(/Cannot encode an audio frame of 2 channel/);
    enc.close();
    expect(() => enc.push(createAudioFrame(1), 0)).toThrowError(/closed/);
  });
});
