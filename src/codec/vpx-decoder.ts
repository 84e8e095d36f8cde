import { CodecError, InvalidOptionError, RtcpipeError, checkOneOf } from "../errors.js";
import { createVideoFrame, type VideoFrame } from "../media/video-frame.js";
import { StageCore, type StageStats } from "../pipeline/stage.js";
import type { EncodedFrame, VideoCodecName } from "./encoded-frame.js";
import { readCString } from "./codec-module-loader.js";
import { loadVpx, type VpxModule } from "./vpx-module.js";

/** Options of {@link VpxDecoder}. */
export interface VpxDecoderOptions {
  codec: VideoCodecName;
  /** Clock for measuring decode CPU time (ms); default performance.now. */
  cpuTimeMs?: () => number;
  /** Stage name in pipeline stats (default the codec name + "-decoder"). */
  name?: string;
}

/**
 * VP8/VP9 decoder stage (libvpx in WASM): compressed frames in, I420 frames out (tightly
 * packed copies, carrying the input's captureTimeUs and frameIndex).
 *
 * A frame libvpx rejects is counted in `decodeErrors` and dropped, never thrown; after an
 * error the decoder skips non-keyframes (counted in `framesSkipped`) until a keyframe arrives,
 * and `needsKeyframe` is true meanwhile (the receiver should send a PLI).
 */
export class VpxDecoder extends StageCore<EncodedFrame, VideoFrame> {
  readonly name: string;
  readonly codec: VideoCodecName;
  private readonly mod: VpxModule;
  private dec: number;
  private waitingForKeyframe = false;
  private readonly cpuTimeMs: () => number;
  private lastErrorMessage = "";
  private counters = {
    framesIn: 0,
    framesDecoded: 0,
    decodeErrors: 0,
    framesSkipped: 0,
    framesWithoutPicture: 0,
    bytesIn: 0,
    decodeMsTotal: 0,
    decodeMsLast: 0,
  };

  /** Loads the codec module (once per process) and creates a decoder. */
  static async create(options: VpxDecoderOptions): Promise<VpxDecoder> {
    VpxDecoder.validate(options);
    return new VpxDecoder(await loadVpx(), options);
  }

  private static validate(o: VpxDecoderOptions): void {
    if (typeof o !== "object" || o === null) throw new InvalidOptionError("Cannot create a VpxDecoder: options must be an object");
    checkOneOf("codec", o.codec, ["vp8", "vp9"] as const);
  }

  /** Use {@link VpxDecoder.create}; this takes an already loaded module. */
  constructor(mod: VpxModule, options: VpxDecoderOptions) {
    super();
    VpxDecoder.validate(options);
    this.mod = mod;
    this.codec = options.codec;
    this.name = options.name ?? `${options.codec}-decoder`;
    this.cpuTimeMs = options.cpuTimeMs ?? (() => performance.now());
    this.dec = mod._rp_vpx_dec_create(options.codec === "vp9" ? 1 : 0);
    if (this.dec === 0) throw new CodecError(`Cannot create a ${options.codec} decoder: ${this.readError()}`);
  }

  /** True after a decode error until the next keyframe decodes. */
  get needsKeyframe(): boolean {
    return this.waitingForKeyframe;
  }

  /** The message of the last decode error ("" when none). */
  get lastError(): string {
    return this.lastErrorMessage;
  }

  /** Decodes one frame and emits the picture; bad input is counted and dropped. */
  push(frame: EncodedFrame, nowUs: number): void {
    const out = this.decode(frame);
    if (out) this.out.push(out, nowUs);
  }

  /** Decodes one frame and returns the picture (undefined when none: error, skip, no picture). */
  decode(frame: EncodedFrame): VideoFrame | undefined {
    if (this.dec === 0) throw new RtcpipeError("ERR_CLOSED", `Cannot decode: the ${this.codec} decoder is closed`);
    this.counters.framesIn++;
    const len = frame.data.length;
    this.counters.bytesIn += len;
    if (frame.codec !== this.codec || len === 0) {
      this.fail(frame.codec !== this.codec ? `a ${frame.codec} frame reached the ${this.codec} decoder` : "empty frame");
      return undefined;
    }
    if (this.waitingForKeyframe && !frame.keyframe) {
      this.counters.framesSkipped++;
      return undefined;
    }
    const inPtr = this.mod._rp_vpx_dec_input(this.dec, len);
    if (inPtr === 0) {
      this.fail(this.readError());
      return undefined;
    }
    this.mod.HEAPU8.set(frame.data, inPtr);
    const t0 = this.cpuTimeMs();
    let r: number;
    try {
      r = this.mod._rp_vpx_dec_decode(this.dec, len);
    } catch (e) {
      // A trap inside libvpx (should not happen: it is fuzzed); count it like any bad frame.
      this.fail(`trap in the decoder: ${e instanceof Error ? e.message : String(e)}`);
      return undefined;
    }
    const ms = this.cpuTimeMs() - t0;
    this.counters.decodeMsLast = ms;
    this.counters.decodeMsTotal += ms;
    if (r < 0) {
      this.fail(this.readError());
      return undefined;
    }
    if (frame.keyframe) this.waitingForKeyframe = false;
    if (r === 0) {
      this.counters.framesWithoutPicture++;
      return undefined;
    }
    const info = this.mod._rp_vpx_dec_frame_info(this.dec) >> 2;
    const h32 = this.mod.HEAP32;
    const w = h32[info] ?? 0;
    const h = h32[info + 1] ?? 0;
    if (w < 2 || h < 2) {
      this.fail(`decoded picture of size ${w}x${h}`);
      return undefined;
    }
    const out = createVideoFrame(w, h, frame.captureTimeUs, frame.frameIndex);
    const heap = this.mod.HEAPU8;
    const cw = (w + 1) >> 1;
    const ch = (h + 1) >> 1;
    copyPlaneOut(heap, h32[info + 5] ?? 0, h32[info + 2] ?? 0, out.y, w, h);
    copyPlaneOut(heap, h32[info + 6] ?? 0, h32[info + 3] ?? 0, out.u, cw, ch);
    copyPlaneOut(heap, h32[info + 7] ?? 0, h32[info + 4] ?? 0, out.v, cw, ch);
    this.counters.framesDecoded++;
    return out;
  }

  override stats(): StageStats {
    return { ...this.counters, needsKeyframe: this.waitingForKeyframe ? 1 : 0 };
  }

  override close(): void {
    if (this.dec !== 0) {
      this.mod._rp_vpx_dec_destroy(this.dec);
      this.dec = 0;
    }
  }

  private fail(message: string): void {
    this.counters.decodeErrors++;
    this.lastErrorMessage = message;
    this.waitingForKeyframe = true;
  }

  private readError(): string {
    return readCString(this.mod, this.mod._rp_vpx_last_error());
  }
}

function copyPlaneOut(heap: Uint8Array, src: number, stride: number, dst: Uint8Array, w: number, h: number): void {
  if (stride === w) {
    dst.set(heap.subarray(src, src + w * h));
    return;
  }
  for (let row = 0; row < h; row++) dst.set(heap.subarray(src + row * stride, src + row * stride + w), row * w);
}
