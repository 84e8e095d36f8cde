import { StageCore, type StageStats } from "../pipeline/stage.js";
import type { AudioFrame } from "./audio-frame.js";
import type { VideoFrame } from "./video-frame.js";

/** Bytes a frame carries: I420 visible area, PCM samples, or `byteLength` of anything else. */
export function frameBytes(item: unknown): number {
  if (typeof item !== "object" || item === null) return 0;
  const v = item as Partial<VideoFrame & AudioFrame> & { byteLength?: number; data?: Uint8Array };
  if (v.y instanceof Uint8Array && typeof v.width === "number" && typeof v.height === "number") {
    const cw = (v.width + 1) >> 1, ch = (v.height + 1) >> 1;
    return v.width * v.height + 2 * cw * ch;
  }
  if (v.samples instanceof Int16Array) return v.samples.byteLength;
  if (typeof v.byteLength === "number") return v.byteLength;
  if (v.data instanceof Uint8Array) return v.data.byteLength;
  return 0;
}

/**
 * A terminal stage that drops what it gets and measures it: frames, bytes, first and last
 * arrival time (the `nowUs` of push), and the mean rate between them.
 */
export class NullSink<T = unknown> extends StageCore<T, never> {
  readonly name: string;
  frames = 0;
  bytes = 0;
  firstUs = -1;
  lastUs = -1;

  constructor(name = "null-sink") {
    super();
    this.name = name;
  }

  push(item: T, nowUs: number): void {
    if (this.frames === 0) this.firstUs = nowUs;
    this.lastUs = nowUs;
    this.frames++;
    this.bytes += frameBytes(item);
  }

  /** Frames per second between the first and last arrival (0 with fewer than two frames). */
  get fps(): number {
    const spanUs = this.lastUs - this.firstUs;
    return this.frames < 2 || spanUs <= 0 ? 0 : ((this.frames - 1) * 1e6) / spanUs;
  }

  /** Bits per second of payload over the same span. */
  get rateBps(): number {
    const spanUs = this.lastUs - this.firstUs;
    return this.frames < 2 || spanUs <= 0 ? 0 : (this.bytes * 8 * 1e6 * (this.frames - 1)) / this.frames / spanUs;
  }

  override stats(): StageStats {
    return { frames: this.frames, bytes: this.bytes, firstUs: this.firstUs, lastUs: this.lastUs, fps: this.fps };
  }
}
