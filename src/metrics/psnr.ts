import { InvalidOptionError } from "../errors.js";
import type { VideoFrame } from "../media/video-frame.js";
import { WasmKernels } from "../wasm/kernels.js";
import { sumSquaredErrorTs } from "../wasm/reference-kernels.js";

/** PSNR of one pair of frames, per plane and combined, in dB (Infinity for identical planes). */
export interface PsnrResult {
  y: number;
  u: number;
  v: number;
  /**
   * ffmpeg's "average": PSNR of the plane-size-weighted mean MSE,
   * (4·mseY + mseU + mseV) / 6 for I420, not the mean of the three PSNRs.
   */
  average: number;
  mseY: number;
  mseU: number;
  mseV: number;
  /** The weighted MSE behind `average`. */
  mseAverage: number;
}

export interface PsnrOptions {
  /** Use the WASM SIMD kernel (default true; falls back to TypeScript if it cannot load). */
  wasm?: boolean;
}

/** 10·log10(peak² / mse), Infinity when mse is 0 (as ffmpeg's psnr filter prints "inf"). */
export function psnrFromMse(mse: number, peak = 255): number {
  return mse === 0 ? Infinity : 10 * Math.log10((peak * peak) / mse);
}

/**
 * PSNR between two I420 frames of the same size, as ffmpeg's `psnr` filter defines it for
 * 8-bit video: per-plane MSE over the visible area, and the combined value from the MSEs
 * weighted by plane area.
 */
export function psnr(a: VideoFrame, b: VideoFrame, options: PsnrOptions = {}): PsnrResult {
  if (a.width !== b.width || a.height !== b.height) {
    throw new InvalidOptionError(`Cannot compute PSNR: sizes differ (${a.width}x${a.height} vs ${b.width}x${b.height})`);
  }
  const w = a.width, h = a.height, cw = (w + 1) >> 1, ch = (h + 1) >> 1;
  const sse = planeSse(options.wasm !== false);
  const mseY = sse(a.y, a.strideY, b.y, b.strideY, w, h) / (w * h);
  const mseU = sse(a.u, a.strideU, b.u, b.strideU, cw, ch) / (cw * ch);
  const mseV = sse(a.v, a.strideV, b.v, b.strideV, cw, ch) / (cw * ch);
  const total = w * h + 2 * cw * ch;
  const mseAverage = (mseY * w * h + (mseU + mseV) * cw * ch) / total;
  return {
    y: psnrFromMse(mseY), u: psnrFromMse(mseU), v: psnrFromMse(mseV), average: psnrFromMse(mseAverage),
    mseY, mseU, mseV, mseAverage,
  };
}

type PlaneSse = (a: Uint8Array, sa: number, b: Uint8Array, sb: number, w: number, h: number) => number;

let wasmSse: PlaneSse | null | undefined;

function planeSse(wantWasm: boolean): PlaneSse {
  if (wantWasm) {
    if (wasmSse === undefined) {
      try {
        const k = WasmKernels.get();
        wasmSse = (a, sa, b, sb, w, h) => k.sumSquaredErrorPlane(a, sa, b, sb, w, h);
      } catch {
        wasmSse = null;
      }
    }
    if (wasmSse) return wasmSse;
  }
  return tsPlaneSse;
}

function tsPlaneSse(a: Uint8Array, sa: number, b: Uint8Array, sb: number, w: number, h: number): number {
  if (sa === w && sb === w) return sumSquaredErrorTs(a, b, w * h);
  let total = 0;
  for (let y = 0; y < h; y++) total += sumSquaredErrorTs(a.subarray(y * sa), b.subarray(y * sb), w);
  return total;
}
