import type { EncodedFrame, VideoCodecName } from "../codec/encoded-frame.js";
import { RtcpipeError } from "../errors.js";
import type { AudioFrame } from "../media/audio-frame.js";
import type { VideoFrame } from "../media/video-frame.js";
import type { Transport } from "../net/transport.js";
import type { Clock, TimerHandle } from "../pipeline/clock.js";
import type { Stage } from "../pipeline/stage.js";
import { RtcpCompoundPacket } from "../rtcp/rtcp-compound-packet.js";
import { RtpPacket } from "../rtp/rtp-packet.js";
import type { SrtpContext } from "../srtp/srtp-context.js";
import { SrtpSession } from "../srtp/srtp-session.js";
import type { SrtpSuiteName } from "../srtp/srtp-suite.js";
import { SeededRandom } from "../util/seeded-random.js";
import type { NetEqOutput } from "../jitter/neteq/neteq-playout.js";
import { AudioReceiveStream } from "./audio-receive-stream.js";
import { RtcpReporter } from "./rtcp-reporter.js";
import { isRtcpPacket } from "../srtp/is-rtcp-packet.js";
import { timestampDiff } from "../rtp/wrap-around-unwrapper.js";
import { AUDIO_RED_PAYLOAD_TYPE, PAYLOAD_TYPES, RED_RTX_PAYLOAD_TYPE, RTX_PAYLOAD_TYPES, TRANSPORT_CC_EXTENSION_ID, ULPFEC_PAYLOAD_TYPE, VIDEO_RED_PAYLOAD_TYPE, type SendConfig } from "./stream-config.js";
import { FecController } from "../fec/fec-controller.js";
import { FecDecoder } from "../fec/fec-decoder.js";
import { FecEncoder } from "../fec/fec-encoder.js";
import { RedAudioDecoder } from "../fec/red-audio-decoder.js";
import { RedAudioEncoder } from "../fec/red-audio-encoder.js";
import { TemporalLayerPolicy } from "./temporal-layer-policy.js";
import { VideoReceiveStream } from "./video-receive-stream.js";
import { SendStream } from "./send-stream.js";
import { NackGenerator } from "../feedback/nack-generator.js";
import { NackResponder } from "../feedback/nack-responder.js";
import { RtxReceiver } from "../feedback/rtx-receiver.js";
import { GenericNack } from "../rtcp/generic-nack.js";
import type { VpxEncoder } from "../codec/vpx-encoder.js";
import type { OpusEncoder } from "../codec/opus-encoder.js";
import { Pacer } from "../congestion/pacer.js";
import type { PacketKind } from "../congestion/pacer-queue.js";
import { TransportFeedbackGenerator } from "../congestion/transport-feedback-generator.js";
import { TransportWideSequenceNumber } from "../rtp/transport-wide-sequence-number.js";
import type { TransportFeedback } from "../rtcp/transport-feedback.js";
import { VideoFormatAdapter } from "../media/video-format-adapter.js";
import { BandwidthAdaptation, SEND_SIDE_PACING_FACTOR, type AdaptationDecision, type BandwidthAdaptationOptions } from "./bandwidth-adaptation.js";

export interface SrtpKeys {
  masterKey: Uint8Array;
  masterSalt: Uint8Array;
}

/**
 * A second copy of a NACK or an RTX packet (sent above 5% loss) goes this long after the first.
 * Measured at 640x480 on the loss traces: 60 ms left bursts more often but added ~70 ms to the
 * p95 latency under random 10% loss (312 vs 240 ms); the longer reorder wait (3.2 RTT) is what
 * fixed the bursty trace's freezes.
 */
const SECOND_COPY_DELAY_US = 20_000;

/**
 * Capture-to-render time the video playout aims to stay within when it waits for
 * retransmissions (µs): ITU-T G.114 calls up to 400 ms one way acceptable and under 150 ms
 * natural; 300 ms leaves the encode, decode and capture the rest. On the 3G-like trace (RTT
 * ~250 ms, 3% loss; 640x480 capture, seeds 1-10) waiting one RTT for every frame made video
 * latency p50 460-610 ms; with the budget 290-335 ms, at the cost of more short stalls
 * (frozen 21.8% -> 26.0% of the call on average, most of either being pauses of the video).
 * On a short path (RTT 100 ms, the loss fixtures) the full RTT + 20 ms wait still fits.
 * The jitter delay is held to the budget too (RTT/2 + jitter + wait): after a burst of late
 * frames the 95th percentile of the last 3 s rose to ~290 ms on 3G and held every frame that
 * long; capped, the burst's frames are shown late and the rest on time (3G, seeds 1-5: p95
 * 520 -> 468 ms; bursty 10% loss at RTT 100 ms: p95 ~350 -> ~300 ms, freezes unchanged).
 */
const VIDEO_LATENCY_BUDGET_US = 300_000;
/** The playout delay the budget always leaves, however long the RTT (µs). */
const MIN_VIDEO_DELAY_BUDGET_US = 50_000;

/** Least time between two video encoder rate changes that are not cuts of 20% or more (µs). */
const ENCODER_RATE_SPACING_US = 250_000;

/** What sending one frame did: its encode time and RTP timestamp (undefined when dropped). */
export interface SendResult {
  encodeUs: number;
  rtpTimestamp: number | undefined;
}

export interface PeerOptions {
  /** RTCP CNAME (RFC 3550 6.5.1). */
  cname: string;
  transport: Transport;
  clock: Clock;
  send: SendConfig;
  /**
   * What the remote sends, so the matching receive paths exist. `videoRtxSsrc` (with
   * `videoSsrc`) turns on NACK generation and RTX reception (RFC 4585, RFC 4588).
   */
  receive: { video?: VideoCodecName; videoSsrc?: number; videoRtxSsrc?: number; videoFec?: boolean; audio?: { channels: 1 | 2; red?: boolean }; transportCc?: boolean };
  /**
   * Adaptive bitrate: every packet carries a transport-wide sequence number, leaves through a
   * pacer, and the remote's TWCC feedback drives the estimate that sets the encoders' rates,
   * frame rate and resolution. Omit for fixed encoder rates (packets leave as encoded). The
   * remote must have `receive.transportCc` to send feedback.
   */
  congestion?: BandwidthAdaptationOptions;
  /**
   * SRTP (RFC 3711): the suite and master keys of each direction, or contexts built by the caller
   * (e.g. RekeyingSrtpSession, to switch keys during the call).
   */
  srtp: { suite: SrtpSuiteName; send: SrtpKeys; receive: SrtpKeys } | { sessions: { send: SrtpContext; receive: SrtpContext } };
  /** µs since the Unix epoch for a time on `clock` (the NTP time in SRs). */
  wallClockUs: (nowUs: number) => number;
  /** On the virtual clock, a frame leaves after its measured encode time (default true). */
  addProcessingTime?: boolean;
  /** Mean RTCP interval (default 1000 ms, randomized x[0.5, 1.5] as RFC 3550 6.3.1). */
  rtcpIntervalMs?: number;
  seed?: number;
  /** Instrumentation: fills capture time / frame index of received frames before decoding. */
  annotateVideo?: (frame: EncodedFrame) => void;
  annotateAudio?: (frame: EncodedFrame) => void;
}

/**
 * One endpoint of a call: send streams (encode → packetize → SRTP → transport), receive streams
 * (transport → SRTP → jitter buffer → decode) for what the remote sends, and RTCP SR/RR between
 * them, all on one transport (RTP and RTCP multiplexed, RFC 5761). A malformed, forged or
 * replayed datagram is dropped and counted; it never throws out of the receive path.
 */
export class Peer {
  onVideoFrame: (frame: VideoFrame, renderUs: number) => void = () => {};
  onAudioFrame: (frame: AudioFrame, playUs: number, output: NetEqOutput) => void = () => {};
  /** Called for every RTP packet put on the wire (after SRTP), for metrics. */
  onRtpSent: (packet: RtpPacket, bytes: number, nowUs: number) => void = () => {};

  readonly rtcp: RtcpReporter;
  private readonly srtpTx: SrtpContext;
  private readonly srtpRx: SrtpContext;
  private readonly rng: SeededRandom;
  private readonly rtcpIntervalUs: number;
  private rtcpTimer: TimerHandle | undefined;
  private wakeTimer: TimerHandle | undefined;
  private wakeAtUs = Infinity;
  private readonly encoderFreeAtUs = new Map<number, number>();
  /** Room for one serialized RTP packet (jumbo-frame sized; the MTU option is at most 9000). */
  private readonly plainScratch = new Uint8Array(9216);
  private lastPliUs = -Infinity;
  private lastKeyframeRequestUs = -Infinity;
  private remoteVideoSsrc: number | undefined;
  private readonly nackResponder: NackResponder | undefined;
  private readonly nackGenerator: NackGenerator | undefined;
  private readonly rtxReceiver: RtxReceiver | undefined;
  private readonly redDecoder: RedAudioDecoder | undefined;
  private readonly fecDecoder: FecDecoder | undefined;
  private readonly fecController = new FecController();
  /** Set when the video's temporal layers follow loss and RTT ("auto"). */
  private readonly layerPolicy: TemporalLayerPolicy | undefined;
  private readonly recentNackUs: number[] = [];
  private audioLossPct = 0;
  private lastVideoTimestamp: number | undefined;
  /** True while an RTX-restored RED packet is inside the FEC decoder (it emits synchronously). */
  private decodingRetransmission = false;
  private closed = false;
  /** Sender-side adaptive bitrate, the pacer it drives, and their timers. */
  readonly bandwidth: BandwidthAdaptation | undefined;
  private readonly pacer: Pacer<RtpPacket> | undefined;
  private pacerTimer: TimerHandle | undefined;
  private pacerAtUs = Infinity;
  private bandwidthTimer: TimerHandle | undefined;
  private lastEncoderRateUs = -Infinity;
  private transportSequence = 0;
  private readonly lastReportedHighest = new Map<number, number>();
  /** Receiver side: TWCC feedback about what the remote sends. */
  private readonly transportFeedback: TransportFeedbackGenerator | undefined;
  private receivedBytes = 0;
  private receivedBytesSinceUs = NaN;
  private readonly counters = { datagramsIn: 0, rtpIn: 0, rtcpIn: 0, srtpDropped: 0, malformedDropped: 0, unknownPayloadType: 0, rtcpOut: 0, rtpOut: 0, rtxOut: 0, rtxOutBytes: 0, rtxIn: 0, rtxDropped: 0, mediaOutBytes: 0, paddingOut: 0, paddingOutBytes: 0, paddingIn: 0, wireOutBytes: 0, twccOut: 0, fecRecovered: 0, outages: 0 };

  private constructor(
    private readonly options: PeerOptions,
    readonly videoSend: SendStream<VideoFrame, VpxEncoder> | undefined,
    readonly audioSend: SendStream<AudioFrame, OpusEncoder> | undefined,
    readonly videoReceive: VideoReceiveStream | undefined,
    readonly audioReceive: AudioReceiveStream | undefined,
  ) {
    this.rng = new SeededRandom(options.seed ?? 1);
    this.rtcpIntervalUs = (options.rtcpIntervalMs ?? 1000) * 1000;
    const srtp = options.srtp;
    this.srtpTx = "sessions" in srtp ? srtp.sessions.send : new SrtpSession({ suite: srtp.suite, ...srtp.send });
    this.srtpRx = "sessions" in srtp ? srtp.sessions.receive : new SrtpSession({ suite: srtp.suite, ...srtp.receive });
    const clockRateOf = (pt: number): number => (pt === PAYLOAD_TYPES.opus ? 48_000 : 90_000);
    const localSsrc = options.send.video?.ssrc ?? options.send.audio?.ssrc ?? this.rng.nextUint32();
    this.rtcp = new RtcpReporter(options.cname, options.wallClockUs, clockRateOf, localSsrc);
    if (options.send.video) this.rtcp.addSender(options.send.video.ssrc, 90_000);
    if (options.send.audio) this.rtcp.addSender(options.send.audio.ssrc, 48_000);
    if (videoReceive) videoReceive.onFrame = (f, t) => this.onVideoFrame(f, t);
    if (audioReceive) audioReceive.onFrame = (f, t, s) => this.onAudioFrame(f, t, s);
    options.transport.onReceive = (data, nowUs) => this.onDatagram(data, nowUs);
    this.rtcp.onPictureLoss = () => this.onPictureLoss(this.options.clock.nowUs());
    const video = options.send.video;
    if (video?.rtxSsrc !== undefined) {
      this.nackResponder = new NackResponder({
        mediaSsrc: video.ssrc,
        // With FEC every video packet is RED, so RTX carries RED (apt=101, RFC 4588 8.1).
        rtx: { ssrc: video.rtxSsrc, payloadType: video.fec ? RED_RTX_PAYLOAD_TYPE : RTX_PAYLOAD_TYPES[video.codec], initialSequenceNumber: this.rng.int(0, 0xffff) },
      });
      this.rtcp.onNack = (nack) => this.onNack(nack, this.options.clock.nowUs());
    }
    if (video?.temporalLayers === "auto" && videoSend?.encoder.supportsTemporalLayers) this.layerPolicy = new TemporalLayerPolicy();
    if (options.congestion) {
      this.bandwidth = new BandwidthAdaptation(options.congestion);
      if (videoSend) {
        videoSend.dropGate!.dropper = this.bandwidth.frameDropper;
        // libvpx's own frame dropping (buffer under 30%) is off: after a cut its buffer is deep
        // in debt from the overshoot, and it dropped every frame for 1.4 s (a freeze); the
        // FrameDropper drops instead and never leaves a gap that counts as a freeze.
        videoSend.encoder.setRateLimits(63, 0);
      }
      const startBps = this.bandwidth.controller.targetRateBps;
      this.pacer = new Pacer<RtpPacket>({
        pacingRateBps: startBps * SEND_SIDE_PACING_FACTOR,
        // Audio is neither paced nor counted (libwebrtc's default, account_for_audio off): 1.1x
        // the whole target is then for video, FEC and retransmissions, the slack that drains
        // their bursts.
        countBypassingAudio: false,
        generatePadding: (sizeBytes) => this.paddingPackets(sizeBytes),
      });
      this.pacer.pipe({ push: (p, t) => this.emit(p.item, p.kind, t, p.probeClusterId) });
      this.rtcp.onTransportFeedback = (fb) => this.onTransportFeedback(fb, this.options.clock.nowUs());
    }
    const rx = options.receive;
    if (rx.transportCc) this.transportFeedback = new TransportFeedbackGenerator({ senderSsrc: this.rtcp.fallbackSsrc });
    if (rx.audio?.red && audioReceive) {
      this.redDecoder = new RedAudioDecoder({ redPayloadType: AUDIO_RED_PAYLOAD_TYPE });
      this.redDecoder.pipe({ push: (p: RtpPacket, t: number) => audioReceive.push(p, t) });
    }
    if (rx.video && rx.videoSsrc !== undefined && rx.videoRtxSsrc !== undefined) {
      this.nackGenerator = new NackGenerator();
      this.rtxReceiver = new RtxReceiver({
        mappings: [
          rx.videoFec
            ? { rtxSsrc: rx.videoRtxSsrc, rtxPayloadType: RED_RTX_PAYLOAD_TYPE, mediaSsrc: rx.videoSsrc, mediaPayloadType: VIDEO_RED_PAYLOAD_TYPE }
            : { rtxSsrc: rx.videoRtxSsrc, rtxPayloadType: RTX_PAYLOAD_TYPES[rx.video], mediaSsrc: rx.videoSsrc, mediaPayloadType: PAYLOAD_TYPES[rx.video] },
        ],
      });
      // What the jitter buffer gave up as unneeded is not asked for again.
      const nacks = this.nackGenerator;
      if (videoReceive) videoReceive.reorder.onUnneededGapSkipped = (seq) => nacks.clearOlderThan(seq);
    }
    if (rx.video && rx.videoFec && videoReceive) {
      const mediaPt = PAYLOAD_TYPES[rx.video];
      this.fecDecoder = new FecDecoder({ redPayloadType: VIDEO_RED_PAYLOAD_TYPE, ulpfecPayloadType: ULPFEC_PAYLOAD_TYPE, mediaPayloadTypes: [mediaPt] });
      this.fecDecoder.pipe({
        push: (p: RtpPacket, t: number) => {
          const recovered = FecDecoder.isRecovered(p);
          if (recovered) {
            this.counters.fecRecovered++;
            this.nackGenerator?.received(p.sequenceNumber, t, true);
          }
          // Late because FEC rebuilt it or RTX resent it: recovery, not network jitter.
          videoReceive.push(p, t, recovered || this.decodingRetransmission);
        },
      });
    }
  }

  static async create(options: PeerOptions): Promise<Peer> {
    const rng = new SeededRandom((options.seed ?? 1) ^ 0x5eed);
    const srtpOverhead = 16;
    const { send, receive } = options;
    // RFC 3550 5.1: initial sequence numbers are random.
    const videoSend = send.video ? await SendStream.video(send.video, send.mtuBytes, srtpOverhead, rng.int(0, 0xffff)) : undefined;
    const audioSend = send.audio ? await SendStream.audio(send.audio, send.mtuBytes, srtpOverhead, rng.int(0, 0xffff)) : undefined;
    const videoReceive = receive.video
      ? await VideoReceiveStream.create({ codec: receive.video, payloadType: PAYLOAD_TYPES[receive.video], annotate: options.annotateVideo, addDecodeTime: options.addProcessingTime ?? true })
      : undefined;
    const audioReceive = receive.audio
      ? await AudioReceiveStream.create({ channels: receive.audio.channels, payloadType: PAYLOAD_TYPES.opus, annotate: options.annotateAudio })
      : undefined;
    return new Peer(options, videoSend, audioSend, videoReceive, audioReceive);
  }

  /** Starts RTCP reporting. */
  start(): void {
    const now = this.options.clock.nowUs();
    this.scheduleRtcp(now, 0.1);
    if (this.bandwidth) {
      // The controller's process interval (libwebrtc goog_cc: 25 ms); the first decision sets
      // the start rates and the video format before the first frame.
      this.applyAdaptation(this.bandwidth.onProcessInterval(now, 0), now);
      this.bandwidthTimer = this.options.clock.every(25_000, (t) => {
        if (!this.closed) this.applyAdaptation(this.bandwidth!.onProcessInterval(t, this.pacerQueueUs(t)), t);
      });
    }
  }

  /** Encodes and sends one captured video frame. */
  sendVideo(frame: VideoFrame, nowUs: number): SendResult {
    return this.sendOn(this.videoSend, frame, nowUs);
  }

  /** Encodes and sends one captured 20 ms audio frame. */
  sendAudio(frame: AudioFrame, nowUs: number): SendResult {
    return this.sendOn(this.audioSend, frame, nowUs);
  }

  private sendOn<F extends { captureTimeUs: number }>(stream: SendStream<F, Stage<F, EncodedFrame>> | undefined, frame: F, nowUs: number): SendResult {
    if (!stream || this.closed) return { encodeUs: 0, rtpTimestamp: undefined };
    const video = (stream as unknown) === this.videoSend ? this.videoSend : undefined;
    const keyframesBefore = video?.encoder.keyframesEncoded ?? 0;
    const { packets, encodeUs, rtpTimestamp } = stream.sendFrame(frame, nowUs);
    if (video && packets.length > 0) this.bandwidth?.onFrameEncoded(encodeUs, frame.captureTimeUs, video.encoder.lastQuantizer, video.encoder.keyframesEncoded > keyframesBefore);
    if (rtpTimestamp !== undefined) this.rtcp.anchor(stream.packetizer.ssrc, rtpTimestamp, frame.captureTimeUs);
    this.transmit(packets, nowUs, encodeUs);
    return { encodeUs, rtpTimestamp };
  }

  stats(): Record<string, number> {
    const s: Record<string, number> = { ...this.counters };
    const add = (prefix: string, o: Record<string, number> | undefined): void => {
      if (o) for (const [k, v] of Object.entries(o)) s[`${prefix}.${k}`] = v;
    };
    add("srtpTx", this.srtpTx.stats());
    add("srtpRx", this.srtpRx.stats());
    add("videoSend", this.videoSend?.stats());
    add("audioSend", this.audioSend?.stats());
    add("videoReceive", this.videoReceive?.stats());
    add("audioReceive", this.audioReceive?.stats());
    add("transport", this.options.transport.stats());
    add("redDecoder", this.redDecoder?.stats());
    add("fecDecoder", this.fecDecoder?.stats());
    add("nackGenerator", this.nackGenerator?.stats() as Record<string, number> | undefined);
    add("nackResponder", this.nackResponder?.stats() as Record<string, number> | undefined);
    add("bandwidth", this.bandwidth?.stats());
    add("pacer", this.pacer?.stats());
    add("transportFeedback", this.transportFeedback?.stats() as Record<string, number> | undefined);
    return s;
  }

  srtpStats(): { authFailures: number; replayed: number; malformed: number } {
    const s = this.srtpRx.stats();
    return { authFailures: s.authFailures, replayed: s.replayed, malformed: s.malformed };
  }

  /** Sends a final report with BYE (RFC 3550 6.6) and frees codecs and timers. */
  close(): void {
    if (this.closed) return;
    const now = this.options.clock.nowUs();
    this.sendRtcp(now, true);
    this.closed = true;
    this.rtcpTimer?.cancel();
    this.wakeTimer?.cancel();
    this.pacerTimer?.cancel();
    this.bandwidthTimer?.cancel();
    this.videoSend?.close();
    this.audioSend?.close();
    this.videoReceive?.close();
    this.audioReceive?.close();
  }

  private transmit(packets: RtpPacket[], nowUs: number, encodeUs: number): void {
    if (packets.length === 0) return;
    packets = packets.slice(); // the send stream reuses its array for the next frame
    const send = (atUs: number): void => {
      for (const p of packets) this.sendPacket(p, this.kindOf(p), atUs);
    };
    // On the virtual clock, encoding took no simulated time: the packets leave as late as it
    // took, and one encoder works on one frame at a time (a frame waits for the previous one).
    if (this.options.addProcessingTime !== false && encodeUs > 0) {
      const ssrc = packets[0]!.ssrc;
      const startUs = Math.max(nowUs, this.encoderFreeAtUs.get(ssrc) ?? 0);
      this.encoderFreeAtUs.set(ssrc, startUs + encodeUs);
      this.options.clock.at(startUs + encodeUs, send);
    } else {
      send(nowUs);
    }
  }

  private kindOf(p: RtpPacket): PacketKind {
    if (p.ssrc === this.options.send.audio?.ssrc) return "audio";
    // An ULPFEC packet inside RED (RFC 2198: the block's payload type is ULPFEC's).
    if (p.payloadType === VIDEO_RED_PAYLOAD_TYPE && ((p.payload[0] ?? 0) & 0x7f) === ULPFEC_PAYLOAD_TYPE) return "fec";
    return "video";
  }

  /** Through the pacer when adaptive bitrate is on (audio and RTX first), else straight out. */
  private sendPacket(p: RtpPacket, kind: PacketKind, nowUs: number): void {
    if (this.closed) return;
    if (!this.pacer) return this.emit(p, kind, nowUs, -1);
    // Wire size: the packet, its transport-cc element (8 bytes with the block header), the tag.
    const size = p.byteLength + (p.getExtension(TRANSPORT_CC_EXTENSION_ID) ? 0 : 8) + this.srtpTx.rtpOverheadBytes;
    this.pacer.enqueue(p, kind, size, nowUs);
    this.runPacer(nowUs);
  }

  /** Sends what the pacer has due and sleeps until its next packet is. */
  private runPacer(nowUs: number): void {
    const pacer = this.pacer!;
    pacer.tick(nowUs);
    const next = pacer.nextDueUs(nowUs);
    if (!Number.isFinite(next) || next >= this.pacerAtUs) return;
    this.pacerTimer?.cancel();
    this.pacerAtUs = next;
    this.pacerTimer = this.options.clock.at(Math.max(next, nowUs + 1), (t) => {
      this.pacerAtUs = Infinity;
      this.pacerTimer = undefined;
      if (!this.closed) this.runPacer(t);
    });
  }

  private pacerQueueUs(nowUs: number): number {
    return this.pacer ? this.pacer.queueStats(nowUs).expectedQueueTimeUs : 0;
  }

  /**
   * Puts one RTP packet on the wire: stamps its transport-wide sequence number (the order
   * packets leave, draft-holmer-rmcat-transport-wide-cc-extensions-01 section 2), protects it
   * and records it for TWCC, NACK history, RTCP and metrics.
   */
  private emit(p: RtpPacket, kind: PacketKind, nowUs: number, probeClusterId: number): void {
    if (this.closed) return;
    const seq = this.transportSequence;
    if (this.bandwidth) {
      TransportWideSequenceNumber.write(p, TRANSPORT_CC_EXTENSION_ID, seq & 0xffff);
      this.transportSequence++;
    }
    const wire = this.protect(p);
    const bytes = wire.length;
    this.options.transport.send(wire, nowUs);
    this.counters.wireOutBytes += bytes;
    this.bandwidth?.onPacketSent({ sequenceNumber: seq, sendTimeUs: nowUs, sizeBytes: bytes, probeClusterId, isAudio: kind === "audio" });
    if (kind === "retransmission") {
      this.counters.rtxOut++;
      this.counters.rtxOutBytes += bytes;
    } else if (kind === "padding") {
      this.counters.paddingOut++;
      this.counters.paddingOutBytes += bytes;
    } else {
      this.counters.rtpOut++;
      this.counters.mediaOutBytes += bytes;
      if (p.ssrc === this.options.send.video?.ssrc) this.nackResponder?.onPacketSent(p, nowUs);
      this.rtcp.onRtpSent(p, nowUs);
      this.onRtpSent(p, bytes, nowUs);
    }
  }

  /** Padding for probes and ramp-up: padding-only packets on RTX (none without RTX). */
  private paddingPackets(sizeBytes: number): { item: RtpPacket; sizeBytes: number }[] {
    const out: { item: RtpPacket; sizeBytes: number }[] = [];
    const overhead = 12 + 8 + this.srtpTx.rtpOverheadBytes;
    for (let left = sizeBytes; left > 0 && out.length < 16; ) {
      const p = this.nackResponder?.paddingPacket(Math.min(255, left - overhead));
      if (!p) break;
      const size = p.byteLength + 8 + this.srtpTx.rtpOverheadBytes;
      out.push({ item: p, sizeBytes: size });
      left -= size;
    }
    return out;
  }

  private onTransportFeedback(fb: TransportFeedback, nowUs: number): void {
    if (!this.bandwidth || this.closed) return;
    const d = this.bandwidth.onTransportFeedback(fb, nowUs, this.pacerQueueUs(nowUs));
    if (d) this.applyAdaptation(d, nowUs);
  }

  /** RTCP RR loss and RTT into the estimate (libwebrtc's loss-based input). */
  private onReceiverReports(nowUs: number): void {
    if (!this.bandwidth) return;
    // Loss over all our media streams since their previous reports (RFC 3550 6.4.1, A.3).
    let expected = 0;
    let lost = 0;
    for (const ssrc of [this.options.send.video?.ssrc, this.options.send.audio?.ssrc]) {
      const r = ssrc === undefined ? undefined : this.rtcp.remote.get(ssrc);
      if (!r) continue;
      const prev = this.lastReportedHighest.get(ssrc!);
      this.lastReportedHighest.set(ssrc!, r.extendedHighestSequenceNumber);
      const n = prev === undefined ? 0 : r.extendedHighestSequenceNumber - prev;
      if (n <= 0 || n > 1_000_000) continue;
      expected += n;
      lost += r.fractionLost * n;
    }
    if (expected === 0) return;
    const d = this.bandwidth.onReceiverReport(lost / expected, this.rtcp.lastRttUs / 1000, nowUs, this.pacerQueueUs(nowUs), expected);
    if (d) this.applyAdaptation(d, nowUs);
  }

  /** Sets the pacer, the Opus bitrate, and the video encoder's rate, frame rate and size. */
  private applyAdaptation(d: AdaptationDecision, nowUs: number): void {
    this.pacer?.applyNetworkUpdate(d.network, nowUs);
    this.nackResponder?.setRateCapBps(d.network.targetRateBps);
    // The allocator's next split counts the audio RED copies the loss path chose.
    if (this.bandwidth && this.audioSend?.wrapper instanceof RedAudioEncoder) this.bandwidth.audioRedCopies = this.audioSend.wrapper.redundancy;
    const audio = this.audioSend?.encoder;
    const a = d.allocation.audioBitrateBps;
    if (audio && Math.abs(audio.current.bitrateBps - a) >= 1_000) audio.setBitrate(a);
    const v = d.video;
    const video = this.videoSend;
    if (v && video) {
      if (video.formatAdapter instanceof VideoFormatAdapter) video.formatAdapter.setFormat({ width: v.width, height: v.height, fps: v.fps, paused: v.paused });
      const bps = Math.max(10_000, Math.round(v.bitrateBps));
      // libvpx lowers Q on every rate change and raises it a step per frame, so changes come at
      // most every 250 ms, except a cut of 20% or more, which goes in at once (VpxEncoder then
      // holds Q up for it).
      const cur = video.encoder.bitrateBps;
      const due = nowUs - this.lastEncoderRateUs >= ENCODER_RATE_SPACING_US && Math.abs(cur - bps) > 0.03 * bps;
      if (!v.paused && (due || bps < 0.8 * cur)) {
        video.encoder.setBitrate(bps);
        this.lastEncoderRateUs = nowUs;
      }
      // The frame dropper holds the encoder to the rate it was given.
      this.bandwidth?.frameDropper?.setTargetRate(v.paused ? 0 : video.encoder.bitrateBps, nowUs);
      if (video.encoder.fps !== v.fps) video.encoder.setFrameRate(v.fps);
    }
    // With adaptive bitrate the transport feedback's loss and RTT come every ~100 ms, not ~1 s.
    if (d.network.limitedBy !== "start") this.adaptTemporalLayers(nowUs, d.network.lossFraction, d.network.rttMs);
    if (this.pacer) this.runPacer(nowUs);
  }

  /** Sends TWCC feedback that is due, each in its own reduced-size SRTCP packet (RFC 5506). */
  private sendTransportFeedback(nowUs: number): void {
    const gen = this.transportFeedback;
    if (!gen) return;
    for (const fb of gen.tick(nowUs)) {
      this.options.transport.send(this.srtpTx.protectRtcp(fb.serialize()), nowUs);
      this.counters.twccOut++;
    }
  }

  /** The receive rate sets how often TWCC feedback goes out (about 5% of it, 50-250 ms). */
  private countReceived(bytes: number, nowUs: number): void {
    if (Number.isNaN(this.receivedBytesSinceUs)) this.receivedBytesSinceUs = nowUs;
    this.receivedBytes += bytes;
    const spanUs = nowUs - this.receivedBytesSinceUs;
    if (spanUs >= 500_000) {
      this.transportFeedback?.setBitrate((this.receivedBytes * 8e6) / spanUs);
      this.receivedBytes = 0;
      this.receivedBytesSinceUs = nowUs;
    }
  }

  /**
   * Serializes into a reused buffer and protects (RFC 3711). The result is a view into the SRTP
   * session's reused slab: copy it if it is kept past the next protect.
   */
  private protect(packet: RtpPacket): Uint8Array {
    const n = packet.serializeInto(this.plainScratch, 0);
    return this.srtpTx.protectRtp(this.plainScratch.subarray(0, n));
  }

  private onDatagram(data: Uint8Array, nowUs: number): void {
    if (this.closed) return;
    this.counters.datagramsIn++;
    try {
      if (isRtcpPacket(data)) {
        const plain = this.srtpRx.unprotectRtcp(data);
        this.counters.rtcpIn++;
        const blocksBefore = this.rtcp.reportBlocksReceived;
        // TWCC feedback comes alone, as reduced-size RTCP (RFC 5506 3.4.2).
        this.rtcp.onRtcp(RtcpCompoundPacket.parse(plain, { reducedSize: true }), nowUs);
        // Adapt to each new report once (not again for a repeated copy, nor for feedback alone).
        if (this.rtcp.reportBlocksReceived !== blocksBefore) {
          this.adaptAudioFec();
          this.adaptVideoFec();
          if (!this.bandwidth) this.adaptTemporalLayers(nowUs);
          const videoReport = this.options.send.video && this.rtcp.remote.get(this.options.send.video.ssrc);
          if (videoReport) this.nackResponder?.onLossReport(videoReport.fractionLost);
          this.onReceiverReports(nowUs);
        }
      } else {
        const plain = this.srtpRx.unprotectRtp(data);
        let packet = RtpPacket.parse(plain);
        let retransmitted = false;
        this.counters.rtpIn++;
        if (this.transportFeedback) {
          // Read before RTX restores the original (whose element is the first send's number).
          const seq = TransportWideSequenceNumber.read(packet, TRANSPORT_CC_EXTENSION_ID);
          if (seq !== undefined) this.transportFeedback.onPacketReceived(seq, nowUs);
          this.countReceived(data.length, nowUs);
        }
        if (packet.payload.length === 0 && packet.paddingLength > 0) {
          this.counters.paddingIn++; // probing/ramp-up padding: only its arrival time matters
          return;
        }
        if (this.rtxReceiver?.isRtxSsrc(packet.ssrc)) {
          // A retransmission (RFC 4588 4): restore the original packet, then treat it as media.
          const original = this.rtxReceiver.push(packet);
          if (!original) {
            this.counters.rtxDropped++;
            return;
          }
          this.counters.rtxIn++;
          packet = original;
          retransmitted = true;
        } else {
          this.rtcp.onRtpReceived(packet, nowUs);
        }
        if (this.fecDecoder && packet.payloadType === VIDEO_RED_PAYLOAD_TYPE) {
          this.remoteVideoSsrc = packet.ssrc;
          if (!retransmitted) this.checkVideoOutage(packet, nowUs);
          this.nackGenerator?.received(packet.sequenceNumber, nowUs);
          // An ULPFEC packet takes a sequence number in the media stream (RFC 5109 10.2): tell
          // the frame assembler with an empty placeholder, so it is not taken for a lost packet.
          if (((packet.payload[0] ?? 0) & 0x7f) === ULPFEC_PAYLOAD_TYPE) {
            this.videoReceive!.push(new RtpPacket({ payloadType: PAYLOAD_TYPES[this.options.receive.video!], sequenceNumber: packet.sequenceNumber, timestamp: packet.timestamp, ssrc: packet.ssrc }), nowUs, true);
          }
          this.decodingRetransmission = retransmitted;
          this.fecDecoder.push(packet, nowUs);
          this.decodingRetransmission = false;
        } else if (this.videoReceive && packet.payloadType === PAYLOAD_TYPES[this.options.receive.video!]) {
          this.remoteVideoSsrc = packet.ssrc;
          if (!retransmitted) this.checkVideoOutage(packet, nowUs);
          this.nackGenerator?.received(packet.sequenceNumber, nowUs);
          this.videoReceive.push(packet, nowUs, retransmitted);
        }
        else if (this.redDecoder && packet.payloadType === AUDIO_RED_PAYLOAD_TYPE) this.redDecoder.push(packet, nowUs);
        else if (this.audioReceive && packet.payloadType === PAYLOAD_TYPES.opus) this.audioReceive.push(packet, nowUs);
        else this.counters.unknownPayloadType++;
      }
    } catch (err) {
      if (!(err instanceof RtcpipeError)) throw err;
      if (err.code === "ERR_MALFORMED_PACKET") this.counters.malformedDropped++;
      else this.counters.srtpDropped++;
    }
    this.wake(nowUs);
    this.requestKeyframeIfNeeded(nowUs);
  }

  /**
   * Tells the Opus encoder how much loss to expect (the receiver's RTCP fraction lost, RFC 3550
   * 6.4.1), so its in-band FEC spends bits on LBRR only when the path loses packets.
   */
  private adaptAudioFec(): void {
    const audio = this.options.send.audio;
    if (!audio?.inbandFec || !this.audioSend) return;
    const report = this.rtcp.remote.get(audio.ssrc);
    if (!report) return;
    const pct = Math.min(30, Math.round(report.fractionLost * 100));
    // Rise at once, fall slowly (one point per report), so one clean second does not drop FEC.
    this.audioLossPct = pct >= this.audioLossPct ? pct : Math.max(pct, this.audioLossPct - 1);
    this.audioSend.encoder.setExpectedLossPct(this.audioLossPct);
    // RED repeats the previous frame from 2% loss, the previous two from 8% (RFC 2198).
    if (this.audioSend.wrapper instanceof RedAudioEncoder) {
      this.audioSend.wrapper.setDistance(this.audioLossPct < 2 ? 0 : this.audioLossPct < 8 ? 1 : 2);
    }
  }

  /**
   * Sets the video FEC level from the loss the receiver reports and the RTT (more parity as
   * loss rises, none on a clean path, less when NACK can recover in time).
   */
  private adaptVideoFec(): void {
    const video = this.options.send.video;
    if (!video?.fec || !(this.videoSend?.wrapper instanceof FecEncoder)) return;
    const report = this.rtcp.remote.get(video.ssrc);
    if (!report) return;
    const decision = this.fecController.update(report.fractionLost, this.rttUs() / 1000);
    this.videoSend.wrapper.setProtection(decision);
  }

  /**
   * Two temporal layers while the path loses packets and a retransmission cannot be waited
   * for (TemporalLayerPolicy); one otherwise. Switches without a keyframe.
   */
  private adaptTemporalLayers(nowUs: number, lossFraction?: number, rttMs?: number): void {
    const video = this.options.send.video;
    if (!video || !this.layerPolicy || !this.videoSend) return;
    if (lossFraction === undefined || rttMs === undefined) {
      // Without adaptive bitrate: the receiver's RTCP reports.
      const report = this.rtcp.remote.get(video.ssrc);
      if (!report || !Number.isFinite(this.rtcp.lastRttUs)) return;
      lossFraction = report.fractionLost;
      rttMs = this.rtcp.lastRttUs / 1000;
    }
    this.videoSend.encoder.setTemporalLayers(this.layerPolicy.update(lossFraction, rttMs, nowUs));
  }

  /** The RTT measured by RTCP, or 100 ms before the first report. */
  private rttUs(): number {
    return Number.isFinite(this.rtcp.lastRttUs) ? this.rtcp.lastRttUs : 100_000;
  }

  /**
   * Asks for the video packets found missing (RFC 4585 6.2.1 Generic NACK), and gives the
   * reorder buffer one round trip (plus margin) to get them back before it gives a gap up.
   */
  private sendNacks(nowUs: number): void {
    const gen = this.nackGenerator;
    if (!gen || this.remoteVideoSsrc === undefined) return;
    const rtt = this.rttUs();
    // Reordered packets are not lost: NACK only after the lateness reordering shows on this path.
    const reorderUs = this.videoReceive?.reorder.reorderLatenessUs ?? 0;
    gen.setReorderAllowanceUs(Math.min(100_000, Math.max(10_000, 1.5 * reorderUs)));
    // Long enough for a NACK, its RTX, and two retries if the first RTXs are lost too: a
    // retransmission in time costs a short stall, giving up costs a PLI and a keyframe, 500-650 ms
    // of freeze on the bursty trace with 2.2 RTT (at 320x240 over 6 seeds the longest freeze
    // fell from 667 to 333 ms; at 640x480 random 10% froze 0.31% of the call instead of 1.18%).
    this.videoReceive?.reorder.setWaitBounds(Math.min(600_000, 3.2 * rtt + 30_000), 800_000);
    this.videoReceive?.setRoundTripUs(rtt);
    const r = gen.tick(nowUs, rtt);
    if (r.sequenceNumbers.length > 0) {
      // On a lossy path the generator asks for two copies: a lost NACK costs a round trip.
      this.sendRtcp(nowUs, false, [], [GenericNack.fromSequenceNumbers(this.rtcp.fallbackSsrc, this.remoteVideoSsrc, r.sequenceNumbers)], r.copies);
      this.recentNackUs.push(nowUs);
    }
    // While losses keep needing retransmission (3+ NACK rounds in 10 s), play video one RTT
    // later so recovered frames are in time instead of each one causing a stall.
    while (this.recentNackUs.length > 0 && nowUs - this.recentNackUs[0]! > 10_000_000) this.recentNackUs.shift();
    // Within the latency budget: one-way (RTT / 2) + jitter delay + this wait stays under it,
    // so on a long path (3G, RTT ~250 ms) a retransmitted frame is shown late instead of every
    // frame waiting for it, and when a full queue has made the RTT seconds long there is no
    // wait at all (no retransmission would be in time; it would only stall the picture).
    const playout = this.videoReceive?.playout;
    if (playout) {
      const wanted = this.recentNackUs.length >= 3 ? rtt + 20_000 : 0;
      playout.setExtraDelayUs(Math.max(0, Math.min(wanted, VIDEO_LATENCY_BUDGET_US - rtt / 2 - playout.jitterDelayUs)));
      playout.setDelayBudgetUs(Math.max(MIN_VIDEO_DELAY_BUDGET_US, VIDEO_LATENCY_BUDGET_US - rtt / 2));
    }
  }

  /** Retransmits what a NACK asks for, on the RTX stream (RFC 4588), within the responder's limits. */
  private onNack(nack: GenericNack, nowUs: number): void {
    if (!this.nackResponder || this.closed) return;
    const copies: RtpPacket[] = [];
    for (const p of this.nackResponder.onNack(nack, nowUs, this.rttUs(), copies)) this.sendPacket(p, "retransmission", nowUs);
    // Second copies (lossy path) 20 ms later, out of a loss burst that may take the first. Only
    // at fixed rates: with adaptive bitrate the loss may be a bottleneck's drops, which copies
    // would feed, and the estimate does not budget them.
    if (copies.length > 0 && !this.bandwidth) this.options.clock.at(nowUs + SECOND_COPY_DELAY_US, (t) => copies.forEach((p) => this.sendPacket(p, "retransmission", t)));
  }

  /**
   * Sends a PLI (RFC 4585 6.3.1) while the video receiver waits for a keyframe, at most once
   * per max(200 ms, 1.5 x RTT) so a request in flight is not repeated before it can be answered.
   */
  private requestKeyframeIfNeeded(nowUs: number): void {
    if (!this.videoReceive?.needsKeyframe || this.remoteVideoSsrc === undefined) return;
    const rttUs = Number.isFinite(this.rtcp.lastRttUs) ? this.rtcp.lastRttUs : 0;
    if (nowUs - this.lastPliUs < Math.max(200_000, 1.5 * rttUs)) return;
    this.lastPliUs = nowUs;
    this.sendRtcp(nowUs, false, [this.remoteVideoSsrc]);
  }

  /** The remote asked for a keyframe; at most one per 250 ms so a PLI storm cannot flood the link. */
  private onPictureLoss(nowUs: number): void {
    if (!this.videoSend || nowUs - this.lastKeyframeRequestUs < 250_000) return;
    this.lastKeyframeRequestUs = nowUs;
    this.videoSend.encoder.requestKeyframe();
  }

  /**
   * A jump of more than 500 ms of video between consecutive packets is an outage, not loss:
   * retransmitting seconds of old packets cannot help, only a keyframe can. Stop waiting and
   * NACKing for what is missing and ask for a keyframe at once.
   */
  private checkVideoOutage(packet: RtpPacket, nowUs: number): void {
    const last = this.lastVideoTimestamp;
    this.lastVideoTimestamp = packet.timestamp;
    if (last === undefined || timestampDiff(packet.timestamp, last) <= 45_000) return;
    this.counters.outages++;
    this.nackGenerator?.clearOlderThan(packet.sequenceNumber);
    this.videoReceive?.reorder.abandonBefore(packet.sequenceNumber, nowUs);
    this.lastPliUs = -Infinity;
  }

  /** Runs the receive streams' time-driven work and sleeps until the next thing is due. */
  private wake(nowUs: number): void {
    this.fecDecoder?.tick(nowUs);
    this.videoReceive?.tick(nowUs);
    this.audioReceive?.tick(nowUs);
    this.sendNacks(nowUs);
    this.sendTransportFeedback(nowUs);
    let next = Infinity;
    const rtt = this.rttUs();
    for (const t of [this.videoReceive?.nextDueUs(), this.audioReceive?.nextDueUs(), this.nackGenerator?.nextDueUs(rtt), this.transportFeedback?.nextFeedbackUs]) {
      if (t !== undefined && Number.isFinite(t)) next = Math.min(next, t);
    }
    if (next <= nowUs) next = nowUs + 1000;
    if (next === Infinity || next >= this.wakeAtUs) return;
    this.wakeTimer?.cancel();
    this.wakeAtUs = next;
    this.wakeTimer = this.options.clock.at(next, (t) => {
      this.wakeAtUs = Infinity;
      this.wakeTimer = undefined;
      if (!this.closed) this.wake(t);
    });
  }

  private scheduleRtcp(nowUs: number, factor: number): void {
    this.rtcpTimer = this.options.clock.at(nowUs + this.rtcpIntervalUs * factor, (t) => {
      if (this.closed) return;
      this.sendRtcp(t, false);
      this.scheduleRtcp(t, 0.5 + this.rng.next());
    });
  }

  /**
   * Sends one compound report; with `copies` 2 the same report goes again 20 ms later (its own
   * SRTCP index), out of a loss burst that may take the first.
   */
  private sendRtcp(nowUs: number, goodbye: boolean, pictureLossFor: readonly number[] = [], nacks: readonly GenericNack[] = [], copies = 1): void {
    const compound = this.rtcp.buildReport(nowUs, goodbye, pictureLossFor, nacks);
    const send = (atUs: number): void => {
      this.options.transport.send(this.srtpTx.protectRtcp(compound), atUs);
      this.counters.rtcpOut++;
    };
    send(nowUs);
    if (copies > 1) this.options.clock.at(nowUs + SECOND_COPY_DELAY_US, (t) => void (this.closed || send(t)));
  }
}
