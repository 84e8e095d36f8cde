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
  /** TL0PICIDX of the first base-layer frame of a layered stream (default 0). */
  initialTl0PicIdx?: number;
}

/**
 * One descriptor per packet with X=1, I=1 and the PictureID; S=1 and PID=0 on the first
 * packet of a frame (non-partitioned mode: the frame is one partition run, RFC 7741 4.4).
 * Frames with a temporal layer also carry L and T (RFC 7741 4.2): TL0PICIDX counts base-layer
 * frames, TID is the layer, and an upper-layer frame has Y=1 (it depends on its base frame
 * only) and N=1 (nothing depends on it), as the encoder's two-layer pattern makes them.
 */
export class Vp8Packetizer implements CodecPacketizer {
  readonly maxDescriptorBytes = 6;
  private pictureId: number;
  /** TL0PICIDX of the last base-layer frame sent, or -1 before the first. */
  private tl0PicIdx: number;
  private readonly pictureIdBits: 7 | 15;
  private readonly first: Vp8PayloadDescriptor;
  private readonly other: Vp8PayloadDescriptor;

  constructor(options: Vp8PacketizerOptions = {}) {
    this.pictureIdBits = Number(checkOneOf("pictureIdBits", String(options.pictureIdBits ?? 15), ["7", "15"])) as 7 | 15;
    this.pictureId = checkInt("initialPictureId", options.initialPictureId ?? 0, 0, this.pictureIdBits === 7 ? 0x7f : 0x7fff);
    this.tl0PicIdx = (checkInt("initialTl0PicIdx", options.initialTl0PicIdx ?? 0, 0, 255) - 1) & 0xff;
    this.first = new Vp8PayloadDescriptor({ startOfPartition: true, pictureId: 0, pictureIdBits: this.pictureIdBits });
    this.other = new Vp8PayloadDescriptor({ startOfPartition: false, pictureId: 0, pictureIdBits: this.pictureIdBits });
  }

  packetize(frame: EncodedFrame, maxPayloadBytes: number): Uint8Array[] {
    const data = frame.data;
    const layer = frame.temporalLayer;
    if (layer !== undefined && (layer === 0 || frame.keyframe)) this.tl0PicIdx = (this.tl0PicIdx + 1) & 0xff;
    for (const d of [this.first, this.other]) {
      d.pictureId = this.pictureId;
      d.tl0PicIdx = layer === undefined ? -1 : this.tl0PicIdx;
      d.tid = layer === undefined ? -1 : Math.min(3, layer);
      d.layerSync = layer !== undefined && layer > 0;
      d.nonReference = layer !== undefined && layer > 0;
    }
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
