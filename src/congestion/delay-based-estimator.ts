/**
 * The delay-based half of GCC (draft-ietf-rmcat-gcc-02 section 5, libwebrtc goog_cc
 * DelayBasedBwe): the received video packets of each feedback (audio ones once no video has
 * arrived for a second: paused video, an audio-only call) go through the
 * pre-filter (InterArrivalDelta, 5.2), the arrival-time filter (TrendlineEstimator, 5.3) and
 * the over-use detector (5.4, 5.5); once per feedback the AIMD rate controller (5.5) turns the
 * detector's state and the acknowledged throughput into an estimate. A probe result, when no
 * over-use is seen, sets the estimate directly (lowering one only a probe had not set). Packets not seen for 2 s reset the filters.
 */
import type { PacketResult } from "./congestion-types.js";
import { AimdRateControl } from "./aimd-rate-control.js";
import { InterArrivalDelta } from "./inter-arrival-delta.js";
import { OveruseDetector, type BandwidthUsage } from "./overuse-detector.js";
import { QUEUED_MS, QueuedTrainRate } from "./queued-train-rate.js";
import { StandingQueueDetector } from "./standing-queue-detector.js";
import { TrendlineEstimator } from "./trendline-estimator.js";

/** The latest throughput window cuts a decrease to no less than this share of the smoothed acknowledged rate (ours, see onFeedback). */
const RECENT_WINDOW_FLOOR = 0.3;
/**
 * A standing queue above this (ms) cuts the estimate to what the path delivers, at once (ours,
 * StandingQueueDetector). 200 ms: above a 150 kbps path's keyframe burst (the least delay of a
 * feedback is taken, so a burst alone does not count) and twice the 100 ms the issue allows
 * after a drop; far below the 1.5 s a 300 ms buffer at 1 Mbps holds at 200 kbps.
 */
const STANDING_QUEUE_MS = 200;
/**
 * A train of queued packets (QueuedTrainRate) reading under half the estimate means the path
 * itself got slower: cut at once, as for a standing queue, without waiting for it to stand
 * (ours). Half: a keyframe burst at a path that carries the estimate reads about the estimate,
 * and an estimate that overshoots by less than 2x is GCC's own business.
 */
const CAPACITY_DROP_RATIO = 0.5;
/** Cuts for a standing queue at least this far apart (µs): about one feedback round at a congested path. */
const STANDING_QUEUE_CUT_SPACING_US = 300_000;
/**
 * The cut takes the delivered rate times (1 − queue / 1 s), at least 0.3 of it: sending that
 * much below the bottleneck's rate drains the queue in about a second.
 */
const DRAIN_TIME_MS = 1_000;
const MIN_DRAIN_FACTOR = 0.3;
/**
 * The cut does not go below 60 kbps unless the path delivers less than 70 kbps: a call's
 * allocator pauses video below 50 kbps, and a paused picture is the freeze the cut is meant to
 * avoid; audio plus 160x120 video at 10 fps fits.
 */
const DRAIN_FLOOR_BPS = 60_000;
/**
 * Audio packets feed the filters only when no video packet has arrived for this long (the idea
 * of libwebrtc's WebRTC-Bwe-SeparateAudioPackets: audio's small, evenly spaced packets are a
 * noisier delay signal than video's, but with video paused they are the only one, and without
 * them the estimate froze at the rate that paused the video, for the rest of a 3G call).
 */
const AUDIO_ONLY_AFTER_US = 1_000_000;
/** Once the queue is under half the threshold, the estimate goes back to this share of the rate delivered while it stood. */
const RESTORE_FACTOR = 0.85;
/** libwebrtc DelayBasedBwe kStreamTimeOut: 2 s without packets resets the filters. */
const STREAM_TIMEOUT_US = 2_000_000;

/** Options of a DelayBasedEstimator. */
export interface DelayBasedEstimatorOptions {
  /** Estimate before any feedback (bps). Default 300 000. */
  startRateBps?: number;
  /** Lowest estimate (bps). Default 30 000. */
  minRateBps?: number;
  /** Highest estimate (bps). Default 2 500 000. */
  maxRateBps?: number;
}

/** What one feedback did to the delay-based estimate. */
export interface DelayBasedResult {
  /** The estimate changed or was confirmed this time. */
  updated: boolean;
  /** The estimate was set from a probe result. */
  probe: boolean;
  /** The estimate (bps). */
  targetRateBps: number;
  /** The detector went from under-use back to normal (libwebrtc recovered_from_overuse). */
  recoveredFromOveruse: boolean;
  /** The detector's state after this feedback. */
  usage: BandwidthUsage;
  /**
   * A standing queue was drained and the estimate set back to just under the rate the path
   * delivered meanwhile: the losses of its overflow were that queue's, so the loss-based
   * estimate is set back too.
   */
  restoredAfterDrain?: boolean;
}

/** Delay-based bandwidth estimate (draft-ietf-rmcat-gcc-02 5). */
export class DelayBasedEstimator {
  private readonly interArrival = new InterArrivalDelta();
  private readonly trendline = new TrendlineEstimator();
  private readonly detector = new OveruseDetector();
  private readonly rateControl: AimdRateControl;
  private readonly standingQueue = new StandingQueueDetector();
  private readonly train = new QueuedTrainRate();
  private nCapacityDrops = 0;
  private lastQueueCutUs = -Infinity;
  /** Sum and count of the rates the path delivered while a standing queue stood (bps; 0 when none does). */
  private drainRateSum = 0;
  private drainRateCount = 0;
  private nQueueCuts = 0;
  private queueMs = NaN;
  private lastSeenUs = -Infinity;
  private lastVideoUs = NaN;
  /** Which packets the filters hold now; a switch resets them (the two streams' timing differs). */
  private filteredKind: "video" | "audio" | undefined;
  /** The estimate was last set by a probe result (cleared by a decrease). */
  private estimateFromProbe = false;
  private nTimeouts = 0;

  constructor(options: DelayBasedEstimatorOptions = {}) {
    this.rateControl = new AimdRateControl(options);
  }

  /** The current estimate (bps). */
  get estimateBps(): number {
    return this.rateControl.estimateBps;
  }

  /** The queue at the bottleneck the last feedback showed (ms; NaN before any). */
  get standingQueueMs(): number {
    return this.queueMs;
  }

  /** The detector's current state. */
  get usage(): BandwidthUsage {
    return this.detector.state;
  }

  /** The rate controller, for its state and link-capacity estimate. */
  get rateController(): AimdRateControl {
    return this.rateControl;
  }

  /** The detector's adaptive threshold (ms). */
  get thresholdMs(): number {
    return this.detector.currentThresholdMs;
  }

  /** RTT for the rate controller (ms). */
  setRttMs(rttMs: number): void {
    this.rateControl.setRttMs(rttMs);
  }

  /**
   * One feedback's packets (received ones in arrival order are used), the acknowledged
   * throughput (bps, or undefined), a probe result (bps, or undefined), the local time, and
   * optionally the latest unsmoothed throughput window (bps): on over-use the decrease uses the
   * lower of the two, the window floored at 30% of the smoothed rate (ours, not libwebrtc's:
   * the smoothed rate lags a sudden capacity drop, while during over-use the latest window is
   * what the bottleneck delivers, unless the sender itself had just cut its rate).
   */
  onFeedback(packets: readonly PacketResult[], ackedRateBps: number | undefined, probeRateBps: number | undefined, nowUs: number, recentRateBps?: number): DelayBasedResult {
    const prevUsage = this.detector.state;
    let any = false;
    for (const p of packets) {
      const arrivalUs = p.receiveTimeUs;
      if (arrivalUs !== undefined) {
        this.standingQueue.onPacket(p.sent.sendTimeUs, arrivalUs);
        this.train.onPacket(arrivalUs, p.sent.sizeBytes, this.standingQueue.queueMsOf(p.sent.sendTimeUs, arrivalUs, nowUs));
      }
      if (arrivalUs === undefined) continue;
      if (!p.sent.isAudio) this.lastVideoUs = nowUs;
      const kind = p.sent.isAudio ? "audio" : "video";
      if (kind === "audio" && nowUs - this.lastVideoUs <= AUDIO_ONLY_AFTER_US) continue;
      any = true;
      if (nowUs - this.lastSeenUs > STREAM_TIMEOUT_US) {
        this.interArrival.reset();
        this.trendline.reset();
        this.train.reset();
        if (Number.isFinite(this.lastSeenUs)) this.nTimeouts++;
      } else if (kind !== this.filteredKind) {
        this.interArrival.reset();
        this.trendline.reset();
      }
      this.filteredKind = kind;
      this.lastSeenUs = nowUs;
      const d = this.interArrival.computeDeltas(p.sent.sendTimeUs, arrivalUs, nowUs, p.sent.sizeBytes);
      if (d === undefined) continue;
      const t = this.trendline.update(d.arrivalDeltaMs, d.sendDeltaMs, arrivalUs / 1000);
      this.detector.detect(t.modifiedTrend, t.slope, d.sendDeltaMs, t.numDeltas, nowUs / 1000);
    }
    const usage = this.detector.state;
    let updated = false;
    let probe = false;
    const rc = this.rateControl;
    const queueMs = this.standingQueue.endFeedback(nowUs);
    this.queueMs = queueMs;
    const trainBps = this.train.rateBps();
    const capacityDropped = queueMs > QUEUED_MS && trainBps < CAPACITY_DROP_RATIO * rc.estimateBps;
    if (queueMs > STANDING_QUEUE_MS || capacityDropped) {
      // A standing queue, or a slower path: cut to under what the path delivers now (the
      // smoothed acknowledged rate lags a sudden drop; the latest window and the queued train
      // are what the bottleneck lets through), and never increase while it stands.
      const delivered = Math.min(ackedRateBps ?? Infinity, recentRateBps ?? Infinity, capacityDropped ? trainBps : Infinity);
      if (Number.isFinite(delivered) && nowUs - this.lastQueueCutUs >= STANDING_QUEUE_CUT_SPACING_US) {
        const factor = Math.max(MIN_DRAIN_FACTOR, 1 - queueMs / DRAIN_TIME_MS);
        const cut = Math.max(delivered * factor, Math.min(DRAIN_FLOOR_BPS, 0.85 * delivered));
        if (cut < rc.estimateBps) {
          rc.setEstimate(cut, nowUs);
          this.lastQueueCutUs = nowUs;
          if (queueMs > STANDING_QUEUE_MS) this.nQueueCuts++;
          else this.nCapacityDrops++;
          this.estimateFromProbe = false;
        }
      }
      // While the queue stands, the bottleneck delivers at its capacity: average it.
      if (Number.isFinite(delivered)) {
        this.drainRateSum += delivered;
        this.drainRateCount++;
      }
      return { updated: true, probe: false, targetRateBps: rc.estimateBps, recoveredFromOveruse: false, usage: "overusing" };
    }
    if (this.drainRateCount > 0 && queueMs < STANDING_QUEUE_MS / 2) {
      // Drained: the deep cut was for the queue, not for the path; back to just under what the
      // path delivered while the queue stood (draft 5.5's beta of the received rate).
      const capacity = this.drainRateSum / this.drainRateCount;
      if (RESTORE_FACTOR * capacity > rc.estimateBps) rc.setEstimate(RESTORE_FACTOR * capacity, nowUs);
      this.drainRateSum = this.drainRateCount = 0;
      // The filters still hold the queue's rise (and, at a low rate, few groups to move them
      // since): their over-use is about a queue that is gone, and cut the restored estimate
      // to 0.85 x an acknowledged rate our own pushback had lowered (166 -> 44 kbps, 250 ms
      // after the forward step drained, and video paused). Start them over.
      this.interArrival.reset();
      this.trendline.reset();
      this.detector.resetHypothesis();
      return { updated: true, probe: false, targetRateBps: rc.estimateBps, recoveredFromOveruse: false, usage: this.detector.state, restoredAfterDrain: true };
    }
    if (!any) return { updated: false, probe: false, targetRateBps: this.estimateBps, recoveredFromOveruse: false, usage };
    if (usage === "overusing") {
      if (ackedRateBps !== undefined && rc.timeToReduceFurther(nowUs, ackedRateBps)) {
        // The lower of the smoothed acknowledged rate and the latest window, but the window
        // cuts to no less than 30% of the smoothed rate: in a call that window has often
        // fallen because we had just sent less (pushback, a paused encoder), not because the
        // path got slower, and with the plain minimum a step to 200 kbps cut the estimate to
        // 55 kbps while 211 kbps was getting through. 30% keeps the closed-loop step
        // (test/congestion/network-controller-simulation.test.ts) draining as fast as before.
        const throughputBps = recentRateBps !== undefined ? Math.min(ackedRateBps, Math.max(recentRateBps, RECENT_WINDOW_FLOOR * ackedRateBps)) : ackedRateBps;
        rc.update(usage, throughputBps, nowUs);
        this.estimateFromProbe = false;
        updated = true;
      } else if (ackedRateBps === undefined && rc.timeToReduceFurther(nowUs, rc.estimateBps)) {
        // Over-use before any throughput is known: halve (libwebrtc InitialTimeToReduceFurther;
        // we wait the reduction interval between halvings, libwebrtc may halve on every feedback).
        rc.setEstimate(rc.estimateBps / 2, nowUs);
        this.estimateFromProbe = false;
        updated = true;
      }
    } else if (probeRateBps !== undefined && (probeRateBps > rc.estimateBps || !this.estimateFromProbe)) {
      // A probe result sets the estimate, but does not lower one an earlier probe set (ours;
      // libwebrtc sets it either way). A probe can only under-measure: its packets share the
      // bottleneck with our own media, and a cluster sent behind the call's first keyframe
      // measured 742 kbps on a 2 Mbps link, undoing the 1.9 Mbps the cluster before it found.
      // A start rate above the path (300 kbps on 3G) is still lowered by the first result.
      rc.setEstimate(probeRateBps, nowUs);
      this.estimateFromProbe = true;
      updated = true;
      probe = true;
    } else {
      rc.update(usage, ackedRateBps, nowUs);
      updated = true;
    }
    return { updated, probe, targetRateBps: rc.estimateBps, recoveredFromOveruse: prevUsage === "underusing" && usage === "normal", usage };
  }

  /** Counters of the pre-filter plus stream timeouts and rate decreases. */
  stats(): { deltas: number; resets: number; reorderedGroups: number; outOfOrderPackets: number; streamTimeouts: number; decreases: number; standingQueueCuts: number; capacityDropCuts: number; standingQueueMs: number } {
    return { ...this.interArrival.stats(), streamTimeouts: this.nTimeouts, decreases: this.rateControl.decreases, standingQueueCuts: this.nQueueCuts, capacityDropCuts: this.nCapacityDrops, standingQueueMs: this.queueMs };
  }
}
