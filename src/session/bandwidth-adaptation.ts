import { checkRange, InvalidOptionError } from "../errors.js";
import { BitrateAllocator, type BitrateAllocation } from "../congestion/bitrate-allocator.js";
import type { NetworkTargetUpdate, SentPacketInfo } from "../congestion/congestion-types.js";
import { EncoderQpMonitor } from "../congestion/encoder-qp-monitor.js";
import { CpuOveruseDetector } from "../congestion/cpu-overuse-detector.js";
import { FrameDropper } from "../congestion/frame-dropper.js";
import { NetworkController } from "../congestion/network-controller.js";
import { TransportFeedbackAdapter } from "../congestion/transport-feedback-adapter.js";
import { VideoQualityLadder, type VideoQualityDecision } from "../congestion/video-quality-ladder.js";
import type { TransportFeedback } from "../rtcp/transport-feedback.js";

/** Options of a sender's bandwidth adaptation (`rtcpipe call --start-bitrate ...`). */
export interface BandwidthAdaptationOptions {
  /** Total send rate before any feedback, bits/s (default 300 000). */
  startRateBps?: number;
  /** Least total rate the estimate may fall to, bits/s (default 30 000). */
  minRateBps?: number;
  /** Most total rate, bits/s (default 2 500 000). */
  maxRateBps?: number;
  /** The video the sender captures; omit for an audio-only sender. */
  video?: { captureWidth: number; captureHeight: number; captureFps: number; maxBitrateBps: number };
  /** Most Opus bitrate (default 32 000). */
  audioMaxBitrateBps?: number;
  /** Opus per packet, 20 (default) or 60 ms: the allocator counts its packet headers. */
  audioPacketMs?: 20 | 60;
}

/** A drop ratio above this lowers the rate the quality ladder sees (below it: noise, keyframes). */
const DROP_RATIO_FOR_LADDER = 0.3;

/**
 * Longest wait for the first probe result before video starts anyway (µs). The initial probes
 * (3x and 6x the start rate, sent with the first audio) measure the path within one RTT when
 * its queue is empty; a first keyframe sent at once at the 300 kbps start (320x240 of the test
 * pattern: 13 KB) is most of a second of a 125 kbps 3G link and fills its queue before any
 * feedback returns, which then reads as 70% loss and collapsed the estimate to 30 kbps.
 */
const START_PROBE_WAIT_US = 1_000_000;

/**
 * Once feedback has started, the wait ends this long after it even without a probe result (µs):
 * the probe packets may have been lost (a peer whose receiver was not ready yet); the feedback
 * that follows says as much about the path as the probe would have.
 */
const START_PROBE_AFTER_FEEDBACK_US = 150_000;

/**
 * Pacing rate over the target: libwebrtc's kStrictPacingMultiplier, 1.1, which it uses whenever
 * send-side BWE (transport-wide feedback) is on; 2.5 is for receive-side BWE, which lacks
 * probing. At 2.5x a keyframe left at 2.5x the estimate into a link near it: on the steady
 * 2 Mbps trace the first 640x480 keyframe (~33 KB) queued ~80 ms in the bottleneck and the
 * audio behind it was concealed for 18% of the first second; at 1.1x it waits in the pacer,
 * which audio bypasses (queue p95 38 -> 16 ms, audio p95 latency 237 -> 123 ms).
 */
export const SEND_SIDE_PACING_FACTOR = 1.1;

/** The pushback floor a call uses (see the constructor). */
const PUSHBACK_MIN_RATE_BPS = 100_000;

/**
 * Below this pushback ratio the ladder picks the format for the pushback's floor. Data still in
 * flight over the window after the target was cut to a third is a path that got much slower,
 * not a keyframe or feedback jitter (seeds 1-2: never on the steady and 3G traces; the 2 s
 * outage; on the cellular trace 0.6 s in seed 2, utilisation unchanged; at 0.5 seed 1's
 * cellular call went under it for 0.1 s and lost 4 points); the pushback then goes on to its
 * floor, and the picture had better be small at once (one keyframe) than after 0.1-0.2 s more
 * of 640x480 frames, which for the test pattern are 3.5-6.5 KB at any quantizer, into a queue
 * that is already full (1 Mbps -> 200 kbps both ways: the queue was back under 100 ms after
 * 1.7-2.2 s, seeds 1-3, now 1.6-2.0 s).
 */
const PUSHBACK_COLLAPSE_RATIO = 0.35;

/** What the sender should do now: pacer rates and probes, and the encoders' settings. */
export interface AdaptationDecision {
  network: NetworkTargetUpdate;
  allocation: BitrateAllocation;
  /** Resolution, frame rate and bitrate for the video encoder (undefined without video). */
  video: VideoQualityDecision | undefined;
}

/**
 * The sender's side of adaptive bitrate, wired as libwebrtc's goog_cc is: TWCC feedback →
 * TransportFeedbackAdapter (which packets arrived when) → NetworkController (delay-, loss- and
 * probe-based estimates → one target) → BitrateAllocator (audio first, then video with its
 * FEC and RTX budget) → VideoQualityLadder (bitrate, then frame rate, then resolution, with
 * hysteresis; capped by the CpuOveruseDetector). Pure: every input takes the time.
 */
export class BandwidthAdaptation {
  readonly feedback = new TransportFeedbackAdapter();
  readonly controller: NetworkController;
  readonly allocator: BitrateAllocator;
  readonly ladder: VideoQualityLadder | undefined;
  readonly cpu = new CpuOveruseDetector();
  /** Whether the encoder is starved at its current size (vetoes a larger one). */
  readonly qp = new EncoderQpMonitor();
  /** Drops frames before the encoder while it overshoots its target (with video). */
  readonly frameDropper: FrameDropper | undefined;
  /** Redundant copies the audio RED encoder adds now (0-2), counted in the audio's share. */
  audioRedCopies = 0;
  private network: NetworkTargetUpdate;
  private readonly ladderMaxBps: number;
  private last: AdaptationDecision | undefined;
  private firstDecisionUs = NaN;
  private startProbeDone = false;
  private readonly pushbackMinRateBps: number;

  constructor(options: BandwidthAdaptationOptions = {}) {
    if (options === null || typeof options !== "object") throw new InvalidOptionError("Cannot create a BandwidthAdaptation: options must be an object");
    const startRateBps = checkRange("startRateBps", options.startRateBps ?? 300_000, 10_000, 1e9);
    const minRateBps = checkRange("minRateBps", options.minRateBps ?? 30_000, 10_000, startRateBps);
    const maxRateBps = checkRange("maxRateBps", options.maxRateBps ?? 2_500_000, startRateBps, 1e10);
    const ptime = options.audioPacketMs ?? 20;
    if (ptime !== 20 && ptime !== 60) throw new InvalidOptionError(`Cannot use audioPacketMs=${JSON.stringify(ptime)}: allowed is 20 or 60`);
    // Pushback (data in flight over the congestion window) stops at 100 kbps, or the start
    // rate if lower: enough for audio and the ladder's smallest video, so it cuts the queue
    // without pausing video; the delay- and loss-based estimates may still go lower.
    const pushbackMinRateBps = Math.max(minRateBps, Math.min(startRateBps, PUSHBACK_MIN_RATE_BPS));
    this.pushbackMinRateBps = pushbackMinRateBps;
    this.controller = new NetworkController({ startRateBps, minRateBps, maxRateBps, pushbackMinRateBps, rapidRecovery: true, pacingFactor: SEND_SIDE_PACING_FACTOR });
    const v = options.video;
    this.allocator = new BitrateAllocator({ audioMaxBps: options.audioMaxBitrateBps ?? 32_000, videoMaxBps: v?.maxBitrateBps ?? 2_500_000, audioFrameMs: ptime });
    this.frameDropper = v ? new FrameDropper() : undefined;
    if (this.frameDropper) this.frameDropper.onKeyframe = (bytes, nowUs) => this.controller.onKeyframe(bytes, nowUs);
    this.ladderMaxBps = v?.maxBitrateBps ?? Infinity;
    this.ladder = v ? new VideoQualityLadder({ captureWidth: v.captureWidth, captureHeight: v.captureHeight, captureFps: v.captureFps, maxBitrateBps: v.maxBitrateBps }) : undefined;
    this.network = {
      atUs: 0, targetRateBps: startRateBps, pacingRateBps: startRateBps * SEND_SIDE_PACING_FACTOR, paddingRateBps: 0, probeClusters: [],
      lossFraction: 0, rttMs: 100, limitedBy: "start",
    };
  }

  /** The latest decision (undefined before the first). */
  get current(): AdaptationDecision | undefined {
    return this.last;
  }

  /** A packet left the pacer (with its transport-wide sequence number). */
  onPacketSent(info: SentPacketInfo): void {
    this.feedback.onPacketSent(info);
    this.controller.onSentPacket(info, this.feedback.dataInFlightBytes);
  }

  /** A video frame took `encodeUs` to encode (CPU adaptation). */
  onFrameEncoded(encodeUs: number, captureTimeUs: number, quantizer = -1, keyframe = false): void {
    this.cpu.onFrameEncoded(encodeUs, captureTimeUs);
    this.qp.onFrame(quantizer, keyframe);
  }

  /** TWCC feedback arrived (RTCP RTPFB FMT 15). */
  onTransportFeedback(packet: TransportFeedback, nowUs: number, pacerQueueTimeUs: number): AdaptationDecision | undefined {
    const update = this.feedback.onFeedback(packet, nowUs);
    if (!update) return undefined;
    return this.take(this.controller.onTransportFeedback(update), nowUs, pacerQueueTimeUs);
  }

  /**
   * RTCP receiver reports about our media: fraction lost (0-1) over `packetsExpected` packets
   * (reports on fewer than ~20 packets are pooled by the loss estimator, so the short reports
   * that ride on NACKs do not swing it), and the RTT (ms).
   */
  onReceiverReport(fractionLost: number, rttMs: number, nowUs: number, pacerQueueTimeUs: number, packetsExpected?: number): AdaptationDecision | undefined {
    let d: AdaptationDecision | undefined;
    if (Number.isFinite(rttMs)) d = this.take(this.controller.onRttMs(rttMs, nowUs), nowUs, pacerQueueTimeUs) ?? d;
    return this.take(this.controller.onLossReport(fractionLost, nowUs, packetsExpected), nowUs, pacerQueueTimeUs) ?? d;
  }

  /**
   * The periodic tick (every 25 ms, libwebrtc's process interval): the controller's timers,
   * and the ladder's hold times, which run even when the target does not change.
   */
  onProcessInterval(nowUs: number, pacerQueueTimeUs: number): AdaptationDecision {
    return this.take(this.controller.onProcessInterval(nowUs), nowUs, pacerQueueTimeUs) ?? this.decide(nowUs, pacerQueueTimeUs, []);
  }

  stats(): Record<string, number> {
    const s: Record<string, number> = {};
    const add = (prefix: string, o: object): void => {
      for (const [k, v] of Object.entries(o)) if (typeof v === "number") s[`${prefix}.${k}`] = v;
    };
    add("feedback", this.feedback.stats());
    add("controller", this.controller.stats());
    add("allocator", this.allocator.stats());
    if (this.ladder) add("ladder", this.ladder.stats());
    add("cpu", this.cpu.stats());
    s.targetRateBps = this.network.targetRateBps;
    return s;
  }

  /**
   * Video waits at the start of a call until the initial probes have measured the path (or
   * feedback has come for a while, or START_PROBE_WAIT_US has passed), so the first keyframe is
   * sized for what the path carries;
   * audio starts at once and the probes ride on it. Without probes there is nothing to wait for.
   */
  private waitingForStartProbe(nowUs: number): boolean {
    if (this.startProbeDone || !this.ladder) return false;
    if (Number.isNaN(this.firstDecisionUs)) this.firstDecisionUs = nowUs;
    const probing = this.controller.probing;
    const feedbackLongEnough = nowUs - probing.firstFeedbackUs >= START_PROBE_AFTER_FEEDBACK_US;
    if (!probing.requested || probing.measured || feedbackLongEnough || nowUs - this.firstDecisionUs >= START_PROBE_WAIT_US) this.startProbeDone = true;
    return !this.startProbeDone;
  }

  /** The paused decision while video waits for the start probe (the ladder is not consulted yet). */
  private heldVideo(): VideoQualityDecision {
    const s = this.ladder!.states[this.ladder!.states.length - 1]!;
    const n = this.ladder!.states.length;
    return { width: s.width, height: s.height, fps: s.fps, bitrateBps: 0, paused: true, stateIndex: n, changed: this.last?.video === undefined, cpuLimited: false };
  }

  private take(update: NetworkTargetUpdate | undefined, nowUs: number, queueUs: number): AdaptationDecision | undefined {
    if (!update) return undefined;
    this.network = update;
    return this.decide(nowUs, queueUs, update.probeClusters);
  }

  private decide(nowUs: number, queueUs: number, probes: NetworkTargetUpdate["probeClusters"]): AdaptationDecision {
    const n = this.network;
    const allocation = this.allocator.allocate({ targetRateBps: n.targetRateBps, lossFraction: n.lossFraction, rttMs: n.rttMs, pacerQueueTimeUs: queueUs, audioRedCopies: this.audioRedCopies });
    // While the frame dropper drops a good share of frames, the encoder needs more than its
    // target at this format (the test pattern at 320x240 needs ~180 kbps even at the highest
    // quantizer): the ladder sees the rate it can really use, and steps down.
    const videoBps = allocation.videoPaused ? 0 : allocation.videoBitrateBps;
    this.frameDropper?.setCongestionRatio(this.controller.pushbackRatio);
    const dropRatio = this.frameDropper?.dropRatioAt(nowUs) ?? 0;
    // Never below the lowest rung for that reason: drops call for a smaller picture, not a pause.
    const lowest = Math.min(videoBps, this.ladder?.pauseBelowBps ?? 0);
    let usable = dropRatio > DROP_RATIO_FOR_LADDER ? Math.max(lowest, videoBps * (1 - dropRatio)) : videoBps;
    // Far into pushback, the format is for the floor the pushback is heading to (video's share of it), at once.
    const urgent = this.controller.pushbackRatio < PUSHBACK_COLLAPSE_RATIO && n.targetRateBps > this.pushbackMinRateBps;
    if (urgent) usable = Math.min(usable, (videoBps * this.pushbackMinRateBps) / n.targetRateBps);
    const video = this.waitingForStartProbe(nowUs) ? this.heldVideo() : this.ladder?.update(usable, nowUs, this.cpu.check(nowUs), urgent, this.qp.high);
    const before = this.last?.video;
    if (video && before && (video.width !== before.width || video.height !== before.height)) this.qp.reset();
    if (video) video.bitrateBps = video.paused ? 0 : Math.min(videoBps, this.ladderMaxBps);
    if (video?.paused && this.startProbeDone) this.controller.requestProbeForRoom(nowUs);
    this.last = { network: { ...n, probeClusters: probes }, allocation, video };
    return this.last;
  }
}
