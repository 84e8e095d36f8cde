/** A summary of a set of numbers. Empty sets give count 0 and NaN elsewhere. */
export interface PercentileSummary {
  count: number;
  mean: number;
  min: number;
  max: number;
  p50: number;
  p95: number;
  p99: number;
}

/**
 * Collects numbers (latencies, frame intervals, PSNRs) and answers percentiles with linear
 * interpolation between closest ranks (numpy's default): p(q) = x[(n-1)·q/100] interpolated.
 */
export class Percentiles {
  private values: number[] = [];
  private sorted = true;
  private sum = 0;

  /** Adds a value; NaN is ignored. */
  add(value: number): void {
    if (Number.isNaN(value)) return;
    if (this.values.length > 0 && value < this.values[this.values.length - 1]!) this.sorted = false;
    this.values.push(value);
    this.sum += value;
  }

  get count(): number {
    return this.values.length;
  }

  get mean(): number {
    return this.values.length === 0 ? NaN : this.sum / this.values.length;
  }

  get min(): number {
    return this.values.length === 0 ? NaN : this.sortedValues()[0]!;
  }

  get max(): number {
    const v = this.sortedValues();
    return v.length === 0 ? NaN : v[v.length - 1]!;
  }

  /** The q-th percentile, q in [0, 100]. */
  percentile(q: number): number {
    const v = this.sortedValues();
    if (v.length === 0) return NaN;
    const pos = ((v.length - 1) * Math.min(100, Math.max(0, q))) / 100;
    const lo = Math.floor(pos);
    const hi = Math.min(v.length - 1, lo + 1);
    return v[lo]! + (v[hi]! - v[lo]!) * (pos - lo);
  }

  summary(): PercentileSummary {
    return {
      count: this.count, mean: this.mean, min: this.min, max: this.max,
      p50: this.percentile(50), p95: this.percentile(95), p99: this.percentile(99),
    };
  }

  reset(): void {
    this.values = [];
    this.sorted = true;
    this.sum = 0;
  }

  private sortedValues(): number[] {
    if (!this.sorted) {
      this.values.sort((a, b) => a - b);
      this.sorted = true;
    }
    return this.values;
  }
}
