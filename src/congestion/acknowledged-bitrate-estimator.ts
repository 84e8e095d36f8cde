/**
 * Throughput of what the receiver acknowledged (libwebrtc goog_cc AcknowledgedBitrateEstimator
 * + BitrateEstimator; draft-ietf-rmcat-gcc-02 5.5 R_hat, "the incoming bitrate"): bytes of
 * received packets are summed over a window of arrival time (500 ms for the first sample, then
 * 150 ms), and each window's rate is merged into a running estimate by a scalar Bayesian
 * update whose sample variance grows with the sample's distance from the estimate, so single
 * bursty windows move it little while a lasting change wins within a few windows.
 */
import { checkRange } from "../errors.js";
import type { PacketResult } from "./congestion-types.js";

/** libwebrtc BitrateEstimator kInitialRateWindowMs: 500 ms for the first sample. */
const INITIAL_WINDOW_US = 500_000;
/** libwebrtc BitrateEstimator kRateWindowMs: 150 ms afterwards. */
const WINDOW_US = 150_000;
/** libwebrtc BitrateEstimator uncertainty_scale 10 (and 20 in ALR, uncertainty_scale_in_alr). */
const UNCERTAINTY_SCALE = 10;
const UNCERTAINTY_SCALE_IN_ALR = 20;
/** libwebrtc BitrateEstimator: initial variance 50 and process noise 5 per update (kbps²). */
const INITIAL_VARIANCE = 50;
const PROCESS_NOISE = 5;
/** libwebrtc BitrateEstimator::ExpectFastRateChange: +200 variance, so the next sample dominates. */
const FAST_CHANGE_VARIANCE = 200;

/** Options of an AcknowledgedBitrateEstimator. */
export interface AcknowledgedBitrateEstimatorOptions {
  /** Window of later samples (µs). Default 150 000 (libwebrtc). 10 000 to 2 000 000. */
  windowUs?: number;
}

/** Bayesian-smoothed throughput of acknowledged bytes (libwebrtc AcknowledgedBitrateEstimator). */
export class AcknowledgedBitrateEstimator {
  private readonly windowUs: number;
  /** Estimate in kbps as libwebrtc keeps it (its variances are in kbps²); NaN before the first sample. */
  private estimateKbps = NaN;
  private variance = INITIAL_VARIANCE;
  private sumBytes = 0;
  private currentWindowUs = 0;
  private prevTimeUs = NaN;
  private alrEndedUs = NaN;
  private inAlr = false;
  private lastSampleKbps = NaN;

  constructor(options: AcknowledgedBitrateEstimatorOptions = {}) {
    this.windowUs = checkRange("windowUs", options.windowUs ?? WINDOW_US, 10_000, 2_000_000);
  }

  /** Received packets of one feedback, in arrival order (lost ones are skipped). */
  onPacketResults(results: readonly PacketResult[]): void {
    for (const r of results) {
      if (r.receiveTimeUs === undefined) continue;
      if (!Number.isNaN(this.alrEndedUs) && r.sent.sendTimeUs > this.alrEndedUs) {
        // The sender left ALR: the rate is about to jump, trust new samples more.
        this.variance += FAST_CHANGE_VARIANCE;
        this.alrEndedUs = NaN;
      }
      this.add(r.receiveTimeUs, r.sent.sizeBytes);
    }
  }

  /** Tells the estimator the sender is application-limited (wider uncertainty) or not. */
  setInAlr(inAlr: boolean): void {
    this.inAlr = inAlr;
  }

  /** When ALR ended (sender clock, µs): packets sent after it mark a fast rate change. */
  setAlrEndedTimeUs(timeUs: number): void {
    this.alrEndedUs = timeUs;
  }

  /** The rate of the latest closed window alone (bps), unsmoothed; undefined before the first. */
  get lastSampleBps(): number | undefined {
    return Number.isNaN(this.lastSampleKbps) ? undefined : this.lastSampleKbps * 1000;
  }

  /** The estimate (bps), undefined before the first full window. */
  get bitrateBps(): number | undefined {
    return Number.isNaN(this.estimateKbps) ? undefined : this.estimateKbps * 1000;
  }

  private add(atUs: number, sizeBytes: number): void {
    const windowUs = Number.isNaN(this.estimateKbps) ? INITIAL_WINDOW_US : this.windowUs;
    const sampleKbps = this.updateWindow(atUs, sizeBytes, windowUs);
    if (sampleKbps === undefined) return;
    this.lastSampleKbps = sampleKbps;
    if (Number.isNaN(this.estimateKbps)) {
      this.estimateKbps = sampleKbps;
      return;
    }
    const scale = this.inAlr ? UNCERTAINTY_SCALE_IN_ALR : UNCERTAINTY_SCALE;
    const uncertainty = (scale * Math.abs(this.estimateKbps - sampleKbps)) / Math.max(this.estimateKbps, 1e-3);
    const sampleVar = uncertainty * uncertainty;
    const predVar = this.variance + PROCESS_NOISE;
    this.estimateKbps = (sampleVar * this.estimateKbps + predVar * sampleKbps) / (sampleVar + predVar);
    this.variance = (sampleVar * predVar) / (sampleVar + predVar);
  }

  /** libwebrtc BitrateEstimator::UpdateWindow: returns a window's rate (kbps) when it closes. */
  private updateWindow(atUs: number, sizeBytes: number, windowUs: number): number | undefined {
    if (atUs < this.prevTimeUs) {
      // Arrival time went backwards (receiver clock reset): start the window over.
      this.prevTimeUs = NaN;
      this.sumBytes = 0;
      this.currentWindowUs = 0;
    }
    if (!Number.isNaN(this.prevTimeUs)) {
      const gapUs = atUs - this.prevTimeUs;
      this.currentWindowUs += gapUs;
      if (gapUs > windowUs) {
        // Nothing arrived for a whole window: what was summed belongs to no window.
        this.sumBytes = 0;
        this.currentWindowUs %= windowUs;
      }
    }
    this.prevTimeUs = atUs;
    let sample: number | undefined;
    if (this.currentWindowUs >= windowUs) {
      sample = (8 * this.sumBytes) / (windowUs / 1000);
      this.currentWindowUs -= windowUs;
      this.sumBytes = 0;
    }
    this.sumBytes += sizeBytes;
    return sample;
  }
}
