/**
 * The sender's network controller (libwebrtc goog_cc GoogCcNetworkController,
 * draft-ietf-rmcat-gcc-02): TWCC feedback, RTT, RTCP loss reports and a periodic tick come in;
 * a `NetworkTargetUpdate` (target, pacing rate, probes) comes out whenever the decision
 * changes. Inside: the delay-based estimate (DelayBasedEstimator, draft 5), the loss-based
 * estimate capped by it (LossBasedEstimator, draft 6), the acknowledged throughput, the probe
 * controller and probe-result estimator, and an ALR detector. Every input is checked: feedback
 * going backwards in time, packets already reported, and absurd values (NaN, negative or huge
 * sizes, packets "sent" after the feedback arrived) are dropped and counted in `stats()`; the
 * target always stays within [minRateBps, maxRateBps]. Pure: time is an argument.
 */
import { checkRange, InvalidOptionError } from "../errors.js";
import { AcknowledgedBitrateEstimator } from "./acknowledged-bitrate-estimator.js";
import { AlrDetector } from "./alr-detector.js";
import { CongestionWindowPushback } from "./congestion-window-pushback.js";
import type { NetworkTargetUpdate, PacketResult, ProbeCluster, SentPacketInfo, TransportFeedbackUpdate } from "./congestion-types.js";
import { DelayBasedEstimator } from "./delay-based-estimator.js";
import { LossBasedEstimator } from "./loss-based-estimator.js";
import { ProbeBitrateEstimator } from "./probe-bitrate-estimator.js";
import { ProbeController } from "./probe-controller.js";

/** libwebrtc AimdRateControl kDefaultRtt: 200 ms until measured. */
const DEFAULT_RTT_MS = 200;
/**
 * A bottleneck queue under this (ms) with no over-use is "no congestion" for the loss-based
 * hold (ours): above the 30 ms at which QueuedTrainRate reads packets as queued back to back,
 * well under the 200 ms standing-queue cut.
 */
const CONGESTION_QUEUE_MS = 50;
/** libwebrtc GoogCcNetworkController kMaxFeedbackRttWindow: feedback RTT averaged over 32 feedbacks. */
const FEEDBACK_RTT_WINDOW = 32;
/** Largest datagram we accept in feedback: a UDP payload cannot exceed 65 507 bytes (RFC 768 / IPv4). */
const MAX_PACKET_SIZE_BYTES = 65_507;
/** A send time more than 60 s before its feedback is absurd (feedback is sent every 50-250 ms). */
const MAX_FEEDBACK_AGE_US = 60_000_000;
/**
 * A packet whose one-way offset (arrival on the receiver's clock − send on ours) differs from
 * the last received packet's by more than 10 s is an outlier: dropped. If the next packet has
 * the same new offset, the receiver's clock really jumped and the new offset is adopted (the
 * inter-arrival filter then resets on its own, libwebrtc kArrivalTimeOffsetThreshold 3 s).
 */
const MAX_OFFSET_JUMP_US = 10_000_000;
/**
 * Sequence numbers are unwrapped from 16 bits, so one can never be more than 2^15 past the
 * highest seen; such a packet is an outlier and dropped, unless the next one confirms the jump
 * (so one forged packet cannot make every later real one look stale).
 */
const MAX_SEQUENCE_JUMP = 32_768;
/** Longest RTT accepted (ms); RFC 3550 RTTs beyond a minute mean a broken report. */
const MAX_RTT_MS = 60_000;

/** Options of a NetworkController. */
export interface NetworkControllerOptions {
  /** Target before any feedback (bps). Default 300 000. Within [minRateBps, maxRateBps]. */
  startRateBps?: number;
  /** Lowest target ever given (bps). Default 30 000. 1 000 to 1e10. */
  minRateBps?: number;
  /** Highest target ever given (bps). Default 2 500 000. minRateBps to 1e10. */
  maxRateBps?: number;
  /** Pacing rate = target · pacingFactor (libwebrtc kDefaultPaceMultiplier 2.5). Default 2.5. 1 to 10. */
  pacingFactor?: number;
  /**
   * Congestion-window pushback never takes the target below this (bps), unless the estimate
   * itself is lower (libwebrtc's WebRTC-CongestionWindow MinBitrate parameter). Default
   * minRateBps (libwebrtc's 30 kbps): pushback may then drain a deep queue fastest. A call sets
   * it higher so that pushback alone, which acts on data in flight before the delay detector
   * has seen the queue, does not pause video (BandwidthAdaptation); the delay- and loss-based
   * estimates still go lower when the path is slower. minRateBps to maxRateBps.
   */
  pushbackMinRateBps?: number;
  /** Probe back after a large drop outside ALR too (ProbeControllerOptions.rapidRecovery). Default false. */
  rapidRecovery?: boolean;
}

/** Counters and the current internal estimates of a NetworkController. */
export interface NetworkControllerStats {
  feedbacks: number;
  packets: number;
  lostPackets: number;
  /** Feedback dropped whole: its time went backwards or was not a finite number. */
  droppedFeedback: number;
  /** Packets dropped for absurd fields (NaN or infinite times, sizes out of range, sent after the feedback). */
  droppedPackets: number;
  /** Packets dropped because their sequence number was at or below one already processed. */
  stalePackets: number;
  /** Of droppedPackets: arrival times more than 10 s off the previous packet's one-way offset. */
  offsetJumps: number;
  /** Of droppedPackets: sequence numbers more than 2^15 past the highest seen (not confirmed by the next packet). */
  sequenceJumps: number;
  /** Feedback whose dataInFlightBytes was absurd (negative, NaN): the field was ignored. */
  droppedFields: number;
  /** RTT or loss reports, or ticks, dropped (out of range, or time going backwards). */
  droppedInputs: number;
  /** Inter-arrival resets (arrival-time jumps, reordering, stream timeouts). */
  interArrivalResets: number;
  probeClusters: number;
  probeResults: number;
  delayDecreases: number;
  lossDecreases: number;
  /** The target for the encoders (after pushback). */
  targetRateBps: number;
  /** The estimate before pushback. */
  estimatedRateBps: number;
  pushbackRatio: number;
  delayBasedRateBps: number;
  lossBasedRateBps: number;
  /** Acknowledged throughput (bps), NaN before the first window. */
  ackedRateBps: number;
  usage: string;
  rateControlState: string;
  thresholdMs: number;
  inAlr: boolean;
  rttMs: number;
}

/** GCC-style send-side network controller (libwebrtc GoogCcNetworkController). */
export class NetworkController {
  readonly name = "network-controller";
  private readonly minRateBps: number;
  private readonly maxRateBps: number;
  private readonly pacingFactor: number;
  private readonly delay: DelayBasedEstimator;
  private readonly loss: LossBasedEstimator;
  private readonly acked = new AcknowledgedBitrateEstimator();
  private readonly probeEstimator = new ProbeBitrateEstimator();
  private readonly probeController: ProbeController;
  private readonly alr = new AlrDetector();
  private readonly pushback: CongestionWindowPushback;
  private estimateBps: number;
  private started = false;
  /** True once onSentPacket was called: the ALR detector then follows the pacer, not feedback. */
  private sentPacketsSeen = false;
  private clockUs = -Infinity;
  private lastFeedbackUs = -Infinity;
  private firstFeedbackUs = NaN;
  private lastTickUs = -Infinity;
  private lastLossUs = -Infinity;
  private lastRttUs = -Infinity;
  private highestSeq = -Infinity;
  private offsetUs = NaN;
  private pendingSeq = NaN;
  private pendingOffsetUs = NaN;
  private rttMs = DEFAULT_RTT_MS;
  private rttFromRtcp = false;
  /** Ring of the last 32 feedback RTTs (ms). */
  private readonly feedbackRttsMs = new Float64Array(FEEDBACK_RTT_WINDOW);
  private feedbackRttCount = 0;
  private feedbackRttNext = 0;
  private lastAlrEndedUs: number | undefined;
  private lastProbeResultUs = -Infinity;
  private lastEmitted: NetworkTargetUpdate | undefined;
  private targetBps: number;
  private readonly sorted: PacketResult[] = [];
  private readonly valid: PacketResult[] = [];
  /** Probe clusters decided since the last update, handed out with the next one. */
  private readonly pendingProbes: ProbeCluster[] = [];

  private nFeedbacks = 0;
  private nPackets = 0;
  private nLost = 0;
  private nDroppedFeedback = 0;
  private nDroppedPackets = 0;
  private nStale = 0;
  private nDroppedInputs = 0;
  private nDroppedFields = 0;
  private nOffsetJumps = 0;
  private nSequenceJumps = 0;
  private nProbeResults = 0;

  constructor(options: NetworkControllerOptions = {}) {
    this.minRateBps = checkRange("minRateBps", options.minRateBps ?? 30_000, 1_000, 1e10);
    this.maxRateBps = checkRange("maxRateBps", options.maxRateBps ?? 2_500_000, this.minRateBps, 1e10);
    const start = options.startRateBps ?? 300_000;
    if (typeof start !== "number" || !Number.isFinite(start) || start < this.minRateBps || start > this.maxRateBps) {
      throw new InvalidOptionError(`Cannot use startRateBps=${String(start)}: allowed is a number from minRateBps (${this.minRateBps}) to maxRateBps (${this.maxRateBps})`);
    }
    this.pacingFactor = checkRange("pacingFactor", options.pacingFactor ?? 2.5, 1, 10);
    const rates = { startRateBps: start, minRateBps: this.minRateBps, maxRateBps: this.maxRateBps };
    this.delay = new DelayBasedEstimator(rates);
    this.loss = new LossBasedEstimator(rates);
    this.probeController = new ProbeController({ startRateBps: start, maxRateBps: this.maxRateBps, rapidRecovery: options.rapidRecovery === true });
    const pushbackMin = checkRange("pushbackMinRateBps", options.pushbackMinRateBps ?? this.minRateBps, this.minRateBps, this.maxRateBps);
    this.pushback = new CongestionWindowPushback({ minRateBps: pushbackMin });
    this.targetBps = start;
    this.estimateBps = start;
    this.alr.setEstimatedBitrate(start);
  }

  /** The estimate before congestion-window pushback (bps): what the pacer and probes use. */
  get estimatedRateBps(): number {
    return this.estimateBps;
  }

  /** The congestion-window pushback's share of the estimate the target is now (0-1]. */
  get pushbackRatio(): number {
    return this.estimateBps > 0 ? Math.min(1, this.targetBps / this.estimateBps) : 1;
  }

  /** Whether a probe cluster has been requested, whether one has been measured yet, and when the first feedback came (µs, NaN before). */
  get probing(): { requested: boolean; measured: boolean; firstFeedbackUs: number } {
    return { requested: this.probeController.clustersCreated > 0, measured: this.nProbeResults > 0, firstFeedbackUs: this.firstFeedbackUs };
  }

  /** The current target for the encoders (bps): the estimate after congestion-window pushback. */
  get targetRateBps(): number {
    return this.targetBps;
  }

  /** One TWCC feedback (from the feedback adapter). Returns an update when the decision changed. */
  onTransportFeedback(update: TransportFeedbackUpdate): NetworkTargetUpdate | undefined {
    const nowUs = update?.feedbackTimeUs;
    if (typeof nowUs !== "number" || !Number.isFinite(nowUs) || nowUs < this.lastFeedbackUs || !Array.isArray(update.packets)) {
      this.nDroppedFeedback++;
      return undefined;
    }
    this.lastFeedbackUs = nowUs;
    this.advance(nowUs);
    this.startIfNeeded(nowUs);
    this.nFeedbacks++;

    // Validate; keep the received packets in arrival order for the estimators.
    const valid = this.valid;
    valid.length = 0;
    for (const p of update.packets) {
      const s = p?.sent;
      if (s === undefined || s === null) {
        this.nDroppedPackets++;
        continue;
      }
      const seq = s.sequenceNumber;
      const rx = p.receiveTimeUs;
      if (!Number.isSafeInteger(seq) || !Number.isFinite(s.sendTimeUs) || s.sendTimeUs > nowUs || nowUs - s.sendTimeUs > MAX_FEEDBACK_AGE_US ||
        !Number.isInteger(s.sizeBytes) || s.sizeBytes <= 0 || s.sizeBytes > MAX_PACKET_SIZE_BYTES ||
        (rx !== undefined && !Number.isFinite(rx)) || !Number.isInteger(s.probeClusterId)) {
        this.nDroppedPackets++;
        continue;
      }
      if (seq <= this.highestSeq) {
        this.nStale++;
        continue;
      }
      if (seq - this.highestSeq > MAX_SEQUENCE_JUMP && Number.isFinite(this.highestSeq)) {
        const confirmed = !Number.isNaN(this.pendingSeq) && seq > this.pendingSeq && seq - this.pendingSeq <= MAX_SEQUENCE_JUMP;
        this.pendingSeq = seq;
        if (!confirmed) {
          this.nDroppedPackets++;
          this.nSequenceJumps++;
          continue;
        }
      }
      if (rx !== undefined && !this.offsetOk(rx - s.sendTimeUs)) {
        this.nDroppedPackets++;
        this.nOffsetJumps++;
        continue;
      }
      this.highestSeq = seq;
      valid.push(p);
      this.nPackets++;
      if (!this.sentPacketsSeen) this.alr.onBytesSent(s.sizeBytes, s.sendTimeUs);
      if (rx === undefined) this.nLost++;
    }
    // A feedback none of whose packets was usable is ignored as a whole, its in-flight figure too.
    if (valid.length === 0) return this.emit(nowUs);
    const inFlight = update.dataInFlightBytes;
    if (typeof inFlight === "number" && Number.isFinite(inFlight) && inFlight >= 0) this.pushback.setDataInFlight(inFlight);
    else this.nDroppedFields++;
    this.pushback.onFeedback(nowUs);
    if (Number.isNaN(this.firstFeedbackUs)) this.firstFeedbackUs = nowUs;

    const sorted = this.sortedReceived(valid);
    this.updateFeedbackRtt(sorted, nowUs);
    this.acked.setInAlr(this.alr.alrStartTimeUs !== undefined);
    this.acked.onPacketResults(sorted);
    for (const p of sorted) {
      if (p.sent.probeClusterId >= 0) this.probeEstimator.onPacketResult(p, nowUs);
    }
    const probeRateBps = this.probeEstimator.fetchAndResetLastEstimateBps();
    if (probeRateBps !== undefined) this.nProbeResults++;
    const result = this.delay.onFeedback(sorted, this.acked.bitrateBps, probeRateBps, nowUs, this.acked.lastSampleBps);
    if (result.updated) {
      if (result.probe || result.restoredAfterDrain) {
        this.loss.setRate(result.targetRateBps);
        this.lastProbeResultUs = nowUs;
      }
      this.loss.setDelayBasedLimit(result.targetRateBps);
    }
    // Loss with neither over-use nor a queue is not congestion (see LossBasedEstimator).
    this.loss.setCongestionSeen(this.delay.usage === "overusing" || !(this.delay.standingQueueMs < CONGESTION_QUEUE_MS));
    if (result.recoveredFromOveruse) {
      this.probeController.setAlrStartTimeUs(this.alr.alrStartTimeUs);
      this.addProbes(this.probeController.requestProbe(nowUs));
    }
    const minRttMs = this.minFeedbackRttMs();
    if (!Number.isNaN(minRttMs)) this.pushback.updateWindow(minRttMs, this.loss.rateBps);
    return this.emit(nowUs);
  }

  /**
   * Optional: one packet as it leaves the pacer (libwebrtc OnSentPacket). It feeds the ALR
   * detector at send time; without these calls the detector is fed from feedback, which lags by
   * the path's queue (after a deep queue drains it may see ALR that was not there).
   * `dataInFlightBytes` (the feedback adapter's bytes sent and not yet covered by feedback,
   * after this packet) updates the congestion-window pushback between feedbacks, as libwebrtc's
   * OnSentPacket updates its outstanding data: when the return path is congested too, feedback
   * arrives late, and only the growing data in flight shows the sender it is outrunning the path.
   */
  onSentPacket(packet: SentPacketInfo, dataInFlightBytes?: number): void {
    if (!Number.isFinite(packet?.sendTimeUs) || !Number.isInteger(packet.sizeBytes) || packet.sizeBytes <= 0 || packet.sizeBytes > MAX_PACKET_SIZE_BYTES) {
      this.nDroppedInputs++;
      return;
    }
    this.sentPacketsSeen = true;
    this.alr.onBytesSent(packet.sizeBytes, packet.sendTimeUs);
    if (dataInFlightBytes !== undefined) {
      if (Number.isFinite(dataInFlightBytes) && dataInFlightBytes >= 0) this.pushback.setDataInFlight(dataInFlightBytes);
      else this.nDroppedFields++;
    }
  }

  /**
   * The video encoder produced a keyframe of `bytes` (optional): the congestion window makes
   * room for it until it has been sent and acknowledged (see CongestionWindowPushback.allowBurst).
   */
  onKeyframe(bytes: number, nowUs: number): void {
    if (!(bytes > 0) || !Number.isFinite(nowUs)) {
      this.nDroppedInputs++;
      return;
    }
    const rttMs = this.minFeedbackRttMs();
    const sendMs = (bytes * 8000) / Math.max(this.targetBps, 1);
    this.pushback.allowBurst(bytes, nowUs + ((Number.isNaN(rttMs) ? this.rttMs : rttMs) + this.pushback.windowQueueTimeMs + sendMs) * 1000);
  }

  /** The owner's video is paused for lack of rate: probe for room (ProbeController.probeForRoom); the clusters go out with the next update. */
  requestProbeForRoom(nowUs: number): void {
    if (!Number.isFinite(nowUs)) {
      this.nDroppedInputs++;
      return;
    }
    if (this.started) this.addProbes(this.probeController.probeForRoom(nowUs));
  }

  /** A round-trip time measurement (ms; RTCP SR/RR, RFC 3550 6.4.1). */
  onRttMs(rttMs: number, nowUs: number): NetworkTargetUpdate | undefined {
    if (!this.timeOk(nowUs, this.lastRttUs) || typeof rttMs !== "number" || !Number.isFinite(rttMs) || rttMs < 0 || rttMs > MAX_RTT_MS) {
      this.nDroppedInputs++;
      return undefined;
    }
    this.lastRttUs = nowUs;
    this.advance(nowUs);
    this.startIfNeeded(nowUs);
    this.rttFromRtcp = true;
    this.setRtt(rttMs);
    return this.emit(nowUs);
  }

  /**
   * An RTCP receiver report's fraction lost, 0..1 (RFC 3550 6.4.1 "fraction lost" / 256), and
   * optionally how many packets it covers (the extended highest sequence number's increase):
   * then reports are pooled until they cover 20 packets (libwebrtc kLimitNumPackets).
   */
  onLossReport(fractionLost: number, nowUs: number, packetsExpected?: number): NetworkTargetUpdate | undefined {
    if (!this.timeOk(nowUs, this.lastLossUs) || typeof fractionLost !== "number" || !Number.isFinite(fractionLost) || fractionLost < 0 || fractionLost > 1 ||
      (packetsExpected !== undefined && (!Number.isSafeInteger(packetsExpected) || packetsExpected < 0))) {
      this.nDroppedInputs++;
      return undefined;
    }
    this.lastLossUs = nowUs;
    this.advance(nowUs);
    this.startIfNeeded(nowUs);
    this.loss.onLossReport(fractionLost, this.clockUs, packetsExpected);
    this.loss.update(this.clockUs);
    return this.emit(nowUs);
  }

  /** The periodic tick (every 25 ms: libwebrtc GoogCcNetworkControllerFactory::GetProcessInterval). */
  onProcessInterval(nowUs: number): NetworkTargetUpdate | undefined {
    if (!this.timeOk(nowUs, this.lastTickUs)) {
      this.nDroppedInputs++;
      return undefined;
    }
    this.lastTickUs = nowUs;
    this.advance(nowUs);
    this.startIfNeeded(nowUs);
    const alrStart = this.alr.alrStartTimeUs;
    const alrEnded = this.alr.alrEndedTimeUs;
    if (alrEnded !== undefined && alrEnded !== this.lastAlrEndedUs) {
      this.lastAlrEndedUs = alrEnded;
      this.acked.setAlrEndedTimeUs(alrEnded);
      this.probeController.setAlrEndedTimeUs(alrEnded);
    }
    this.probeController.setAlrStartTimeUs(alrStart);
    this.addProbes(this.probeController.process(this.clockUs));
    this.loss.update(this.clockUs);
    return this.emit(nowUs);
  }

  /** Counters and the internal estimates. */
  stats(): NetworkControllerStats {
    const d = this.delay.stats();
    return {
      feedbacks: this.nFeedbacks,
      packets: this.nPackets,
      lostPackets: this.nLost,
      droppedFeedback: this.nDroppedFeedback,
      droppedPackets: this.nDroppedPackets,
      stalePackets: this.nStale,
      offsetJumps: this.nOffsetJumps,
      sequenceJumps: this.nSequenceJumps,
      droppedFields: this.nDroppedFields,
      droppedInputs: this.nDroppedInputs,
      interArrivalResets: d.resets,
      probeClusters: this.probeController.clustersCreated,
      probeResults: this.nProbeResults,
      delayDecreases: d.decreases,
      lossDecreases: this.loss.decreases,
      targetRateBps: this.targetBps,
      estimatedRateBps: this.estimateBps,
      pushbackRatio: this.pushback.encodingRateRatio,
      delayBasedRateBps: this.delay.estimateBps,
      lossBasedRateBps: this.loss.rateBps,
      ackedRateBps: this.acked.bitrateBps ?? NaN,
      usage: this.delay.usage,
      rateControlState: this.delay.rateController.state,
      thresholdMs: this.delay.thresholdMs,
      inAlr: this.alr.alrStartTimeUs !== undefined,
      rttMs: this.rttMs,
    };
  }

  /** True when `offsetUs` (arrival − send) is within 10 s of the last one, or repeats a jump seen just before. */
  private offsetOk(offsetUs: number): boolean {
    if (Number.isNaN(this.offsetUs) || Math.abs(offsetUs - this.offsetUs) <= MAX_OFFSET_JUMP_US) {
      this.offsetUs = offsetUs;
      this.pendingOffsetUs = NaN;
      return true;
    }
    if (!Number.isNaN(this.pendingOffsetUs) && Math.abs(offsetUs - this.pendingOffsetUs) <= MAX_OFFSET_JUMP_US) {
      this.offsetUs = offsetUs;
      this.pendingOffsetUs = NaN;
      return true;
    }
    this.pendingOffsetUs = offsetUs;
    return false;
  }

  private timeOk(nowUs: number, lastUs: number): boolean {
    return typeof nowUs === "number" && Number.isFinite(nowUs) && nowUs >= lastUs;
  }

  /** One clock for the inner units: the latest time any input carried. */
  private advance(nowUs: number): void {
    if (nowUs > this.clockUs) this.clockUs = nowUs;
  }

  private startIfNeeded(nowUs: number): void {
    if (!this.started) {
      this.started = true;
      this.addProbes(this.probeController.start(nowUs));
    }
  }

  private addProbes(probes: readonly ProbeCluster[]): void {
    for (const p of probes) {
      this.probeEstimator.addCluster(p.id, p);
      this.pendingProbes.push(p);
    }
  }

  private setRtt(rttMs: number): void {
    this.rttMs = rttMs;
    this.delay.setRttMs(rttMs);
    this.loss.setRttMs(rttMs);
  }

  /** Received packets sorted by arrival (feedback is in sequence order; reordering is rare, so sort only when needed). */
  private sortedReceived(valid: PacketResult[]): PacketResult[] {
    const out = this.sorted;
    out.length = 0;
    let inOrder = true;
    let last = -Infinity;
    for (const p of valid) {
      const rx = p.receiveTimeUs;
      if (rx === undefined) continue;
      if (rx < last) inOrder = false;
      last = rx;
      out.push(p);
    }
    if (!inOrder) out.sort((a, b) => (a.receiveTimeUs ?? 0) - (b.receiveTimeUs ?? 0));
    return out;
  }

  /**
   * libwebrtc OnTransportPacketsFeedback: the feedback's RTT, without the time the newest
   * packet waited at the receiver for the feedback, averaged over 32 feedbacks; used until
   * RTCP gives an RTT.
   */
  private updateFeedbackRtt(sorted: PacketResult[], nowUs: number): void {
    const lastRx = sorted[sorted.length - 1]?.receiveTimeUs;
    if (lastRx === undefined) return;
    let maxRttUs = -Infinity;
    for (const p of sorted) {
      const pendingUs = lastRx - (p.receiveTimeUs ?? lastRx);
      const rttUs = nowUs - p.sent.sendTimeUs - pendingUs;
      if (rttUs > maxRttUs) maxRttUs = rttUs;
    }
    if (!(maxRttUs >= 0)) return;
    this.feedbackRttsMs[this.feedbackRttNext] = maxRttUs / 1000;
    this.feedbackRttNext = (this.feedbackRttNext + 1) % FEEDBACK_RTT_WINDOW;
    if (this.feedbackRttCount < FEEDBACK_RTT_WINDOW) this.feedbackRttCount++;
    if (!this.rttFromRtcp) {
      let sum = 0;
      for (let i = 0; i < this.feedbackRttCount; i++) sum += this.feedbackRttsMs[i]!;
      this.setRtt(sum / this.feedbackRttCount);
    }
  }

  /** The smallest of the last 32 feedback RTTs (ms), or NaN before any. */
  private minFeedbackRttMs(): number {
    let min = NaN;
    for (let i = 0; i < this.feedbackRttCount; i++) {
      const r = this.feedbackRttsMs[i]!;
      if (!(r >= min)) min = r;
    }
    return min;
  }

  private emit(nowUs: number): NetworkTargetUpdate | undefined {
    const estimate = Math.min(this.maxRateBps, Math.max(this.minRateBps, this.loss.rateBps));
    this.estimateBps = estimate;
    const target = Math.min(this.maxRateBps, Math.max(this.minRateBps, this.pushback.apply(estimate, nowUs)));
    this.targetBps = target;
    // ALR compares what is sent with what the sender may send: the pushed-back target, so our
    // own pushback is not taken for an application limit (which would trigger probes).
    this.alr.setEstimatedBitrate(target);
    this.addProbes(this.probeController.setEstimatedBitrate(estimate, this.clockUs));
    const lossFraction = this.loss.lossFraction;
    const prev = this.lastEmitted;
    const pending = this.pendingProbes;
    if (prev !== undefined && pending.length === 0 && prev.targetRateBps === target && prev.lossFraction === lossFraction && prev.rttMs === this.rttMs) {
      return undefined;
    }
    let limitedBy: string;
    if (this.nFeedbacks === 0) limitedBy = "start";
    else if (target >= this.maxRateBps) limitedBy = "max";
    else if (target <= this.minRateBps) limitedBy = "min";
    else if (target < estimate) limitedBy = "pushback";
    else if (this.lastProbeResultUs === this.lastFeedbackUs && this.lastProbeResultUs === nowUs) limitedBy = "probe";
    else if (this.loss.rateBps < this.delay.estimateBps) limitedBy = "loss";
    else limitedBy = "delay";
    const out: NetworkTargetUpdate = {
      atUs: nowUs,
      targetRateBps: target,
      pacingRateBps: estimate * this.pacingFactor,
      paddingRateBps: 0,
      probeClusters: pending.length > 0 ? pending.splice(0) : [],
      lossFraction,
      rttMs: this.rttMs,
      limitedBy,
    };
    this.lastEmitted = out;
    return out;
  }
}
