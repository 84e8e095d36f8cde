/**
 * The arrival-time filter of the delay-based estimator (draft-ietf-rmcat-gcc-02 section 5.3,
 * libwebrtc goog_cc TrendlineEstimator): the inter-group delay variations are accumulated into
 * a delay curve, smoothed exponentially, and the slope of a least-squares line through the
 * last `windowSize` points says whether queuing delay is building up (slope > 0) or draining.
 * The slope is also returned scaled ("modified trend": slope · min(deltas, 60) · gain), the
 * quantity the overuse detector compares with its adaptive threshold.
 */
import { checkInt, checkRange } from "../errors.js";

/** libwebrtc TrendlineEstimatorSettings kDefaultTrendlineWindowSize: 20 points. */
const DEFAULT_WINDOW_SIZE = 20;
/** libwebrtc kDefaultTrendlineSmoothingCoeff: 0.9. */
const DEFAULT_SMOOTHING = 0.9;
/** libwebrtc kDefaultTrendlineThresholdGain: 4. */
const DEFAULT_THRESHOLD_GAIN = 4;
/** libwebrtc TrendlineEstimator kMinNumDeltas: the scaling grows with the deltas seen, up to 60. */
const MIN_NUM_DELTAS = 60;
/** libwebrtc TrendlineEstimator kDeltaCounterMax: the delta counter saturates at 1000. */
const DELTA_COUNTER_MAX = 1000;

/** Options of a TrendlineEstimator. */
export interface TrendlineEstimatorOptions {
  /** Points in the regression window. Default 20 (libwebrtc). 2 to 1000. */
  windowSize?: number;
  /** Exponential smoothing of the accumulated delay. Default 0.9 (libwebrtc). 0 to 0.999. */
  smoothing?: number;
  /** Gain applied to the slope before thresholding. Default 4 (libwebrtc). 0.1 to 100. */
  thresholdGain?: number;
}

/** What one update of the trendline gives. */
export interface TrendlineResult {
  /** Slope of the smoothed delay curve (ms of delay per ms of time; 0 until the window is full). */
  slope: number;
  /** slope · min(deltas, 60) · thresholdGain (ms), compared with the adaptive threshold. */
  modifiedTrend: number;
  /** Deltas seen (saturates at 1000). */
  numDeltas: number;
}

/** Least-squares slope of the accumulated, smoothed one-way delay variation (draft 5.3). */
export class TrendlineEstimator {
  private readonly windowSize: number;
  private readonly smoothing: number;
  private readonly thresholdGain: number;
  /** Ring buffers of the regression points: x = arrival time since the first (ms), y = smoothed delay (ms). */
  private readonly xs: Float64Array;
  private readonly ys: Float64Array;
  private head = 0;
  private count = 0;
  private numDeltas = 0;
  private firstArrivalMs = NaN;
  private accumulatedDelayMs = 0;
  private smoothedDelayMs = 0;
  private slope = 0;
  private readonly result: TrendlineResult = { slope: 0, modifiedTrend: 0, numDeltas: 0 };

  constructor(options: TrendlineEstimatorOptions = {}) {
    this.windowSize = checkInt("windowSize", options.windowSize ?? DEFAULT_WINDOW_SIZE, 2, 1000);
    this.smoothing = checkRange("smoothing", options.smoothing ?? DEFAULT_SMOOTHING, 0, 0.999);
    this.thresholdGain = checkRange("thresholdGain", options.thresholdGain ?? DEFAULT_THRESHOLD_GAIN, 0.1, 100);
    this.xs = new Float64Array(this.windowSize);
    this.ys = new Float64Array(this.windowSize);
  }

  /**
   * Adds one inter-group delta pair; `arrivalTimeMs` is the group's arrival (receiver clock).
   * The returned object is reused by the next update: copy it to keep it.
   */
  update(arrivalDeltaMs: number, sendDeltaMs: number, arrivalTimeMs: number): TrendlineResult {
    const deltaMs = arrivalDeltaMs - sendDeltaMs;
    this.numDeltas = Math.min(this.numDeltas + 1, DELTA_COUNTER_MAX);
    if (Number.isNaN(this.firstArrivalMs)) this.firstArrivalMs = arrivalTimeMs;
    this.accumulatedDelayMs += deltaMs;
    this.smoothedDelayMs = this.smoothing * this.smoothedDelayMs + (1 - this.smoothing) * this.accumulatedDelayMs;
    const slot = (this.head + this.count) % this.windowSize;
    this.xs[slot] = arrivalTimeMs - this.firstArrivalMs;
    this.ys[slot] = this.smoothedDelayMs;
    if (this.count < this.windowSize) this.count++;
    else this.head = (this.head + 1) % this.windowSize;
    if (this.count === this.windowSize) {
      const s = this.fitSlope();
      if (s !== undefined) this.slope = s;
    }
    const r = this.result;
    r.slope = this.slope;
    r.modifiedTrend = this.modifiedTrend();
    r.numDeltas = this.numDeltas;
    return r;
  }

  /** The latest slope and its scaled form, without adding a point. */
  current(): TrendlineResult {
    return { slope: this.slope, modifiedTrend: this.modifiedTrend(), numDeltas: this.numDeltas };
  }

  /** Forgets the curve (stream timeout). */
  reset(): void {
    this.head = 0;
    this.count = 0;
    this.numDeltas = 0;
    this.firstArrivalMs = NaN;
    this.accumulatedDelayMs = 0;
    this.smoothedDelayMs = 0;
    this.slope = 0;
  }

  private modifiedTrend(): number {
    return Math.min(this.numDeltas, MIN_NUM_DELTAS) * this.slope * this.thresholdGain;
  }

  /** Ordinary least squares over the window; undefined when every x is the same. */
  private fitSlope(): number | undefined {
    const n = this.count;
    let sx = 0;
    let sy = 0;
    for (let i = 0; i < n; i++) {
      const k = (this.head + i) % this.windowSize;
      sx += this.xs[k]!;
      sy += this.ys[k]!;
    }
    const mx = sx / n;
    const my = sy / n;
    let num = 0;
    let den = 0;
    for (let i = 0; i < n; i++) {
      const k = (this.head + i) % this.windowSize;
      const dx = this.xs[k]! - mx;
      num += dx * (this.ys[k]! - my);
      den += dx * dx;
    }
    return den === 0 ? undefined : num / den;
  }
}
