import { checkInt } from "../errors.js";
import { StageCore, type StageStats } from "../pipeline/stage.js";
import { RtpPacket } from "../rtp/rtp-packet.js";
import { RED_MAX_BLOCK_BYTES, RED_MAX_TIMESTAMP_OFFSET, RedPacket, type RedBlock } from "./red-packet.js";

export interface RedAudioEncoderOptions {
  /** Payload type of RED packets (RFC 2198 5; 63 is what Chrome offers for audio/red). */
  redPayloadType: number;
  /** How many previous frames each packet repeats, 0-2 (default 1); settable live. */
  distance?: number;
}

/**
 * Audio redundancy (RFC 2198): each outgoing Opus packet becomes a RED packet carrying the
 * previous `distance` frames as redundant blocks and the new frame as the primary, so one lost
 * packet (or `distance` in a row) is rebuilt from the next. Header fields stay the primary's.
 * Distance 0 sends plain RED with the primary only (the receiver's parsing does not change).
 */
export class RedAudioEncoder extends StageCore<RtpPacket, RtpPacket> {
  readonly name = "red-audio-encoder";
  readonly redPayloadType: number;
  private distance: number;
  private readonly history: { timestamp: number; payloadType: number; data: Uint8Array }[] = [];
  private counters = { packets: 0, redundantBlocks: 0, redundantBytes: 0, skippedBlocks: 0 };

  constructor(options: RedAudioEncoderOptions) {
    super();
    this.redPayloadType = checkInt("redPayloadType", options.redPayloadType, 0, 127);
    this.distance = checkInt("distance", options.distance ?? 1, 0, 2);
  }

  get redundancy(): number {
    return this.distance;
  }

  setDistance(distance: number): void {
    this.distance = checkInt("distance", distance, 0, 2);
  }

  push(packet: RtpPacket, nowUs: number): void {
    const blocks: RedBlock[] = [];
    const recent = this.distance > 0 ? this.history.slice(-this.distance) : [];
    for (const old of recent) {
      const offset = (packet.timestamp - old.timestamp) >>> 0;
      // A block too big or too old for the 10/14-bit header fields is left out (RFC 2198 3).
      if (offset === 0 || offset > RED_MAX_TIMESTAMP_OFFSET || old.data.length > RED_MAX_BLOCK_BYTES) {
        this.counters.skippedBlocks++;
        continue;
      }
      blocks.push({ payloadType: old.payloadType, timestampOffset: offset, data: old.data });
      this.counters.redundantBlocks++;
      this.counters.redundantBytes += old.data.length;
    }
    blocks.push({ payloadType: packet.payloadType, timestampOffset: 0, data: packet.payload });
    this.history.push({ timestamp: packet.timestamp, payloadType: packet.payloadType, data: packet.payload });
    if (this.history.length > 2) this.history.shift();
    this.counters.packets++;
    this.out.push(
      new RtpPacket({
        marker: packet.marker,
        payloadType: this.redPayloadType,
        sequenceNumber: packet.sequenceNumber,
        timestamp: packet.timestamp,
        ssrc: packet.ssrc,
        payload: new RedPacket(blocks).serialize(),
      }),
      nowUs,
    );
  }

  override stats(): StageStats {
    return { ...this.counters, distance: this.distance };
  }
}
