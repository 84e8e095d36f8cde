/**
 * Detects when the video encoder cannot keep up with the frame rate (the $50 phone), and when
 * it has room again. The idea is libwebrtc's OveruseFrameDetector
 * (video/adaptation/overuse_frame_detector.cc, its "SendProcessingUsage1" estimator):
 * - usage = smoothed encode time per frame / smoothed time between frames, in percent. Both
 *   are exponential filters whose weight is raised to the power (sample interval / 33 ms),
 *   so the smoothing is per unit of time, not per frame: weights 0.995 (encode time) and
 *   0.998 (frame interval) per 33 ms, libwebrtc's kWeightFactor values;
 * - checked every `checkIntervalUs` (libwebrtc: 5 s); overuse when usage > 85% in 2 checks
 *   in a row (high_encode_usage_threshold_percent, high_threshold_consecutive_count), underuse
 *   when usage < 42% (low_encode_usage_threshold_percent);
 * - underuse (a step up) only after a ramp-up delay since the last overuse: 10 s at first
 *   (kQuickRampUpDelayMs), doubled up to 240 s (kMaxRampUpDelayMs) when an overuse comes
 *   within 40 s (kStandardRampUpDelayMs) of a step up (back to 10 s when the step up held
 *   longer), so a step up that fails is not retried soon: the hysteresis against oscillating
 *   between two ladder rungs. Consecutive steps up are at least 10 s apart;
 * - at least 3 frames (min_process_count) since the last reset before any verdict; the owner
 *   calls `reset` after it changes resolution or frame rate.
 * Pure: measured encode times and the time are arguments.
 */
import { checkInt, checkRange } from "../errors.js";

/** What the detector asks the ladder to do. */
export type CpuSignal = "overuse" | "underuse" | "normal";

/** Options of {@link CpuOveruseDetector}. */
export interface CpuOveruseDetectorOptions {
  /** Usage above which the encoder overuses, percent (default 85). */
  highUsagePct?: number;
  /** Usage below which it underuses, percent (default 42). */
  lowUsagePct?: number;
  /** Checks in a row above the high threshold before overuse (default 2). */
  overuseChecks?: number;
  /** Time between checks, µs (default 5 000 000). */
  checkIntervalUs?: number;
  /** Frames after a reset before any verdict (default 3). */
  minFrames?: number;
  /** First ramp-up delay after an overuse, µs (default 10 000 000). */
  quickRampUpDelayUs?: number;
  /** An overuse this soon after a step up doubles the delay, µs (default 40 000 000). */
  standardRampUpDelayUs?: number;
  /** Longest ramp-up delay, µs (default 240 000 000). */
  maxRampUpDelayUs?: number;
}

const SAMPLE_INTERVAL_US = 33_333; // libwebrtc kDefaultSampleDiffMs (1000 / 30)
const WEIGHT_PROCESSING = 0.995; // libwebrtc kWeightFactorProcessing
const WEIGHT_FRAME_DIFF = 0.998; // libwebrtc kWeightFactorFrameDiff
const MAX_FRAME_GAP_US = 1_000_000; // a longer gap (paused video) is not a frame interval

/** Encode-time usage of the frame budget, with overuse/underuse verdicts. */
export class CpuOveruseDetector {
  private readonly highPct: number;
  private readonly lowPct: number;
  private readonly overuseChecks: number;
  private readonly checkIntervalUs: number;
  private readonly minFrames: number;
  private readonly quickRampUpUs: number;
  private readonly standardRampUpUs: number;
  private readonly maxRampUpUs: number;

  private lastFrameUs = NaN;
  private frames = 0;
  private processingUs = NaN;
  private frameDiffUs = NaN;
  private nextCheckUs = NaN;
  private consecutiveHigh = 0;
  private lastOveruseUs = NaN;
  private lastRampUpUs = NaN;
  private rampUpDelayUs: number;
  private counters = { frames: 0, checks: 0, overuses: 0, underuses: 0, resets: 0, badSamples: 0 };

  constructor(options: CpuOveruseDetectorOptions = {}) {
    this.highPct = checkRange("highUsagePct", options.highUsagePct ?? 85, 1, 1000);
    this.lowPct = checkRange("lowUsagePct", options.lowUsagePct ?? 42, 0, this.highPct);
    this.overuseChecks = checkInt("overuseChecks", options.overuseChecks ?? 2, 1, 100);
    this.checkIntervalUs = checkRange("checkIntervalUs", options.checkIntervalUs ?? 5_000_000, 10_000, 600_000_000);
    this.minFrames = checkInt("minFrames", options.minFrames ?? 3, 1, 1000);
    this.quickRampUpUs = checkRange("quickRampUpDelayUs", options.quickRampUpDelayUs ?? 10_000_000, 0, 3_600_000_000);
    this.standardRampUpUs = checkRange("standardRampUpDelayUs", options.standardRampUpDelayUs ?? 40_000_000, 0, 3_600_000_000);
    this.maxRampUpUs = checkRange("maxRampUpDelayUs", options.maxRampUpDelayUs ?? 240_000_000, this.quickRampUpUs, 3_600_000_000);
    this.rampUpDelayUs = this.quickRampUpUs;
  }

  /**
   * Records one encoded frame: `encodeUs` it took, `captureTimeUs` of the frame (the interval
   * between consecutive frames is the budget). Absurd samples (negative, non-finite) are
   * dropped and counted.
   */
  onFrameEncoded(encodeUs: number, captureTimeUs: number): void {
    if (!Number.isFinite(encodeUs) || encodeUs < 0 || !Number.isFinite(captureTimeUs)) {
      this.counters.badSamples++;
      return;
    }
    this.counters.frames++;
    const diff = captureTimeUs - this.lastFrameUs;
    this.lastFrameUs = captureTimeUs;
    if (Number.isNaN(this.nextCheckUs)) this.nextCheckUs = captureTimeUs + this.checkIntervalUs;
    if (!(diff > 0) || diff > MAX_FRAME_GAP_US) return; // first frame, reordered, or after a pause
    this.frames++;
    const exp = diff / SAMPLE_INTERVAL_US;
    if (Number.isNaN(this.frameDiffUs)) {
      // Start from the middle of the thresholds (libwebrtc's InitialProcessingMs), so neither
      // verdict comes from the first frame alone.
      this.frameDiffUs = diff;
      this.processingUs = (((this.lowPct + this.highPct) / 2) * diff) / 100;
    }
    this.frameDiffUs = filter(this.frameDiffUs, diff, Math.pow(WEIGHT_FRAME_DIFF, exp));
    this.processingUs = filter(this.processingUs, encodeUs, Math.pow(WEIGHT_PROCESSING, exp));
  }

  /** Smoothed encode time as a percentage of the frame interval (NaN before two frames). */
  get usagePct(): number {
    return (100 * this.processingUs) / this.frameDiffUs;
  }

  /**
   * Runs the periodic check when due: "overuse" (step down), "underuse" (step up allowed) or
   * "normal". Call it as often as convenient; it answers "normal" between checks.
   */
  check(nowUs: number): CpuSignal {
    if (Number.isNaN(this.nextCheckUs) || nowUs < this.nextCheckUs) return "normal";
    this.nextCheckUs = nowUs + this.checkIntervalUs;
    this.counters.checks++;
    if (this.frames < this.minFrames) return "normal";
    const usage = this.usagePct;
    if (usage > this.highPct) {
      if (++this.consecutiveHigh < this.overuseChecks) return "normal";
      this.consecutiveHigh = 0;
      // A step up that failed soon: wait twice as long before the next one.
      if (!Number.isNaN(this.lastRampUpUs) && this.lastRampUpUs > (Number.isNaN(this.lastOveruseUs) ? -Infinity : this.lastOveruseUs)) {
        this.rampUpDelayUs = nowUs - this.lastRampUpUs < this.standardRampUpUs ? Math.min(this.maxRampUpUs, 2 * this.rampUpDelayUs) : this.quickRampUpUs;
      }
      this.lastOveruseUs = nowUs;
      this.counters.overuses++;
      return "overuse";
    }
    this.consecutiveHigh = 0;
    if (usage < this.lowPct) {
      if (!Number.isNaN(this.lastOveruseUs) && nowUs - this.lastOveruseUs < this.rampUpDelayUs) return "normal";
      // Consecutive steps up are a quick ramp-up delay apart (libwebrtc in_quick_rampup).
      if (!Number.isNaN(this.lastRampUpUs) && nowUs - this.lastRampUpUs < this.quickRampUpUs) return "normal";
      this.lastRampUpUs = nowUs;
      this.counters.underuses++;
      return "underuse";
    }
    return "normal";
  }

  /** Forgets the measurements (after a resolution or frame-rate change), keeps the ramp-up state. */
  reset(): void {
    this.frames = 0;
    this.processingUs = NaN;
    this.frameDiffUs = NaN;
    this.lastFrameUs = NaN;
    this.consecutiveHigh = 0;
    this.counters.resets++;
  }

  /** The current wait before a step up is allowed after an overuse, µs. */
  get rampUpDelayUsNow(): number {
    return this.rampUpDelayUs;
  }

  stats(): Record<string, number> {
    return { ...this.counters, usagePct: Number.isFinite(this.usagePct) ? this.usagePct : 0, rampUpDelayUs: this.rampUpDelayUs };
  }
}

function filter(prev: number, sample: number, alpha: number): number {
  return alpha * prev + (1 - alpha) * sample;
}
