import { InvalidOptionError, checkInt } from "../errors.js";
import { StageCore, type StageStats } from "../pipeline/stage.js";
import { AUDIO_FRAME_SAMPLES, AUDIO_SAMPLE_RATE, type AudioFrame } from "./audio-frame.js";
import type { VideoFrame } from "./video-frame.js";

/** What a PushSource accepts: video frames of one size, or 20 ms audio frames of one layout. */
export type PushSourceOptions =
  | { kind: "video"; width: number; height: number }
  | { kind: "audio"; channels: 1 | 2 };

type FrameOf<O extends PushSourceOptions> = O extends { kind: "video" } ? VideoFrame : AudioFrame;

/**
 * The raw push API: the application feeds frames it captured or made itself with
 * `push(frame, nowUs)`, and they go downstream unchanged. Frames are checked first (type,
 * size, plane lengths and strides, sample count) and bad ones are rejected with
 * InvalidOptionError and counted, so a mistake shows at the call that made it.
 *
 * `PushSource.video({ width, height })` / `PushSource.audio({ channels })` give typed sources.
 */
export class PushSource<T extends VideoFrame | AudioFrame> extends StageCore<T, T> {
  readonly name = "push-source";
  readonly options: PushSourceOptions;
  private frames = 0;
  private bytes = 0;
  private rejected = 0;
  private lastPushUs = -1;

  constructor(options: PushSourceOptions) {
    super();
    if (options.kind === "video") {
      checkInt("width", options.width, 2, 16384);
      checkInt("height", options.height, 2, 16384);
    } else if (options.kind === "audio") {
      checkInt("channels", options.channels, 1, 2);
    } else {
      throw new InvalidOptionError(`Cannot use kind=${JSON.stringify((options as { kind: unknown }).kind)}: allowed is one of video, audio`);
    }
    this.options = options;
  }

  static video(o: { width: number; height: number }): PushSource<VideoFrame> {
    return new PushSource<VideoFrame>({ kind: "video", ...o });
  }

  static audio(o: { channels: 1 | 2 }): PushSource<AudioFrame> {
    return new PushSource<AudioFrame>({ kind: "audio", ...o });
  }

  /** Checks `frame` and forwards it downstream; throws InvalidOptionError for a bad frame. */
  push(frame: T, nowUs: number): void {
    try {
      this.bytes += this.check(frame);
    } catch (err) {
      this.rejected++;
      throw err;
    }
    this.frames++;
    this.lastPushUs = nowUs;
    this.out.push(frame, nowUs);
  }

  override stats(): StageStats {
    return { frames: this.frames, bytes: this.bytes, rejected: this.rejected, lastPushUs: this.lastPushUs };
  }

  /** Returns the frame's payload bytes, or throws. */
  private check(frame: unknown): number {
    const o = this.options;
    if (typeof frame !== "object" || frame === null) throw reject(`it is ${frame === null ? "null" : typeof frame}, not a frame`);
    const f = frame as Partial<VideoFrame & AudioFrame>;
    if (typeof f.captureTimeUs !== "number" || !Number.isFinite(f.captureTimeUs)) throw reject(`captureTimeUs=${String(f.captureTimeUs)} is not a finite number`);
    if (o.kind === "video") {
      if (!(f.y instanceof Uint8Array) || !(f.u instanceof Uint8Array) || !(f.v instanceof Uint8Array)) {
        throw reject("it is not an I420 video frame (y, u, v must be Uint8Array)");
      }
      if (f.width !== o.width || f.height !== o.height) {
        throw reject(`it is ${String(f.width)}x${String(f.height)}, the source is ${o.width}x${o.height}`);
      }
      const cw = (o.width + 1) >> 1, ch = (o.height + 1) >> 1;
      checkPlane("y", f.y, f.strideY, o.width, o.height);
      checkPlane("u", f.u, f.strideU, cw, ch);
      checkPlane("v", f.v, f.strideV, cw, ch);
      return o.width * o.height + 2 * cw * ch;
    }
    if (!(f.samples instanceof Int16Array)) throw reject("it is not an audio frame (samples must be an Int16Array)");
    if (f.sampleRate !== AUDIO_SAMPLE_RATE) throw reject(`sampleRate=${String(f.sampleRate)}, the media path runs at ${AUDIO_SAMPLE_RATE}`);
    if (f.channels !== o.channels) throw reject(`it has ${String(f.channels)} channels, the source has ${o.channels}`);
    const want = AUDIO_FRAME_SAMPLES * o.channels;
    if (f.samples.length !== want) throw reject(`it has ${f.samples.length} samples, 20 ms needs ${want}`);
    return want * 2;
  }
}

function checkPlane(name: string, plane: Uint8Array, stride: number | undefined, w: number, h: number): void {
  if (typeof stride !== "number" || !Number.isInteger(stride) || stride < w) throw reject(`stride of ${name}=${String(stride)} is below the plane width ${w}`);
  const need = stride * (h - 1) + w;
  if (plane.length < need) throw reject(`plane ${name} has ${plane.length} bytes, needs ${need}`);
}

function reject(reason: string): InvalidOptionError {
  return new InvalidOptionError(`Cannot push the frame: ${reason}`);
}
