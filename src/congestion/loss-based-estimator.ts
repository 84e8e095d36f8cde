/**
 * The loss-based controller (draft-ietf-rmcat-gcc-02 section 6, libwebrtc goog_cc
 * SendSideBandwidthEstimation, the "classic" loss-based estimate): driven by the fraction lost
 * in RTCP receiver reports. Under 2% loss the rate grows 8% over the lowest rate of the last
 * second; from 2% to 10% it holds; above 10% it falls to rate · (1 − 0.5 · loss), at most once
 * per 300 ms + RTT. It is always capped by the delay-based estimate (draft 6: the sender uses
 * the minimum of the two), and in the first 2 s without loss it follows the delay-based
 * estimate up so start-up probing is not held back.
 *
 * Ours on top of the classic rule: from 2% to 10% it holds only while the delay-based side sees
 * congestion (over-use, or a queue at the bottleneck). Loss with no queue is not the sender's
 * doing (a radio link's random loss: the 3G fixture's 3%), and holding there forever pinned a
 * call at its lowest rate for the whole call; there it grows as under 2%, still capped by the
 * delay-based estimate, which backs off as soon as a queue builds. libwebrtc's LossBasedBweV2
 * answers the same problem by estimating the link's inherent loss.
 */
import { checkRange } from "../errors.js";

/** draft 6 / libwebrtc kDefaultLowLossThreshold: below 2% loss the rate may grow. */
const LOW_LOSS = 0.02;
/** draft 6 / libwebrtc kDefaultHighLossThreshold: above 10% loss the rate falls. */
const HIGH_LOSS = 0.1;
/** draft 6: As_hat = 1.05 · As_hat in the draft; libwebrtc grows 8% (1.08) plus 1 kbps per kBweIncreaseInterval. */
const INCREASE_FACTOR = 1.08;
const INCREASE_EXTRA_BPS = 1_000;
/** libwebrtc kBweIncreaseInterval: the growth is over the lowest rate of the last 1 s. */
const INCREASE_INTERVAL_US = 1_000_000;
/** libwebrtc kBweDecreaseInterval: at most one decrease per 300 ms + RTT. */
const DECREASE_INTERVAL_US = 300_000;
/** libwebrtc kLimitNumPackets: reports are pooled until they cover at least 20 packets. */
const MIN_PACKETS_PER_REPORT = 20;
/** libwebrtc kStartPhase: 2 s in which the delay-based estimate is trusted while no loss is seen. */
const START_PHASE_US = 2_000_000;
/** libwebrtc kMaxRtcpFeedbackInterval 5 s; a loss report older than 1.2 × that is stale. */
const LOSS_REPORT_TIMEOUT_US = 6_000_000;

/** Options of a LossBasedEstimator. */
export interface LossBasedEstimatorOptions {
  /** Rate before any report (bps). Default 300 000. */
  startRateBps?: number;
  /** Lowest rate (bps). Default 30 000. */
  minRateBps?: number;
  /** Highest rate (bps). Default 2 500 000. */
  maxRateBps?: number;
}

/** Loss-based send-rate controller (draft-ietf-rmcat-gcc-02 6). */
export class LossBasedEstimator {
  private readonly minRateBps: number;
  private readonly maxRateBps: number;
  private rateBpsValue: number;
  private delayBasedLimitBps = Infinity;
  private lossFractionValue = 0;
  private lastLossReportUs = NaN;
  private hasDecreasedSinceReport = false;
  private lastDecreaseUs = -Infinity;
  private firstUpdateUs = NaN;
  private rttMs = 0;
  /** (time, rate) pairs of the last second with increasing rates: the front is the minimum (libwebrtc min_bitrate_history_). */
  private readonly historyUs: number[] = [];
  private readonly historyBps: number[] = [];
  private nDecreases = 0;
  private pooledLost = 0;
  private pooledExpected = 0;
  private congestionSeen = true;

  constructor(options: LossBasedEstimatorOptions = {}) {
    this.minRateBps = checkRange("minRateBps", options.minRateBps ?? 30_000, 1_000, 1e10);
    this.maxRateBps = checkRange("maxRateBps", options.maxRateBps ?? 2_500_000, this.minRateBps, 1e10);
    this.rateBpsValue = checkRange("startRateBps", options.startRateBps ?? 300_000, this.minRateBps, this.maxRateBps);
  }

  /** The current rate (bps), already capped by the delay-based limit. */
  get rateBps(): number {
    return this.rateBpsValue;
  }

  /** The last reported loss fraction (0..1). */
  get lossFraction(): number {
    return this.lossFractionValue;
  }

  /** Decreases applied so far. */
  get decreases(): number {
    return this.nDecreases;
  }

  /**
   * A receiver report's fraction lost (0..1, RFC 3550 6.4.1 divided by 256). With
   * `packetsExpected` (the packets the report covers), reports are pooled until they cover 20
   * packets (libwebrtc kLimitNumPackets), so a report over a handful of packets at a low rate
   * does not read 1 loss in 8 as 12.5%; returns false while pooling.
   */
  onLossReport(fractionLost: number, nowUs: number, packetsExpected?: number): boolean {
    if (packetsExpected !== undefined) {
      this.pooledLost += fractionLost * packetsExpected;
      this.pooledExpected += packetsExpected;
      if (this.pooledExpected < MIN_PACKETS_PER_REPORT) return false;
      fractionLost = this.pooledLost / this.pooledExpected;
      this.pooledLost = 0;
      this.pooledExpected = 0;
    }
    this.lossFractionValue = fractionLost;
    this.lastLossReportUs = nowUs;
    this.hasDecreasedSinceReport = false;
    return true;
  }

  /** The RTT the decrease interval adds (ms). */
  setRttMs(rttMs: number): void {
    this.rttMs = rttMs;
  }

  /**
   * Whether the delay-based side sees congestion now (over-use or a standing queue); default
   * true, the classic hold. Without congestion, 2% to 10% loss does not hold the rate.
   */
  setCongestionSeen(seen: boolean): void {
    this.congestionSeen = seen;
  }

  /** The delay-based estimate caps this one (draft 6: min of both). */
  setDelayBasedLimit(limitBps: number): void {
    this.delayBasedLimitBps = limitBps;
    this.setTarget(this.rateBpsValue);
  }

  /** Sets the rate directly (a probe result): the delay cap is lifted and the history cleared. */
  setRate(rateBps: number): void {
    this.delayBasedLimitBps = Infinity;
    this.setTarget(rateBps);
    this.historyUs.length = 0;
    this.historyBps.length = 0;
  }

  /** One step (on each loss report and each process tick). Returns the rate. */
  update(nowUs: number): number {
    if (Number.isNaN(this.firstUpdateUs)) this.firstUpdateUs = nowUs;
    if (this.lossFractionValue === 0 && nowUs - this.firstUpdateUs < START_PHASE_US && Number.isFinite(this.delayBasedLimitBps)) {
      const next = Math.max(this.delayBasedLimitBps, this.rateBpsValue);
      if (next !== this.rateBpsValue) {
        this.historyUs.length = 0;
        this.historyBps.length = 0;
        this.historyUs.push(nowUs);
        this.historyBps.push(this.rateBpsValue);
        this.setTarget(next);
        return this.rateBpsValue;
      }
    }
    this.updateHistory(nowUs);
    if (Number.isNaN(this.lastLossReportUs)) {
      // No receiver report yet: nothing says loss limits us, so follow the delay-based
      // estimate (ours; libwebrtc holds here, but it always gets RTCP RRs).
      this.setTarget(Number.isFinite(this.delayBasedLimitBps) ? this.delayBasedLimitBps : this.rateBpsValue);
      return this.rateBpsValue;
    }
    if (nowUs - this.lastLossReportUs < LOSS_REPORT_TIMEOUT_US) {
      const loss = this.lossFractionValue;
      if (loss <= LOW_LOSS || (loss <= HIGH_LOSS && !this.congestionSeen)) {
        const minRecent = this.historyBps[0] ?? this.rateBpsValue;
        this.setTarget(minRecent * INCREASE_FACTOR + INCREASE_EXTRA_BPS);
        return this.rateBpsValue;
      }
      if (loss > HIGH_LOSS && !this.hasDecreasedSinceReport && nowUs - this.lastDecreaseUs >= DECREASE_INTERVAL_US + this.rttMs * 1000) {
        this.lastDecreaseUs = nowUs;
        this.hasDecreasedSinceReport = true;
        this.nDecreases++;
        // draft 6: As_hat = As_hat · (1 − 0.5 · p).
        this.setTarget(this.rateBpsValue * (1 - 0.5 * loss));
        return this.rateBpsValue;
      }
      // 2% to 10% with congestion seen: hold.
    }
    this.setTarget(this.rateBpsValue);
    return this.rateBpsValue;
  }

  private setTarget(rateBps: number): void {
    const upper = Math.min(this.delayBasedLimitBps, this.maxRateBps);
    this.rateBpsValue = Math.max(this.minRateBps, Math.min(rateBps, upper));
  }

  /** Keeps the rates of the last second that are below every later one (libwebrtc UpdateMinHistory). */
  private updateHistory(nowUs: number): void {
    // +1 ms so a rate exactly one interval old still counts as expired (libwebrtc).
    while (this.historyUs.length > 0 && nowUs - this.historyUs[0]! + 1_000 > INCREASE_INTERVAL_US) {
      this.historyUs.shift();
      this.historyBps.shift();
    }
    while (this.historyBps.length > 0 && this.rateBpsValue <= this.historyBps[this.historyBps.length - 1]!) {
      this.historyUs.pop();
      this.historyBps.pop();
    }
    this.historyUs.push(nowUs);
    this.historyBps.push(this.rateBpsValue);
  }
}
