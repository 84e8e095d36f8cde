import { checkInt } from "../errors.js";

/**
 * One raw video frame in I420 (YUV 4:2:0 planar): a full-size Y plane and quarter-size U, V.
 * Planes may have strides wider than the visible width (as codecs produce them).
 */
export interface VideoFrame {
  readonly width: number;
  readonly height: number;
  readonly y: Uint8Array;
  readonly u: Uint8Array;
  readonly v: Uint8Array;
  readonly strideY: number;
  readonly strideU: number;
  readonly strideV: number;
  /** When the frame was captured (µs, on the call's clock); latency is measured from here. */
  captureTimeUs: number;
  /** Frame number at the source (0, 1, 2, ...), carried end to end when known, else -1. */
  frameIndex: number;
}

/** Allocates a tightly packed I420 frame (one buffer, three plane views). Width/height even. */
export function createVideoFrame(width: number, height: number, captureTimeUs = 0, frameIndex = -1): VideoFrame {
  checkInt("width", width, 2, 16384);
  checkInt("height", height, 2, 16384);
  const cw = (width + 1) >> 1;
  const ch = (height + 1) >> 1;
  const buf = new Uint8Array(width * height + 2 * cw * ch);
  return {
    width,
    height,
    y: buf.subarray(0, width * height),
    u: buf.subarray(width * height, width * height + cw * ch),
    v: buf.subarray(width * height + cw * ch),
    strideY: width,
    strideU: cw,
    strideV: cw,
    captureTimeUs,
    frameIndex,
  };
}

/** Bytes of a tightly packed I420 frame of this size. */
export function i420Size(width: number, height: number): number {
  const cw = (width + 1) >> 1;
  const ch = (height + 1) >> 1;
  return width * height + 2 * cw * ch;
}
