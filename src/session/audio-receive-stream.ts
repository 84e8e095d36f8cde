import type { EncodedFrame } from "../codec/encoded-frame.js";
import { OpusDecoder } from "../codec/opus-decoder.js";
import { NetEqPlayout, type NetEqOutput } from "../jitter/neteq/neteq-playout.js";
import type { AudioFrame } from "../media/audio-frame.js";
import type { RtpPacket } from "../rtp/rtp-packet.js";

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
    this.neteq.insertPacket(packet, nowUs);
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
    const s: Record<string, number> = { wrongPayloadType: this.wrongPayloadType };
    for (const [k, v] of Object.entries(this.neteq.stats())) s[`playout.${k}`] = v;
    for (const [k, v] of Object.entries(this.decoder.stats())) s[`decoder.${k}`] = v;
    return s;
  }

  close(): void {
    this.neteq.close();
    this.decoder.close();
  }
}
