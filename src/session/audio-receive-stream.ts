import type { EncodedFrame } from "../codec/encoded-frame.js";
import { OpusDecoder } from "../codec/opus-decoder.js";
import { AudioPlayoutBuffer, type PlayoutSlot } from "../jitter/audio-playout-buffer.js";
import type { AudioFrame } from "../media/audio-frame.js";
import type { RtpPacket } from "../rtp/rtp-packet.js";

export interface AudioReceiveStreamOptions {
  channels: 1 | 2;
  payloadType: number;
  /** Fills in capture time and source frame index before decoding (instrumentation). */
  annotate?: (frame: EncodedFrame) => void;
}

/**
 * The audio receive path after SRTP: AudioPlayoutBuffer (adaptive delay, one slot per 20 ms)
 * → OpusDecoder, with Opus PLC for slots whose packet was lost or late (RFC 6716 4.4 packet
 * loss concealment) → `onFrame` (play). Every slot plays exactly 20 ms of audio.
 */
export class AudioReceiveStream {
  onFrame: (frame: AudioFrame, playUs: number, slot: PlayoutSlot<RtpPacket>) => void = () => {};
  readonly playout = new AudioPlayoutBuffer<RtpPacket>();
  private wrongPayloadType = 0;
  private decodeErrors = 0;

  private constructor(
    readonly decoder: OpusDecoder,
    private readonly options: AudioReceiveStreamOptions,
  ) {
    this.playout.pipe({ push: (slot: PlayoutSlot<RtpPacket>, nowUs: number) => this.play(slot, nowUs) });
  }

  static async create(options: AudioReceiveStreamOptions): Promise<AudioReceiveStream> {
    return new AudioReceiveStream(await OpusDecoder.create({ channels: options.channels }), options);
  }

  push(packet: RtpPacket, nowUs: number): void {
    if (packet.payloadType !== this.options.payloadType) {
      this.wrongPayloadType++;
      return;
    }
    this.playout.push(packet, nowUs);
  }

  tick(nowUs: number): void {
    this.playout.tick(nowUs);
  }

  nextDueUs(): number | undefined {
    return this.playout.nextDueUs();
  }

  stats(): Record<string, number> {
    const s: Record<string, number> = { wrongPayloadType: this.wrongPayloadType, decodeErrors: this.decodeErrors };
    for (const [k, v] of Object.entries(this.playout.stats())) s[`playout.${k}`] = v;
    for (const [k, v] of Object.entries(this.decoder.stats())) s[`decoder.${k}`] = v;
    return s;
  }

  close(): void {
    this.decoder.close();
  }

  private play(slot: PlayoutSlot<RtpPacket>, nowUs: number): void {
    let frame: AudioFrame | undefined;
    if (slot.packet) {
      const encoded: EncodedFrame = {
        kind: "audio",
        codec: "opus",
        data: slot.packet.payload,
        keyframe: true,
        rtpTimestamp: slot.packet.timestamp,
        captureTimeUs: NaN,
        frameIndex: -1,
      };
      this.options.annotate?.(encoded);
      frame = this.decoder.decode(encoded);
      if (frame) {
        frame.captureTimeUs = encoded.captureTimeUs;
        frame.frameIndex = encoded.frameIndex;
      } else {
        this.decodeErrors++;
      }
    }
    // A lost, late or undecodable packet, an underrun or a DTX pause: Opus synthesizes the slot.
    frame ??= this.decoder.conceal(nowUs);
    this.onFrame(frame, nowUs, slot);
  }
}
