import type { VideoFrame } from "../media/video-frame.js";
import { psnr, psnrFromMse, type PsnrOptions, type PsnrResult } from "./psnr.js";

/** The whole-clip PSNR summary, as ffmpeg's psnr filter prints it at the end of a run. */
export interface PsnrSummary {
  frames: number;
  /** PSNR of the mean per-frame MSE of each plane (ffmpeg "y:", "u:", "v:"). */
  y: number;
  u: number;
  v: number;
  /** PSNR of the mean weighted MSE (ffmpeg "average:"). */
  average: number;
  /** Worst and best frame by weighted MSE (ffmpeg "min:" and "max:"). */
  min: number;
  max: number;
  /** Plain mean of per-frame Y PSNRs, capped at 100 dB for identical frames (not ffmpeg's). */
  meanFrameY: number;
}

/**
 * Accumulates per-frame PSNR over a clip the way ffmpeg does: averages MSE across frames and
 * converts once, so one perfect frame does not make the clip average infinite.
 */
export class PsnrAccumulator {
  private frames = 0;
  private sumY = 0;
  private sumU = 0;
  private sumV = 0;
  private sumAll = 0;
  private minMse = Infinity;
  private maxMse = 0;
  private sumFrameY = 0;

  /** Compares one pair of frames, adds it, and returns that frame's result. */
  add(a: VideoFrame, b: VideoFrame, options?: PsnrOptions): PsnrResult {
    const r = psnr(a, b, options);
    this.addResult(r);
    return r;
  }

  addResult(r: PsnrResult): void {
    this.frames++;
    this.sumY += r.mseY;
    this.sumU += r.mseU;
    this.sumV += r.mseV;
    this.sumAll += r.mseAverage;
    this.minMse = Math.min(this.minMse, r.mseAverage);
    this.maxMse = Math.max(this.maxMse, r.mseAverage);
    this.sumFrameY += Math.min(100, r.y);
  }

  summary(): PsnrSummary {
    const n = this.frames;
    if (n === 0) return { frames: 0, y: NaN, u: NaN, v: NaN, average: NaN, min: NaN, max: NaN, meanFrameY: NaN };
    return {
      frames: n,
      y: psnrFromMse(this.sumY / n),
      u: psnrFromMse(this.sumU / n),
      v: psnrFromMse(this.sumV / n),
      average: psnrFromMse(this.sumAll / n),
      min: psnrFromMse(this.maxMse),
      max: psnrFromMse(this.minMse),
      meanFrameY: this.sumFrameY / n,
    };
  }
}
