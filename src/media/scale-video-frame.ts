import { InvalidOptionError, checkInt } from "../errors.js";
import { WasmKernels } from "../wasm/kernels.js";
import { downscale3of4Ts, downscaleBilinearTs, downscaleBox2xTs } from "../wasm/reference-kernels.js";
import { createVideoFrame, type VideoFrame } from "./video-frame.js";

export interface ScaleVideoFrameOptions {
  /** Use the WASM kernels (default true; TypeScript references otherwise, bit-identical). */
  wasm?: boolean;
}

/**
 * Downscales an I420 frame to width x height (each at most the source's), for resolution
 * ladders. Exact halvings use the 2:1 box filter; while the ratio exceeds 2 the plane is
 * halved first; an exact 3/4 (640x480 → 480x360, planes with sides multiple of 4) uses the
 * 4:3 area filter; the rest is bilinear. Keeps captureTimeUs and frameIndex. Returns a new
 * packed frame (the input itself when the size is unchanged).
 */
export function scaleVideoFrame(frame: VideoFrame, width: number, height: number, options: ScaleVideoFrameOptions = {}): VideoFrame {
  checkInt("width", width, 2, frame.width);
  checkInt("height", height, 2, frame.height);
  if (width === frame.width && height === frame.height) return frame;
  const k = options.wasm === false ? null : WasmKernels.get();
  const out = createVideoFrame(width, height, frame.captureTimeUs, frame.frameIndex);
  const cw = (width + 1) >> 1, ch = (height + 1) >> 1;
  const scw = (frame.width + 1) >> 1, sch = (frame.height + 1) >> 1;
  scalePlane(k, frame.y, frame.width, frame.height, frame.strideY, out.y, width, height);
  scalePlane(k, frame.u, scw, sch, frame.strideU, out.u, cw, ch);
  scalePlane(k, frame.v, scw, sch, frame.strideV, out.v, cw, ch);
  return out;
}

function scalePlane(
  k: WasmKernels | null, src: Uint8Array, w: number, h: number, stride: number, dst: Uint8Array, dw: number, dh: number,
): void {
  if (dw > w || dh > h) throw new InvalidOptionError(`Cannot upscale a ${w}x${h} plane to ${dw}x${dh}`);
  // Halve while both dimensions are at least twice the target.
  while (w >= 2 * dw && h >= 2 * dh && w >= 2 && h >= 2) {
    const hw = w >> 1, hh = h >> 1;
    const half = new Uint8Array(hw * hh);
    if (k) k.downscaleBox2x(src, w, h, stride, half);
    else downscaleBox2xTs(src, stride, half, hw, hw, hh);
    src = half;
    w = hw;
    h = hh;
    stride = hw;
  }
  if (w === dw && h === dh) {
    for (let y = 0; y < h; y++) dst.set(src.subarray(y * stride, y * stride + w), y * dw);
    return;
  }
  if (4 * dw === 3 * w && 4 * dh === 3 * h && w % 4 === 0 && h % 4 === 0) {
    if (k) k.downscale3of4(src, w, h, stride, dst);
    else downscale3of4Ts(src, w, h, stride, dst, dw);
    return;
  }
  if (k) k.downscaleBilinear(src, w, h, stride, dw, dh, dst);
  else downscaleBilinearTs(src, w, h, stride, dst, dw, dh, dw);
}
