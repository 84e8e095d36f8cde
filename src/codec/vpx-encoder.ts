import { CodecError, InvalidOptionError, RtcpipeError, checkInt, checkOneOf, checkRange } from "../errors.js";
import type { VideoFrame } from "../media/video-frame.js";
import { StageCore, type StageStats } from "../pipeline/stage.js";
import type { EncodedFrame, VideoCodecName } from "./encoded-frame.js";
import { readCString } from "./codec-module-loader.js";
import { loadVpx, type VpxModule } from "./vpx-module.js";

/** Options of {@link VpxEncoder}. Defaults are realtime settings (codecs.md). */
export interface VpxEncoderOptions {
  codec: VideoCodecName;
  /** Coded size in pixels, even, 16..4096. */
  width: number;
  height: number;
  /** Nominal frame rate, 1..120 (default 30): sets each frame's duration for the rate control. */
  fps?: number;
  /** Target bitrate, 10 kbps..50 Mbps (default 500 kbps). CBR. */
  bitrateBps?: number;
  /** A keyframe at least every N frames, 0..100000; 0 = only on request (default 3000, as libwebrtc). */
  keyframeIntervalFrames?: number;
  /**
   * Encoder speed: VP8 0..16 (used as a NEGATIVE cpu_used: fixed speed; default 6), VP9 5..9
   * (default 9). Higher is faster and worse.
   */
  speed?: number;
  /** Buffer level (% of the rate-control buffer) below which frames are dropped, 0..100 (default 30; 0 = never drop). */
  dropFrameThreshold?: number;
  /** Quantizer range 0..63 (defaults 2 and 63: 63 lets low bitrates hold, codecs.md). */
  minQuantizer?: number;
  maxQuantizer?: number;
  /** Error-resilient bitstream (default true for VP8, and for VP9 with temporal layers; else false). */
  errorResilient?: boolean;
  /**
   * Temporal layers, 1 or 2 (default 1). With 2, every other frame is an upper-layer frame
   * that updates no reference and no entropy context (libvpx VP8_EFLAG_NO_UPD_*), so the
   * receiver can lose or drop it without waiting for a retransmission or a keyframe: half the
   * losses no longer stall the picture. Costs some compression (base frames predict from two
   * frames back).
   */
  temporalLayers?: 1 | 2;
  /** Rate-control buffer in ms, 100..10000 (default 1000). */
  bufferMs?: number;
  /** Clock for measuring encode CPU time (ms); default performance.now. */
  cpuTimeMs?: () => number;
  /** Stage name in pipeline stats (default the codec name + "-encoder"). */
  name?: string;
}

const FLAG_FORCE_KEYFRAME = 1;
const FLAG_NON_REFERENCE = 2;
/** After a bitrate cut: Q steps per halving of the rate, the highest floor, and how many frames it holds (see setBitrate). */
const Q_STEPS_PER_HALVING = 12;
const Q_FLOOR_MAX = 56;
const Q_FLOOR_FRAMES = 10;
const OUT_KEYFRAME = 1;

/**
 * VP8/VP9 encoder stage (libvpx in WASM): raw I420 frames in, compressed frames out.
 * Realtime one-pass CBR with no lag: one frame in gives at most one frame out, synchronously.
 * A frame the rate control drops gives no output (counted in `framesDropped`).
 *
 * The RTP timestamp is the capture time on the 90 kHz clock (RFC 7741 4.1), modulo 2^32.
 * A frame of another size than the configured one reconfigures the encoder to that size.
 */
export class VpxEncoder extends StageCore<VideoFrame, EncodedFrame> {
  readonly name: string;
  readonly codec: VideoCodecName;
  private readonly mod: VpxModule;
  private enc: number;
  private widthPx: number;
  private heightPx: number;
  private fpsValue: number;
  private bitrateValue: number;
  private keyframePending = false;
  /** The configured min quantizer, and frames left under a raised one after a bitrate cut. */
  private minQuantizer: number;
  private qFloorFramesLeft = 0;
  /** 90 kHz ticks taken off capture timestamps for the frames dropped upstream (skipFrame). */
  private ptsShift = 0;
  private lastPts = -1;
  private temporalLayers: number;
  private readonly errorResilient: boolean;
  /** Frames encoded since the last base-layer frame (picks the next frame's layer). */
  private sinceBaseLayer = 0;
  private readonly cpuTimeMs: () => number;
  private counters = {
    framesIn: 0,
    framesEncoded: 0,
    framesDropped: 0,
    keyframes: 0,
    upperLayerFrames: 0,
    bytesOut: 0,
    encodeMsTotal: 0,
    encodeMsLast: 0,
    reinitializations: 0,
  };

  /** Loads the codec module (once per process) and creates an encoder. */
  static async create(options: VpxEncoderOptions): Promise<VpxEncoder> {
    VpxEncoder.validate(options);
    return new VpxEncoder(await loadVpx(), options);
  }

  private static validate(o: VpxEncoderOptions): void {
    if (typeof o !== "object" || o === null) throw new InvalidOptionError("Cannot create a VpxEncoder: options must be an object");
    checkOneOf("codec", o.codec, ["vp8", "vp9"] as const);
    checkEven("width", o.width);
    checkEven("height", o.height);
    if (o.fps !== undefined) checkRange("fps", o.fps, 1, 120);
    if (o.bitrateBps !== undefined) checkRange("bitrateBps", o.bitrateBps, 10_000, 50_000_000);
    if (o.keyframeIntervalFrames !== undefined) checkInt("keyframeIntervalFrames", o.keyframeIntervalFrames, 0, 100_000);
    if (o.speed !== undefined) {
      if (o.codec === "vp8") checkInt("speed", o.speed, 0, 16);
      else checkInt("speed", o.speed, 5, 9);
    }
    if (o.dropFrameThreshold !== undefined) checkInt("dropFrameThreshold", o.dropFrameThreshold, 0, 100);
    if (o.minQuantizer !== undefined) checkInt("minQuantizer", o.minQuantizer, 0, 63);
    if (o.maxQuantizer !== undefined) checkInt("maxQuantizer", o.maxQuantizer, 0, 63);
    if ((o.minQuantizer ?? 2) > (o.maxQuantizer ?? 63)) {
      checkInt("minQuantizer", o.minQuantizer ?? 2, 0, o.maxQuantizer ?? 63);
    }
    if (o.bufferMs !== undefined) checkInt("bufferMs", o.bufferMs, 100, 10_000);
    if (o.temporalLayers !== undefined) checkInt("temporalLayers", o.temporalLayers, 1, 2);
  }

  /** Use {@link VpxEncoder.create}; this takes an already loaded module. */
  constructor(mod: VpxModule, options: VpxEncoderOptions) {
    super();
    VpxEncoder.validate(options);
    this.mod = mod;
    this.codec = options.codec;
    this.name = options.name ?? `${options.codec}-encoder`;
    this.widthPx = options.width;
    this.heightPx = options.height;
    this.fpsValue = options.fps ?? 30;
    this.bitrateValue = options.bitrateBps ?? 500_000;
    this.cpuTimeMs = options.cpuTimeMs ?? (() => performance.now());
    this.minQuantizer = options.minQuantizer ?? 2;
    this.temporalLayers = options.temporalLayers ?? 1;
    // VP9 predicts motion vectors from the previous decoded frame, whatever the references:
    // skipping an upper-layer frame then breaks the next one unless the stream is error
    // resilient (measured: without it the second base frame after a skip fails to decode).
    this.errorResilient = options.errorResilient ?? (options.codec === "vp8" || this.temporalLayers === 2);
    const vp9 = options.codec === "vp9";
    this.enc = mod._rp_vpx_enc_create(
      vp9 ? 1 : 0,
      options.width,
      options.height,
      Math.max(1, Math.round(this.bitrateValue / 1000)),
      options.speed ?? (vp9 ? 9 : 6),
      options.keyframeIntervalFrames ?? 3000,
      options.dropFrameThreshold ?? 30,
      options.minQuantizer ?? 2,
      options.maxQuantizer ?? 63,
      this.errorResilient ? 1 : 0,
      100,
      15,
      options.bufferMs ?? 1000,
    );
    if (this.enc === 0) throw new CodecError(`Cannot create a ${options.codec} encoder: ${this.lastError()}`);
  }

  get width(): number {
    return this.widthPx;
  }
  get height(): number {
    return this.heightPx;
  }
  get fps(): number {
    return this.fpsValue;
  }
  get bitrateBps(): number {
    return this.bitrateValue;
  }

  /** Encodes one frame and emits its compressed frame (unless the rate control drops it). */
  push(frame: VideoFrame, nowUs: number): void {
    this.checkOpen("encode");
    this.counters.framesIn++;
    if (frame.width !== this.widthPx || frame.height !== this.heightPx) this.setResolution(frame.width, frame.height);
    this.copyIn(frame);
    const duration = 90_000 / this.fpsValue;
    let pts = Number.isFinite(frame.captureTimeUs) ? Math.round((frame.captureTimeUs * 9) / 100) - this.ptsShift : this.lastPts + duration;
    if (pts <= this.lastPts) pts = this.lastPts + 1;
    this.lastPts = pts;
    // Two layers: base, upper, base, upper ... counted from the last base frame (a keyframe is one).
    const layer = this.temporalLayers === 2 && !this.keyframePending && this.sinceBaseLayer % 2 === 1 ? 1 : 0;
    const flags = (this.keyframePending ? FLAG_FORCE_KEYFRAME : 0) | (layer === 1 ? FLAG_NON_REFERENCE : 0);
    const t0 = this.cpuTimeMs();
    const n = this.mod._rp_vpx_enc_encode(this.enc, pts, Math.round(duration), flags);
    const ms = this.cpuTimeMs() - t0;
    this.counters.encodeMsLast = ms;
    this.counters.encodeMsTotal += ms;
    if (n < 0) throw new CodecError(`Cannot encode ${this.codec} frame ${frame.frameIndex}: ${this.lastError()}`);
    if (n === 0) {
      this.counters.framesDropped++;
      return;
    }
    if (this.qFloorFramesLeft > 0 && --this.qFloorFramesLeft === 0) this.mod._rp_vpx_enc_set_min_quantizer(this.enc, this.minQuantizer);
    const keyframe = (this.mod._rp_vpx_enc_output_flags(this.enc) & OUT_KEYFRAME) !== 0;
    if (keyframe) {
      this.keyframePending = false;
      this.counters.keyframes++;
    }
    const temporalLayer = keyframe ? 0 : layer;
    this.sinceBaseLayer = temporalLayer === 0 ? 1 : this.sinceBaseLayer + 1;
    if (temporalLayer > 0) this.counters.upperLayerFrames++;
    const outPtr = this.mod._rp_vpx_enc_output(this.enc);
    const data = this.mod.HEAPU8.slice(outPtr, outPtr + n);
    this.counters.framesEncoded++;
    this.counters.bytesOut += n;
    const rtpTimestamp = Number.isFinite(frame.captureTimeUs) ? Math.round((frame.captureTimeUs * 9) / 100) % 4294967296 : pts % 4294967296;
    this.out.push(
      {
        kind: "video",
        codec: this.codec,
        data,
        keyframe,
        rtpTimestamp: rtpTimestamp < 0 ? rtpTimestamp + 4294967296 : rtpTimestamp,
        captureTimeUs: frame.captureTimeUs,
        frameIndex: frame.frameIndex,
        width: this.widthPx,
        height: this.heightPx,
        ...(this.temporalLayers > 1 ? { temporalLayer } : {}),
      },
      nowUs,
    );
  }

  /** Changes the target bitrate live (vpx_codec_enc_config_set): no keyframe, next frame on. */
  setBitrate(bitrateBps: number): void {
    this.checkOpen("set the bitrate");
    checkRange("bitrateBps", bitrateBps, 10_000, 50_000_000);
    const old = this.bitrateValue;
    const q = this.lastQuantizer;
    if (this.mod._rp_vpx_enc_set_bitrate(this.enc, Math.max(1, Math.round(bitrateBps / 1000))) !== 0) {
      throw new CodecError(`Cannot set the bitrate to ${bitrateBps}: ${this.lastError()}`);
    }
    this.bitrateValue = bitrateBps;
    if (bitrateBps < old && q >= 0) {
      // libvpx lowers Q on every config change and then raises it about a step per frame, so
      // after a cut it went on spending at the old rate for ~0.5 s (a 756 → 68 kbps fall over
      // 20 frames kept 3-4 KB frames at Q 30 throughout). A floor on Q where the cut calls for
      // it (about 12 steps per halving of the rate, measured on VP8 at 320x240) makes the next
      // frame small; it is lifted after 10 frames, when the rate control has caught up.
      const floor = Math.min(Q_FLOOR_MAX, Math.max(q, Math.round(q + Q_STEPS_PER_HALVING * Math.log2(old / bitrateBps))));
      if (floor > this.minQuantizer && this.mod._rp_vpx_enc_set_min_quantizer(this.enc, floor) === 0) this.qFloorFramesLeft = Q_FLOOR_FRAMES;
    }
  }

  /** Makes the next encoded frame a keyframe (on PLI/FIR). */
  /**
   * A captured frame was dropped before reaching the encoder (FrameDropper): later frames reach
   * libvpx one frame interval earlier. libvpx derives the frame rate from the timestamps and
   * would spend the dropped frame's bits on the next frame (measured: dropping every other
   * frame left the byte rate unchanged); this way a drop lowers the rate.
   */
  skipFrame(): void {
    this.ptsShift += 90_000 / this.fpsValue;
  }

  /** Keyframes produced so far. */
  get keyframesEncoded(): number {
    return this.counters.keyframes;
  }

  /** Compressed bytes produced so far. */
  get bytesEncoded(): number {
    return this.counters.bytesOut;
  }

  /** A keyframe was requested and not made yet. */
  get keyframeRequested(): boolean {
    return this.keyframePending;
  }

  requestKeyframe(): void {
    this.keyframePending = true;
  }

  /**
   * Changes the coded size from the next frame on. Sizes up to the first one are changed in
   * place (VP8 then sends a keyframe, as its frame size lives in keyframes; VP9 scales its
   * references and needs none); a larger one re-creates the encoder (next frame a keyframe).
   */
  setResolution(width: number, height: number): void {
    this.checkOpen("change the resolution");
    checkEven("width", width);
    checkEven("height", height);
    if (width === this.widthPx && height === this.heightPx) return;
    const r = this.mod._rp_vpx_enc_set_size(this.enc, width, height);
    if (r < 0) throw new CodecError(`Cannot change the resolution to ${width}x${height}: ${this.lastError()}`);
    if (r === 1) this.counters.reinitializations++;
    // The first frame at the new size is a base-layer frame (for VP8 it is a keyframe anyway).
    this.sinceBaseLayer = 0;
    this.widthPx = width;
    this.heightPx = height;
  }

  /**
   * Switches between one and two temporal layers from the next frame on (no keyframe: the next
   * frame is a base-layer frame either way).
   */
  setTemporalLayers(layers: 1 | 2): void {
    checkInt("temporalLayers", layers, 1, 2);
    if (layers === this.temporalLayers) return;
    if (layers === 2 && !this.supportsTemporalLayers) {
      throw new InvalidOptionError("Cannot switch this vp9 encoder to 2 temporal layers: it was created without errorResilient (allowed: create it with temporalLayers 2 or errorResilient true)");
    }
    this.temporalLayers = layers;
    this.sinceBaseLayer = 0;
  }

  /** Whether skipping an upper-layer frame leaves the stream decodable (VP8, or error-resilient VP9). */
  get supportsTemporalLayers(): boolean {
    return this.codec === "vp8" || this.errorResilient;
  }

  /** Temporal layers in use (1 or 2). */
  get temporalLayerCount(): number {
    return this.temporalLayers;
  }

  /** Changes the nominal frame rate (each frame's duration for the rate control). */
  setFrameRate(fps: number): void {
    checkRange("fps", fps, 1, 120);
    this.fpsValue = fps;
  }

  /** Changes the min quantizer live (0-63; a floor on Q, so frames cannot be larger than that Q gives). */
  setMinQuantizer(minQuantizer: number): void {
    this.checkOpen("set the min quantizer");
    checkInt("minQuantizer", minQuantizer, 0, 63);
    if (this.mod._rp_vpx_enc_set_min_quantizer(this.enc, minQuantizer) !== 0) {
      throw new CodecError(`Cannot set the min quantizer: ${this.lastError()}`);
    }
    this.minQuantizer = minQuantizer;
    this.qFloorFramesLeft = 0;
  }

  /** Q (0-63) of the last encoded frame, -1 before any. */
  get lastQuantizer(): number {
    return this.enc === 0 ? -1 : this.mod._rp_vpx_enc_last_quantizer(this.enc);
  }

  /** Changes the max quantizer and the drop-frame threshold live. */
  setRateLimits(maxQuantizer: number, dropFrameThreshold: number): void {
    this.checkOpen("set rate limits");
    checkInt("maxQuantizer", maxQuantizer, 0, 63);
    checkInt("dropFrameThreshold", dropFrameThreshold, 0, 100);
    if (this.mod._rp_vpx_enc_set_rate_limits(this.enc, maxQuantizer, dropFrameThreshold) !== 0) {
      throw new CodecError(`Cannot set rate limits: ${this.lastError()}`);
    }
  }

  override stats(): StageStats {
    return { ...this.counters, bitrateBps: this.bitrateValue, width: this.widthPx, height: this.heightPx, fps: this.fpsValue };
  }

  override close(): void {
    if (this.enc !== 0) {
      this.mod._rp_vpx_enc_destroy(this.enc);
      this.enc = 0;
    }
  }

  /** Copies the planes into the encoder's input buffer (one copy; strides removed). */
  private copyIn(frame: VideoFrame): void {
    const w = frame.width;
    const h = frame.height;
    const cw = (w + 1) >> 1;
    const ch = (h + 1) >> 1;
    const base = this.mod._rp_vpx_enc_input(this.enc);
    const heap = this.mod.HEAPU8;
    copyPlane(heap, base, frame.y, frame.strideY, w, h);
    copyPlane(heap, base + w * h, frame.u, frame.strideU, cw, ch);
    copyPlane(heap, base + w * h + cw * ch, frame.v, frame.strideV, cw, ch);
  }

  private checkOpen(what: string): void {
    if (this.enc === 0) throw new RtcpipeError("ERR_CLOSED", `Cannot ${what}: the ${this.codec} encoder is closed`);
  }

  private lastError(): string {
    return readCString(this.mod, this.mod._rp_vpx_last_error());
  }
}

function checkEven(what: string, value: number): void {
  if (typeof value !== "number" || !Number.isInteger(value) || value < 16 || value > 4096 || value % 2 !== 0) {
    throw new InvalidOptionError(`Cannot use ${what}=${String(value)}: allowed is an even integer from 16 to 4096`);
  }
}

function copyPlane(heap: Uint8Array, dst: number, src: Uint8Array, stride: number, w: number, h: number): void {
  if (stride === w) {
    heap.set(src.subarray(0, w * h), dst);
    return;
  }
  for (let row = 0; row < h; row++) heap.set(src.subarray(row * stride, row * stride + w), dst + row * w);
}
