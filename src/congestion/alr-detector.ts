/**
 * Application-limited region detection (libwebrtc goog_cc AlrDetector): the sender is in ALR
 * when it uses much less than the estimate allows, e.g. a static screen or a paused camera.
 * A budget fills at 65% of the estimate and empties by the bytes sent; ALR starts when more
 * than 80% of the budget (a 500 ms window) is unused and ends when less than 50% is. In ALR
 * the feedback cannot show whether the estimate is right, so probing takes over.
 */

/** libwebrtc AlrDetectorConfig bandwidth_usage_ratio 0.65. */
const BANDWIDTH_USAGE_RATIO = 0.65;
/** libwebrtc AlrDetectorConfig start_budget_level_ratio 0.80, stop_budget_level_ratio 0.50. */
const START_BUDGET_LEVEL = 0.8;
const STOP_BUDGET_LEVEL = 0.5;
/** libwebrtc IntervalBudget kWindowMs: 500 ms. */
const WINDOW_US = 500_000;

/** Detects when the sender is application-limited (libwebrtc AlrDetector). */
export class AlrDetector {
  private targetRateBps = 0;
  private bytesRemaining = 0;
  private lastSendUs = NaN;
  private alrStartedUs: number | undefined;
  private alrEndedUs: number | undefined;

  /** Tells the detector the current estimate (bps). */
  setEstimatedBitrate(rateBps: number): void {
    this.targetRateBps = rateBps * BANDWIDTH_USAGE_RATIO;
    const max = this.maxBytes();
    this.bytesRemaining = Math.min(Math.max(this.bytesRemaining, -max), max);
  }

  /** One sent packet (its size and send time, sender clock). Earlier send times than the last are ignored. */
  onBytesSent(sizeBytes: number, sendTimeUs: number): void {
    if (Number.isNaN(this.lastSendUs)) {
      this.lastSendUs = sendTimeUs;
      return;
    }
    if (sendTimeUs < this.lastSendUs) return;
    const deltaUs = sendTimeUs - this.lastSendUs;
    this.lastSendUs = sendTimeUs;
    const max = this.maxBytes();
    if (max <= 0) return;
    this.bytesRemaining = Math.max(this.bytesRemaining - sizeBytes, -max);
    this.bytesRemaining = Math.min(this.bytesRemaining + (this.targetRateBps * deltaUs) / 8e6, max);
    const level = this.bytesRemaining / max;
    if (level > START_BUDGET_LEVEL && this.alrStartedUs === undefined) {
      this.alrStartedUs = sendTimeUs;
    } else if (level < STOP_BUDGET_LEVEL && this.alrStartedUs !== undefined) {
      this.alrStartedUs = undefined;
      this.alrEndedUs = sendTimeUs;
    }
  }

  /** When the current ALR period started, or undefined when not in ALR. */
  get alrStartTimeUs(): number | undefined {
    return this.alrStartedUs;
  }

  /** When the last ALR period ended, or undefined. */
  get alrEndedTimeUs(): number | undefined {
    return this.alrEndedUs;
  }

  private maxBytes(): number {
    return (this.targetRateBps * WINDOW_US) / 8e6;
  }
}
