import { checkInt, checkRange } from "../errors.js";
import { SeededRandom } from "../util/seeded-random.js";
import { AUDIO_FRAME_SAMPLES, AUDIO_SAMPLE_RATE, createAudioFrame, type AudioFrame } from "./audio-frame.js";
import { FrameSourceStage } from "./frame-source-stage.js";

export interface SpeechLikeSourceOptions {
  /** Seed of the utterance schedule and noise (default 1). */
  seed?: number;
  /** 1 or 2 channels (default 1). Stereo: the right channel is the left delayed 0.25 ms at -1 dB. */
  channels?: 1 | 2;
  /** Mean fundamental frequency of the voice, Hz (default 120; 80..300). */
  pitchHz?: number;
  /** Background noise level in dBFS during pauses and speech (default -70; -Infinity for digital silence). */
  noiseDbfs?: number;
  /** Peak level of a stressed syllable in dBFS (default -3). */
  peakDbfs?: number;
}

/** One slot of the schedule: a syllable or a pause. */
interface Slot {
  start: number;
  length: number;
  syllable: boolean;
  /** Syllable parameters (ignored for pauses). */
  onset: number;
  f0Start: number;
  f0End: number;
  formants: readonly [number, number, number];
  fricHz: number;
  gain: number;
  seed: number;
}

const SR = AUDIO_SAMPLE_RATE;
const FRAME_US = (AUDIO_FRAME_SAMPLES * 1e6) / SR;
const ms = (x: number): number => Math.round((x * SR) / 1000);
const TAIL = ms(25); // silence at the end of each syllable slot for the resonators to ring out
const STEREO_DELAY = 12;

// Vowel formants (F1, F2, F3) of an adult male voice (Peterson & Barney).
const VOWELS: readonly (readonly [number, number, number])[] = [
  [730, 1090, 2440], [270, 2290, 3010], [300, 870, 2240], [530, 1840, 2480],
  [570, 840, 2410], [660, 1720, 2410], [490, 1350, 1690], [440, 1020, 2240],
];
const BANDWIDTHS = [80, 100, 140] as const;

/**
 * A speech-like signal, seeded and deterministic per frame: phrases of 2-7 syllables with
 * pauses of 0.25-1.2 s between them (so DTX and concealment matter). Each syllable may start
 * with an unvoiced fricative burst (shaped noise) followed by a voiced nucleus: a glottal pulse
 * train with a falling/rising pitch contour (phrase declination, slight vibrato) through three
 * formant resonators of a vowel, under a syllable-rate attack/decay envelope. `frameAt(i)`
 * renders only the syllables overlapping frame i (each starts from zero filter state), so
 * random access and sequential reading give the same bytes.
 */
export class SpeechLikeSource extends FrameSourceStage<AudioFrame> {
  readonly name = "speech-like";
  readonly channels: 1 | 2;
  private readonly seed: number;
  private readonly pitchHz: number;
  private readonly noiseAmp: number;
  private readonly peakAmp: number;
  private readonly slots: Slot[] = [];
  private readonly rnd: SeededRandom;
  private scheduledUntil = 0;
  private readonly cache = new Map<number, Float32Array>();
  private nextIndex = 0;

  constructor(options: SpeechLikeSourceOptions = {}) {
    super();
    this.seed = checkInt("seed", options.seed ?? 1, 0, 2 ** 32 - 1);
    this.channels = checkInt("channels", options.channels ?? 1, 1, 2) as 1 | 2;
    this.pitchHz = checkRange("pitchHz", options.pitchHz ?? 120, 80, 300);
    const noise = options.noiseDbfs ?? -70;
    if (noise !== -Infinity) checkRange("noiseDbfs", noise, -120, -20);
    this.noiseAmp = noise === -Infinity ? 0 : 32767 * 10 ** (noise / 20);
    this.peakAmp = 32767 * 10 ** (checkRange("peakDbfs", options.peakDbfs ?? -3, -60, 0) / 20);
    this.rnd = new SeededRandom(this.seed);
  }

  /** Frame `index` (20 ms, 48 kHz). captureTimeUs = index · 20 000. */
  frameAt(index: number): AudioFrame {
    checkInt("frame index", index, 0, 2 ** 31);
    const f = createAudioFrame(this.channels, Math.round(index * FRAME_US), index);
    const first = index * AUDIO_FRAME_SAMPLES;
    if (this.channels === 1) {
      const mono = this.render(first, AUDIO_FRAME_SAMPLES);
      for (let i = 0; i < AUDIO_FRAME_SAMPLES; i++) f.samples[i] = toInt16(mono[i]!);
    } else {
      const mono = this.render(first - STEREO_DELAY, AUDIO_FRAME_SAMPLES + STEREO_DELAY);
      for (let i = 0; i < AUDIO_FRAME_SAMPLES; i++) {
        f.samples[2 * i] = toInt16(mono[i + STEREO_DELAY]!);
        f.samples[2 * i + 1] = toInt16(mono[i]! * 0.89);
      }
    }
    return f;
  }

  next(): AudioFrame {
    return this.frameAt(this.nextIndex++);
  }

  seek(index: number): void {
    this.nextIndex = Math.max(0, Math.floor(index));
  }

  /** True when frame `index` overlaps a syllable (ground truth for VAD/DTX tests). */
  isSpeech(index: number): boolean {
    const a = index * AUDIO_FRAME_SAMPLES, b = a + AUDIO_FRAME_SAMPLES;
    this.scheduleUntil(b);
    for (let k = this.slotAt(a); k < this.slots.length && this.slots[k]!.start < b; k++) {
      const s = this.slots[k]!;
      if (s.syllable && s.start + s.length > a) return true;
    }
    return false;
  }

  /** Mono samples [first, first + count) as floats in Int16 units; negative positions are silence. */
  private render(first: number, count: number): Float32Array {
    const out = new Float32Array(count);
    const end = first + count;
    this.scheduleUntil(end);
    const start = Math.max(0, first);
    for (let k = this.slotAt(start); k < this.slots.length && this.slots[k]!.start < end; k++) {
      const s = this.slots[k]!;
      if (!s.syllable) continue;
      const buf = this.syllable(k);
      const a = Math.max(s.start, start), b = Math.min(s.start + s.length, end);
      for (let n = a; n < b; n++) out[n - first] = buf[n - s.start]!;
    }
    if (this.noiseAmp > 0) {
      for (let n = start; n < end; n++) out[n - first] = out[n - first]! + this.noiseAmp * noise(this.seed ^ 0x5bd1e995, n);
    }
    return out;
  }

  private slotAt(sample: number): number {
    let lo = 0, hi = this.slots.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.slots[mid]!.start <= sample) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }

  /** Extends the schedule (phrases and pauses, in order from the seed) past `sample`. */
  private scheduleUntil(sample: number): void {
    const r = this.rnd;
    while (this.scheduledUntil <= sample) {
      const syllables = r.int(2, 7);
      const f0Hi = this.pitchHz * (1.1 + 0.1 * r.next());
      const f0Lo = this.pitchHz * (0.8 + 0.05 * r.next());
      for (let i = 0; i < syllables; i++) {
        const onset = r.next() < 0.55 ? ms(30 + 70 * r.next()) : 0;
        const vowel = ms(90 + 150 * r.next());
        // Declination across the phrase plus a per-syllable rise or fall.
        const p0 = f0Hi + ((f0Lo - f0Hi) * i) / syllables;
        const p1 = f0Hi + ((f0Lo - f0Hi) * (i + 1)) / syllables;
        const bend = 1 + 0.12 * (r.next() - 0.5);
        this.addSlot({
          start: this.scheduledUntil, length: onset + vowel + TAIL, syllable: true, onset,
          f0Start: p0 * bend, f0End: p1 / bend, formants: VOWELS[r.int(0, VOWELS.length - 1)]!,
          fricHz: 2500 + 3500 * r.next(), gain: 0.55 + 0.45 * r.next(), seed: r.nextUint32(),
        });
        const gap = r.next() < 0.4 ? ms(10 + 50 * r.next()) : 0;
        if (gap > 0) this.pushPause(gap);
      }
      this.pushPause(ms(250 + 950 * r.next()));
    }
  }

  private pushPause(length: number): void {
    this.addSlot({ start: this.scheduledUntil, length, syllable: false, onset: 0, f0Start: 0, f0End: 0, formants: [0, 0, 0], fricHz: 0, gain: 0, seed: 0 });
  }

  private addSlot(s: Slot): void {
    this.slots.push(s);
    this.scheduledUntil = s.start + s.length;
  }

  /** The rendered samples of syllable slot `k` (cached: the last few). */
  private syllable(k: number): Float32Array {
    const hit = this.cache.get(k);
    if (hit) return hit;
    const buf = synthesize(this.slots[k]!, this.peakAmp);
    this.cache.set(k, buf);
    if (this.cache.size > 8) this.cache.delete(this.cache.keys().next().value!);
    return buf;
  }
}

/** Renders one syllable from zero state, scaled so its peak is gain·peakAmp. */
function synthesize(s: Slot, peakAmp: number): Float32Array {
  const n = s.length - TAIL;
  const out = new Float32Array(s.length);
  const res = s.formants.map((fHz, i) => resonator(fHz, BANDWIDTHS[i]!));
  const fric = resonator(s.fricHz, 1200);
  let phase = 0, tilt1 = 0, tilt2 = 0, prevNoise = 0, fricLp = 0;
  const attack = ms(15), release = ms(40);
  for (let i = 0; i < s.length; i++) {
    let y = 0;
    if (i < n) {
      // Unvoiced: differentiated noise through a broad high resonance, during the onset.
      const wn = noise(s.seed, i);
      const hp = wn - prevNoise;
      prevNoise = wn;
      fricLp += 0.7 * (hp - fricLp); // gentle low-pass: fricative energy mostly below ~10 kHz
      let env = 0;
      if (i < s.onset) env = Math.min(1, i / ms(10), (s.onset - i) / ms(15));
      y += 0.9 * env * fric.step(fricLp);
      const voiceStart = Math.max(0, s.onset - ms(10));
      if (i >= voiceStart) {
        // Voiced: glottal pulses with vibrato, tilt (two one-pole low-passes), three formants.
        const v = Math.max(0, i - s.onset);
        const vn = n - s.onset;
        const f0 = (s.f0Start + ((s.f0End - s.f0Start) * v) / vn) * (1 + 0.01 * Math.sin((2 * Math.PI * 5 * i) / SR));
        phase += f0 / SR;
        let pulse = 0;
        if (phase >= 1) {
          phase -= 1;
          pulse = 1;
        }
        const asp = 0.04 * noise(s.seed + 1, i);
        tilt1 += 0.12 * (pulse + asp - tilt1);
        tilt2 += 0.3 * (tilt1 - tilt2);
        const venv = Math.min(1, (i - voiceStart) / attack, (n - i) / release);
        const x = tilt2 * Math.max(0, venv);
        y += res[0]!.step(x) + 0.6 * res[1]!.step(x) + 0.3 * res[2]!.step(x);
      }
    } else {
      y = res[0]!.step(0) + 0.6 * res[1]!.step(0) + 0.3 * res[2]!.step(0);
    }
    out[i] = y;
  }
  let peak = 0;
  for (let i = 0; i < out.length; i++) peak = Math.max(peak, Math.abs(out[i]!));
  const k = peak > 0 ? (s.gain * peakAmp) / peak : 0;
  for (let i = 0; i < out.length; i++) out[i]! *= k;
  // Fade the ring-out to exactly zero by the end of the slot.
  for (let i = n; i < s.length; i++) out[i]! *= (s.length - i) / TAIL;
  return out;
}

/** A two-pole resonator at fHz with bandwidth bwHz (Klatt's formant filter). */
function resonator(fHz: number, bwHz: number): { step(x: number): number } {
  const r = Math.exp((-Math.PI * bwHz) / SR);
  const c = -r * r;
  const b = 2 * r * Math.cos((2 * Math.PI * fHz) / SR);
  const a = 1 - b - c;
  let y1 = 0, y2 = 0;
  return {
    step(x: number): number {
      const y = a * x + b * y1 + c * y2;
      y2 = y1;
      y1 = y;
      return y;
    },
  };
}

/** Uniform noise in [-1, 1) from an integer hash of (seed, sample): random access, no state. */
function noise(seed: number, n: number): number {
  let h = Math.imul(seed ^ Math.imul(n, 0x9e3779b1), 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return (h | 0) / 2147483648;
}

function toInt16(v: number): number {
  const r = Math.round(v);
  return r > 32767 ? 32767 : r < -32768 ? -32768 : r;
}
