/**
 * Over-use detector with an adaptive threshold (draft-ietf-rmcat-gcc-02 section 5.4, parameters in 5.6;
 * libwebrtc goog_cc TrendlineEstimator::Detect / UpdateThreshold): the trendline's modified
 * trend m(i) is compared with a threshold del_var_th(i) that follows |m(i)| (quickly up, slowly
 * down), so the detector neither starves against concurrent TCP flows nor fires on noise.
 * Over-use is signalled only when m stays above the threshold for 10 ms and more than one
 * update, and the slope is not falling.
 */
import { checkRange } from "../errors.js";

/** The detector's hypothesis about the path (draft 5.4 signal). */
export type BandwidthUsage = "normal" | "overusing" | "underusing";

/** draft 5.4, 5.6 / libwebrtc: initial del_var_th 12.5 ms. */
const DEFAULT_INITIAL_THRESHOLD_MS = 12.5;
/** draft 5.4 / libwebrtc UpdateThreshold: threshold clamped to [6, 600] ms. */
const MIN_THRESHOLD_MS = 6;
const MAX_THRESHOLD_MS = 600;
/** draft 5.6 K_u = 0.01 in the draft; libwebrtc TrendlineEstimator k_up_ = 0.0087. */
const DEFAULT_K_UP = 0.0087;
/** draft 5.6 K_d = 0.00018 in the draft (for its Kalman m); libwebrtc k_down_ = 0.039 for the trendline. */
const DEFAULT_K_DOWN = 0.039;
/** libwebrtc kMaxAdaptOffsetMs: |m| more than 15 ms over the threshold is a spike, not adapted to (draft 5.4). */
const MAX_ADAPT_OFFSET_MS = 15;
/** libwebrtc kMaxTimeDeltaMs: one threshold step integrates at most 100 ms. */
const MAX_TIME_DELTA_MS = 100;
/** draft 5.4 overuse_time_th / libwebrtc kOverUsingTimeThreshold: 10 ms. */
const DEFAULT_OVERUSE_TIME_MS = 10;

/** Options of an OveruseDetector. */
export interface OveruseDetectorOptions {
  /** Starting threshold (ms). Default 12.5 (draft 5.6). 6 to 600. */
  initialThresholdMs?: number;
  /** Threshold gain when |m| is above it. Default 0.0087 (libwebrtc). 0 to 1. */
  kUp?: number;
  /** Threshold gain when |m| is below it. Default 0.039 (libwebrtc). 0 to 1. */
  kDown?: number;
  /** How long m must stay above the threshold (ms). Default 10 (draft 5.4). 0 to 1000. */
  overuseTimeMs?: number;
}

/** Adaptive-threshold over-use detector (draft-ietf-rmcat-gcc-02 5.4). */
export class OveruseDetector {
  private readonly kUp: number;
  private readonly kDown: number;
  private readonly overuseTimeMs: number;
  private thresholdMs: number;
  private lastUpdateMs = NaN;
  private timeOverUsingMs = -1;
  private overuseCounter = 0;
  private previousSlope = 0;
  private hypothesis: BandwidthUsage = "normal";

  constructor(options: OveruseDetectorOptions = {}) {
    this.thresholdMs = checkRange("initialThresholdMs", options.initialThresholdMs ?? DEFAULT_INITIAL_THRESHOLD_MS, MIN_THRESHOLD_MS, MAX_THRESHOLD_MS);
    this.kUp = checkRange("kUp", options.kUp ?? DEFAULT_K_UP, 0, 1);
    this.kDown = checkRange("kDown", options.kDown ?? DEFAULT_K_DOWN, 0, 1);
    this.overuseTimeMs = checkRange("overuseTimeMs", options.overuseTimeMs ?? DEFAULT_OVERUSE_TIME_MS, 0, 1000);
  }

  /**
   * One detection step. `modifiedTrend` and `slope` come from the trendline, `sendDeltaMs` is
   * the inter-group send delta (time the trend held), `numDeltas` the deltas seen so far,
   * `nowMs` the local time.
   */
  detect(modifiedTrend: number, slope: number, sendDeltaMs: number, numDeltas: number, nowMs: number): BandwidthUsage {
    if (numDeltas < 2) {
      this.hypothesis = "normal";
      return this.hypothesis;
    }
    if (modifiedTrend > this.thresholdMs) {
      if (this.timeOverUsingMs === -1) {
        // Assume the trend held for half the time since the last group (libwebrtc).
        this.timeOverUsingMs = sendDeltaMs / 2;
      } else {
        this.timeOverUsingMs += sendDeltaMs;
      }
      this.overuseCounter++;
      if (this.timeOverUsingMs > this.overuseTimeMs && this.overuseCounter > 1 && slope >= this.previousSlope) {
        this.timeOverUsingMs = 0;
        this.overuseCounter = 0;
        this.hypothesis = "overusing";
      }
    } else if (modifiedTrend < -this.thresholdMs) {
      this.timeOverUsingMs = -1;
      this.overuseCounter = 0;
      this.hypothesis = "underusing";
    } else {
      this.timeOverUsingMs = -1;
      this.overuseCounter = 0;
      this.hypothesis = "normal";
    }
    this.previousSlope = slope;
    this.updateThreshold(modifiedTrend, nowMs);
    return this.hypothesis;
  }

  /** Back to "normal", forgetting the time spent over the threshold (the threshold is kept). */
  resetHypothesis(): void {
    this.hypothesis = "normal";
    this.timeOverUsingMs = -1;
    this.overuseCounter = 0;
    this.previousSlope = 0;
  }

  /** The current hypothesis. */
  get state(): BandwidthUsage {
    return this.hypothesis;
  }

  /** The current adaptive threshold (ms). */
  get currentThresholdMs(): number {
    return this.thresholdMs;
  }

  /** draft 5.4: del_var_th(i) = del_var_th(i-1) + delta_t · K(i) · (|m(i)| − del_var_th(i-1)). */
  private updateThreshold(modifiedTrend: number, nowMs: number): void {
    if (Number.isNaN(this.lastUpdateMs)) this.lastUpdateMs = nowMs;
    const absTrend = Math.abs(modifiedTrend);
    if (absTrend > this.thresholdMs + MAX_ADAPT_OFFSET_MS) {
      // A sudden spike (e.g. a route change) should not drag the threshold with it.
      this.lastUpdateMs = nowMs;
      return;
    }
    const k = absTrend < this.thresholdMs ? this.kDown : this.kUp;
    const dtMs = Math.max(0, Math.min(nowMs - this.lastUpdateMs, MAX_TIME_DELTA_MS));
    this.thresholdMs += k * (absTrend - this.thresholdMs) * dtMs;
    this.thresholdMs = Math.min(MAX_THRESHOLD_MS, Math.max(MIN_THRESHOLD_MS, this.thresholdMs));
    this.lastUpdateMs = nowMs;
  }
}
