import { checkInt, checkRange } from "../errors.js";

export interface RelativeDelayEstimatorOptions {
  /** Samples kept in the sliding window (default 100: 2 s of 20 ms audio, ~3 s of video). */
  windowSize?: number;
  /** Which percentile of the delay spread the target covers (default 95, as NetEQ). */
  percentile?: number;
  /**
   * Samples older than this (µs, by the time given to `add`) leave the window even when it is
   * not full (default Infinity: the window is counted in samples only).
   */
  maxAgeUs?: number;
}

/**
 * Estimates how much playout delay absorbs network jitter. Each sample is the relative transit
 * delay of a packet or frame, d = arrivalUs − mediaTimeUs (an unknown constant offset is fine).
 * The fastest sample in the window is the baseline; the target delay is the chosen percentile of
 * (d − baseline). When jitter goes away, old samples leave the window and the target shrinks.
 */
export class RelativeDelayEstimator {
  private readonly size: number;
  private readonly percentile: number;
  private readonly maxAgeUs: number;
  private readonly ring: Float64Array;
  private readonly times: Float64Array;
  private readonly scratch: Float64Array;
  private count = 0;
  private next = 0;
  private cachedTargetUs = 0;
  private cachedBaselineUs = NaN;
  private dirty = false;

  constructor(options: RelativeDelayEstimatorOptions = {}) {
    this.size = checkInt("windowSize", options.windowSize ?? 100, 2, 10_000);
    this.percentile = checkRange("percentile", options.percentile ?? 95, 50, 100);
    this.maxAgeUs = options.maxAgeUs === undefined ? Infinity : checkRange("maxAgeUs", options.maxAgeUs, 1, 1e12);
    this.ring = new Float64Array(this.size);
    this.times = new Float64Array(this.size);
    this.scratch = new Float64Array(this.size);
  }

  /** Adds one sample of relative delay d = arrival − media time (µs), taken at `atUs` (for `maxAgeUs`). */
  add(relativeDelayUs: number, atUs = 0): void {
    this.ring[this.next] = relativeDelayUs;
    this.times[this.next] = atUs;
    this.next = (this.next + 1) % this.size;
    if (this.count < this.size) this.count++;
    this.dirty = true;
  }

  /** Smallest relative delay in the window (µs), or NaN with no samples. */
  baselineUs(): number {
    this.refresh();
    return this.cachedBaselineUs;
  }

  /** Jitter delay to add above the baseline so `percentile` % of samples arrive in time (µs). */
  targetUs(): number {
    this.refresh();
    return this.cachedTargetUs;
  }

  get samples(): number {
    return this.count;
  }

  /** Recomputes baseline and target from the samples in the window (newest first, within maxAgeUs). */
  private refresh(): void {
    if (!this.dirty) return;
    this.dirty = false;
    let n = 0;
    const newest = (this.next - 1 + this.size) % this.size;
    const oldestAllowed = this.count > 0 ? this.times[newest]! - this.maxAgeUs : 0;
    for (let k = 0; k < this.count; k++) {
      const i = (newest - k + this.size) % this.size;
      if (n >= 2 && this.times[i]! < oldestAllowed) break;
      this.scratch[n++] = this.ring[i]!;
    }
    if (n === 0) {
      this.cachedBaselineUs = NaN;
      this.cachedTargetUs = 0;
      return;
    }
    const v = this.scratch.subarray(0, n);
    v.sort();
    this.cachedBaselineUs = v[0]!;
    if (n < 2) {
      this.cachedTargetUs = 0;
      return;
    }
    const idx = Math.min(n - 1, Math.ceil(((n - 1) * this.percentile) / 100));
    this.cachedTargetUs = v[idx]! - v[0]!;
  }
}
