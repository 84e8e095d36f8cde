import type { EncodedFrame } from "../codec/encoded-frame.js";
import { OpusEncoder } from "../codec/opus-encoder.js";
import { VpxEncoder } from "../codec/vpx-encoder.js";
import type { AudioFrame } from "../media/audio-frame.js";
import type { VideoFrame } from "../media/video-frame.js";
import type { Stage } from "../pipeline/stage.js";
import { Packetizer } from "../rtp/packetizer.js";
import type { RtpPacket } from "../rtp/rtp-packet.js";
import { AUDIO_RED_PAYLOAD_TYPE, PAYLOAD_TYPES, ULPFEC_PAYLOAD_TYPE, VIDEO_RED_PAYLOAD_TYPE, type SendConfig } from "./stream-config.js";
import { FecEncoder } from "../fec/fec-encoder.js";
import { RedAudioEncoder } from "../fec/red-audio-encoder.js";
import { VideoFormatAdapter } from "../media/video-format-adapter.js";
import { FrameDropGate } from "./frame-drop-gate.js";
import { OpusFramePacker } from "../codec/opus-frame-packer.js";

/**
 * One media kind's send path up to RTP: encoder → Packetizer. `sendFrame` returns the packets
 * of one frame (in a reused array) and the encode time, so the owner can protect them and put
 * them on the wire at capture time + encode time.
 */
export class SendStream<F, E extends Stage<F, EncodedFrame> = Stage<F, EncodedFrame>> {
  private readonly packets: RtpPacket[] = [];

  private readonly input: Stage<F, unknown>;
  private encodedTimestamp: number | undefined;

  private constructor(
    readonly encoder: E,
    readonly packetizer: Packetizer,
    /** An optional RTP-to-RTP stage after the packetizer (e.g. audio RED). */
    readonly wrapper?: Stage<RtpPacket, RtpPacket>,
    /** An optional frame stage before the encoder (video: the format bandwidth adaptation picks). */
    readonly formatAdapter?: Stage<F, F>,
    /** Video: between the format adapter and the encoder, the bandwidth adaptation's frame dropper. */
    readonly dropGate?: FrameDropGate,
    /** Audio: between the encoder and the packetizer, 20 or 60 ms of Opus per packet. */
    readonly framePacker?: OpusFramePacker,
  ) {
    // The encoder's own timestamp of each frame: with several frames per packet, a frame may
    // leave in a later packet, or in one stamped with an earlier frame's time.
    const next: Stage<EncodedFrame, unknown> = framePacker ?? packetizer;
    encoder.pipe({ push: (f: EncodedFrame, t: number) => {
      this.encodedTimestamp = f.rtpTimestamp;
      next.push(f, t);
    } });
    if (framePacker) framePacker.pipe(packetizer);
    if (dropGate) dropGate.pipe(encoder as unknown as Stage<VideoFrame, EncodedFrame>);
    if (formatAdapter) formatAdapter.pipe((dropGate as unknown as Stage<F, F> | undefined) ?? encoder);
    this.input = formatAdapter ?? encoder;
    const collect = { push: (p: RtpPacket) => void this.packets.push(p) };
    if (wrapper) {
      packetizer.pipe(wrapper);
      wrapper.pipe(collect);
    } else {
      packetizer.pipe(collect);
    }
  }

  static async video(config: NonNullable<SendConfig["video"]>, mtuBytes: number, srtpOverheadBytes: number, initialSequenceNumber: number): Promise<SendStream<VideoFrame, VpxEncoder>> {
    const { codec, width, height, fps, bitrateBps, keyframeIntervalFrames, ssrc, temporalLayers } = config;
    const encoder = await VpxEncoder.create({ codec, width, height, fps, bitrateBps, keyframeIntervalFrames, temporalLayers: temporalLayers === 2 ? 2 : 1 });
    // RED adds 1 byte and ULPFEC packets are as long as the longest media packet they protect
    // plus their 14-byte header (RFC 5109 7): keep room so neither exceeds the MTU.
    const fecRoom = config.fec ? 1 + 14 : 0;
    const packetizer = new Packetizer({ codec, payloadType: PAYLOAD_TYPES[codec], ssrc, mtuBytes: mtuBytes - fecRoom, srtpOverheadBytes, initialSequenceNumber });
    const fec = config.fec ? new FecEncoder({ redPayloadType: VIDEO_RED_PAYLOAD_TYPE, ulpfecPayloadType: ULPFEC_PAYLOAD_TYPE }) : undefined;
    const format = new VideoFormatAdapter({ width, height, fps });
    return new SendStream(encoder, packetizer, fec, format, new FrameDropGate(encoder));
  }

  static async audio(config: NonNullable<SendConfig["audio"]>, mtuBytes: number, srtpOverheadBytes: number, initialSequenceNumber: number): Promise<SendStream<AudioFrame, OpusEncoder>> {
    const { channels, bitrateBps, dtx, inbandFec, complexity, ssrc } = config;
    // Expected loss starts at 0 (no LBRR bits spent on a clean path) and follows RTCP reports.
    const encoder = await OpusEncoder.create({ channels, bitrateBps, dtx, inbandFec, complexity, expectedLossPct: 0 });
    const packetizer = new Packetizer({ codec: "opus", payloadType: PAYLOAD_TYPES.opus, ssrc, mtuBytes, srtpOverheadBytes, initialSequenceNumber });
    // RED starts at distance 0 and follows the loss the receiver reports.
    const red = config.red ? new RedAudioEncoder({ redPayloadType: AUDIO_RED_PAYLOAD_TYPE, distance: 0 }) : undefined;
    const packer = new OpusFramePacker();
    if (config.packetMs === 60) packer.setFramesPerPacket(3);
    return new SendStream(encoder, packetizer, red, undefined, undefined, packer);
  }

  /**
   * Encodes and packetizes one frame; the returned array is reused by the next call.
   * `rtpTimestamp` is the encoded frame's (undefined when the encoder dropped it).
   */
  sendFrame(frame: F, nowUs: number): { packets: RtpPacket[]; encodeUs: number; rtpTimestamp: number | undefined } {
    this.packets.length = 0;
    this.encodedTimestamp = undefined;
    const t0 = performance.now();
    this.input.push(frame, nowUs);
    const encodeUs = Math.round((performance.now() - t0) * 1000);
    return { packets: this.packets, encodeUs, rtpTimestamp: this.encodedTimestamp };
  }

  stats(): Record<string, number> {
    const s: Record<string, number> = {};
    for (const [k, v] of Object.entries(this.encoder.stats())) s[`encoder.${k}`] = v;
    for (const [k, v] of Object.entries(this.packetizer.stats())) s[`packetizer.${k}`] = v;
    for (const [k, v] of Object.entries(this.wrapper?.stats() ?? {})) s[`${this.wrapper!.name}.${k}`] = v;
    for (const [k, v] of Object.entries(this.formatAdapter?.stats() ?? {})) s[`format.${k}`] = v;
    for (const [k, v] of Object.entries(this.dropGate?.stats() ?? {})) s[`frameDropper.${k}`] = v;
    for (const [k, v] of Object.entries(this.framePacker?.stats() ?? {})) s[`framePacker.${k}`] = v;
    return s;
  }

  close(): void {
    this.encoder.close();
  }
}
