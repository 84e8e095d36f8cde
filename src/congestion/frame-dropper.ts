/**
 * Drops captured video frames before they reach the encoder while the encoder's output runs
 * ahead of its target (the idea of libwebrtc's media-optimization FrameDropper, used there for
 * libvpx VP8, whose rate control it does not trust). libvpx follows a lower target late: each
 * vpx_codec_enc_config_set clamps its buffer model to "full" at the new rate, and a full buffer
 * keeps the quantizer low, so after a cut from 755 to 134 kbps at 320x240 it still produced
 * 3-4 KB frames (~900 kbps) for half a second, and a target falling over several updates made
 * it overshoot for longer (test/congestion/frame-dropper.test.ts measures this with the real
 * encoder). That overshoot lands in the bottleneck queue exactly when the path got slower.
 *
 * A leaky bucket: every encoded frame adds its bits, the bucket leaks at the target rate, and
 * while it holds more than `windowMs` of the target the next frame is dropped. Never more than
 * `maxGapMs` passes without a frame: a gap below WebRTC's freeze definition
 * (max(3 × frame interval, interval + 150 ms)) is a lower frame rate, not a freeze. A frame the
 * caller must send (a requested keyframe) passes regardless.
 *
 * Congestion-window drops (libwebrtc's WebRTC-CongestionWindow DropFrame, on in Chrome): while
 * the data in flight is over the congestion window, only the pushback's share of the frames
 * is encoded (ratio 0.5: every other frame), within `maxGapMs` as well. The encoder's own
 * rate control follows a lower target over several frames; skipped frames lower the rate on
 * the next one, which is what empties a queue that the other direction's congestion keeps the
 * feedback of. They do not count in the drop ratio (that measures encoder overshoot).
 * Pure: time is an argument.
 */
import { checkRange } from "../errors.js";

/** Weight of each frame in the smoothed drop ratio (about the last 20 frames). */
const DROP_RATIO_WEIGHT = 0.05;
const DROP_RATIO_FADE_US = 1_000_000;

/** Options of a FrameDropper. */
export interface FrameDropperOptions {
  /** Bits above the target the bucket may hold before frames are dropped, as time at the target (ms). Default 200: a keyframe capped at 4.5 frames' worth (our VP8 setting) and frame-size noise pass. 10 to 5 000. */
  windowMs?: number;
  /** Longest time between frames passed (ms). Default 150: with 30 fps capture the gap is then at most 167 ms, under the 183 ms freeze threshold. 0 to 5 000. */
  maxGapMs?: number;
}

/** Counters of a FrameDropper. */
export interface FrameDropperStats {
  framesPassed: number;
  framesDropped: number;
  /** Frames passed although the bucket was over the window, because of `maxGapMs` or a forced frame. */
  framesForced: number;
  /** Frames dropped because the data in flight was over the congestion window. */
  framesDroppedCongestion: number;
  /** Bits in the bucket now. */
  levelBits: number;
  /** Share of recent frames dropped (0-1, smoothed over ~20 frames). */
  dropRatio: number;
  targetRateBps: number;
}

/** Leaky-bucket frame dropper in front of a video encoder. */
export class FrameDropper {
  private readonly windowUs: number;
  private readonly maxGapUs: number;
  private rateBps = 0;
  private levelBits = 0;
  private lastLeakUs = NaN;
  private lastPassUs = -Infinity;
  private ratio = 0;
  private congestionRatio = 1;
  private congestionCredit = 0;
  private readonly s = { framesPassed: 0, framesDropped: 0, framesForced: 0, framesDroppedCongestion: 0 };

  constructor(options: FrameDropperOptions = {}) {
    this.windowUs = checkRange("windowMs", options.windowMs ?? 200, 10, 5_000) * 1000;
    this.maxGapUs = checkRange("maxGapMs", options.maxGapMs ?? 150, 0, 5_000) * 1000;
  }

  /** The encoder's target (bps); 0 turns dropping off (every frame passes). */
  setTargetRate(bps: number, nowUs: number): void {
    this.leak(nowUs);
    this.rateBps = checkRange("targetRateBps", bps, 0, 1e10);
  }

  /** Called with each keyframe's size as it is reported (the congestion window makes room for it). */
  onKeyframe: ((bytes: number, nowUs: number) => void) | undefined;

  /** The share of frames the congestion window lets through (0-1; 1: no congestion drops). */
  setCongestionRatio(ratio: number): void {
    this.congestionRatio = checkRange("congestionRatio", ratio, 0, 1);
    if (ratio >= 1) this.congestionCredit = 0;
  }

  /**
   * Whether to drop the frame captured now. `mustSend` (a keyframe was requested) passes it.
   * A frame that passes is expected to be encoded; report its size with `onEncoded`.
   */
  shouldDrop(nowUs: number, mustSend = false): boolean {
    this.leak(nowUs);
    const mayDrop = !mustSend && nowUs - this.lastPassUs < this.maxGapUs;
    if (this.congestionRatio < 1) {
      this.congestionCredit = Math.min(1, this.congestionCredit + this.congestionRatio);
      if (this.congestionCredit < 1 && mayDrop) {
        this.s.framesDroppedCongestion++;
        return true;
      }
      this.congestionCredit = Math.max(0, this.congestionCredit - 1);
    }
    const over = this.rateBps > 0 && this.levelBits > (this.rateBps * this.windowUs) / 1e6;
    if (over && mayDrop) {
      this.s.framesDropped++;
      this.ratio += DROP_RATIO_WEIGHT * (1 - this.ratio);
      return true;
    }
    this.ratio -= DROP_RATIO_WEIGHT * this.ratio;
    if (over) this.s.framesForced++;
    this.s.framesPassed++;
    this.lastPassUs = nowUs;
    return false;
  }

  /**
   * The encoder produced `bytes` for the frame that passed (0 if its rate control dropped it).
   * A keyframe counts for at most the window: it is the price of a picture (a PLI, a new size),
   * not an overshoot, and dropping the frames after it would freeze what it just repaired.
   */
  onEncoded(bytes: number, nowUs: number, keyframe = false): void {
    this.leak(nowUs);
    if (keyframe && Number.isFinite(bytes) && bytes > 0) this.onKeyframe?.(bytes, nowUs);
    if (Number.isFinite(bytes) && bytes > 0) this.levelBits += keyframe ? Math.min(bytes * 8, (this.rateBps * this.windowUs) / 1e6) : bytes * 8;
    // Remember at most a second at the target: an old overshoot says nothing about now.
    if (this.rateBps > 0) this.levelBits = Math.min(this.levelBits, this.rateBps);
  }

  /**
   * Share of recent frames dropped (0-1): how far the encoder's frames at this format exceed
   * the target (half the frames dropped: it needs about twice the rate). The quality ladder
   * reads it as libwebrtc's QualityScaler reads frames dropped for overshoot: a sign to step
   * down in resolution.
   */
  get dropRatio(): number {
    return this.ratio;
  }

  /** The drop ratio as of `nowUs` (faded for the time since the last frame). */
  dropRatioAt(nowUs: number): number {
    this.leak(nowUs);
    return this.ratio;
  }

  stats(): FrameDropperStats {
    return { ...this.s, levelBits: this.levelBits, dropRatio: this.ratio, targetRateBps: this.rateBps };
  }

  private leak(nowUs: number): void {
    if (!Number.isFinite(nowUs)) return;
    if (Number.isFinite(this.lastLeakUs) && nowUs > this.lastLeakUs) {
      this.levelBits = Math.max(0, this.levelBits - (this.rateBps * (nowUs - this.lastLeakUs)) / 1e6);
      // The drop ratio fades over time too (time constant 1 s), so it does not stay high
      // while no frames come (paused video).
      this.ratio *= Math.exp(-(nowUs - this.lastLeakUs) / DROP_RATIO_FADE_US);
    }
    if (!(nowUs < this.lastLeakUs)) this.lastLeakUs = nowUs;
  }
}
