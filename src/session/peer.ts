import type { EncodedFrame, VideoCodecName } from "../codec/encoded-frame.js";
import { RtcpipeError } from "../errors.js";
import type { AudioFrame } from "../media/audio-frame.js";
import type { VideoFrame } from "../media/video-frame.js";
import type { Transport } from "../net/transport.js";
import type { Clock, TimerHandle } from "../pipeline/clock.js";
import { RtcpCompoundPacket } from "../rtcp/rtcp-compound-packet.js";
import { RtpPacket } from "../rtp/rtp-packet.js";
import { SrtpSession } from "../srtp/srtp-session.js";
import type { SrtpSuiteName } from "../srtp/srtp-suite.js";
import { SeededRandom } from "../util/seeded-random.js";
import type { PlayoutSlot } from "../jitter/audio-playout-buffer.js";
import { AudioReceiveStream } from "./audio-receive-stream.js";
import { RtcpReporter } from "./rtcp-reporter.js";
import { isRtcpPacket } from "../srtp/is-rtcp-packet.js";
import { PAYLOAD_TYPES, type SendConfig } from "./stream-config.js";
import { VideoReceiveStream } from "./video-receive-stream.js";
import { SendStream } from "./send-stream.js";
import type { VpxEncoder } from "../codec/vpx-encoder.js";
import type { OpusEncoder } from "../codec/opus-encoder.js";

export interface SrtpKeys {
  masterKey: Uint8Array;
  masterSalt: Uint8Array;
}

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
  /** What the remote sends, so the matching receive paths exist. */
  receive: { video?: VideoCodecName; audio?: { channels: 1 | 2 } };
  srtp: { suite: SrtpSuiteName; send: SrtpKeys; receive: SrtpKeys };
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
  onAudioFrame: (frame: AudioFrame, playUs: number, slot: PlayoutSlot<RtpPacket>) => void = () => {};
  /** Called for every RTP packet put on the wire (after SRTP), for metrics. */
  onRtpSent: (packet: RtpPacket, bytes: number, nowUs: number) => void = () => {};

  readonly rtcp: RtcpReporter;
  private readonly srtpTx: SrtpSession;
  private readonly srtpRx: SrtpSession;
  private readonly rng: SeededRandom;
  private readonly rtcpIntervalUs: number;
  private rtcpTimer: TimerHandle | undefined;
  private wakeTimer: TimerHandle | undefined;
  private wakeAtUs = Infinity;
  private readonly encoderFreeAtUs = new Map<number, number>();
  private lastPliUs = -Infinity;
  private lastKeyframeRequestUs = -Infinity;
  private remoteVideoSsrc: number | undefined;
  private closed = false;
  private readonly counters = { datagramsIn: 0, rtpIn: 0, rtcpIn: 0, srtpDropped: 0, malformedDropped: 0, unknownPayloadType: 0, rtcpOut: 0, rtpOut: 0 };

  private constructor(
    private readonly options: PeerOptions,
    readonly videoSend: SendStream<VideoFrame, VpxEncoder> | undefined,
    readonly audioSend: SendStream<AudioFrame, OpusEncoder> | undefined,
    readonly videoReceive: VideoReceiveStream | undefined,
    readonly audioReceive: AudioReceiveStream | undefined,
  ) {
    this.rng = new SeededRandom(options.seed ?? 1);
    this.rtcpIntervalUs = (options.rtcpIntervalMs ?? 1000) * 1000;
    this.srtpTx = new SrtpSession({ suite: options.srtp.suite, ...options.srtp.send });
    this.srtpRx = new SrtpSession({ suite: options.srtp.suite, ...options.srtp.receive });
    const clockRateOf = (pt: number): number => (pt === PAYLOAD_TYPES.opus ? 48_000 : 90_000);
    const localSsrc = options.send.video?.ssrc ?? options.send.audio?.ssrc ?? this.rng.nextUint32();
    this.rtcp = new RtcpReporter(options.cname, options.wallClockUs, clockRateOf, localSsrc);
    if (options.send.video) this.rtcp.addSender(options.send.video.ssrc, 90_000);
    if (options.send.audio) this.rtcp.addSender(options.send.audio.ssrc, 48_000);
    if (videoReceive) videoReceive.onFrame = (f, t) => this.onVideoFrame(f, t);
    if (audioReceive) audioReceive.onFrame = (f, t, s) => this.onAudioFrame(f, t, s);
    options.transport.onReceive = (data, nowUs) => this.onDatagram(data, nowUs);
    this.rtcp.onPictureLoss = () => this.onPictureLoss(this.options.clock.nowUs());
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
    this.scheduleRtcp(this.options.clock.nowUs(), 0.1);
  }

  /** Encodes and sends one captured video frame. */
  sendVideo(frame: VideoFrame, nowUs: number): SendResult {
    if (!this.videoSend || this.closed) return { encodeUs: 0, rtpTimestamp: undefined };
    const { packets, encodeUs } = this.videoSend.sendFrame(frame, nowUs);
    const first = packets[0];
    if (first) this.rtcp.anchor(first.ssrc, first.timestamp, frame.captureTimeUs);
    this.transmit(packets, nowUs, encodeUs);
    return { encodeUs, rtpTimestamp: first?.timestamp };
  }

  sendAudio(frame: AudioFrame, nowUs: number): SendResult {
    if (!this.audioSend || this.closed) return { encodeUs: 0, rtpTimestamp: undefined };
    const { packets, encodeUs } = this.audioSend.sendFrame(frame, nowUs);
    const first = packets[0];
    if (first) this.rtcp.anchor(first.ssrc, first.timestamp, frame.captureTimeUs);
    this.transmit(packets, nowUs, encodeUs);
    return { encodeUs, rtpTimestamp: first?.timestamp };
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
    this.videoSend?.close();
    this.audioSend?.close();
    this.videoReceive?.close();
    this.audioReceive?.close();
  }

  private transmit(packets: RtpPacket[], nowUs: number, encodeUs: number): void {
    if (packets.length === 0) return;
    packets = packets.slice(); // the send stream reuses its array for the next frame
    // protectRtp returns a view into a reused slab: copy, since sending may come later.
    const wire = packets.map((p) => this.srtpTx.protectRtp(p.serialize()).slice());
    const send = (atUs: number): void => {
      if (this.closed) return;
      for (let i = 0; i < wire.length; i++) {
        this.options.transport.send(wire[i]!, atUs);
        this.counters.rtpOut++;
        this.rtcp.onRtpSent(packets[i]!, atUs);
        this.onRtpSent(packets[i]!, wire[i]!.length, atUs);
      }
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

  private onDatagram(data: Uint8Array, nowUs: number): void {
    if (this.closed) return;
    this.counters.datagramsIn++;
    try {
      if (isRtcpPacket(data)) {
        const plain = this.srtpRx.unprotectRtcp(data);
        this.counters.rtcpIn++;
        this.rtcp.onRtcp(RtcpCompoundPacket.parse(plain), nowUs);
      } else {
        const plain = this.srtpRx.unprotectRtp(data);
        const packet = RtpPacket.parse(plain);
        this.counters.rtpIn++;
        this.rtcp.onRtpReceived(packet, nowUs);
        if (this.videoReceive && packet.payloadType === PAYLOAD_TYPES[this.options.receive.video!]) {
          this.remoteVideoSsrc = packet.ssrc;
          this.videoReceive.push(packet, nowUs);
        }
        else if (this.audioReceive && packet.payloadType === PAYLOAD_TYPES.opus) this.audioReceive.push(packet, nowUs);
        else this.counters.unknownPayloadType++;
      }
    } catch (err) {
      if (!(err instanceof RtcpipeError)) throw err;
      if (process.env.RTCPIPE_DEBUG) console.error(err);
      if (err.code === "ERR_MALFORMED_PACKET") this.counters.malformedDropped++;
      else this.counters.srtpDropped++;
    }
    this.wake(nowUs);
    this.requestKeyframeIfNeeded(nowUs);
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

  /** Runs the receive streams' time-driven work and sleeps until the next thing is due. */
  private wake(nowUs: number): void {
    this.videoReceive?.tick(nowUs);
    this.audioReceive?.tick(nowUs);
    let next = Infinity;
    for (const t of [this.videoReceive?.nextDueUs(), this.audioReceive?.nextDueUs()]) if (t !== undefined) next = Math.min(next, t);
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

  private sendRtcp(nowUs: number, goodbye: boolean, pictureLossFor: readonly number[] = []): void {
    const compound = this.rtcp.buildReport(nowUs, goodbye, pictureLossFor);
    this.options.transport.send(this.srtpTx.protectRtcp(compound), nowUs);
    this.counters.rtcpOut++;
  }
}
