/** Splits VP8 frames into RTP payloads (RFC 7741 4.1, 4.2). */
import type { EncodedFrame } from "../codec/encoded-frame.js";
import { checkInt, checkOneOf } from "../errors.js";
import { balancedChunkSizes, type CodecPacketizer } from "./codec-payload-format.js";
import { Vp8PayloadDescriptor } from "./vp8-payload-descriptor.js";

export interface Vp8PacketizerOptions {
  /** PictureID width: 7 or 15 bits (default 15, the M bit set). */
  pictureIdBits?: 7 | 15;
  /** PictureID of the first frame (default 0); increments per frame, wrapping. */
  initialPictureId?: number;
}

/**
 * One descriptor per packet with X=1, I=1 and the PictureID; S=1 and PID=0 on the first
 * packet of a frame (non-partitioned mode: the frame is one partition run, RFC 7741 4.4).
 */
export class Vp8Packetizer implements CodecPacketizer {
  readonly maxDescriptorBytes = 4;
  private pictureId: number;
  private readonly pictureIdBits: 7 | 15;
  private readonly first: Vp8PayloadDescriptor;
  private readonly other: Vp8PayloadDescriptor;

  constructor(options: Vp8PacketizerOptions = {}) {
    this.pictureIdBits = Number(checkOneOf("pictureIdBits", String(options.pictureIdBits ?? 15), ["7", "15"])) as 7 | 15;
    this.pictureId = checkInt("initialPictureId", options.initialPictureId ?? 0, 0, this.pictureIdBits === 7 ? 0x7f : 0x7fff);
    this.first = new Vp8PayloadDescriptor({ startOfPartition: true, pictureId: 0, pictureIdBits: this.pictureIdBits });
    this.other = new Vp8PayloadDescriptor({ startOfPartition: false, pictureId: 0, pictureIdBits: this.pictureIdBits });
  }

  packetize(frame: EncodedFrame, maxPayloadBytes: number): Uint8Array[] {
    const data = frame.data;
    this.first.pictureId = this.pictureId;
    this.other.pictureId = this.pictureId;
    const h = this.first.byteLength;
    const sizes = balancedChunkSizes(data.length, maxPayloadBytes, h, h);
    const out = new Array<Uint8Array>(sizes.length);
    let o = 0;
    for (let i = 0; i < sizes.length; i++) {
      const n = sizes[i]!;
      const p = new Uint8Array(h + n);
      (i === 0 ? this.first : this.other).serializeInto(p, 0);
      p.set(data.subarray(o, o + n), h);
      o += n;
      out[i] = p;
    }
    this.pictureId = (this.pictureId + 1) & (this.pictureIdBits === 7 ? 0x7f : 0x7fff);
    return out;
  }
}
