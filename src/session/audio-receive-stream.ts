import type { EncodedFrame } from "../codec/encoded-frame.js";
import { OpusDecoder } from "../codec/opus-decoder.js";
import { NetEqPlayout, type NetEqOutput } from "../jitter/neteq/neteq-playout.js";
import type { AudioFrame } from "../media/audio-frame.js";
import type { RtpPacket } from "../rtp/rtp-packet.js";
import { splitOpusPacket } from "../rtp/opus-frame-packing.js";
import { MalformedPacketError } from "../errors.js";
import { AUDIO_FRAME_SAMPLES } from "../media/audio-frame.js";

export interface AudioReceiveStreamOptions {
  channels: 1 | 2;
  payloadType: number;
  /** Fills in capture time and source frame index before decoding (instrumentation). */
  annotate?: (frame: EncodedFrame) => void;
}

const FRAME_US = 20_000;

/**
 * The audio receive path after SRTP: a NetEQ-like playout (adaptive target delay from the
 * inter-arrival distribution, time stretching without pitch change, Opus PLC / in-band FEC,
 * merge after loss; src/jitter/neteq/) that is asked for one 20 ms frame per 20 ms of the
 * playout clock, as an audio device would → `onFrame` (play).
 */
export class AudioReceiveStream {
  onFrame: (frame: AudioFrame, playUs: number, output: NetEqOutput) => void = () => {};
  readonly neteq: NetEqPlayout;
  private nextPlayUs = NaN;
  private wrongPayloadType = 0;
  private malformed = 0;
  private multiFramePackets = 0;

  private constructor(
    readonly decoder: OpusDecoder,
    private readonly options: AudioReceiveStreamOptions,
  ) {
    this.neteq = new NetEqPlayout(decoder, { channels: options.channels, ...(options.annotate ? { annotate: options.annotate } : {}) });
  }

  static async create(options: AudioReceiveStreamOptions): Promise<AudioReceiveStream> {
    return new AudioReceiveStream(await OpusDecoder.create({ channels: options.channels }), options);
  }

  push(packet: RtpPacket, nowUs: number): void {
    if (packet.payloadType !== this.options.payloadType) {
      this.wrongPayloadType++;
      return;
    }
    // A packet of several 20 ms frames (RFC 6716 3.2.5, e.g. 60 ms at low rates) plays as one
    // 20 ms packet per frame, each at its own timestamp (RFC 7587 4.1: 48 kHz clock).
    const code = (packet.payload[0] ?? 0) & 3;
    let parts: Uint8Array[] | undefined;
    if (code !== 0) {
      try {
        parts = splitOpusPacket(packet.payload);
      } catch (e) {
        if (!(e instanceof MalformedPacketError)) throw e;
        this.malformed++;
        return;
      }
    }
    if (parts === undefined || parts.length === 1) {
      this.neteq.insertPacket(packet, nowUs);
    } else {
      this.multiFramePackets++;
      parts.forEach((payload, i) => this.neteq.insertPacket({ sequenceNumber: packet.sequenceNumber, timestamp: (packet.timestamp + i * AUDIO_FRAME_SAMPLES) >>> 0, payload }, nowUs));
    }
    // The playout clock starts with the first packet; NetEQ itself holds back the start delay.
    if (Number.isNaN(this.nextPlayUs)) this.nextPlayUs = nowUs;
  }

  /** Pulls every 20 ms frame due by `nowUs` (the audio device's clock). */
  tick(nowUs: number): void {
    while (!Number.isNaN(this.nextPlayUs) && this.nextPlayUs <= nowUs) {
      const playUs = this.nextPlayUs;
      this.nextPlayUs += FRAME_US;
      const out = this.neteq.getAudio(playUs);
      if (out.operation !== "idle") this.onFrame(out.frame, playUs, out);
    }
  }

  nextDueUs(): number | undefined {
    return Number.isNaN(this.nextPlayUs) ? undefined : this.nextPlayUs;
  }

  stats(): Record<string, number> {
    const s: Record<string, number> = { wrongPayloadType: this.wrongPayloadType, malformed: this.malformed, multiFramePackets: this.multiFramePackets };
    for (const [k, v] of Object.entries(this.neteq.stats())) s[`playout.${k}`] = v;
    for (const [k, v] of Object.entries(this.decoder.stats())) s[`decoder.${k}`] = v;
    return s;
  }

  close(): void {
    this.neteq.close();
    this.decoder.close();
  }
}
