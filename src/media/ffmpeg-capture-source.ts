import { spawn, type ChildProcessByStdio } from "node:child_process";
import type { Readable } from "node:stream";
import { BadFileError, RtcpipeError, checkInt, checkOneOf, checkRange } from "../errors.js";
import type { Clock } from "../pipeline/clock.js";
import type { StageStats } from "../pipeline/stage.js";
import { AUDIO_FRAME_SAMPLES, AUDIO_SAMPLE_RATE, type AudioFrame } from "./audio-frame.js";
import { FrameSourceStage } from "./frame-source-stage.js";
import { i420Size, type VideoFrame } from "./video-frame.js";

interface CommonOptions {
  /** The ffmpeg input: a device ("/dev/video0", "default"), a lavfi graph, a file or URL. */
  input: string;
  /** ffmpeg's input format (`-f`), e.g. "v4l2", "avfoundation", "dshow", "alsa", "pulse", "lavfi". */
  format?: string;
  /** More arguments before `-i` (e.g. ["-input_format", "mjpeg"], ["-re"]). */
  inputArgs?: string[];
  /** More output arguments (e.g. ["-frames:v", "100"], ["-t", "5"]). */
  outputArgs?: string[];
  /** Where capture timestamps come from (a RealClock for live capture). */
  clock: Pick<Clock, "nowUs">;
  /** Frames held for the consumer (default 4). */
  maxQueueFrames?: number;
  /**
   * When the queue is full: "pause" (default) stops reading ffmpeg's stdout, so ffmpeg and the
   * device throttle or drop upstream and no frame is lost here; "drop-oldest" keeps reading
   * and discards the oldest queued frame (counted in `framesDropped`): lowest latency.
   */
  whenFull?: "pause" | "drop-oldest";
  /** Push each frame downstream as soon as it is complete (default false: the consumer pulls). */
  autoEmit?: boolean;
  /** ffmpeg executable (default "ffmpeg"). */
  ffmpegPath?: string;
}

export type FfmpegCaptureSourceOptions =
  | (CommonOptions & { kind?: "video"; width: number; height: number; fps: number })
  | (CommonOptions & { kind: "audio"; channels: 1 | 2 });

/**
 * Captures from a real device (or any ffmpeg input) through a spawned ffmpeg that writes raw
 * I420 (video, scaled to width x height at fps) or s16le 48 kHz (audio, 20 ms frames) to its
 * stdout. Bytes are split into frames, each stamped with `clock.nowUs()` when its last byte
 * arrives, into a bounded queue with back-pressure (see `whenFull`).
 *
 * Consume with `next()` (non-blocking), `nextAsync()` (waits), `emitNext(nowUs)` /
 * `emitAll(nowUs)` (push downstream, keeping the capture timestamp), or `autoEmit`.
 * `stop()` ends ffmpeg and resolves when it has exited.
 */
export class FfmpegCaptureSource<T extends VideoFrame | AudioFrame = VideoFrame | AudioFrame> extends FrameSourceStage<T> {
  readonly name = "ffmpeg-capture";
  readonly kind: "video" | "audio";
  readonly frameBytes: number;
  private readonly opts: FfmpegCaptureSourceOptions;
  private readonly maxQueue: number;
  private readonly whenFull: "pause" | "drop-oldest";
  private readonly queue: T[] = [];
  private readonly pending: Uint8Array[] = [];
  private current: Uint8Array;
  private fill = 0;
  private child: ChildProcessByStdio<null, Readable, Readable> | null = null;
  private paused = false;
  private stopping = false;
  private exited = false;
  private stderrTail = "";
  private waiters: (() => void)[] = [];
  private exitPromise: Promise<void> = Promise.resolve();
  /** Set when ffmpeg failed (could not start, or exited with an error we did not ask for). */
  error: Error | undefined;
  private captured = 0;
  private dropped = 0;
  private pauses = 0;
  private bytesRead = 0;

  constructor(options: FfmpegCaptureSourceOptions) {
    super();
    this.opts = options;
    this.kind = checkOneOf("kind", options.kind ?? "video", ["video", "audio"] as const);
    if (options.kind === "audio") {
      checkInt("channels", options.channels, 1, 2);
      this.frameBytes = AUDIO_FRAME_SAMPLES * options.channels * 2;
    } else {
      checkInt("width", options.width, 2, 8192);
      checkInt("height", options.height, 2, 8192);
      checkRange("fps", options.fps, 1, 240);
      this.frameBytes = i420Size(options.width, options.height);
    }
    this.maxQueue = checkInt("maxQueueFrames", options.maxQueueFrames ?? 4, 1, 1000);
    this.whenFull = checkOneOf("whenFull", options.whenFull ?? "pause", ["pause", "drop-oldest"] as const);
    this.current = new Uint8Array(this.frameBytes);
  }

  /** The ffmpeg command line this source runs (without the executable). */
  ffmpegArgs(): string[] {
    const o = this.opts;
    const args = ["-hide_banner", "-nostdin", "-loglevel", "error"];
    if (o.format) args.push("-f", o.format);
    args.push(...(o.inputArgs ?? []), "-i", o.input);
    if (o.kind === "audio") {
      args.push("-vn", "-ac", String(o.channels), "-ar", String(AUDIO_SAMPLE_RATE), "-f", "s16le");
    } else {
      args.push("-an", "-vf", `scale=${o.width}:${o.height},fps=${o.fps}`, "-pix_fmt", "yuv420p", "-f", "rawvideo");
    }
    args.push(...(o.outputArgs ?? []), "pipe:1");
    return args;
  }

  /** Spawns ffmpeg. Returns this. */
  start(): this {
    if (this.child || this.exited) return this;
    const child = spawn(this.opts.ffmpegPath ?? "ffmpeg", this.ffmpegArgs(), { stdio: ["ignore", "pipe", "pipe"] });
    this.child = child;
    let resolveOnError: () => void = () => {};
    this.exitPromise = new Promise<void>((resolve) => {
      resolveOnError = resolve;
      child.once("close", (code, signal) => {
        this.exited = true;
        if (!this.stopping && !this.error && code !== 0) {
          this.error = new BadFileError(
            `Cannot capture from ${this.opts.input}: ffmpeg exited with ${code ?? signal}${this.stderrTail ? `: ${this.stderrTail.trim()}` : ""}`,
          );
        }
        this.wake();
        resolve();
      });
    });
    child.once("error", (err: NodeJS.ErrnoException) => {
      this.error = err.code === "ENOENT"
        ? new RtcpipeError("ERR_TOOL_MISSING", `Cannot capture: ffmpeg was not found (${this.opts.ffmpegPath ?? "ffmpeg"}); install it (apt-get install ffmpeg)`)
        : new BadFileError(`Cannot capture from ${this.opts.input}: ${err.message}`);
      this.exited = true;
      this.wake();
      resolveOnError();
    });
    child.stderr.setEncoding("utf8");
    child.stderr.on("data", (s: string) => {
      this.stderrTail = (this.stderrTail + s).slice(-2000);
    });
    child.stdout.on("data", (chunk: Uint8Array) => {
      this.bytesRead += chunk.length;
      this.pending.push(chunk);
      this.drain();
    });
    return this;
  }

  /** True once ffmpeg has exited and every captured frame has been taken. */
  get ended(): boolean {
    return this.exited && this.queue.length === 0 && this.pending.length === 0;
  }

  get queueLength(): number {
    return this.queue.length;
  }

  /** The oldest queued frame, or undefined when none is ready (never blocks). */
  next(): T | undefined {
    const f = this.queue.shift();
    if (f !== undefined) this.drain();
    return f;
  }

  /** Waits for the next frame; undefined once ffmpeg has exited and the queue is empty. */
  async nextAsync(): Promise<T | undefined> {
    for (;;) {
      const f = this.next();
      if (f !== undefined) return f;
      if (this.error) throw this.error;
      if (this.exited && this.pending.length === 0) return undefined;
      await new Promise<void>((resolve) => this.waiters.push(resolve));
    }
  }

  /** Pushes the next queued frame downstream, keeping its capture timestamp. */
  override emitNext(nowUs: number): T | undefined {
    const f = this.next();
    if (f === undefined) {
      this.exhausted++;
      return undefined;
    }
    this.emitted++;
    this.out.push(f, nowUs);
    return f;
  }

  /** Pushes every queued frame downstream; returns how many. */
  emitAll(nowUs: number): number {
    let n = 0;
    while (this.emitNext(nowUs) !== undefined) n++;
    return n;
  }

  /** Resolves when ffmpeg has exited (by itself, by `stop()`, or failing to start). */
  whenExited(): Promise<void> {
    return this.exitPromise;
  }

  /** Stops ffmpeg (SIGTERM, then SIGKILL after `graceMs`) and resolves when it has exited. */
  async stop(graceMs = 2000): Promise<void> {
    if (!this.child || this.exited) return this.exitPromise;
    this.stopping = true;
    this.child.stdout.resume();
    this.child.kill("SIGTERM");
    const timer = setTimeout(() => this.child?.kill("SIGKILL"), graceMs);
    await this.exitPromise;
    clearTimeout(timer);
  }

  /** Stage close: stops ffmpeg without waiting. */
  override close(): void {
    void this.stop();
  }

  override stats(): StageStats {
    return {
      ...super.stats(),
      framesCaptured: this.captured, framesDropped: this.dropped, queueLength: this.queue.length,
      pauses: this.pauses, bytesRead: this.bytesRead,
    };
  }

  /** Moves pending bytes into frames while the queue has room; pauses or drops when it does not. */
  private drain(): void {
    while (this.pending.length > 0) {
      if (this.queue.length >= this.maxQueue && this.whenFull === "pause") break;
      const chunk = this.pending[0]!;
      const take = Math.min(chunk.length, this.frameBytes - this.fill);
      this.current.set(chunk.subarray(0, take), this.fill);
      this.fill += take;
      if (take === chunk.length) this.pending.shift();
      else this.pending[0] = chunk.subarray(take);
      if (this.fill === this.frameBytes) this.completeFrame();
    }
    const stdout = this.child?.stdout;
    if (!stdout || this.stopping) return;
    if (this.pending.length > 0 && !this.paused) {
      this.paused = true;
      this.pauses++;
      stdout.pause();
    } else if (this.pending.length === 0 && this.paused) {
      this.paused = false;
      stdout.resume();
    }
  }

  private completeFrame(): void {
    const buf = this.current;
    this.current = new Uint8Array(this.frameBytes);
    this.fill = 0;
    const nowUs = this.opts.clock.nowUs();
    const index = this.captured++;
    let frame: VideoFrame | AudioFrame;
    if (this.opts.kind === "audio") {
      const samples = new Int16Array(buf.buffer, 0, buf.length / 2);
      frame = { sampleRate: AUDIO_SAMPLE_RATE, channels: this.opts.channels, samples, captureTimeUs: nowUs, frameIndex: index };
    } else {
      const w = this.opts.width, h = this.opts.height, cw = (w + 1) >> 1, ch = (h + 1) >> 1;
      frame = {
        width: w, height: h,
        y: buf.subarray(0, w * h), u: buf.subarray(w * h, w * h + cw * ch), v: buf.subarray(w * h + cw * ch),
        strideY: w, strideU: cw, strideV: cw, captureTimeUs: nowUs, frameIndex: index,
      };
    }
    if (this.opts.autoEmit) {
      this.emitted++;
      this.out.push(frame as T, nowUs);
      return;
    }
    if (this.queue.length >= this.maxQueue) {
      this.queue.shift();
      this.dropped++;
    }
    this.queue.push(frame as T);
    this.wake();
  }

  private wake(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const fn of w) fn();
  }
}
