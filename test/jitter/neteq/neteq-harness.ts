/** Test harness: speech through the real Opus encoder, a modelled network, and NetEqPlayout on a virtual clock. */
import { OpusEncoder, type OpusEncoderOptions } from "../../../src/codec/opus-encoder.js";
import type { NetEqOperation } from "../../../src/jitter/neteq/decision-logic.js";
import type { NetEqPlayout } from "../../../src/jitter/neteq/neteq-playout.js";
import type { NetEqPacket } from "../../../src/jitter/neteq/packet-buffer.js";
import { AUDIO_FRAME_SAMPLES } from "../../../src/media/audio-frame.js";
import { SpeechLikeSource } from "../../../src/media/speech-like-source.js";

export const FRAME_US = 20_000;

export interface EncodedSpeech {
  packets: NetEqPacket[];
  /** The source PCM, frame by frame. */
  source: Int16Array[];
}

/** `frames` 20 ms frames of SpeechLikeSource encoded by the real Opus encoder. */
export async function encodeSpeech(frames: number, options: OpusEncoderOptions = {}, seed = 1, firstSeq = 65_000, firstTs = 4_294_000_000): Promise<EncodedSpeech> {
  const src = new SpeechLikeSource({ seed });
  const enc = await OpusEncoder.create({ bitrateBps: 32_000, ...options });
  const packets: NetEqPacket[] = [];
  const source: Int16Array[] = [];
  for (let i = 0; i < frames; i++) {
    const f = src.frameAt(i);
    source.push(f.samples);
    const p = enc.encode(f);
    // Start near the wrap of both counters so every run crosses it.
    packets.push({ sequenceNumber: (firstSeq + i) & 0xffff, timestamp: (firstTs + i * AUDIO_FRAME_SAMPLES) >>> 0, payload: p.data });
  }
  enc.close();
  return { packets, source };
}

export interface Delivery {
  packet: NetEqPacket;
  arrivalUs: number;
  /** Index of the source frame the packet carries. */
  index: number;
}

export interface RunResult {
  ops: NetEqOperation[];
  concealed: boolean[];
  /** Output PCM, concatenated. */
  pcm: Int16Array;
  /** Per output frame: the playout's buffer level and target (ms) right after it. */
  bufferMs: number[];
  targetMs: number[];
}

/**
 * Plays `outputFrames` frames: at each 20 ms tick (offset by `phaseUs`) inserts every packet
 * that has arrived by then, then asks for audio.
 */
export function run(neteq: NetEqPlayout, deliveries: Delivery[], outputFrames: number, phaseUs = 10_000): RunResult {
  const sorted = [...deliveries].sort((a, b) => a.arrivalUs - b.arrivalUs);
  const ops: NetEqOperation[] = [];
  const concealed: boolean[] = [];
  const pcm = new Int16Array(outputFrames * AUDIO_FRAME_SAMPLES);
  const bufferMs: number[] = [];
  const targetMs: number[] = [];
  let k = 0;
  for (let i = 0; i < outputFrames; i++) {
    const now = phaseUs + i * FRAME_US;
    while (k < sorted.length && sorted[k]!.arrivalUs <= now) {
      neteq.insertPacket(sorted[k]!.packet, sorted[k]!.arrivalUs);
      k++;
    }
    const out = neteq.getAudio(now);
    ops.push(out.operation);
    concealed.push(out.concealed);
    pcm.set(out.frame.samples, i * AUDIO_FRAME_SAMPLES);
    bufferMs.push(neteq.bufferMs);
    targetMs.push(neteq.targetDelayMs);
  }
  return { ops, concealed, pcm, bufferMs, targetMs };
}

/** Deliveries with a fixed base delay and a per-packet extra delay from `jitterUs(i)`. */
export function deliver(speech: EncodedSpeech, baseDelayUs: number, jitterUs: (i: number) => number, lost: (i: number) => boolean = () => false): Delivery[] {
  const out: Delivery[] = [];
  speech.packets.forEach((packet, index) => {
    if (!lost(index)) out.push({ packet, arrivalUs: index * FRAME_US + baseDelayUs + jitterUs(index), index });
  });
  return out;
}

export function count<T>(xs: T[], pred: (x: T) => boolean): number {
  let n = 0;
  for (const x of xs) if (pred(x)) n++;
  return n;
}

export function mean(xs: number[]): number {
  return xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);
}
