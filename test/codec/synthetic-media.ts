/**
 * Synthetic test media for the codec tests: a moving, detailed I420 pattern (gradients, a
 * checkerboard, a moving disc, seeded noise texture) and a voiced speech-like signal.
 */
import { AUDIO_FRAME_SAMPLES, createAudioFrame, type AudioFrame } from "../../src/media/audio-frame.js";
import { createVideoFrame, type VideoFrame } from "../../src/media/video-frame.js";
import { SeededRandom } from "../../src/util/seeded-random.js";

/** Generates frames of a moving pattern; `noise` adds per-frame random noise (0 = none). */
export class PatternSource {
  private readonly texture: Uint8Array;
  private readonly rng: SeededRandom;
  private index = 0;

  constructor(
    readonly width: number,
    readonly height: number,
    readonly fps = 30,
    readonly noise = 2,
    seed = 7,
  ) {
    this.rng = new SeededRandom(seed);
    this.texture = new Uint8Array(width * 2 * height * 2);
    for (let i = 0; i < this.texture.length; i++) this.texture[i] = this.rng.int(0, 24);
  }

  next(): VideoFrame {
    return this.frameAt(this.index++);
  }

  frameAt(n: number): VideoFrame {
    const { width: w, height: h } = this;
    const f = createVideoFrame(w, h, Math.round((n * 1_000_000) / this.fps), n);
    const dx = n * 3;
    const dy = n * 2;
    const cx = (w / 2 + (w / 3) * Math.sin(n / 10)) | 0;
    const cy = (h / 2 + (h / 4) * Math.cos(n / 13)) | 0;
    const r2 = (Math.min(w, h) / 6) ** 2;
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        const gx = x + dx;
        const gy = y + dy;
        let v = ((gx * 255) / w + (gy * 128) / h) % 220;
        if ((((gx >> 4) + (gy >> 4)) & 1) === 0) v += 30;
        v += this.texture[((y + dy) % (h * 2)) * w * 2 + ((x + dx) % (w * 2))] ?? 0;
        if ((x - cx) ** 2 + (y - cy) ** 2 < r2) v = 235 - ((x + y) & 15);
        if (this.noise > 0) v += (this.rng.next() - 0.5) * 2 * this.noise;
        f.y[y * w + x] = Math.max(0, Math.min(255, Math.round(v)));
      }
    }
    const cw = w >> 1;
    const ch = h >> 1;
    for (let y = 0; y < ch; y++) {
      for (let x = 0; x < cw; x++) {
        f.u[y * cw + x] = (128 + 60 * Math.sin((x + n) / 17) + 20 * Math.cos(y / 9)) | 0;
        f.v[y * cw + x] = (128 + 50 * Math.cos((y + n) / 13) + ((x >> 3) & 1) * 20) | 0;
      }
    }
    return f;
  }
}

/** PSNR (dB) over all three planes of two same-size tightly packed frames. */
export function psnr(a: VideoFrame, b: VideoFrame): number {
  if (a.width !== b.width || a.height !== b.height) throw new Error(`size ${a.width}x${a.height} vs ${b.width}x${b.height}`);
  let se = 0;
  let n = 0;
  for (const [p, q] of [
    [a.y, b.y],
    [a.u, b.u],
    [a.v, b.v],
  ] as const) {
    for (let i = 0; i < p.length; i++) {
      const d = (p[i] ?? 0) - (q[i] ?? 0);
      se += d * d;
    }
    n += p.length;
  }
  const mse = se / n;
  return mse === 0 ? 99 : 10 * Math.log10((255 * 255) / mse);
}

/**
 * A voiced, speech-like signal: a 140 Hz glottal harmonic series through two formant-like
 * resonances, with a slow syllable envelope. Deterministic.
 */
export function voicedSignal(totalSamples: number, amplitude = 8000): Int16Array {
  const out = new Int16Array(totalSamples);
  const f0 = 140;
  for (let i = 0; i < totalSamples; i++) {
    const t = i / 48_000;
    const pitch = f0 * (1 + 0.05 * Math.sin(2 * Math.PI * 1.5 * t));
    let s = 0;
    for (let k = 1; k <= 20; k++) {
      const fk = k * pitch;
      const formant = Math.exp(-(((fk - 700) / 250) ** 2)) + 0.6 * Math.exp(-(((fk - 1200) / 300) ** 2)) + 0.1;
      s += (formant / k ** 0.5) * Math.sin(2 * Math.PI * fk * t + k);
    }
    const env = 0.6 + 0.4 * Math.sin(2 * Math.PI * 3 * t);
    out[i] = Math.max(-32768, Math.min(32767, Math.round((s / 3) * env * amplitude)));
  }
  return out;
}

/** Cuts a mono signal into 20 ms frames (frame i captured at i * 20 ms). */
export function audioFrames(signal: Int16Array): AudioFrame[] {
  const frames: AudioFrame[] = [];
  for (let i = 0; (i + 1) * AUDIO_FRAME_SAMPLES <= signal.length; i++) {
    const f = createAudioFrame(1, i * 20_000, i);
    f.samples.set(signal.subarray(i * AUDIO_FRAME_SAMPLES, (i + 1) * AUDIO_FRAME_SAMPLES));
    frames.push(f);
  }
  return frames;
}

/** SNR (dB) of `decoded` against `reference` delayed by `delay` samples, over [from, to) of decoded. */
export function snrDb(reference: Int16Array, decoded: Int16Array, delay: number, from: number, to: number): number {
  let sig = 0;
  let err = 0;
  for (let i = from; i < to; i++) {
    const r = reference[i - delay] ?? 0;
    const d = decoded[i] ?? 0;
    sig += r * r;
    err += (r - d) * (r - d);
  }
  return 10 * Math.log10(sig / Math.max(err, 1e-9));
}
