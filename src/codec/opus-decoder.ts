import { CodecError, InvalidOptionError, RtcpipeError, checkInt } from "../errors.js";
import { AUDIO_FRAME_SAMPLES, createAudioFrame, type AudioFrame } from "../media/audio-frame.js";
import { StageCore, type StageStats } from "../pipeline/stage.js";
import type { EncodedFrame } from "./encoded-frame.js";
import { readCString } from "./codec-module-loader.js";
import { OPUS_MAX_PACKET_BYTES, loadOpus, type OpusModule } from "./opus-module.js";

/** Options of {@link OpusDecoder}. */
export interface OpusDecoderOptions {
  /** Output channels, 1 or 2 (default 1); any Opus packet decodes to this many. */
  channels?: 1 | 2;
  /** Clock for measuring decode CPU time (ms); default performance.now. */
  cpuTimeMs?: () => number;
  /** Stage name in pipeline stats (default "opus-decoder"). */
  name?: string;
}

const MODE_DECODE = 0;
const MODE_PLC = 1;
const MODE_FEC = 2;
const FRAME_US = 20_000;

/**
 * Opus decoder stage (libopus in WASM): packets in, 20 ms 48 kHz frames out.
 * A packet that does not decode (malformed, not 20 ms) is counted in `decodeErrors` and
 * dropped, never thrown. For a lost packet the playout logic calls {@link conceal} (PLC) or,
 * when the next packet is already here, {@link decodeFec} (recovers the lost frame from the
 * next packet's in-band FEC). Both return the frame rather than emit it: the caller decides
 * where it goes. Synthesized frames have `concealed: true`.
 */
export class OpusDecoder extends StageCore<EncodedFrame, AudioFrame> {
  readonly name: string;
  readonly channels: 1 | 2;
  private readonly mod: OpusModule;
  private dec: number;
  private readonly cpuTimeMs: () => number;
  private lastCaptureTimeUs = Number.NaN;
  private lastFrameIndex = -1;
  private lastErrorMessage = "";
  private counters = {
    framesIn: 0,
    framesDecoded: 0,
    decodeErrors: 0,
    concealedFrames: 0,
    fecFrames: 0,
    bytesIn: 0,
    decodeMsTotal: 0,
    decodeMsLast: 0,
  };

  /** Loads the codec module (once per process) and creates a decoder. */
  static async create(options: OpusDecoderOptions = {}): Promise<OpusDecoder> {
    OpusDecoder.validate(options);
    return new OpusDecoder(await loadOpus(), options);
  }

  private static validate(o: OpusDecoderOptions): void {
    if (typeof o !== "object" || o === null) throw new InvalidOptionError("Cannot create an OpusDecoder: options must be an object");
    if (o.channels !== undefined) checkInt("channels", o.channels, 1, 2);
  }

  /** Use {@link OpusDecoder.create}; this takes an already loaded module. */
  constructor(mod: OpusModule, options: OpusDecoderOptions = {}) {
    super();
    OpusDecoder.validate(options);
    this.mod = mod;
    this.name = options.name ?? "opus-decoder";
    this.channels = options.channels ?? 1;
    this.cpuTimeMs = options.cpuTimeMs ?? (() => performance.now());
    this.dec = mod._rp_opus_dec_create(this.channels);
    if (this.dec === 0) throw new CodecError(`Cannot create an Opus decoder: ${this.readError()}`);
  }

  /** The message of the last decode error ("" when none). */
  get lastError(): string {
    return this.lastErrorMessage;
  }

  /** Decodes one packet and emits its frame; bad packets are counted and dropped. */
  push(frame: EncodedFrame, nowUs: number): void {
    const out = this.decode(frame);
    if (out) this.out.push(out, nowUs);
  }

  /** Decodes one packet; undefined when it does not decode (counted in decodeErrors). */
  decode(frame: EncodedFrame): AudioFrame | undefined {
    this.checkOpen("decode");
    this.counters.framesIn++;
    this.counters.bytesIn += frame.data.length;
    if (!this.loadPacket(frame)) return undefined;
    const out = this.run(frame.data.length, MODE_DECODE, frame.captureTimeUs, frame.frameIndex, false);
    if (out) {
      this.counters.framesDecoded++;
      this.lastCaptureTimeUs = frame.captureTimeUs;
      this.lastFrameIndex = frame.frameIndex;
    }
    return out;
  }

  /**
   * Packet loss concealment: synthesizes the next 20 ms (exactly 960 samples per channel)
   * from the decoder's history. Timing continues from the last frame.
   */
  conceal(_nowUs: number): AudioFrame {
    this.checkOpen("conceal");
    const captureTimeUs = this.lastCaptureTimeUs + FRAME_US;
    const frameIndex = this.lastFrameIndex >= 0 ? this.lastFrameIndex + 1 : -1;
    const out = this.run(0, MODE_PLC, captureTimeUs, frameIndex, true);
    if (!out) throw new CodecError(`Cannot conceal a lost frame: ${this.lastErrorMessage}`);
    this.counters.concealedFrames++;
    this.lastCaptureTimeUs = captureTimeUs;
    this.lastFrameIndex = frameIndex;
    return out;
  }

  /**
   * Recovers the frame BEFORE `nextFrame` from `nextFrame`'s in-band FEC (LBRR) data. When the
   * packet carries none (FEC off, too low a bitrate) libopus conceals instead. Call
   * {@link decode}/{@link push} with `nextFrame` afterwards as usual. A bad packet falls back
   * to {@link conceal}; this never throws on input.
   */
  decodeFec(nextFrame: EncodedFrame): AudioFrame {
    this.checkOpen("decode FEC");
    const captureTimeUs = nextFrame.captureTimeUs - FRAME_US;
    const frameIndex = nextFrame.frameIndex >= 0 ? nextFrame.frameIndex - 1 : -1;
    if (!this.loadPacket(nextFrame)) return this.conceal(0);
    const out = this.run(nextFrame.data.length, MODE_FEC, captureTimeUs, frameIndex, true);
    if (!out) return this.conceal(0);
    this.counters.fecFrames++;
    this.lastCaptureTimeUs = captureTimeUs;
    this.lastFrameIndex = frameIndex;
    return out;
  }

  override stats(): StageStats {
    return { ...this.counters };
  }

  override close(): void {
    if (this.dec !== 0) {
      this.mod._rp_opus_dec_destroy(this.dec);
      this.dec = 0;
    }
  }

  /** Copies a packet into the decoder and checks it is one 20 ms packet; counts errors. */
  private loadPacket(frame: EncodedFrame): boolean {
    const len = frame.data.length;
    if (frame.codec !== "opus" || len === 0 || len > OPUS_MAX_PACKET_BYTES) {
      this.fail(frame.codec !== "opus" ? `a ${frame.codec} frame reached the Opus decoder` : `packet of ${len} bytes`);
      return false;
    }
    this.mod.HEAPU8.set(frame.data, this.mod._rp_opus_dec_input(this.dec));
    const samples = this.mod._rp_opus_dec_packet_samples(this.dec, len);
    if (samples !== AUDIO_FRAME_SAMPLES) {
      this.fail(samples < 0 ? `malformed packet (libopus error ${samples})` : `packet of ${samples} samples, expected ${AUDIO_FRAME_SAMPLES}`);
      return false;
    }
    return true;
  }

  private run(len: number, mode: number, captureTimeUs: number, frameIndex: number, concealed: boolean): AudioFrame | undefined {
    const t0 = this.cpuTimeMs();
    const n = this.mod._rp_opus_dec_decode(this.dec, len, mode);
    const ms = this.cpuTimeMs() - t0;
    this.counters.decodeMsLast = ms;
    this.counters.decodeMsTotal += ms;
    if (n !== AUDIO_FRAME_SAMPLES) {
      this.fail(n < 0 ? this.readError() : `decoded ${n} samples, expected ${AUDIO_FRAME_SAMPLES}`);
      return undefined;
    }
    const out = createAudioFrame(this.channels, captureTimeUs, frameIndex);
    const p = this.mod._rp_opus_dec_output(this.dec) >> 1;
    out.samples.set(this.mod.HEAP16.subarray(p, p + AUDIO_FRAME_SAMPLES * this.channels));
    if (concealed) out.concealed = true;
    return out;
  }

  private fail(message: string): void {
    this.counters.decodeErrors++;
    this.lastErrorMessage = message;
  }

  private checkOpen(what: string): void {
    if (this.dec === 0) throw new RtcpipeError("ERR_CLOSED", `Cannot ${what}: the Opus decoder is closed`);
  }

  private readError(): string {
    return readCString(this.mod, this.mod._rp_opus_last_error());
  }
}
