import { checkRange } from "../../errors.js";
import { AUDIO_SAMPLE_RATE } from "../../media/audio-frame.js";
import { findPitchPeriod } from "./pitch-period.js";

/** Options of {@link Merge}. */
export interface MergeOptions {
  /** Interleaved channels, 1 or 2 (default 1). */
  channels?: 1 | 2;
  /** Crossfade from the concealed signal into the decoded one, ms (default 5). */
  crossfadeMs?: number;
  /** How many leading decoded samples may be skipped to align phase, ms (default 2.5). */
  maxShiftMs?: number;
  /** RMS (Int16 units) under which the concealed history counts as silent: no crossfade (default 40). */
  silenceRms?: number;
}

/** What one merge did. */
export interface MergeResult {
  /** The decoded audio to play next (shorter than the input by `shiftFrames`). */
  output: Int16Array;
  /** Leading decoded frames dropped to line the new audio up with the concealed one. */
  shiftFrames: number;
  /** Frames crossfaded (0: the decoded audio is used as is). */
  crossfadeFrames: number;
}

/**
 * The smooth way back from concealment to decoded audio (NetEQ's merge): the concealed signal
 * that played last is continued periodically (its last pitch period repeated), the decoded frame
 * is shifted by up to `maxShiftMs` so its phase best matches that continuation (normalized
 * correlation), and the two are crossfaded over `crossfadeMs`. The result starts where the
 * concealment left off, so the packet's arrival is not heard as a click or a phase jump.
 */
export class Merge {
  readonly channels: 1 | 2;
  private readonly fadeFrames: number;
  private readonly maxShift: number;
  private readonly silenceRms: number;

  constructor(options: MergeOptions = {}) {
    this.channels = (options.channels ?? 1) as 1 | 2;
    checkRange("channels", this.channels, 1, 2);
    this.fadeFrames = Math.max(1, Math.round((checkRange("crossfadeMs", options.crossfadeMs ?? 5, 0.1, 20) * AUDIO_SAMPLE_RATE) / 1000));
    this.maxShift = Math.round((checkRange("maxShiftMs", options.maxShiftMs ?? 2.5, 0, 10) * AUDIO_SAMPLE_RATE) / 1000);
    this.silenceRms = checkRange("silenceRms", options.silenceRms ?? 40, 0, 32767);
  }

  /**
   * `history`: the last samples played or queued before `decoded` (the concealed audio),
   * interleaved, ideally ≥ 20 ms. `decoded`: the newly decoded audio.
   */
  apply(history: Int16Array, decoded: Int16Array): MergeResult {
    const c = this.channels;
    const h = Math.floor(history.length / c);
    const n = Math.floor(decoded.length / c);
    const p = findPitchPeriod(history.subarray((h - Math.min(h, 1920)) * c), c, 120, 960);
    if (h < 2 || n <= this.maxShift + 1 || p.rms < this.silenceRms) return { output: decoded, shiftFrames: 0, crossfadeFrames: 0 };
    // Period of the continuation: the pitch when the tail is periodic, otherwise the fade length.
    const period = p.periodFrames > 0 && p.correlation > 0.3 ? p.periodFrames : Math.min(h, this.fadeFrames);
    const fade = Math.min(this.fadeFrames, n - this.maxShift);
    const extLen = fade + this.maxShift;
    const ext = new Float64Array(extLen * c);
    for (let k = 0; k < extLen; k++) {
      const src = h - period + (k % period);
      for (let ch = 0; ch < c; ch++) ext[k * c + ch] = history[src * c + ch]!;
    }
    // Phase alignment: the shift of the decoded audio best correlated with the continuation.
    let shift = 0;
    if (this.maxShift > 0) {
      const w = Math.min(fade, period);
      let best = -Infinity;
      for (let s = 0; s <= this.maxShift; s++) {
        let cc = 0, ea = 0, eb = 0;
        for (let k = 0; k < w * c; k++) {
          const a = ext[k]!, b = decoded[s * c + k]!;
          cc += a * b;
          ea += a * a;
          eb += b * b;
        }
        const nc = ea > 0 && eb > 0 ? cc / Math.sqrt(ea * eb) : 0;
        if (nc > best + 1e-9) {
          best = nc;
          shift = s;
        }
      }
      if (best < 0.2) shift = 0; // nothing lines up: keep the timing
    }
    const out = decoded.slice(shift * c);
    for (let k = 0; k < fade; k++) {
      const w = (k + 0.5) / fade; // weight of the decoded audio
      for (let ch = 0; ch < c; ch++) {
        const v = (1 - w) * ext[k * c + ch]! + w * out[k * c + ch]!;
        out[k * c + ch] = v > 32767 ? 32767 : v < -32768 ? -32768 : Math.round(v);
      }
    }
    return { output: out, shiftFrames: shift, crossfadeFrames: fade };
  }
}
