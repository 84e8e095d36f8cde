import { VpxEncoder } from "../codec/vpx-encoder.js";
import type { VideoFrame } from "../media/video-frame.js";
import { Packetizer } from "../rtp/packetizer.js";
import type { RtpPacket } from "../rtp/rtp-packet.js";
import type { SendConfig } from "./stream-config.js";
import { PAYLOAD_TYPES } from "./stream-config.js";

/**
 * The video send path up to RTP: VpxEncoder → Packetizer. `sendFrame` returns the packets of
 * one frame (in a reused array) and the encode time, so the owner can protect them and put
 * them on the wire at capture time + encode time.
 */
export class VideoSendStream {
  private readonly packets: RtpPacket[] = [];
  private constructor(
    readonly encoder: VpxEncoder,
    readonly packetizer: Packetizer,
  ) {
    encoder.pipe(packetizer);
    packetizer.pipe({ push: (p: RtpPacket) => void this.packets.push(p) });
  }

  static async create(config: NonNullable<SendConfig["video"]>, mtuBytes: number, srtpOverheadBytes: number, initialSequenceNumber: number): Promise<VideoSendStream> {
    const encoder = await VpxEncoder.create({
      codec: config.codec,
      width: config.width,
      height: config.height,
      fps: config.fps,
      bitrateBps: config.bitrateBps,
      keyframeIntervalFrames: config.keyframeIntervalFrames,
    });
    const packetizer = new Packetizer({
      codec: config.codec,
      payloadType: PAYLOAD_TYPES[config.codec],
      ssrc: config.ssrc,
      mtuBytes,
      srtpOverheadBytes,
      initialSequenceNumber,
    });
    return new VideoSendStream(encoder, packetizer);
  }

  /** Encodes and packetizes one frame; the returned array is reused by the next call. */
  sendFrame(frame: VideoFrame, nowUs: number): { packets: RtpPacket[]; encodeUs: number } {
    this.packets.length = 0;
    const t0 = performance.now();
    this.encoder.push(frame, nowUs);
    const encodeUs = Math.round((performance.now() - t0) * 1000);
    return { packets: this.packets, encodeUs };
  }

  stats(): Record<string, number> {
    const s: Record<string, number> = {};
    for (const [k, v] of Object.entries(this.encoder.stats())) s[`encoder.${k}`] = v;
    for (const [k, v] of Object.entries(this.packetizer.stats())) s[`packetizer.${k}`] = v;
    return s;
  }

  close(): void {
    this.encoder.close();
  }
}
