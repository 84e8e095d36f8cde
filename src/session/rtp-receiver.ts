/**
 * RtpReceiver: the receive half of one one-way RTP stream (`rtcpipe receive`): RTP or SRTP
 * datagrams in (and RTCP on the same or another port), decoded frames out. The path is
 * SRTP unprotect (RFC 3711) → RTP parse → SSRC/payload-type filter → ReorderBuffer →
 * Depacketizer → VP8/VP9/Opus decoder; a lost Opus packet is concealed (PLC) so the audio keeps
 * its duration. Anything malformed, forged (SRTP authentication failure), replayed or
 * undecodable is dropped and counted: `receiveRtp`/`receiveRtcp` never throw on input.
 */
import type { CodecName, EncodedFrame } from "../codec/encoded-frame.js";
import { OpusDecoder } from "../codec/opus-decoder.js";
import { VpxDecoder } from "../codec/vpx-decoder.js";
import { checkInt, checkOneOf, checkRange, InvalidOptionError, RtcpipeError } from "../errors.js";
import { ReorderBuffer } from "../jitter/reorder-buffer.js";
import type { AudioFrame } from "../media/audio-frame.js";
import { AUDIO_FRAME_SAMPLES } from "../media/audio-frame.js";
import type { VideoFrame } from "../media/video-frame.js";
import { Goodbye } from "../rtcp/goodbye.js";
import { RtcpCompoundPacket } from "../rtcp/rtcp-compound-packet.js";
import { SenderReport } from "../rtcp/sender-report.js";
import { SourceDescription } from "../rtcp/source-description.js";
import { Depacketizer } from "../rtp/depacketizer.js";
import { splitOpusPacket } from "../rtp/opus-frame-packing.js";
import { RtpPacket } from "../rtp/rtp-packet.js";
import { SequenceUnwrapper, timestampDiff } from "../rtp/wrap-around-unwrapper.js";
import { isRtcpPacket } from "../srtp/is-rtcp-packet.js";
import { SrtpSession } from "../srtp/srtp-session.js";
import type { SrtpSuiteName } from "../srtp/srtp-suite.js";

export interface RtpReceiverOptions {
  codec: CodecName;
  /** Only this payload type is used (others are counted in packetsIgnored). Default: any. */
  payloadType?: number;
  /** Only this SSRC is used. Default: the first SSRC that arrives (later others are ignored). */
  ssrc?: number;
  /** SDES-keyed SRTP (the sender's key); omit for plain RTP. */
  srtp?: { suite: SrtpSuiteName; masterKey: Uint8Array; masterSalt: Uint8Array };
  /** Longest wait for a missing packet before it is declared lost, ms (default 50). */
  reorderMaxWaitMs?: number;
  /** Channels of decoded audio, 1 or 2 (default 1). */
  audioChannels?: 1 | 2;
  /** Called with each decoded video frame. */
  onVideoFrame?: (frame: VideoFrame, nowUs: number) => void;
  /** Called with each decoded (or concealed) 20 ms audio frame. */
  onAudioFrame?: (frame: AudioFrame, nowUs: number) => void;
}

/** Counters of an RtpReceiver (plain numbers, for a JSON summary). */
export interface RtpReceiverStats {
  /** RTP packets accepted (authenticated, parsed, of the stream). */
  packets: number;
  /** Expected minus received, from the sequence numbers (RFC 3550 6.4.1 cumulative lost). */
  lost: number;
  /** Datagrams that did not parse as RTP/RTCP, SRTP packets too short, bad payload descriptors. */
  malformedDropped: number;
  /** SRTP/SRTCP packets whose tag did not verify (forged, wrong key). */
  srtpAuthFailures: number;
  /** SRTP/SRTCP packets rejected as replays. */
  srtpReplayed: number;
  /** Packets of another SSRC or payload type. */
  packetsIgnored: number;
  rtcpPackets: number;
  senderReports: number;
  byeReceived: number;
  framesAssembled: number;
  framesDecoded: number;
  decodeErrors: number;
  /** Audio frames synthesized for lost packets. */
  concealedFrames: number;
  /** SSRC received (0 until the first packet). */
  ssrc: number;
  /** Unexpected internal errors (bugs), caught so the receiver keeps running. */
  errors: number;
}

const MAX_CONCEALED_RUN = 50;

export class RtpReceiver {
  readonly codec: CodecName;
  private readonly payloadType: number | undefined;
  private ssrcLock: number | undefined;
  private readonly srtp: SrtpSession | undefined;
  private readonly reorder: ReorderBuffer<RtpPacket>;
  private readonly depacketizer: Depacketizer;
  private readonly videoDecoder: VpxDecoder | undefined;
  private readonly audioDecoder: OpusDecoder | undefined;
  private readonly onVideoFrame: ((frame: VideoFrame, nowUs: number) => void) | undefined;
  private readonly onAudioFrame: ((frame: AudioFrame, nowUs: number) => void) | undefined;
  private readonly unwrapper = new SequenceUnwrapper();
  private baseSeq = NaN;
  private highestSeq = NaN;
  private lastAudioTs = NaN;
  private closed = false;
  private readonly counters = {
    packets: 0,
    malformedDropped: 0,
    srtpAuthFailures: 0,
    srtpReplayed: 0,
    packetsIgnored: 0,
    rtcpPackets: 0,
    senderReports: 0,
    byeReceived: 0,
    framesDecoded: 0,
    concealedFrames: 0,
    errors: 0,
  };
  /** The last unexpected error message (a bug, not bad input), or "". */
  lastError = "";
  /** The peer's CNAME from RTCP SDES, once seen. */
  cname: string | undefined;

  /** Loads the decoder and creates a receiver. */
  static async create(options: RtpReceiverOptions): Promise<RtpReceiver> {
    RtpReceiver.validate(options);
    if (options.codec === "opus") return new RtpReceiver(options, undefined, await OpusDecoder.create({ channels: options.audioChannels ?? 1 }));
    return new RtpReceiver(options, await VpxDecoder.create({ codec: options.codec }), undefined);
  }

  private static validate(o: RtpReceiverOptions): void {
    if (o === null || typeof o !== "object") throw new InvalidOptionError("Cannot create an RtpReceiver: options must be an object");
    checkOneOf("codec", o.codec, ["vp8", "vp9", "opus"] as const);
    if (o.payloadType !== undefined) checkInt("payloadType", o.payloadType, 0, 127);
    if (o.ssrc !== undefined) checkInt("ssrc", o.ssrc, 0, 0xffffffff);
    if (o.reorderMaxWaitMs !== undefined) checkRange("reorderMaxWaitMs", o.reorderMaxWaitMs, 0, 10_000);
  }

  private constructor(options: RtpReceiverOptions, video: VpxDecoder | undefined, audio: OpusDecoder | undefined) {
    this.codec = options.codec;
    this.payloadType = options.payloadType;
    this.ssrcLock = options.ssrc;
    this.srtp = options.srtp ? new SrtpSession({ suite: options.srtp.suite, masterKey: options.srtp.masterKey, masterSalt: options.srtp.masterSalt }) : undefined;
    const maxWait = options.reorderMaxWaitMs ?? 50;
    this.reorder = new ReorderBuffer<RtpPacket>({ minWaitMs: Math.min(5, maxWait), maxWaitMs: maxWait });
    this.depacketizer = new Depacketizer({ codec: options.codec, ...(options.payloadType !== undefined ? { payloadType: options.payloadType } : {}) });
    this.videoDecoder = video;
    this.audioDecoder = audio;
    this.onVideoFrame = options.onVideoFrame;
    this.onAudioFrame = options.onAudioFrame;
    this.reorder.pipe(this.depacketizer);
    this.depacketizer.pipe({ push: (f: EncodedFrame, nowUs: number) => this.decode(f, nowUs) });
  }

  /** True once the sender said BYE (RTCP, RFC 3550 6.6). */
  get byeReceived(): boolean {
    return this.counters.byeReceived > 0;
  }

  /** Frames decoded so far (video pictures, or audio frames including concealed ones). */
  get framesDecoded(): number {
    return this.counters.framesDecoded;
  }

  /** Handles one datagram from the RTP port (RTCP multiplexed on it is recognized, RFC 5761). */
  receiveRtp(data: Uint8Array, nowUs: number): void {
    if (this.closed) return;
    if (isRtcpPacket(data)) {
      this.receiveRtcp(data, nowUs);
      return;
    }
    this.guard(() => {
      let bytes = data;
      if (this.srtp) bytes = this.srtp.unprotectRtp(data);
      const p = RtpPacket.parse(bytes);
      if (this.ssrcLock === undefined) this.ssrcLock = p.ssrc;
      if (p.ssrc !== this.ssrcLock || (this.payloadType !== undefined && p.payloadType !== this.payloadType)) {
        this.counters.packetsIgnored++;
        return;
      }
      // Copy out of the socket buffer (it may be reused) only for packets we keep.
      const packet = this.srtp ? p : RtpPacket.parse(bytes.slice());
      this.counters.packets++;
      const seq = this.unwrapper.unwrap(packet.sequenceNumber);
      if (Number.isNaN(this.baseSeq)) {
        this.baseSeq = seq;
        this.highestSeq = seq;
      } else if (seq > this.highestSeq) this.highestSeq = seq;
      else if (seq < this.baseSeq) this.baseSeq = seq;
      this.reorder.push(packet, nowUs);
    });
  }

  /** Handles one (S)RTCP datagram: counts SRs, notes the CNAME, and BYE of the stream. */
  receiveRtcp(data: Uint8Array, nowUs: number): void {
    if (this.closed) return;
    void nowUs;
    this.guard(() => {
      const bytes = this.srtp ? this.srtp.unprotectRtcp(data) : data;
      const compound = RtcpCompoundPacket.parse(bytes, { reducedSize: true });
      this.counters.rtcpPackets++;
      for (const p of compound.packets) {
        if (p instanceof SenderReport) {
          if (this.ssrcLock === undefined || p.ssrc === this.ssrcLock) this.counters.senderReports++;
        } else if (p instanceof SourceDescription) {
          const c = p.cname(this.ssrcLock);
          if (c !== undefined) this.cname = c;
        } else if (p instanceof Goodbye) {
          if (this.ssrcLock === undefined || p.ssrcs.includes(this.ssrcLock)) this.counters.byeReceived = 1;
        }
      }
    });
  }

  /** Time-driven work: releases packets waited for too long. Call every few ms. */
  tick(nowUs: number): void {
    if (this.closed) return;
    this.guard(() => this.reorder.tick(nowUs));
  }

  /** Releases everything still held (at the end of a stream). */
  flush(nowUs: number): void {
    if (this.closed) return;
    this.guard(() => {
      for (let i = 0; i < 1000 && (this.reorder.stats()["held"] ?? 0) > 0; i++) this.reorder.tick(Number.MAX_SAFE_INTEGER);
    });
    void nowUs;
  }

  stats(): RtpReceiverStats {
    const d = this.depacketizer.stats();
    const dec = (this.videoDecoder ?? this.audioDecoder)!.stats();
    const expected = Number.isNaN(this.baseSeq) ? 0 : this.highestSeq - this.baseSeq + 1;
    const srtp = this.srtp?.stats();
    return {
      packets: this.counters.packets,
      lost: Math.max(0, expected - this.counters.packets),
      malformedDropped: this.counters.malformedDropped + (d["packetsMalformed"] ?? 0),
      srtpAuthFailures: srtp?.authFailures ?? 0,
      srtpReplayed: srtp?.replayed ?? 0,
      packetsIgnored: this.counters.packetsIgnored + (d["packetsIgnored"] ?? 0),
      rtcpPackets: this.counters.rtcpPackets,
      senderReports: this.counters.senderReports,
      byeReceived: this.counters.byeReceived,
      framesAssembled: d["framesAssembled"] ?? 0,
      framesDecoded: this.counters.framesDecoded,
      decodeErrors: dec["decodeErrors"] ?? 0,
      concealedFrames: this.counters.concealedFrames,
      ssrc: this.ssrcLock ?? 0,
      errors: this.counters.errors,
    };
  }

  /** Frees the decoder. Idempotent. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.videoDecoder?.close();
    this.audioDecoder?.close();
  }

  private decode(frame: EncodedFrame, nowUs: number): void {
    if (this.videoDecoder) {
      const picture = this.videoDecoder.decode(frame);
      if (picture) {
        this.counters.framesDecoded++;
        this.onVideoFrame?.(picture, nowUs);
      }
      return;
    }
    // Several 20 ms frames in one packet (RFC 6716 3.2.5, e.g. 60 ms): decoded frame by frame.
    const parts = (frame.data[0] ?? 0) & 3 ? splitOpusPacket(frame.data) : [frame.data];
    parts.forEach((data, i) => this.decodeAudio(parts.length === 1 ? frame : { ...frame, data, rtpTimestamp: (frame.rtpTimestamp + i * AUDIO_FRAME_SAMPLES) >>> 0 }, nowUs));
  }

  private decodeAudio(frame: EncodedFrame, nowUs: number): void {
    const dec = this.audioDecoder!;
    if (!Number.isNaN(this.lastAudioTs)) {
      // Packets lost before this one (their timestamps are missing): conceal them.
      const gap = Math.round(timestampDiff(frame.rtpTimestamp, this.lastAudioTs) / AUDIO_FRAME_SAMPLES) - 1;
      if (gap < 0) return; // older than what was played: drop
      for (let i = 0; i < Math.min(gap, MAX_CONCEALED_RUN); i++) {
        const f = i === gap - 1 ? dec.decodeFec(frame) : dec.conceal(nowUs);
        this.counters.concealedFrames++;
        this.counters.framesDecoded++;
        this.onAudioFrame?.(f, nowUs);
      }
    }
    const out = dec.decode(frame);
    if (!out) return;
    this.lastAudioTs = frame.rtpTimestamp;
    this.counters.framesDecoded++;
    this.onAudioFrame?.(out, nowUs);
  }

  private guard(fn: () => void): void {
    try {
      fn();
    } catch (e) {
      if (e instanceof RtcpipeError) {
        if (e.code === "ERR_MALFORMED_PACKET") this.counters.malformedDropped++;
        // Auth failures and replays are counted by the SRTP session.
        else if (e.code !== "ERR_AUTH_FAILED" && e.code !== "ERR_REPLAYED") this.recordError(e);
        return;
      }
      this.recordError(e);
    }
  }

  private recordError(e: unknown): void {
    this.counters.errors++;
    this.lastError = e instanceof Error ? e.message : String(e);
  }
}
