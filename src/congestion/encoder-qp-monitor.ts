/**
 * Whether the video encoder is starved at its current size: its quantizer stays high. The idea
 * is libwebrtc's QualityScaler (video/adaptation/quality_scaler.cc), which averages the QP of
 * encoded frames and asks for a smaller picture above a high threshold (VP8: 95 of 127,
 * kHighVp8QpThreshold) and a larger one below a low one (29). Here it only vetoes a larger
 * picture: the ladder's bitrate model (bits per pixel) says when a size should fit, and hard
 * content needs far more than it says. The test pattern at 160x120 ran at Q 48-53 (of 63) with
 * ~120 kbps, four times the model's minimum; at 200 kbps the ladder went up to 320x240, whose
 * frames at Q 63 were still 0.8-1.3 KB, and the keyframe and frames of the new size filled the
 * queue and froze the picture for 400-500 ms before it went back down.
 *
 * The average is an exponential one over about 15 frames (weight 1/15), of delta frames only (a
 * keyframe's Q follows its size cap, not the rate), and starts over when the picture changes
 * size (`reset`): the Q at one size says nothing of another. No verdict before `minFrames`.
 * Q is libvpx's 0-63 scale (VP8E_GET_LAST_QUANTIZER_64), for VP8 and VP9 alike. Pure.
 */
import { checkInt, checkRange } from "../errors.js";

/** libwebrtc kHighVp8QpThreshold 95 of 127, on libvpx's 0-63 scale. */
const DEFAULT_HIGH_QP = 47;
const WEIGHT = 1 / 15;

/** Options of {@link EncoderQpMonitor}. */
export interface EncoderQpMonitorOptions {
  /** Average Q (0-63) at and above which the encoder is starved (default 47). */
  highQp?: number;
  /** Delta frames after a reset before a verdict (default 10). */
  minFrames?: number;
}

/** Smoothed encoder quantizer of delta frames; `high` when the encoder is starved. */
export class EncoderQpMonitor {
  private readonly highQp: number;
  private readonly minFrames: number;
  private average = NaN;
  private frames = 0;

  constructor(options: EncoderQpMonitorOptions = {}) {
    this.highQp = checkRange("highQp", options.highQp ?? DEFAULT_HIGH_QP, 0, 63);
    this.minFrames = checkInt("minFrames", options.minFrames ?? 10, 1, 1000);
  }

  /** One encoded frame's Q (0-63; anything else, e.g. -1 for unknown, is ignored). */
  onFrame(qp: number, keyframe: boolean): void {
    if (keyframe || !Number.isFinite(qp) || qp < 0 || qp > 63) return;
    this.average = Number.isNaN(this.average) ? qp : this.average + WEIGHT * (qp - this.average);
    this.frames++;
  }

  /** The picture changed size: forget the average. */
  reset(): void {
    this.average = NaN;
    this.frames = 0;
  }

  /** Whether the average Q is at or above the high threshold (false before `minFrames`). */
  get high(): boolean {
    return this.frames >= this.minFrames && this.average >= this.highQp;
  }

  /** The average Q (NaN before the first delta frame). */
  get averageQp(): number {
    return this.average;
  }
}
