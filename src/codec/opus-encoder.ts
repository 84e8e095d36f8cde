import { CodecError, InvalidOptionError, RtcpipeError, checkInt, checkOneOf } from "../errors.js";
import { AUDIO_FRAME_SAMPLES, type AudioFrame } from "../media/audio-frame.js";
import { StageCore, type StageStats } from "../pipeline/stage.js";
import type { EncodedFrame } from "./encoded-frame.js";
import { readCString } from "./codec-module-loader.js";
import { OPUS_SET, loadOpus, type OpusModule } from "./opus-module.js";

/** What the Opus encoder tunes for. */
export type OpusApplication = "voip" | "audio" | "lowdelay";

/** Options of {@link OpusEncoder}. */
export interface OpusEncoderOptions {
  /** 1 or 2 (default 1). */
  channels?: 1 | 2;
  /** Target bitrate 6 kbps..510 kbps (default 32 kbps). VBR. */
  bitrateBps?: number;
  /** 0..10 (default 9): CPU against quality. */
  complexity?: number;
  /** In-band FEC (LBRR): each packet also carries a coarse copy of the previous frame (default true). */
  inbandFec?: boolean;
  /** Expected packet loss 0..100 % (default 10): how much bitrate LBRR gets; 0 disables it in practice. */
  expectedLossPct?: number;
  /** Discontinuous transmission: silence becomes 1-2 byte packets (default false). */
  dtx?: boolean;
  /** Default "voip". */
  application?: OpusApplication;
  /** Clock for measuring encode CPU time (ms); default performance.now. */
  cpuTimeMs?: () => number;
  /** Stage name in pipeline stats (default "opus-encoder"). */
  name?: string;
}

const APPLICATIONS = ["voip", "audio", "lowdelay"] as const;

/**
 * Opus encoder stage (libopus in WASM): 20 ms 48 kHz frames in, one packet per frame out.
 * The RTP timestamp is the capture time on the 48 kHz clock (RFC 7587 4.1), modulo 2^32.
 * With DTX, silent frames give 1-2 byte packets, marked `dtx: true` (they need not be sent).
 */
export class OpusEncoder extends StageCore<AudioFrame, EncodedFrame> {
  readonly name: string;
  readonly channels: 1 | 2;
  private readonly mod: OpusModule;
  private enc: number;
  private readonly cpuTimeMs: () => number;
  private settings: { bitrateBps: number; complexity: number; inbandFec: boolean; expectedLossPct: number; dtx: boolean };
  private nextTimestamp = 0;
  private counters = { framesIn: 0, framesEncoded: 0, dtxFrames: 0, bytesOut: 0, encodeMsTotal: 0, encodeMsLast: 0 };

  /** Loads the codec module (once per process) and creates an encoder. */
  static async create(options: OpusEncoderOptions = {}): Promise<OpusEncoder> {
    OpusEncoder.validate(options);
    return new OpusEncoder(await loadOpus(), options);
  }

  private static validate(o: OpusEncoderOptions): void {
    if (typeof o !== "object" || o === null) throw new InvalidOptionError("Cannot create an OpusEncoder: options must be an object");
    if (o.channels !== undefined) checkInt("channels", o.channels, 1, 2);
    if (o.bitrateBps !== undefined) checkInt("bitrateBps", o.bitrateBps, 6_000, 510_000);
    if (o.complexity !== undefined) checkInt("complexity", o.complexity, 0, 10);
    if (o.expectedLossPct !== undefined) checkInt("expectedLossPct", o.expectedLossPct, 0, 100);
    if (o.application !== undefined) checkOneOf("application", o.application, APPLICATIONS);
  }

  /** Use {@link OpusEncoder.create}; this takes an already loaded module. */
  constructor(mod: OpusModule, options: OpusEncoderOptions = {}) {
    super();
    OpusEncoder.validate(options);
    this.mod = mod;
    this.name = options.name ?? "opus-encoder";
    this.channels = options.channels ?? 1;
    this.cpuTimeMs = options.cpuTimeMs ?? (() => performance.now());
    this.settings = {
      bitrateBps: options.bitrateBps ?? 32_000,
      complexity: options.complexity ?? 9,
      inbandFec: options.inbandFec ?? true,
      expectedLossPct: options.expectedLossPct ?? 10,
      dtx: options.dtx ?? false,
    };
    const s = this.settings;
    this.enc = mod._rp_opus_enc_create(
      this.channels,
      APPLICATIONS.indexOf(options.application ?? "voip"),
      s.bitrateBps,
      s.complexity,
      s.inbandFec ? 1 : 0,
      s.expectedLossPct,
      s.dtx ? 1 : 0,
    );
    if (this.enc === 0) throw new CodecError(`Cannot create an Opus encoder: ${this.readError()}`);
  }

  /** The encoder's algorithmic delay in samples at 48 kHz (decoded audio lags input by this). */
  get lookaheadSamples(): number {
    this.checkOpen("read the lookahead");
    return this.mod._rp_opus_enc_lookahead(this.enc);
  }

  /** Current settings (after live changes). */
  get current(): Readonly<{ bitrateBps: number; complexity: number; inbandFec: boolean; expectedLossPct: number; dtx: boolean }> {
    return { ...this.settings };
  }

  /** Encodes one 20 ms frame and emits its packet. */
  push(frame: AudioFrame, nowUs: number): void {
    const packet = this.encode(frame);
    this.out.push(packet, nowUs);
  }

  /** Encodes one 20 ms frame and returns its packet. */
  encode(frame: AudioFrame): EncodedFrame {
    this.checkOpen("encode");
    const want = AUDIO_FRAME_SAMPLES * this.channels;
    if (frame.channels !== this.channels || frame.samples.length !== want) {
      throw new InvalidOptionError(
        `Cannot encode an audio frame of ${frame.channels} channel(s) and ${frame.samples.length} samples: allowed is ${this.channels} channel(s), ${want} samples (20 ms at 48 kHz)`,
      );
    }
    this.counters.framesIn++;
    this.mod.HEAP16.set(frame.samples, this.mod._rp_opus_enc_input(this.enc) >> 1);
    const t0 = this.cpuTimeMs();
    const n = this.mod._rp_opus_enc_encode(this.enc);
    const ms = this.cpuTimeMs() - t0;
    this.counters.encodeMsLast = ms;
    this.counters.encodeMsTotal += ms;
    if (n < 0) throw new CodecError(`Cannot encode Opus frame ${frame.frameIndex}: ${this.readError()}`);
    const outPtr = this.mod._rp_opus_enc_output(this.enc);
    const data = this.mod.HEAPU8.slice(outPtr, outPtr + n);
    const dtx = n <= 2;
    this.counters.framesEncoded++;
    this.counters.bytesOut += n;
    if (dtx) this.counters.dtxFrames++;
    let rtpTimestamp: number;
    if (Number.isFinite(frame.captureTimeUs)) {
      rtpTimestamp = Math.round((frame.captureTimeUs * 48) / 1000) % 4294967296;
      if (rtpTimestamp < 0) rtpTimestamp += 4294967296;
    } else {
      rtpTimestamp = this.nextTimestamp;
    }
    this.nextTimestamp = (rtpTimestamp + AUDIO_FRAME_SAMPLES) % 4294967296;
    return {
      kind: "audio",
      codec: "opus",
      data,
      keyframe: true,
      rtpTimestamp,
      captureTimeUs: frame.captureTimeUs,
      frameIndex: frame.frameIndex,
      dtx,
    };
  }

  /** Changes the target bitrate live (6 kbps..510 kbps). */
  setBitrate(bitrateBps: number): void {
    checkInt("bitrateBps", bitrateBps, 6_000, 510_000);
    this.set(OPUS_SET.bitrate, bitrateBps, "bitrate");
    this.settings.bitrateBps = bitrateBps;
  }

  /** Changes the complexity live (0..10). */
  setComplexity(complexity: number): void {
    checkInt("complexity", complexity, 0, 10);
    this.set(OPUS_SET.complexity, complexity, "complexity");
    this.settings.complexity = complexity;
  }

  /** Turns in-band FEC on or off live. */
  setInbandFec(on: boolean): void {
    this.set(OPUS_SET.inbandFec, on ? 1 : 0, "in-band FEC");
    this.settings.inbandFec = on;
  }

  /** Tells the encoder the loss rate the receiver reports (0..100 %): sizes the LBRR data. */
  setExpectedLossPct(lossPct: number): void {
    checkInt("expectedLossPct", lossPct, 0, 100);
    this.set(OPUS_SET.packetLossPct, lossPct, "expected loss");
    this.settings.expectedLossPct = lossPct;
  }

  /** Turns DTX on or off live. */
  setDtx(on: boolean): void {
    this.set(OPUS_SET.dtx, on ? 1 : 0, "DTX");
    this.settings.dtx = on;
  }

  override stats(): StageStats {
    return { ...this.counters, bitrateBps: this.settings.bitrateBps };
  }

  override close(): void {
    if (this.enc !== 0) {
      this.mod._rp_opus_enc_destroy(this.enc);
      this.enc = 0;
    }
  }

  private set(what: number, value: number, label: string): void {
    this.checkOpen(`set ${label}`);
    if (this.mod._rp_opus_enc_set(this.enc, what, value) !== 0) {
      throw new CodecError(`Cannot set ${label} to ${value}: ${this.readError()}`);
    }
  }

  private checkOpen(what: string): void {
    if (this.enc === 0) throw new RtcpipeError("ERR_CLOSED", `Cannot ${what}: the Opus encoder is closed`);
  }

  private readError(): string {
    return readCString(this.mod, this.mod._rp_opus_last_error());
  }
}
