/**
 * Congestion-window pushback (libwebrtc goog_cc CongestionWindowPushbackController, on by
 * default in Chrome through the "WebRTC-CongestionWindow" field trial): the data in flight
 * (sent, not yet covered by feedback) is compared with a window of (feedback RTT + 350 ms) at
 * the target rate. While more is in flight than the window holds, the encoder target is
 * pushed down (×0.9 per update above 1.5 windows, ×0.95 above 1), and it comes back (×1.05)
 * once the window empties. This is what drains a deep bottleneck queue quickly after a sudden
 * capacity drop, when the delay detector only sees the queue late: the pushed-back target
 * never goes below `minRateBps` unless the estimate itself is lower.
 *
 * Differences from libwebrtc: the ratio steps once per new in-flight figure, not on every call
 * (a 25 ms tick repeating a stale figure while feedback is held up in a congested return path
 * compounded 0.9 per tick down to the minimum, and stayed there); pushback does not stack on a
 * decrease of the estimate itself: when the estimate falls, the ratio is raised so the pushed
 * target stays where it was (the delay-based decrease has done what the pushback was standing
 * in for); the window's queue time follows the feedback interval (one interval + 50 ms, 100
 * to 350 ms) and makes room for a keyframe's burst until it is acknowledged; and over the window
 * the ratio falls at least by the overfill (x 1/fill), so a return path congested as well
 * (both directions dropped from 1 Mbps to 200 kbps) is answered ~0.25 s after the drop rather
 * than ~0.5 s, when the bottleneck buffer was already full.
 */
import { checkRange } from "../errors.js";

/** libwebrtc WebRTC-CongestionWindow QueueSize:350 (ms added to the RTT for the window). */
const DEFAULT_QUEUE_TIME_MS = 350;
/** The least queue time the window allows when feedback comes often (ms). */
const MIN_QUEUE_TIME_MS = 100;
/** libwebrtc GoogCcNetworkController kMinCwnd: at least 2 × 1500 bytes. */
const MIN_WINDOW_BYTES = 3_000;
/** libwebrtc CongestionWindowPushbackController fill-ratio steps. */
const FILL_HIGH = 1.5;
const FILL_LOW = 0.1;
const STEP_DOWN_HIGH = 0.9;
const STEP_DOWN = 0.95;
const STEP_UP = 1.05;

/** Options of a CongestionWindowPushback. */
export interface CongestionWindowPushbackOptions {
  /** Queue time added to the RTT (ms), the most (see `onFeedback`). Default 350 (libwebrtc field trial). 0 to 10 000. */
  queueTimeMs?: number;
  /** Pushback never goes below this unless the estimate does (bps). Default 30 000 (libwebrtc MinBitrate:30000). */
  minRateBps?: number;
}

/** Pushes the encoder target down while too much data is in flight (libwebrtc CongestionWindowPushbackController). */
export class CongestionWindowPushback {
  private readonly queueTimeMs: number;
  private readonly minRateBps: number;
  private windowBytes = 0;
  private inFlightBytes = 0;
  private ratio = 1;
  private fresh = false;
  private lastEstimateBps = NaN;
  private feedbackIntervalMs = NaN;
  private lastFeedbackUs = -Infinity;
  private burstBytes = 0;
  private burstUntilUs = -Infinity;

  constructor(options: CongestionWindowPushbackOptions = {}) {
    this.queueTimeMs = checkRange("queueTimeMs", options.queueTimeMs ?? DEFAULT_QUEUE_TIME_MS, 0, 10_000);
    this.minRateBps = checkRange("minRateBps", options.minRateBps ?? 30_000, 0, 1e10);
  }

  /** The current multiplier (0..1] applied to the target. */
  get encodingRateRatio(): number {
    return this.ratio;
  }

  /** The window (bytes). */
  get dataWindowBytes(): number {
    return this.windowBytes;
  }

  /** Bytes sent and not yet covered by feedback, from the latest feedback. */
  setDataInFlight(bytes: number): void {
    this.inFlightBytes = bytes;
    this.fresh = true;
  }

  /**
   * A feedback with usable packets arrived: the window follows how often they come (smoothed,
   * weight 0.1; a gap over 1 s is an outage, not the interval). Just before a feedback, the
   * data in flight is one RTT plus one feedback interval of sending; libwebrtc's fixed 350 ms
   * covers the slowest feedback (250 ms at low rates), but at 1 Mbps, with feedback every 50 ms,
   * it let the sender go on at the old rate until the bottleneck buffer was full (0.45 s after
   * a 1 Mbps -> 200 kbps drop in both directions, when each side's feedback waits in the other
   * side's filling queue). The window's queue time becomes one interval + 50 ms (at least 100,
   * at most `queueTimeMs`): at 1 Mbps both ways that cut the time until the queue was back under
   * 100 ms from ~2.8 to ~2.2 s, and a keyframe's burst has its own allowance (`allowBurst`).
   */
  onFeedback(nowUs: number): void {
    if (!Number.isFinite(nowUs)) return;
    const gapMs = (nowUs - this.lastFeedbackUs) / 1000;
    if (gapMs >= 0 && gapMs <= 1000) this.feedbackIntervalMs = Number.isNaN(this.feedbackIntervalMs) ? gapMs : this.feedbackIntervalMs + 0.1 * (gapMs - this.feedbackIntervalMs);
    this.lastFeedbackUs = nowUs;
  }

  /**
   * A keyframe of `bytes` just went to the pacer: until `untilUs` (sent, one RTT and the
   * window's queue time later) the window holds it on top. A keyframe is several frames'
   * worth at once (33 KB at 640x480 against a 33 KB window at 880 kbps): counted as
   * congestion, it pushed the target down, the acknowledged rate with it, and the next
   * delay-based cut (0.85x the acknowledged rate) took the estimate from 816 to 334 kbps.
   */
  allowBurst(bytes: number, untilUs: number): void {
    if (!(bytes > 0) || !Number.isFinite(untilUs)) return;
    this.burstBytes = bytes;
    this.burstUntilUs = untilUs;
  }

  /** The queue time the window allows now (ms). */
  get windowQueueTimeMs(): number {
    if (Number.isNaN(this.feedbackIntervalMs)) return this.queueTimeMs;
    return Math.min(this.queueTimeMs, Math.max(MIN_QUEUE_TIME_MS, this.feedbackIntervalMs + 50));
  }

  /** Recomputes the window from the minimum feedback RTT and the (loss-based) target: averaged with the last (libwebrtc UpdateCongestionWindowSize). */
  updateWindow(minRttMs: number, targetRateBps: number): void {
    const bytes = ((minRttMs + this.windowQueueTimeMs) * targetRateBps) / 8000;
    this.windowBytes = this.windowBytes > 0 ? Math.max(MIN_WINDOW_BYTES, (bytes + this.windowBytes) / 2) : Math.max(MIN_WINDOW_BYTES, bytes);
  }

  /**
   * The target after pushback (bps); the ratio steps only if the data in flight was set since
   * the last step. `nowUs` (optional) lets a burst allowance count.
   */
  apply(targetRateBps: number, nowUs = NaN): number {
    if (this.windowBytes <= 0) return targetRateBps;
    const prev = this.lastEstimateBps;
    if (targetRateBps < prev && this.ratio < 1) this.ratio = Math.min(1, (this.ratio * prev) / targetRateBps);
    this.lastEstimateBps = targetRateBps;
    if (this.fresh) {
      this.fresh = false;
      const fill = this.inFlightBytes / (this.windowBytes + (nowUs < this.burstUntilUs ? this.burstBytes : 0));
      // libwebrtc steps x0.9 above 1.5 windows, x0.95 above 1; here at least by the overfill
      // (1/fill), so a window 1.5x over is answered within a tick or two, not in eight.
      if (fill > FILL_HIGH) this.ratio *= Math.min(STEP_DOWN_HIGH, 1 / fill);
      else if (fill > 1) this.ratio *= Math.min(STEP_DOWN, 1 / fill);
      else if (fill < FILL_LOW) this.ratio = 1;
      else this.ratio = Math.min(1, this.ratio * STEP_UP);
    }
    // Never further down than the minimum needs: a ratio far below it would take many
    // windows-empty steps (x1.05) to climb back once the queue has drained.
    if (targetRateBps > 0) this.ratio = Math.max(this.ratio, Math.min(1, this.minRateBps / targetRateBps));
    const adjusted = targetRateBps * this.ratio;
    return adjusted < this.minRateBps ? Math.min(targetRateBps, this.minRateBps) : adjusted;
  }
}
