import { InvalidOptionError, checkInt, checkRange } from "../errors.js";
import type { EncodedFrame } from "../codec/encoded-frame.js";
import { StageCore, type StageStats } from "../pipeline/stage.js";
import { TimestampUnwrapper } from "../rtp/wrap-around-unwrapper.js";
import { RelativeDelayEstimator } from "./relative-delay-estimator.js";

const STEP_UP_US = 10_000;
const STEP_DOWN_US = 5_000;

export interface VideoPlayoutBufferOptions {
  /** RTP clock rate (default 90 000, RFC 7741 / RFC 9628). */
  clockRate?: number;
  /** Extra delay on top of the jitter estimate (default 0 ms). */
  extraDelayMs?: number;
  /** Upper bound of the jitter delay (default 500 ms). */
  maxDelayMs?: number;
  /** Frames in the delay estimator's window (default 90, 3 s at 30 fps). */
  windowFrames?: number;
  /**
   * The delay estimator's window also ends this long ago (default 3000 ms: 90 frames at 30 fps).
   * At 10 fps, 90 frames are 9 s: a queue that filled and drained 8 s ago still set the delay,
   * measured against a baseline the drained queue had lowered (p95 − min of 367 ms on the 3G
   * trace while every recent frame arrived within 10 ms of the fastest).
   */
  windowMs?: number;
  /** Frames held at most; beyond that the oldest are released at once (default 60). */
  capacity?: number;
}

/**
 * Holds complete video frames until their render time: media time (from the unwrapped RTP
 * timestamp) + the fastest transit seen + a jitter delay that covers 95% of frame transit
 * variation. On a clean path the delay is ~0 and frames pass straight through; as jitter grows
 * the delay grows with it, and shrinks again when jitter leaves the window.
 */
export class VideoPlayoutBuffer extends StageCore<EncodedFrame, EncodedFrame> {
  readonly name = "video-playout";
  private readonly usPerTick: number;
  private extraUs: number;
  private readonly maxUs: number;
  private budgetUs = Infinity;
  private readonly capacity: number;
  private readonly unwrapper = new TimestampUnwrapper();
  private readonly estimator: RelativeDelayEstimator;
  private readonly queue: { frame: EncodedFrame; mediaUs: number }[] = [];
  private counters = { framesIn: 0, framesOut: 0, framesFlushed: 0 };
  private lastDelayUs = 0;
  private appliedUs = 0;

  constructor(options: VideoPlayoutBufferOptions = {}) {
    super();
    this.usPerTick = 1e6 / checkInt("clockRate", options.clockRate ?? 90_000, 1000, 1_000_000);
    this.extraUs = checkRange("extraDelayMs", options.extraDelayMs ?? 0, 0, 10_000) * 1000;
    this.maxUs = checkRange("maxDelayMs", options.maxDelayMs ?? 500, 0, 10_000) * 1000;
    this.capacity = checkInt("capacity", options.capacity ?? 60, 1, 10_000);
    this.estimator = new RelativeDelayEstimator({ windowSize: options.windowFrames ?? 90, maxAgeUs: checkRange("windowMs", options.windowMs ?? 3_000, 1, 600_000) * 1000 });
  }

  /**
   * Extra delay on top of the jitter estimate, e.g. one RTT while retransmissions are frequent
   * so a recovered frame is still in time (libwebrtc's jitter estimate adds rtt x multiplier
   * in the same situation).
   */
  setExtraDelayUs(extraUs: number): void {
    this.extraUs = Math.max(0, extraUs);
  }

  /**
   * The most delay (jitter + extra) the owner's latency budget leaves for this buffer (µs;
   * Infinity: only `maxDelayMs`). A frame later than that is shown late (a short stall) rather
   * than every frame of the next seconds being held for it.
   */
  setDelayBudgetUs(budgetUs: number): void {
    if (Number.isNaN(budgetUs)) throw new InvalidOptionError("Cannot set the video delay budget to NaN: give µs >= 0 (Infinity for none)");
    this.budgetUs = Math.max(0, budgetUs);
  }

  /** The jitter estimate alone, without the extra delay (µs). */
  get jitterDelayUs(): number {
    return this.estimator.targetUs();
  }

  /** The delay the buffer is heading for: jitter estimate + extra, within the maximum (µs). */
  get targetDelayUs(): number {
    return Math.min(this.maxUs, this.budgetUs, this.estimator.targetUs() + this.extraUs);
  }

  /**
   * The jitter delay applied now (µs). It follows the target gradually, at most +10 ms or
   * -5 ms per frame released, so a change of delay plays as slightly slower or faster motion
   * instead of a stall or a jump.
   */
  get delayUs(): number {
    return this.appliedUs;
  }

  /**
   * Tells the buffer when each frame's packets really arrived from the network. Without it the
   * time a frame reaches this buffer is used; with it, a frame held back behind a lost packet
   * (waiting for a retransmission) or completed by one does not count as network jitter, so
   * recovering one frame does not raise the delay of all the others.
   */
  networkArrivalUs: (rtpTimestamp: number) => number | undefined = () => undefined;

  push(frame: EncodedFrame, nowUs: number): void {
    this.counters.framesIn++;
    const mediaUs = this.unwrapper.unwrap(frame.rtpTimestamp) * this.usPerTick;
    const arrivalUs = this.networkArrivalUs(frame.rtpTimestamp) ?? nowUs;
    this.estimator.add(arrivalUs - mediaUs, arrivalUs);
    this.queue.push({ frame, mediaUs });
    while (this.queue.length > this.capacity) {
      this.counters.framesFlushed++;
      this.emit(this.queue.shift()!.frame, nowUs);
    }
    this.tick(nowUs);
  }

  override tick(nowUs: number): void {
    const base = this.estimator.baselineUs() + this.delayUs;
    while (this.queue.length > 0 && this.queue[0]!.mediaUs + base <= nowUs + 1) { // +1 µs: clocks tick in whole µs
      this.emit(this.queue.shift()!.frame, nowUs);
    }
  }

  /**
   * When a frame with this RTP timestamp would be due to play (µs), at the delay applied now;
   * NaN before the first frame.
   */
  dueUs(rtpTimestamp: number): number {
    return this.unwrapper.peek(rtpTimestamp) * this.usPerTick + this.estimator.baselineUs() + this.delayUs;
  }

  /** When the next held frame is due, or undefined when none is held. */
  nextDueUs(): number | undefined {
    const head = this.queue[0];
    return head ? head.mediaUs + this.estimator.baselineUs() + this.delayUs : undefined;
  }

  override stats(): StageStats {
    return { ...this.counters, held: this.queue.length, delayMs: this.lastDelayUs / 1000 };
  }

  private emit(frame: EncodedFrame, nowUs: number): void {
    this.counters.framesOut++;
    const target = this.targetDelayUs;
    this.appliedUs = target > this.appliedUs ? Math.min(target, this.appliedUs + STEP_UP_US) : Math.max(target, this.appliedUs - STEP_DOWN_US);
    this.lastDelayUs = this.appliedUs;
    this.out.push(frame, nowUs);
  }
}
