/**
 * The rate controller of the delay-based estimator (draft-ietf-rmcat-gcc-02 section 5.5,
 * libwebrtc goog_cc AimdRateControl): a three-state machine driven by the over-use signal.
 * "increase" grows the estimate multiplicatively (8% per second) while the link capacity is
 * unknown, and additively (about one packet per response time) once an earlier over-use has
 * shown where the capacity is; "decrease" sets it to beta (0.85) times the acknowledged
 * throughput; "hold" waits for the queues to drain. The increase never goes beyond 1.5 times
 * what is actually getting through, so an application-limited sender does not run away.
 */
import { checkRange } from "../errors.js";
import type { BandwidthUsage } from "./overuse-detector.js";

/** The rate controller's state (draft 5.5 figure 2). */
export type RateControlState = "hold" | "increase" | "decrease";

/** draft 5.5 beta in [0.8, 0.95]; libwebrtc kDefaultBackoffFactor 0.85. */
const DEFAULT_BETA = 0.85;
/** draft 5.5 eta = 1.08: +8% per second when far from convergence (libwebrtc MultiplicativeRateIncrease alpha). */
const MULTIPLICATIVE_GROWTH_PER_S = 1.08;
/** libwebrtc MultiplicativeRateIncrease: at least 1 kbps per step. */
const MIN_MULTIPLICATIVE_INCREASE_BPS = 1_000;
/** libwebrtc GetNearMaxIncreaseRateBpsPerSecond: at least 4 kbps per second near the capacity. */
const MIN_NEAR_MAX_INCREASE_BPS_PER_S = 4_000;
/** libwebrtc: additive increase assumes 30 fps and 1200-byte packets (draft 5.5: one packet per response time). */
const ASSUMED_FRAME_RATE = 30;
const ASSUMED_PACKET_SIZE_BITS = 1200 * 8;
/** draft 5.5 / libwebrtc: response time = RTT + 100 ms (the detector's reaction delay). */
const RESPONSE_TIME_EXTRA_MS = 100;
/** libwebrtc AimdRateControl kDefaultRtt: 200 ms until a measurement arrives. */
const DEFAULT_RTT_MS = 200;
/** libwebrtc ChangeBitrate: the increase is limited to 1.5 × throughput + 10 kbps. */
const THROUGHPUT_LIMIT_FACTOR = 1.5;
const THROUGHPUT_LIMIT_EXTRA_BPS = 10_000;
/** libwebrtc GetFeedbackInterval-derived bounds of the reduction interval: RTT clamped to [10, 200] ms. */
const MIN_REDUCTION_INTERVAL_US = 10_000;
const MAX_REDUCTION_INTERVAL_US = 200_000;
/** Ours: decreases at least one response time apart, the response time capped at 1 s (see timeToReduceFurther). */
const MAX_DECREASE_SPACING_US = 1_000_000;
/** libwebrtc LinkCapacityEstimator: exponential averaging weight 0.05 on each over-use. */
const LINK_CAPACITY_ALPHA = 0.05;
/** libwebrtc LinkCapacityEstimator: normalized deviation clamped to [0.4, 2.5]; bounds at ±3 deviations. */
const LINK_DEVIATION_MIN = 0.4;
const LINK_DEVIATION_MAX = 2.5;

/**
 * The link capacity seen at over-use (libwebrtc LinkCapacityEstimator, kbps internally): the
 * throughput at each over-use averaged, with a deviation, so "near the capacity" can be told.
 */
class LinkCapacity {
  private estimateKbps = NaN;
  private deviationKbps = LINK_DEVIATION_MIN;

  get hasEstimate(): boolean {
    return !Number.isNaN(this.estimateKbps);
  }

  get estimateBps(): number {
    return this.estimateKbps * 1000;
  }

  upperBoundBps(): number {
    return this.hasEstimate ? (this.estimateKbps + 3 * this.spreadKbps()) * 1000 : Infinity;
  }

  lowerBoundBps(): number {
    return this.hasEstimate ? Math.max(0, this.estimateKbps - 3 * this.spreadKbps()) * 1000 : 0;
  }

  onOveruse(throughputBps: number): void {
    const sampleKbps = throughputBps / 1000;
    if (!this.hasEstimate) {
      this.estimateKbps = sampleKbps;
    } else {
      this.estimateKbps = (1 - LINK_CAPACITY_ALPHA) * this.estimateKbps + LINK_CAPACITY_ALPHA * sampleKbps;
    }
    const norm = Math.max(this.estimateKbps, 1);
    const error = this.estimateKbps - sampleKbps;
    this.deviationKbps = (1 - LINK_CAPACITY_ALPHA) * this.deviationKbps + (LINK_CAPACITY_ALPHA * error * error) / norm;
    this.deviationKbps = Math.min(LINK_DEVIATION_MAX, Math.max(LINK_DEVIATION_MIN, this.deviationKbps));
  }

  reset(): void {
    this.estimateKbps = NaN;
  }

  private spreadKbps(): number {
    return Math.sqrt(this.deviationKbps * this.estimateKbps);
  }
}

/** Options of an AimdRateControl. */
export interface AimdRateControlOptions {
  /** Estimate before any feedback (bps). Default 300 000. */
  startRateBps?: number;
  /** Lowest estimate (bps). Default 30 000. */
  minRateBps?: number;
  /** Highest estimate (bps). Default 2 500 000. */
  maxRateBps?: number;
  /** Multiplicative decrease on over-use. Default 0.85 (draft 5.5, libwebrtc). 0.5 to 0.99. */
  beta?: number;
}

/** AIMD rate control driven by the over-use signal (draft-ietf-rmcat-gcc-02 5.5). */
export class AimdRateControl {
  private readonly minRateBps: number;
  private readonly maxRateBps: number;
  private readonly beta: number;
  private currentBps: number;
  private stateValue: RateControlState = "hold";
  private readonly linkCapacity = new LinkCapacity();
  private latestThroughputBps: number;
  private lastChangeUs = -Infinity;
  private lastDecreaseUs = -Infinity;
  private rttMs = DEFAULT_RTT_MS;
  private nDecreases = 0;

  constructor(options: AimdRateControlOptions = {}) {
    this.minRateBps = checkRange("minRateBps", options.minRateBps ?? 30_000, 1_000, 1e10);
    this.maxRateBps = checkRange("maxRateBps", options.maxRateBps ?? 2_500_000, this.minRateBps, 1e10);
    this.currentBps = checkRange("startRateBps", options.startRateBps ?? 300_000, this.minRateBps, this.maxRateBps);
    this.beta = checkRange("beta", options.beta ?? DEFAULT_BETA, 0.5, 0.99);
    this.latestThroughputBps = this.currentBps;
  }

  /** The current estimate (bps). */
  get estimateBps(): number {
    return this.currentBps;
  }

  /** The state machine's state. */
  get state(): RateControlState {
    return this.stateValue;
  }

  /** The link capacity estimated at over-use (bps), undefined until the first over-use. */
  get linkCapacityBps(): number | undefined {
    return this.linkCapacity.hasEstimate ? this.linkCapacity.estimateBps : undefined;
  }

  /** Round-trip time used for the response time and reduction interval (ms). */
  setRttMs(rttMs: number): void {
    this.rttMs = rttMs;
  }

  /** Sets the estimate directly (a probe result or an initial back-off); clamped to min/max. */
  setEstimate(rateBps: number, nowUs: number): void {
    this.currentBps = this.clamp(rateBps);
    this.lastChangeUs = nowUs;
  }

  /**
   * True when enough time has passed since the last change to reduce again (libwebrtc
   * TimeToReduceFurther: RTT clamped to [10, 200] ms, or at once when the throughput fell below
   * half the estimate). Ours in addition: never within one response time (RTT + 100 ms, at
   * most 1 s) of the previous decrease. The effect of a decrease shows only a round trip later;
   * before that the acknowledged rate falls because we sent less, not because the path got
   * slower, and libwebrtc's half-throughput shortcut then cut again and again (a step to
   * 200 kbps took the estimate to the 30 kbps minimum within a few feedbacks).
   */
  timeToReduceFurther(nowUs: number, throughputBps: number): boolean {
    const responseUs = Math.min(MAX_DECREASE_SPACING_US, (this.rttMs + RESPONSE_TIME_EXTRA_MS) * 1000);
    if (nowUs - this.lastDecreaseUs < responseUs) return false;
    const intervalUs = Math.min(MAX_REDUCTION_INTERVAL_US, Math.max(MIN_REDUCTION_INTERVAL_US, this.rttMs * 1000));
    if (nowUs - this.lastChangeUs >= intervalUs) return true;
    // The throughput fell below half the estimate: reduce now, whatever the interval.
    return throughputBps < 0.5 * this.currentBps;
  }

  /**
   * One controller step on the detector's signal and the acknowledged throughput (bps, or
   * undefined before the throughput estimator has one). Returns the new estimate.
   */
  update(usage: BandwidthUsage, throughputBps: number | undefined, nowUs: number): number {
    if (throughputBps !== undefined) this.latestThroughputBps = throughputBps;
    const throughput = this.latestThroughputBps;
    // draft 5.5 figure 2: the state transitions on each signal.
    if (usage === "overusing") {
      if (this.stateValue !== "decrease") this.stateValue = "decrease";
    } else if (usage === "underusing") {
      this.stateValue = "hold";
    } else if (this.stateValue === "hold") {
      this.stateValue = "increase";
    }
    let next = this.currentBps;
    if (this.stateValue === "increase") {
      if (throughput > this.linkCapacity.upperBoundBps()) this.linkCapacity.reset();
      const limitBps = THROUGHPUT_LIMIT_FACTOR * throughput + THROUGHPUT_LIMIT_EXTRA_BPS;
      if (this.currentBps < limitBps) {
        const increased = this.linkCapacity.hasEstimate
          ? this.currentBps + this.additiveIncreaseBps(nowUs)
          : this.currentBps + this.multiplicativeIncreaseBps(nowUs);
        next = Math.min(increased, limitBps);
      }
      this.lastChangeUs = nowUs;
    } else if (this.stateValue === "decrease") {
      // draft 5.5: A_hat(i) = beta · R_hat(i), just under what got through, to drain the queue.
      let decreased = throughput * this.beta;
      if (decreased > this.currentBps && this.linkCapacity.hasEstimate) decreased = this.beta * this.linkCapacity.estimateBps;
      if (decreased < this.currentBps) next = decreased;
      if (throughput < this.linkCapacity.lowerBoundBps()) this.linkCapacity.reset();
      this.linkCapacity.onOveruse(throughput);
      this.stateValue = "hold";
      this.lastChangeUs = nowUs;
      this.lastDecreaseUs = nowUs;
      this.nDecreases++;
    }
    this.currentBps = this.clamp(next);
    return this.currentBps;
  }

  /** Decreases so far. */
  get decreases(): number {
    return this.nDecreases;
  }

  /** When the last decrease happened (µs; -Infinity before any). */
  get lastDecreaseAtUs(): number {
    return this.lastDecreaseUs;
  }

  private clamp(rateBps: number): number {
    return Math.min(this.maxRateBps, Math.max(this.minRateBps, rateBps));
  }

  /** draft 5.5: eta^(time since last update), eta = 1.08 per second, the exponent capped at 1 s. */
  private multiplicativeIncreaseBps(nowUs: number): number {
    let alpha = MULTIPLICATIVE_GROWTH_PER_S;
    if (Number.isFinite(this.lastChangeUs)) {
      const dtS = Math.max(0, Math.min((nowUs - this.lastChangeUs) / 1e6, 1));
      alpha = Math.pow(MULTIPLICATIVE_GROWTH_PER_S, dtS);
    }
    return Math.max(this.currentBps * (alpha - 1), MIN_MULTIPLICATIVE_INCREASE_BPS);
  }

  /** draft 5.5: about one average packet per response time (RTT + 100 ms). */
  private additiveIncreaseBps(nowUs: number): number {
    if (!Number.isFinite(this.lastChangeUs)) return 0;
    const dtS = Math.max(0, (nowUs - this.lastChangeUs) / 1e6);
    const bitsPerFrame = this.currentBps / ASSUMED_FRAME_RATE;
    const packetsPerFrame = Math.ceil(bitsPerFrame / ASSUMED_PACKET_SIZE_BITS);
    const avgPacketBits = bitsPerFrame / packetsPerFrame;
    const responseTimeS = (this.rttMs + RESPONSE_TIME_EXTRA_MS) / 1000;
    const ratePerS = Math.max(MIN_NEAR_MAX_INCREASE_BPS_PER_S, avgPacketBits / responseTimeS);
    return ratePerS * dtS;
  }
}
