import { InvalidOptionError } from "../errors.js";
import type { VideoFrame } from "../media/video-frame.js";

/** SSIM per plane and combined (plane-area weighted, like ffmpeg's "All"). 1 = identical. */
export interface SsimResult {
  y: number;
  u: number;
  v: number;
  all: number;
}

// Constants of x264/ffmpeg's integer SSIM: C1 = (0.01·255)², C2 = (0.03·255)², scaled for
// sums over 64 pixels.
const C1 = 0.01 * 0.01 * 255 * 255 * 64;
const C2 = 0.03 * 0.03 * 255 * 255 * 64 * 63;

/**
 * SSIM of one 8-bit plane with the window ffmpeg's `ssim` filter (and x264) use: unweighted
 * 8x8 windows stepped by 4 pixels (sums of 2x2 groups of 4x4 blocks), averaged over all
 * (w/4 - 1)·(h/4 - 1) windows. Not the Gaussian-window SSIM of Wang et al.; values agree
 * with ffmpeg's to about 1e-6. Planes smaller than 8x8 return NaN.
 */
export function ssimPlane(
  a: Uint8Array, strideA: number, b: Uint8Array, strideB: number, width: number, height: number,
): number {
  const bw = width >> 2, bh = height >> 2;
  if (bw < 2 || bh < 2) return NaN;
  // Per 4x4 block: s1 = Σa, s2 = Σb, ss = Σa² + Σb², s12 = Σab. Two block rows at a time.
  let prev = new Float64Array(bw * 4);
  let cur = new Float64Array(bw * 4);
  const blockRow = (by: number, out: Float64Array): void => {
    for (let bx = 0; bx < bw; bx++) {
      let s1 = 0, s2 = 0, ss = 0, s12 = 0;
      for (let dy = 0; dy < 4; dy++) {
        const oa = (by * 4 + dy) * strideA + bx * 4;
        const ob = (by * 4 + dy) * strideB + bx * 4;
        for (let dx = 0; dx < 4; dx++) {
          const va = a[oa + dx]!, vb = b[ob + dx]!;
          s1 += va;
          s2 += vb;
          ss += va * va + vb * vb;
          s12 += va * vb;
        }
      }
      out[bx * 4] = s1;
      out[bx * 4 + 1] = s2;
      out[bx * 4 + 2] = ss;
      out[bx * 4 + 3] = s12;
    }
  };
  blockRow(0, prev);
  let total = 0;
  for (let by = 1; by < bh; by++) {
    blockRow(by, cur);
    for (let bx = 0; bx + 1 < bw; bx++) {
      const i = bx * 4, j = i + 4;
      const s1 = prev[i]! + prev[j]! + cur[i]! + cur[j]!;
      const s2 = prev[i + 1]! + prev[j + 1]! + cur[i + 1]! + cur[j + 1]!;
      const ss = prev[i + 2]! + prev[j + 2]! + cur[i + 2]! + cur[j + 2]!;
      const s12 = prev[i + 3]! + prev[j + 3]! + cur[i + 3]! + cur[j + 3]!;
      const vars = ss * 64 - s1 * s1 - s2 * s2;
      const covar = s12 * 64 - s1 * s2;
      total += ((2 * s1 * s2 + C1) * (2 * covar + C2)) / ((s1 * s1 + s2 * s2 + C1) * (vars + C2));
    }
    const t = prev;
    prev = cur;
    cur = t;
  }
  return total / ((bw - 1) * (bh - 1));
}

/** SSIM of two I420 frames of the same size (see `ssimPlane` for the window). */
export function ssim(a: VideoFrame, b: VideoFrame): SsimResult {
  if (a.width !== b.width || a.height !== b.height) {
    throw new InvalidOptionError(`Cannot compute SSIM: sizes differ (${a.width}x${a.height} vs ${b.width}x${b.height})`);
  }
  const w = a.width, h = a.height, cw = (w + 1) >> 1, ch = (h + 1) >> 1;
  const y = ssimPlane(a.y, a.strideY, b.y, b.strideY, w, h);
  const u = ssimPlane(a.u, a.strideU, b.u, b.strideU, cw, ch);
  const v = ssimPlane(a.v, a.strideV, b.v, b.strideV, cw, ch);
  const all = (y * w * h + (u + v) * cw * ch) / (w * h + 2 * cw * ch);
  return { y, u, v, all };
}

/** SSIM (Y) in dB as ffmpeg prints it: -10·log10(1 - ssim). */
export function ssimDb(value: number): number {
  return value >= 1 ? Infinity : -10 * Math.log10(1 - value);
}
