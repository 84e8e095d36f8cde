/**
 * RtpSender: the send half of one one-way RTP stream (`rtcpipe send`): compressed frames in,
 * RTP (or SRTP, RFC 3711) datagrams out, plus RTCP (RFC 3550 6): a compound SR + SDES CNAME
 * every `rtcpIntervalMs`, and SR + SDES + BYE when the stream ends. Time comes in as
 * arguments (`nowUs` on the stage clock, `wallTimeUs` for the NTP timestamp of the SR).
 */
import type { CodecName, EncodedFrame } from "../codec/encoded-frame.js";
import { checkInt, checkRange, InvalidOptionError } from "../errors.js";
import { Goodbye } from "../rtcp/goodbye.js";
import { RtcpCompoundPacket } from "../rtcp/rtcp-compound-packet.js";
import { SenderStatistics } from "../rtcp/sender-statistics.js";
import { SourceDescription } from "../rtcp/source-description.js";
import { Packetizer } from "../rtp/packetizer.js";
import type { RtpPacket } from "../rtp/rtp-packet.js";
import { rtpClockRate } from "../sdp/rtp-stream-description.js";
import { SrtpSession } from "../srtp/srtp-session.js";
import type { SrtpSuiteName } from "../srtp/srtp-suite.js";

/** Where datagrams go (a UdpTransport, an emulated link, a test array). */
export interface DatagramSink {
  send(data: Uint8Array, nowUs: number): void;
}

export interface RtpSenderOptions {
  codec: CodecName;
  /** 0-127; dynamic 96-127. */
  payloadType: number;
  ssrc: number;
  /** RTCP SDES CNAME (RFC 3550 6.5.1). Default "rtcpipe". */
  cname?: string;
  /** Where RTP goes. */
  rtp: DatagramSink;
  /** Where RTCP goes (the receiver's RTP port + 1 by convention). Omit to send no RTCP. */
  rtcp?: DatagramSink;
  /** SDES-keyed SRTP; omit for plain RTP. */
  srtp?: { suite: SrtpSuiteName; masterKey: Uint8Array; masterSalt: Uint8Array };
  /** Largest RTP packet before the SRTP tag. Default 1200. */
  mtuBytes?: number;
  /** First sequence number, 0-65535 (RFC 3550 5.1: random). Default 0. */
  initialSequenceNumber?: number;
  /** Added to every frame's RTP timestamp, 0..2^32-1 (RFC 3550 5.1: random). Default 0. */
  timestampOffset?: number;
  /** Seconds between RTCP reports, 0.1..60. Default 1 (short interop clips want early SRs). */
  rtcpIntervalS?: number;
  /**
   * VP9 payload descriptor (RFC 9628 4.2): "flexible" (F=1, P_DIFF references) or "simple"
   * (non-flexible mode without layer indices: I, P, B, E, V only, as GStreamer's rtpvp9pay
   * sends it). ffmpeg 5.1 implements draft-02 of the format and cannot skip the P_DIFF octets
   * of flexible mode, so "simple" is the default.
   */
  vp9Mode?: "flexible" | "simple";
}

/** Counters of an RtpSender. */
export interface RtpSenderStats {
  [key: string]: number;
  framesSent: number;
  packetsSent: number;
  /** RTP payload bytes (RFC 3550 octet count). */
  payloadBytesSent: number;
  /** Datagram bytes handed to the transport, RTCP included. */
  bytesSent: number;
  rtcpPacketsSent: number;
  byeSent: number;
}

export class RtpSender {
  readonly codec: CodecName;
  readonly ssrc: number;
  readonly payloadType: number;
  readonly clockRateHz: number;
  private readonly packetizer: Packetizer;
  private readonly srtp: SrtpSession | undefined;
  private readonly statistics: SenderStatistics;
  private readonly rtpSink: DatagramSink;
  private readonly rtcpSink: DatagramSink | undefined;
  private readonly cname: string;
  private readonly timestampOffset: number;
  private readonly rtcpIntervalUs: number;
  private readonly buf = new Uint8Array(65_536);
  private readonly vp9Simple: boolean;
  private nextRtcpUs = NaN;
  private ended = false;
  private readonly counters: RtpSenderStats = { framesSent: 0, packetsSent: 0, payloadBytesSent: 0, bytesSent: 0, rtcpPacketsSent: 0, byeSent: 0 };

  constructor(options: RtpSenderOptions) {
    if (options === null || typeof options !== "object") throw new InvalidOptionError("Cannot create an RtpSender: options must be an object");
    if (!options.rtp || typeof options.rtp.send !== "function") throw new InvalidOptionError("Cannot create an RtpSender: rtp must have a send(data, nowUs) method");
    this.codec = options.codec;
    this.ssrc = checkInt("ssrc", options.ssrc, 0, 0xffffffff);
    this.payloadType = checkInt("payloadType", options.payloadType, 0, 127);
    this.cname = options.cname ?? "rtcpipe";
    if (new TextEncoder().encode(this.cname).length > 255) throw new InvalidOptionError("Cannot use cname: allowed is at most 255 bytes");
    this.timestampOffset = checkInt("timestampOffset", options.timestampOffset ?? 0, 0, 0xffffffff);
    this.rtcpIntervalUs = checkRange("rtcpIntervalS", options.rtcpIntervalS ?? 1, 0.1, 60) * 1e6;
    this.srtp = options.srtp ? new SrtpSession({ suite: options.srtp.suite, masterKey: options.srtp.masterKey, masterSalt: options.srtp.masterSalt }) : undefined;
    this.packetizer = new Packetizer({
      codec: options.codec,
      payloadType: this.payloadType,
      ssrc: this.ssrc,
      mtuBytes: options.mtuBytes ?? 1200,
      srtpOverheadBytes: this.srtp ? this.srtp.rtpOverheadBytes : 0,
      initialSequenceNumber: options.initialSequenceNumber ?? 0,
    });
    this.vp9Simple = options.codec === "vp9" && (options.vp9Mode ?? "simple") === "simple";
    if (options.vp9Mode !== undefined && options.vp9Mode !== "flexible" && options.vp9Mode !== "simple") {
      throw new InvalidOptionError(`Cannot use vp9Mode=${JSON.stringify(options.vp9Mode)}: allowed is flexible or simple`);
    }
    this.clockRateHz = rtpClockRate(options.codec);
    this.statistics = new SenderStatistics({ ssrc: this.ssrc, clockRateHz: this.clockRateHz });
    this.rtpSink = options.rtp;
    this.rtcpSink = options.rtcp;
    this.packetizer.pipe({ push: (p: RtpPacket, nowUs: number) => this.sendPacket(p, nowUs) });
  }

  /** Packetizes, protects and sends one frame. Its captureTimeUs (stage clock) anchors the SR. */
  sendFrame(frame: EncodedFrame, nowUs: number): void {
    if (this.ended) return;
    if (frame.codec !== this.codec) throw new InvalidOptionError(`Cannot send a ${frame.codec} frame on a ${this.codec} stream`);
    const ts = (frame.rtpTimestamp + this.timestampOffset) % 4294967296;
    const shifted: EncodedFrame = ts === frame.rtpTimestamp ? frame : { ...frame, rtpTimestamp: ts };
    if (Number.isFinite(frame.captureTimeUs)) this.statistics.setTimestampReference(ts, frame.captureTimeUs);
    this.packetizer.push(shifted, nowUs);
    this.counters.framesSent++;
    if (Number.isNaN(this.nextRtcpUs)) this.nextRtcpUs = nowUs; // first SR right after the first frame
  }

  /** Sends an SR + SDES when one is due. Call often (each frame is fine). */
  tick(nowUs: number, wallTimeUs: number): void {
    if (this.ended || this.rtcpSink === undefined || Number.isNaN(this.nextRtcpUs) || nowUs < this.nextRtcpUs) return;
    this.sendReport(nowUs, wallTimeUs);
    this.nextRtcpUs = nowUs + this.rtcpIntervalUs;
  }

  /** Sends a compound SR + SDES CNAME now. */
  sendReport(nowUs: number, wallTimeUs: number): void {
    this.sendRtcp([this.statistics.buildSenderReport(nowUs, wallTimeUs), SourceDescription.withCname(this.ssrc, this.cname)], nowUs);
  }

  /** Ends the stream: SR + SDES + BYE (RFC 3550 6.6). Further frames are ignored. Idempotent. */
  end(nowUs: number, wallTimeUs: number, reason?: string): void {
    if (this.ended) return;
    this.ended = true;
    this.counters.byeSent++;
    this.sendRtcp(
      [this.statistics.buildSenderReport(nowUs, wallTimeUs), SourceDescription.withCname(this.ssrc, this.cname), new Goodbye([this.ssrc], reason)],
      nowUs,
    );
  }

  stats(): RtpSenderStats {
    return { ...this.counters };
  }

  private sendPacket(p: RtpPacket, nowUs: number): void {
    if (this.vp9Simple) p.payload = flexibleToSimpleVp9(p.payload);
    const n = p.serializeInto(this.buf, 0);
    let out: Uint8Array = this.buf.subarray(0, n);
    if (this.srtp) out = this.srtp.protectRtp(out);
    this.rtpSink.send(out, nowUs);
    this.statistics.onPacketSent(p, nowUs);
    this.counters.packetsSent++;
    this.counters.payloadBytesSent += p.payload.length;
    this.counters.bytesSent += out.length;
  }

  private sendRtcp(packets: RtcpCompoundPacket["packets"], nowUs: number): void {
    if (this.rtcpSink === undefined) return;
    let bytes: Uint8Array = new RtcpCompoundPacket(packets).serialize();
    if (this.srtp) bytes = this.srtp.protectRtcp(bytes);
    this.rtcpSink.send(bytes, nowUs);
    this.counters.rtcpPacketsSent++;
    this.counters.bytesSent += bytes.length;
  }
}

/**
 * Rewrites a flexible-mode VP9 payload descriptor (RFC 9628 4.2: F=1, no layer indices) as a
 * non-flexible one without layer indices: clears F and drops the P_DIFF octets. Valid because
 * the packetizer's only reference is the previous picture, which is what non-flexible mode
 * without a picture group implies. Other payloads are returned unchanged.
 */
export function flexibleToSimpleVp9(payload: Uint8Array): Uint8Array {
  const b0 = payload[0];
  if (b0 === undefined || (b0 & 0x10) === 0 || (b0 & 0x20) !== 0) return payload;
  let o = 1;
  if (b0 & 0x80) o += (payload[1] ?? 0) & 0x80 ? 2 : 1;
  if ((b0 & 0x40) === 0) {
    const out = payload.slice();
    out[0] = b0 & ~0x10;
    return out;
  }
  let end = o;
  for (let i = 0; i < 3 && end < payload.length; i++) {
    const more = (payload[end]! & 1) !== 0;
    end++;
    if (!more) break;
  }
  const out = new Uint8Array(payload.length - (end - o));
  out.set(payload.subarray(0, o), 0);
  out[0] = b0 & ~0x10;
  out.set(payload.subarray(end), o);
  return out;
}
