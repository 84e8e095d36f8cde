import { closeSync, fstatSync, openSync, readSync } from "node:fs";
import { BadFileError, RtcpipeError } from "../errors.js";
import { FrameSourceStage } from "./frame-source-stage.js";
import { createVideoFrame, i420Size, type VideoFrame } from "./video-frame.js";
import { parseY4mHeader, Y4M_MAX_HEADER_BYTES, type Y4mHeader } from "./y4m-header.js";

export interface Y4mReaderOptions {
  /** Start again at frame 0 after the last frame (default false: `next()` returns undefined). */
  loop?: boolean;
}

const FRAME_TAG_MAX_BYTES = 256;

/**
 * Streams I420 frames from a YUV4MPEG2 file (C420, C420jpeg, C420paldv, C420mpeg2; the
 * interlace tag is ignored), one frame per read, never the whole file in memory.
 * `frameAt(i)` seeks directly (FRAME lines are almost always 6 bytes; others are scanned).
 */
export class Y4mReader extends FrameSourceStage<VideoFrame> {
  readonly name = "y4m-reader";
  readonly path: string;
  readonly header: Y4mHeader;
  readonly width: number;
  readonly height: number;
  /** Frames per second as a number (header F num/den). */
  readonly fps: number;
  readonly frameDurationUs: number;
  private readonly loop: boolean;
  private fd: number | null;
  private readonly frameBytes: number;
  private readonly fileBytes: number;
  /** Byte offsets of FRAME lines seen so far; offsets[i] is where frame i starts. */
  private readonly offsets: number[] = [];
  private allPlain = true;
  private nextIndex = 0;
  private readonly tagBuf = new Uint8Array(FRAME_TAG_MAX_BYTES);

  constructor(path: string, options: Y4mReaderOptions = {}) {
    super();
    this.path = path;
    this.loop = options.loop ?? false;
    try {
      this.fd = openSync(path, "r");
    } catch (err) {
      throw new BadFileError(`Cannot read Y4M: cannot open ${path} (${(err as Error).message})`);
    }
    try {
      this.fileBytes = fstatSync(this.fd).size;
      const head = new Uint8Array(Math.min(this.fileBytes, Y4M_MAX_HEADER_BYTES));
      readSync(this.fd, head, 0, head.length, 0);
      this.header = parseY4mHeader(head);
    } catch (err) {
      this.close();
      throw err;
    }
    this.width = this.header.width;
    this.height = this.header.height;
    this.fps = this.header.fpsNum / this.header.fpsDen;
    this.frameDurationUs = (1e6 * this.header.fpsDen) / this.header.fpsNum;
    this.frameBytes = i420Size(this.width, this.height);
    this.offsets.push(this.header.headerBytes);
  }

  /**
   * Frames in the file when every FRAME line is plain (the usual case): from the file size.
   * A trailing partial frame is not counted.
   */
  get frameCount(): number {
    return Math.floor((this.fileBytes - this.header.headerBytes) / (this.frameBytes + 6));
  }

  /** The next frame in file order (wrapping when `loop`), or undefined at the end. */
  next(): VideoFrame | undefined {
    let f = this.readAt(this.nextIndex);
    if (f === undefined && this.loop && this.nextIndex > 0) {
      this.nextIndex = 0;
      f = this.readAt(0);
    }
    if (f !== undefined) this.nextIndex++;
    return f;
  }

  /** Frame `index` (0-based), or undefined past the end. captureTimeUs = index · frame duration. */
  frameAt(index: number): VideoFrame | undefined {
    if (!Number.isInteger(index) || index < 0) return undefined;
    return this.readAt(index);
  }

  /** Moves `next()` to frame `index`. */
  seek(index: number): void {
    this.nextIndex = Math.max(0, Math.floor(index));
  }

  override close(): void {
    if (this.fd !== null) {
      closeSync(this.fd);
      this.fd = null;
    }
  }

  private readAt(index: number): VideoFrame | undefined {
    if (this.fd === null) throw new RtcpipeError("ERR_CLOSED", `Cannot read Y4M: ${this.path} is closed`);
    let pos: number | undefined;
    if (this.allPlain) {
      pos = this.header.headerBytes + index * (this.frameBytes + 6);
    } else {
      // Scan forward from the last known FRAME line.
      while (this.offsets.length <= index) {
        const last = this.offsets.length - 1;
        const tag = this.readTag(this.offsets[last]!);
        if (tag === undefined) return undefined;
        this.offsets.push(this.offsets[last]! + tag + this.frameBytes);
      }
      pos = this.offsets[index]!;
    }
    let tagLen: number | undefined;
    try {
      tagLen = this.readTag(pos);
    } catch (err) {
      if (!this.allPlain) throw err;
      // An earlier FRAME line had parameters, so the fixed layout is wrong: rescan.
      this.allPlain = false;
      return this.readAt(index);
    }
    if (tagLen === undefined) return undefined;
    if (tagLen !== 6 && this.allPlain) {
      // A FRAME line with parameters: the fixed layout no longer holds; rescan.
      this.allPlain = false;
      this.offsets.length = 1;
      return this.readAt(index);
    }
    const frame = createVideoFrame(this.width, this.height, Math.round(index * this.frameDurationUs), index);
    const buf = new Uint8Array(frame.y.buffer, frame.y.byteOffset, this.frameBytes);
    const n = readSync(this.fd!, buf, 0, this.frameBytes, pos + tagLen);
    if (n < this.frameBytes) {
      throw new BadFileError(`Cannot read Y4M: frame ${index} is truncated (${n} of ${this.frameBytes} bytes) in ${this.path}`);
    }
    return frame;
  }

  /** Length of the FRAME line at `pos` including its newline, or undefined at end of file. */
  private readTag(pos: number): number | undefined {
    if (pos >= this.fileBytes) return undefined;
    const n = readSync(this.fd!, this.tagBuf, 0, FRAME_TAG_MAX_BYTES, pos);
    const t = this.tagBuf;
    if (n < 6 || t[0] !== 0x46 || t[1] !== 0x52 || t[2] !== 0x41 || t[3] !== 0x4d || t[4] !== 0x45 || (t[5] !== 0x0a && t[5] !== 0x20)) {
      throw new BadFileError(`Cannot read Y4M: expected "FRAME" at byte ${pos} of ${this.path}`);
    }
    for (let i = 5; i < n; i++) if (t[i] === 0x0a) return i + 1;
    throw new BadFileError(`Cannot read Y4M: FRAME line at byte ${pos} has no newline within ${FRAME_TAG_MAX_BYTES} bytes`);
  }
}
