import { checkInt, checkRange } from "../errors.js";

export interface RelativeDelayEstimatorOptions {
  /** Samples kept in the sliding window (default 100: 2 s of 20 ms audio, ~3 s of video). */
  windowSize?: number;
  /** Which percentile of the delay spread the target covers (default 95, as NetEQ). */
  percentile?: number;
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
  private readonly ring: Float64Array;
  private readonly scratch: Float64Array;
  private count = 0;
  private next = 0;
  private cachedTargetUs = 0;
  private dirty = false;

  constructor(options: RelativeDelayEstimatorOptions = {}) {
    this.size = checkInt("windowSize", options.windowSize ?? 100, 2, 10_000);
    this.percentile = checkRange("percentile", options.percentile ?? 95, 50, 100);
    this.ring = new Float64Array(this.size);
    this.scratch = new Float64Array(this.size);
  }

  /** Adds one sample of relative delay d = arrival − media time (µs). */
  add(relativeDelayUs: number): void {
    this.ring[this.next] = relativeDelayUs;
    this.next = (this.next + 1) % this.size;
    if (this.count < this.size) this.count++;
    this.dirty = true;
  }

  /** Smallest relative delay in the window (µs), or NaN with no samples. */
  baselineUs(): number {
    if (this.count === 0) return NaN;
    let min = Infinity;
    for (let i = 0; i < this.count; i++) min = Math.min(min, this.ring[i]!);
    return min;
  }

  /** Jitter delay to add above the baseline so `percentile` % of samples arrive in time (µs). */
  targetUs(): number {
    if (!this.dirty) return this.cachedTargetUs;
    this.dirty = false;
    if (this.count < 2) return (this.cachedTargetUs = 0);
    const v = this.scratch.subarray(0, this.count);
    v.set(this.ring.subarray(0, this.count));
    v.sort();
    const base = v[0]!;
    const idx = Math.min(this.count - 1, Math.ceil(((this.count - 1) * this.percentile) / 100));
    return (this.cachedTargetUs = v[idx]! - base);
  }

  get samples(): number {
    return this.count;
  }
}
