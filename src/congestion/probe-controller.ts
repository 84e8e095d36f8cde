/**
 * When to probe, and at what rate (libwebrtc goog_cc ProbeController; probing is how GCC ramps
 * up faster than its 8%/s, draft-ietf-rmcat-gcc-02 section 5.5 notes the slow start). At
 * start, two clusters at 3× and 6× the start rate; while results keep landing above 70% of the
 * last probe, a further probe at 2× the new estimate ("the estimate grows"); when the sender
 * is application-limited (ALR), a probe at 2× the estimate every 5 s; and after a large drop,
 * when the delay detector has recovered, one probe back towards 85% of the rate before the
 * drop. Every probe is capped at the configured maximum. Pure: time is an argument.
 */
import { checkRange } from "../errors.js";
import type { ProbeCluster } from "./congestion-types.js";

/** libwebrtc ProbeControllerConfig first_exponential_probe_scale 3.0, second_exponential_probe_scale 6.0. */
const FIRST_PROBE_SCALE = 3;
const SECOND_PROBE_SCALE = 6;
/** libwebrtc further_exponential_probe_scale 2.0 and further_probe_threshold 0.7. */
const FURTHER_PROBE_SCALE = 2;
const FURTHER_PROBE_THRESHOLD = 0.7;
/** libwebrtc kMaxWaitingTimeForProbingResult: 1 s. */
const MAX_WAITING_FOR_RESULT_US = 1_000_000;
/** libwebrtc alr_probing_interval 5 s, alr_probe_scale 2. */
const ALR_PROBING_INTERVAL_US = 5_000_000;
const ALR_PROBE_SCALE = 2;
/** Between probes for room while video is paused (ours; libwebrtc's ALR probing waits 5 s). */
const PAUSED_PROBE_INTERVAL_US = 2_000_000;
/** libwebrtc kBitrateDropThreshold 0.66: a fall below 66% of the estimate is a large drop. */
const BITRATE_DROP_THRESHOLD = 0.66;
/** libwebrtc kBitrateDropTimeout 5 s: recovery probes only within 5 s of the drop. */
const BITRATE_DROP_TIMEOUT_US = 5_000_000;
/** libwebrtc kProbeFractionAfterDrop 0.85 and kProbeUncertainty 0.05. */
const PROBE_FRACTION_AFTER_DROP = 0.85;
const PROBE_UNCERTAINTY = 0.05;
/** libwebrtc kAlrEndedTimeout 3 s: ALR that ended this recently still allows a recovery probe. */
const ALR_ENDED_TIMEOUT_US = 3_000_000;
/** libwebrtc kMinTimeBetweenAlrProbes 5 s between recovery probes. */
const MIN_TIME_BETWEEN_DROP_PROBES_US = 5_000_000;
/** libwebrtc ProbeClusterConfig: 5 probe packets and 15 ms worth of bytes per cluster. */
const MIN_PROBE_PACKETS = 5;
const MIN_PROBE_DURATION_US = 15_000;

/** Returned when there is nothing to probe (shared, frozen: no allocation per call). */
const NO_PROBES: readonly ProbeCluster[] = Object.freeze([]);

/** Options of a ProbeController. */
export interface ProbeControllerOptions {
  /** Start rate the initial probes are multiples of (bps). Default 300 000. */
  startRateBps?: number;
  /** No probe above this (bps). Default 2 500 000. */
  maxRateBps?: number;
  /**
   * Probe back after a large drop even when not application-limited (libwebrtc's
   * WebRTC-BweRapidRecoveryExperiment, `in_rapid_recovery_experiment_` in RequestProbe).
   * Default false. A call turns it on: its own first keyframe, queued behind the start
   * probes, is a typical cause of an over-use that halves a correct estimate.
   */
  rapidRecovery?: boolean;
}

/** Decides probe clusters (libwebrtc ProbeController). */
export class ProbeController {
  private readonly startRateBps: number;
  private readonly maxRateBps: number;
  private readonly rapidRecovery: boolean;
  private state: "init" | "waiting" | "complete" = "init";
  private nextId = 1;
  private minRateToProbeFurtherBps = Infinity;
  private lastProbeStartUs = -Infinity;
  private estimateBps = 0;
  private alrStartUs: number | undefined;
  private alrEndedUs = -Infinity;
  private lastLargeDropUs = -Infinity;
  private rateBeforeDropBps = 0;
  private lastDropProbeUs = -Infinity;
  private nClusters = 0;

  constructor(options: ProbeControllerOptions = {}) {
    this.maxRateBps = checkRange("maxRateBps", options.maxRateBps ?? 2_500_000, 1_000, 1e10);
    this.startRateBps = checkRange("startRateBps", options.startRateBps ?? 300_000, 1_000, this.maxRateBps);
    this.estimateBps = this.startRateBps;
    this.rapidRecovery = options.rapidRecovery === true;
  }

  /** Probe clusters created so far. */
  get clustersCreated(): number {
    return this.nClusters;
  }

  /** The initial exponential probes (3× and 6× start), once; later calls return none. */
  start(nowUs: number): readonly ProbeCluster[] {
    if (this.state !== "init") return NO_PROBES;
    return this.initiate(nowUs, [FIRST_PROBE_SCALE * this.startRateBps, SECOND_PROBE_SCALE * this.startRateBps], true);
  }

  /** The controller's new estimate: may ask for a further probe; remembers large drops. */
  setEstimatedBitrate(rateBps: number, nowUs: number): readonly ProbeCluster[] {
    let probes = NO_PROBES;
    if (this.state === "waiting" && rateBps > this.minRateToProbeFurtherBps) {
      probes = this.initiate(nowUs, [FURTHER_PROBE_SCALE * rateBps], true);
    }
    if (rateBps < BITRATE_DROP_THRESHOLD * this.estimateBps) {
      this.lastLargeDropUs = nowUs;
      this.rateBeforeDropBps = this.estimateBps;
    }
    this.estimateBps = rateBps;
    return probes;
  }

  /** ALR started at this time (sender clock), or undefined when the sender is not application-limited. */
  setAlrStartTimeUs(timeUs: number | undefined): void {
    this.alrStartUs = timeUs;
  }

  /** ALR ended at this time. */
  setAlrEndedTimeUs(timeUs: number): void {
    this.alrEndedUs = timeUs;
  }

  /** After the delay detector recovered from over-use: a probe back towards the rate before a large drop. */
  requestProbe(nowUs: number): readonly ProbeCluster[] {
    const alrRecently = this.alrStartUs !== undefined || nowUs - this.alrEndedUs < ALR_ENDED_TIMEOUT_US;
    if ((!alrRecently && !this.rapidRecovery) || this.state !== "complete") return NO_PROBES;
    const suggestedBps = PROBE_FRACTION_AFTER_DROP * this.rateBeforeDropBps;
    const minExpectedBps = (1 - PROBE_UNCERTAINTY) * suggestedBps;
    if (minExpectedBps > this.estimateBps && nowUs - this.lastLargeDropUs < BITRATE_DROP_TIMEOUT_US && nowUs - this.lastDropProbeUs > MIN_TIME_BETWEEN_DROP_PROBES_US) {
      this.lastDropProbeUs = nowUs;
      return this.initiate(nowUs, [suggestedBps], false);
    }
    return NO_PROBES;
  }

  /**
   * The owner's video is paused for lack of rate while the rest of the target goes to audio (so
   * the sender is not application-limited and ALR probing never starts): a probe at 2x the
   * estimate every PAUSED_PROBE_INTERVAL_US finds room for video sooner than AIMD's climb at a
   * few kbps per second (a 3G side stayed paused for 5-9 s). Further probes follow while
   * results come in above 0.7 of their rate.
   */
  probeForRoom(nowUs: number): readonly ProbeCluster[] {
    if (this.state !== "complete" || this.estimateBps <= 0 || nowUs - this.lastProbeStartUs < PAUSED_PROBE_INTERVAL_US) return NO_PROBES;
    return this.initiate(nowUs, [ALR_PROBE_SCALE * this.estimateBps], true);
  }

  /** Periodic work: time out a probe that got no result; ALR probing. */
  process(nowUs: number): readonly ProbeCluster[] {
    if (this.state === "waiting" && nowUs - this.lastProbeStartUs > MAX_WAITING_FOR_RESULT_US) {
      this.state = "complete";
      this.minRateToProbeFurtherBps = Infinity;
    }
    if (this.state === "complete" && this.alrStartUs !== undefined && this.estimateBps > 0) {
      const nextUs = Math.max(this.alrStartUs, this.lastProbeStartUs) + ALR_PROBING_INTERVAL_US;
      if (nowUs >= nextUs) return this.initiate(nowUs, [ALR_PROBE_SCALE * this.estimateBps], true);
    }
    return NO_PROBES;
  }

  private initiate(nowUs: number, ratesBps: number[], probeFurther: boolean): readonly ProbeCluster[] {
    const out: ProbeCluster[] = [];
    let further = probeFurther;
    let last = 0;
    for (let rate of ratesBps) {
      if (rate >= this.maxRateBps) {
        rate = this.maxRateBps;
        further = false;
      }
      if (rate <= last || rate <= this.estimateBps) continue; // capped to a rate already probed or already reached
      last = rate;
      out.push({ id: this.nextId++, targetRateBps: rate, minProbes: MIN_PROBE_PACKETS, minBytes: Math.ceil((rate * MIN_PROBE_DURATION_US) / 8e6) });
    }
    if (out.length === 0) return NO_PROBES;
    this.nClusters += out.length;
    this.lastProbeStartUs = nowUs;
    if (further) {
      this.state = "waiting";
      this.minRateToProbeFurtherBps = last * FURTHER_PROBE_THRESHOLD;
    } else {
      this.state = "complete";
      this.minRateToProbeFurtherBps = Infinity;
    }
    return out;
  }
}
