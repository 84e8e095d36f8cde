import { checkInt, RtcpipeError } from "../errors.js";
import { StageCore, type StageStats } from "../pipeline/stage.js";
import { RtpPacket } from "../rtp/rtp-packet.js";
import { RedPacket } from "./red-packet.js";

export interface RedAudioDecoderOptions {
  redPayloadType: number;
  /** Samples per frame, to give redundant blocks a sequence number (default 960: 20 ms Opus). */
  samplesPerFrame?: number;
}

/**
 * Unwraps audio RED (RFC 2198): emits the redundant blocks (oldest first) as the packets they
 * repeat, then the primary. Redundant copies of frames already received are harmless: the
 * playout buffer drops them as duplicates. A block's sequence number is inferred from its
 * timestamp offset (one frame per packet), which RFC 2198 leaves to the receiver. Malformed RED
 * payloads are dropped and counted; packets of other payload types pass through.
 */
export class RedAudioDecoder extends StageCore<RtpPacket, RtpPacket> {
  readonly name = "red-audio-decoder";
  private readonly redPayloadType: number;
  private readonly samplesPerFrame: number;
  private counters = { packets: 0, primaries: 0, redundant: 0, malformed: 0, passedThrough: 0 };

  constructor(options: RedAudioDecoderOptions) {
    super();
    this.redPayloadType = checkInt("redPayloadType", options.redPayloadType, 0, 127);
    this.samplesPerFrame = checkInt("samplesPerFrame", options.samplesPerFrame ?? 960, 1, 1 << 20);
  }

  push(packet: RtpPacket, nowUs: number): void {
    if (packet.payloadType !== this.redPayloadType) {
      this.counters.passedThrough++;
      this.out.push(packet, nowUs);
      return;
    }
    this.counters.packets++;
    let red: RedPacket;
    try {
      red = RedPacket.parse(packet.payload);
    } catch (err) {
      if (!(err instanceof RtcpipeError)) throw err;
      this.counters.malformed++;
      return;
    }
    for (const block of red.blocks) {
      const primary = block.timestampOffset === 0;
      const framesBack = Math.round(block.timestampOffset / this.samplesPerFrame);
      if (!primary && framesBack === 0) continue;
      if (primary) this.counters.primaries++;
      else this.counters.redundant++;
      this.out.push(
        new RtpPacket({
          marker: primary && packet.marker,
          payloadType: block.payloadType,
          sequenceNumber: (packet.sequenceNumber - framesBack) & 0xffff,
          timestamp: (packet.timestamp - block.timestampOffset) >>> 0,
          ssrc: packet.ssrc,
          payload: block.data,
        }),
        nowUs,
      );
    }
  }

  override stats(): StageStats {
    return { ...this.counters };
  }
}
