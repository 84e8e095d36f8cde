/**
 * The Packetizer stage: EncodedFrame in, RtpPacket out (RFC 3550 5.1; payload formats
 * VP8 RFC 7741, VP9 RFC 9628, Opus RFC 7587).
 */
import type { CodecName, EncodedFrame } from "../codec/encoded-frame.js";
import { checkInt, checkOneOf, InvalidOptionError } from "../errors.js";
import { StageCore, type StageStats } from "../pipeline/stage.js";
import type { CodecPacketizer } from "./codec-payload-format.js";
import { OpusPacketizer } from "./opus-packetizer.js";
import { RtpPacket, RTP_FIXED_HEADER_BYTES } from "./rtp-packet.js";
import { Vp8Packetizer } from "./vp8-packetizer.js";
import { Vp9Packetizer, type Vp9Mode } from "./vp9-packetizer.js";

export interface PacketizerOptions {
  codec: CodecName;
  /** RTP payload type, 0-127 (dynamic types are 96-127). */
  payloadType: number;
  ssrc: number;
  /** Largest whole RTP packet before the SRTP tag is added. Default 1200. */
  mtuBytes?: number;
  /** Room kept free for SRTP (auth tag, MKI). Default 16. */
  srtpOverheadBytes?: number;
  /** Room kept free for header extensions added by later stages (TWCC, abs-send-time). Default 0. */
  headerExtensionBytes?: number;
  /** Sequence number of the first packet (RFC 3550 5.1 wants it random). Default 0. */
  initialSequenceNumber?: number;
  /** VP9 mode. Default "flexible". */
  vp9Mode?: Vp9Mode;
  /** PictureID width for VP8/VP9. Default 15. */
  pictureIdBits?: 7 | 15;
  /** PictureID of the first frame. Default 0. */
  initialPictureId?: number;
}

/**
 * Splits each frame into packets that fit the payload budget
 * `mtuBytes − 12 − headerExtensionBytes − srtpOverheadBytes`, sets the marker bit on the last
 * packet of a video frame (RFC 7741 4.1, RFC 9628 4.1) and on the first audio packet
 * (start of a talkspurt, RFC 3550 5.1 / RFC 7587 4.1); the RTP timestamp is the frame's.
 */
export class Packetizer extends StageCore<EncodedFrame, RtpPacket> {
  readonly name = "packetizer";
  readonly codec: CodecName;
  readonly payloadType: number;
  readonly ssrc: number;
  /** Largest RTP payload (descriptor included) this packetizer produces for video. */
  readonly maxPayloadBytes: number;
  private readonly format: CodecPacketizer;
  private sequenceNumber: number;
  private firstAudio = true;
  private packets = 0;
  private bytes = 0;
  private frames = 0;
  private packetsOversize = 0;

  constructor(options: PacketizerOptions) {
    super();
    this.codec = checkOneOf("codec", options.codec, ["vp8", "vp9", "opus"]);
    this.payloadType = checkInt("payloadType", options.payloadType, 0, 127);
    this.ssrc = checkInt("ssrc", options.ssrc, 0, 0xffffffff);
    const mtu = checkInt("mtuBytes", options.mtuBytes ?? 1200, 64, 65535);
    const srtp = checkInt("srtpOverheadBytes", options.srtpOverheadBytes ?? 16, 0, 64);
    const ext = checkInt("headerExtensionBytes", options.headerExtensionBytes ?? 0, 0, 1024);
    this.sequenceNumber = checkInt("initialSequenceNumber", options.initialSequenceNumber ?? 0, 0, 0xffff);
    const pictureIdBits = options.pictureIdBits ?? 15;
    const initialPictureId = options.initialPictureId ?? 0;
    if (this.codec === "vp8") this.format = new Vp8Packetizer({ pictureIdBits, initialPictureId });
    else if (this.codec === "vp9") this.format = new Vp9Packetizer({ mode: options.vp9Mode ?? "flexible", pictureIdBits, initialPictureId });
    else this.format = new OpusPacketizer();
    this.maxPayloadBytes = mtu - RTP_FIXED_HEADER_BYTES - ext - srtp;
    if (this.maxPayloadBytes <= this.format.maxDescriptorBytes) {
      throw new InvalidOptionError(`Cannot use mtuBytes=${mtu}: leaves ${this.maxPayloadBytes} payload bytes after headers, extensions and SRTP overhead`);
    }
  }

  /** Sequence number the next packet will carry. */
  get nextSequenceNumber(): number {
    return this.sequenceNumber;
  }

  push(frame: EncodedFrame, nowUs: number): void {
    const payloads = this.format.packetize(frame, this.maxPayloadBytes);
    const video = this.codec !== "opus";
    const last = payloads.length - 1;
    for (let i = 0; i <= last; i++) {
      const payload = payloads[i]!;
      const packet = new RtpPacket({
        marker: video ? i === last : this.firstAudio,
        payloadType: this.payloadType,
        sequenceNumber: this.sequenceNumber,
        timestamp: frame.rtpTimestamp,
        ssrc: this.ssrc,
        payload,
      });
      this.firstAudio = false;
      this.sequenceNumber = (this.sequenceNumber + 1) & 0xffff;
      this.packets++;
      this.bytes += RTP_FIXED_HEADER_BYTES + payload.length;
      // Opus packets are never split (RFC 7587 4.2); count those over the budget.
      if (payload.length > this.maxPayloadBytes) this.packetsOversize++;
      this.out.push(packet, nowUs);
    }
    this.frames++;
  }

  override stats(): StageStats {
    return { packets: this.packets, bytes: this.bytes, frames: this.frames, packetsOversize: this.packetsOversize };
  }
}
