import { checkInt, checkRange, InvalidOptionError } from "../errors.js";
import { StageCore, type StageStats } from "../pipeline/stage.js";
import { scaleVideoFrame } from "./scale-video-frame.js";
import type { VideoFrame } from "./video-frame.js";

/** What the encoder should get: a size at most the capture size, a frame rate, or nothing. */
export interface VideoFormat {
  /** Even, 2..capture width. */
  width: number;
  /** Even, 2..capture height. */
  height: number;
  /** Frames per second to pass on, 0 < fps; above the capture rate every frame passes. */
  fps: number;
  /** No frames at all (video paused while the network cannot carry it). */
  paused?: boolean;
}

/**
 * Between a capture source and the encoder: downscales frames to the format a rate or CPU
 * adaptation chose (WASM box/bilinear kernels, `scaleVideoFrame`) and drops frames to reach a
 * lower frame rate, keeping the ones whose capture time is due (an even cadence, as a camera
 * at that rate would give). Time comes from each frame's `captureTimeUs`.
 */
export class VideoFormatAdapter extends StageCore<VideoFrame, VideoFrame> {
  readonly name = "video-format-adapter";
  private fmt: VideoFormat;
  private nextDueUs = -Infinity;
  private lastInputUs = NaN;
  private inputIntervalUs = 0;
  private readonly counters = { framesIn: 0, framesOut: 0, framesSkipped: 0, framesScaled: 0, formatChanges: 0 };

  constructor(initial: VideoFormat) {
    super();
    this.fmt = VideoFormatAdapter.validate(initial);
  }

  /** The format in force. */
  get format(): Readonly<VideoFormat> {
    return this.fmt;
  }

  /** Changes the format from the next frame on. */
  setFormat(format: VideoFormat): void {
    const f = VideoFormatAdapter.validate(format);
    const old = this.fmt;
    if (f.width === old.width && f.height === old.height && f.fps === old.fps && !!f.paused === !!old.paused) return;
    this.fmt = f;
    this.counters.formatChanges++;
  }

  push(frame: VideoFrame, nowUs: number): void {
    this.counters.framesIn++;
    const f = this.fmt;
    if (f.paused) {
      this.counters.framesSkipped++;
      return;
    }
    // Frame-rate reduction: pass a frame once its slot at the target rate has come (less 40%
    // of the capture interval, so 30 → 15 fps is exactly every other frame despite rounding).
    const t = frame.captureTimeUs;
    if (Number.isFinite(t)) {
      if (Number.isFinite(this.lastInputUs) && t > this.lastInputUs) this.inputIntervalUs = t - this.lastInputUs;
      this.lastInputUs = t;
      const intervalUs = 1e6 / f.fps;
      if (t < this.nextDueUs - 0.4 * this.inputIntervalUs) {
        this.counters.framesSkipped++;
        return;
      }
      // The next slot follows on from this one (an even cadence), or from now after a gap.
      this.nextDueUs = t - this.nextDueUs > intervalUs ? t + intervalUs : this.nextDueUs + intervalUs;
    }
    if (frame.width < f.width || frame.height < f.height) {
      throw new InvalidOptionError(`Cannot adapt a ${frame.width}x${frame.height} frame to ${f.width}x${f.height}: allowed is a size up to the capture size`);
    }
    let out = frame;
    if (frame.width !== f.width || frame.height !== f.height) {
      out = scaleVideoFrame(frame, f.width, f.height);
      this.counters.framesScaled++;
    }
    this.counters.framesOut++;
    this.out.push(out, nowUs);
  }

  override stats(): StageStats {
    return { ...this.counters, width: this.fmt.width, height: this.fmt.height, fps: this.fmt.fps, paused: this.fmt.paused ? 1 : 0 };
  }

  private static validate(f: VideoFormat): VideoFormat {
    if (f === null || typeof f !== "object") throw new InvalidOptionError("Cannot use a video format: it must be an object { width, height, fps }");
    checkInt("width", f.width, 2, 16384);
    checkInt("height", f.height, 2, 16384);
    if (f.width % 2 || f.height % 2) throw new InvalidOptionError(`Cannot use video format ${f.width}x${f.height}: width and height must be even`);
    checkRange("fps", f.fps, 0.1, 240);
    return { width: f.width, height: f.height, fps: f.fps, paused: !!f.paused };
  }
}
