import { OpusEncoder } from "../codec/opus-encoder.js";
import type { AudioFrame } from "../media/audio-frame.js";
import { Packetizer } from "../rtp/packetizer.js";
import type { RtpPacket } from "../rtp/rtp-packet.js";
import type { SendConfig } from "./stream-config.js";
import { PAYLOAD_TYPES } from "./stream-config.js";

/** The audio send path up to RTP: OpusEncoder → Packetizer (RFC 7587: one frame per packet). */
export class AudioSendStream {
  private readonly packets: RtpPacket[] = [];
  private constructor(
    readonly encoder: OpusEncoder,
    readonly packetizer: Packetizer,
  ) {
    encoder.pipe(packetizer);
    packetizer.pipe({ push: (p: RtpPacket) => void this.packets.push(p) });
  }

  static async create(config: NonNullable<SendConfig["audio"]>, mtuBytes: number, srtpOverheadBytes: number, initialSequenceNumber: number): Promise<AudioSendStream> {
    const encoder = await OpusEncoder.create({
      channels: config.channels,
      bitrateBps: config.bitrateBps,
      dtx: config.dtx,
      inbandFec: config.inbandFec,
      complexity: config.complexity,
    });
    const packetizer = new Packetizer({
      codec: "opus",
      payloadType: PAYLOAD_TYPES.opus,
      ssrc: config.ssrc,
      mtuBytes,
      srtpOverheadBytes,
      initialSequenceNumber,
    });
    return new AudioSendStream(encoder, packetizer);
  }

  sendFrame(frame: AudioFrame, nowUs: number): { packets: RtpPacket[]; encodeUs: number } {
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
