import { closeSync, openSync, writeSync } from "node:fs";
import { BadFileError, InvalidOptionError, RtcpipeError, checkInt } from "../errors.js";
import type { VideoFrame } from "./video-frame.js";
import { formatY4mHeader, type Y4mColorspace } from "./y4m-header.js";

export interface Y4mWriterOptions {
  width: number;
  height: number;
  /** Frame rate numerator (default 30). */
  fpsNum?: number;
  /** Frame rate denominator (default 1). */
  fpsDen?: number;
  /** Colourspace tag (default "420jpeg", ffmpeg's for yuv420p). */
  colorspace?: Y4mColorspace;
}

const FRAME_LINE = new TextEncoder().encode("FRAME\n");

/** Writes I420 frames to a YUV4MPEG2 file, synchronously, one frame per write. */
export class Y4mWriter {
  readonly path: string;
  readonly width: number;
  readonly height: number;
  private fd: number | null;
  private frames = 0;
  private packed: Uint8Array | null = null;

  constructor(path: string, options: Y4mWriterOptions) {
    this.path = path;
    this.width = checkInt("width", options.width, 2, 16384);
    this.height = checkInt("height", options.height, 2, 16384);
    const fpsNum = checkInt("fpsNum", options.fpsNum ?? 30, 1, 1_000_000);
    const fpsDen = checkInt("fpsDen", options.fpsDen ?? 1, 1, 1_000_000);
    try {
      this.fd = openSync(path, "w");
    } catch (err) {
      throw new BadFileError(`Cannot write Y4M: cannot open ${path} (${(err as Error).message})`);
    }
    const head = formatY4mHeader({ width: this.width, height: this.height, fpsNum, fpsDen, colorspace: options.colorspace ?? "420jpeg" });
    writeSync(this.fd, new TextEncoder().encode(head));
  }

  get framesWritten(): number {
    return this.frames;
  }

  /** Appends one frame (any strides); its size must match the stream's. */
  write(frame: VideoFrame): void {
    if (this.fd === null) throw new RtcpipeError("ERR_CLOSED", `Cannot write Y4M: ${this.path} is closed`);
    if (frame.width !== this.width || frame.height !== this.height) {
      throw new InvalidOptionError(`Cannot write a ${frame.width}x${frame.height} frame: the Y4M stream is ${this.width}x${this.height}`);
    }
    const w = this.width, h = this.height, cw = (w + 1) >> 1, ch = (h + 1) >> 1;
    const size = w * h + 2 * cw * ch;
    this.packed ??= new Uint8Array(size);
    const p = this.packed;
    copyPlane(frame.y, frame.strideY, p, 0, w, h);
    copyPlane(frame.u, frame.strideU, p, w * h, cw, ch);
    copyPlane(frame.v, frame.strideV, p, w * h + cw * ch, cw, ch);
    writeSync(this.fd, FRAME_LINE);
    writeSync(this.fd, p);
    this.frames++;
  }

  /** Closes the file. Idempotent. */
  close(): void {
    if (this.fd !== null) {
      closeSync(this.fd);
      this.fd = null;
    }
  }
}

function copyPlane(src: Uint8Array, stride: number, dst: Uint8Array, off: number, w: number, h: number): void {
  if (stride === w) {
    dst.set(src.subarray(0, w * h), off);
    return;
  }
  for (let y = 0; y < h; y++) dst.set(src.subarray(y * stride, y * stride + w), off + y * w);
}
