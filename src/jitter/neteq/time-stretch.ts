import { checkRange } from "../../errors.js";
import { AUDIO_SAMPLE_RATE } from "../../media/audio-frame.js";
import { findPitchPeriod } from "./pitch-period.js";

/** Options of {@link TimeStretch}. */
export interface TimeStretchOptions {
  /** Interleaved channels, 1 or 2 (default 1). */
  channels?: 1 | 2;
  /** Shortest pitch period searched, ms (default 2.5: a 400 Hz voice). */
  minPeriodMs?: number;
  /** Longest pitch period searched, ms (default 20: a 50 Hz voice). */
  maxPeriodMs?: number;
  /**
   * Normalized correlation at the pitch lag above which the signal counts as periodic and is
   * stretched by one period (default 0.8; libwebrtc's accelerate uses 0.9 on its 4 kHz copy).
   */
  correlationThreshold?: number;
  /** RMS (Int16 units) below which the signal counts as silence (default 40, about −58 dBFS). */
  silenceRms?: number;
  /** How much silence one call removes or inserts, ms (default 10). */
  silenceChangeMs?: number;
}

/** What one stretch did. `output` is `input` itself when `method` is "none". */
export interface StretchResult {
  output: Int16Array;
  /** Frames (samples per channel) removed (accelerate) or inserted (preemptive expand); 0 for none. */
  changeFrames: number;
  /** The pitch period found, frames (0 when none was searched). */
  periodFrames: number;
  correlation: number;
  /** "periodic": one pitch period; "silence": the fixed amount, directly; "none": left as is. */
  method: "periodic" | "silence" | "none";
}

/**
 * Time stretching without pitch change on 48 kHz PCM, pitch-synchronous overlap-add in the
 * manner of NetEQ's accelerate and preemptive expand (a WSOLA whose search is the pitch lag):
 *
 * - accelerate: with T the pitch period of x, y = xfade(x[0,T) → x[T,2T)) ++ x[2T,N): one
 *   period shorter, and since x[k] ≈ x[k+T] the crossfade is inaudible and the pitch unchanged.
 * - preemptive expand: y = x[0,T) ++ xfade(x[T,2T) → x[0,T)) ++ x[T,N): one period longer.
 *
 * Both start at sample 0, so the first output sample continues what was played before, and the
 * tail (x from 2T on) is untouched, so whatever comes after (the decoder's next frame or PLC)
 * still joins seamlessly. Needs N ≥ 2T: the search range is cut to N/2.
 * Fallbacks: silence is shortened or lengthened directly by `silenceChangeMs` (same crossfade,
 * fixed lag); a loud but aperiodic signal (unvoiced speech, noise) is left alone, as NetEQ does,
 * because cutting it would be audible and it is short.
 */
export class TimeStretch {
  readonly channels: 1 | 2;
  private readonly minFrames: number;
  private readonly maxFrames: number;
  private readonly threshold: number;
  private readonly silenceRms: number;
  private readonly silenceFrames: number;

  constructor(options: TimeStretchOptions = {}) {
    this.channels = (options.channels ?? 1) as 1 | 2;
    checkRange("channels", this.channels, 1, 2);
    const minMs = checkRange("minPeriodMs", options.minPeriodMs ?? 2.5, 0.5, 20);
    const maxMs = checkRange("maxPeriodMs", options.maxPeriodMs ?? 20, minMs, 40);
    this.minFrames = Math.round((minMs * AUDIO_SAMPLE_RATE) / 1000);
    this.maxFrames = Math.round((maxMs * AUDIO_SAMPLE_RATE) / 1000);
    this.threshold = checkRange("correlationThreshold", options.correlationThreshold ?? 0.8, 0, 1);
    this.silenceRms = checkRange("silenceRms", options.silenceRms ?? 40, 0, 32767);
    this.silenceFrames = Math.round((checkRange("silenceChangeMs", options.silenceChangeMs ?? 10, 1, 40) * AUDIO_SAMPLE_RATE) / 1000);
  }

  /** Removes about one pitch period from `input` (interleaved Int16). */
  accelerate(input: Int16Array): StretchResult {
    const lag = this.chooseLag(input);
    if (lag.method === "none") return { output: input, changeFrames: 0, periodFrames: lag.period, correlation: lag.correlation, method: "none" };
    const T = lag.lag;
    const c = this.channels;
    const n = input.length / c;
    const out = new Int16Array((n - T) * c);
    for (let k = 0; k < T; k++) {
      const w = (k + 0.5) / T; // weight of the later period
      for (let ch = 0; ch < c; ch++) {
        out[k * c + ch] = round16((1 - w) * input[k * c + ch]! + w * input[(k + T) * c + ch]!);
      }
    }
    out.set(input.subarray(2 * T * c), T * c);
    return { output: out, changeFrames: T, periodFrames: lag.period, correlation: lag.correlation, method: lag.method };
  }

  /** Inserts about one pitch period into `input` (interleaved Int16). */
  preemptiveExpand(input: Int16Array): StretchResult {
    const lag = this.chooseLag(input);
    if (lag.method === "none") return { output: input, changeFrames: 0, periodFrames: lag.period, correlation: lag.correlation, method: "none" };
    const T = lag.lag;
    const c = this.channels;
    const n = input.length / c;
    const out = new Int16Array((n + T) * c);
    out.set(input.subarray(0, T * c), 0);
    for (let k = 0; k < T; k++) {
      const w = (k + 0.5) / T; // weight of the repeated (earlier) period
      for (let ch = 0; ch < c; ch++) {
        out[(T + k) * c + ch] = round16((1 - w) * input[(T + k) * c + ch]! + w * input[k * c + ch]!);
      }
    }
    out.set(input.subarray(T * c), 2 * T * c);
    return { output: out, changeFrames: T, periodFrames: lag.period, correlation: lag.correlation, method: lag.method };
  }

  private chooseLag(input: Int16Array): { lag: number; period: number; correlation: number; method: StretchResult["method"] } {
    const n = Math.floor(input.length / this.channels);
    const p = findPitchPeriod(input, this.channels, this.minFrames, this.maxFrames);
    if (p.rms < this.silenceRms) {
      const lag = Math.min(this.silenceFrames, Math.floor(n / 2));
      return { lag, period: p.periodFrames, correlation: p.correlation, method: lag > 0 ? "silence" : "none" };
    }
    if (p.periodFrames > 0 && p.correlation >= this.threshold) {
      return { lag: p.periodFrames, period: p.periodFrames, correlation: p.correlation, method: "periodic" };
    }
    return { lag: 0, period: p.periodFrames, correlation: p.correlation, method: "none" };
  }
}

function round16(v: number): number {
  const r = Math.round(v);
  return r > 32767 ? 32767 : r < -32768 ? -32768 : r;
}
