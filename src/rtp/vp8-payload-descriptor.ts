/**
 * The VP8 payload descriptor (RFC 7741 4.2) and the keyframe/size fields of the VP8 payload
 * header (RFC 7741 4.3, RFC 6386 9.1).
 *
 * ```
 *       0 1 2 3 4 5 6 7
 *      +-+-+-+-+-+-+-+-+
 *      |X|R|N|S|R| PID | (REQUIRED)
 *      +-+-+-+-+-+-+-+-+
 * X:   |I|L|T|K| RSV   | (OPTIONAL)
 *      +-+-+-+-+-+-+-+-+
 * I:   |M| PictureID   | (OPTIONAL, 7 or 15 bits)
 *      +-+-+-+-+-+-+-+-+
 * L:   |   TL0PICIDX   | (OPTIONAL)
 *      +-+-+-+-+-+-+-+-+
 * T/K: |TID|Y| KEYIDX  | (OPTIONAL)
 *      +-+-+-+-+-+-+-+-+
 * ```
 */
import { MalformedPacketError, InvalidOptionError } from "../errors.js";

export interface Vp8PayloadDescriptorInit {
  nonReference?: boolean;
  startOfPartition?: boolean;
  partitionIndex?: number;
  /** 7- or 15-bit PictureID, or -1 when absent. */
  pictureId?: number;
  /** Width of the PictureID field on the wire (M bit clear = 7, set = 15). Default 15. */
  pictureIdBits?: 7 | 15;
  /** Temporal level zero index, or -1 when absent (L bit). */
  tl0PicIdx?: number;
  /** Temporal layer index 0-3, or -1 when absent (T bit). */
  tid?: number;
  /** Layer sync bit Y (only with T). */
  layerSync?: boolean;
  /** Temporal key frame index 0-31, or -1 when absent (K bit). */
  keyIdx?: number;
}

function fail(reason: string): never {
  throw new MalformedPacketError(`Cannot parse VP8 payload descriptor: ${reason}`);
}

export class Vp8PayloadDescriptor {
  /** N: the frame can be discarded without affecting others. */
  nonReference: boolean;
  /** S: this packet starts a VP8 partition. */
  startOfPartition: boolean;
  /** PID: partition index 0-7. */
  partitionIndex: number;
  pictureId: number;
  pictureIdBits: 7 | 15;
  tl0PicIdx: number;
  tid: number;
  layerSync: boolean;
  keyIdx: number;
  /** Bytes of descriptor consumed by `parse` (equal to `byteLength` for a built descriptor). */
  headerLength = 0;

  constructor(init: Vp8PayloadDescriptorInit = {}) {
    this.nonReference = init.nonReference ?? false;
    this.startOfPartition = init.startOfPartition ?? false;
    this.partitionIndex = init.partitionIndex ?? 0;
    this.pictureId = init.pictureId ?? -1;
    this.pictureIdBits = init.pictureIdBits ?? 15;
    this.tl0PicIdx = init.tl0PicIdx ?? -1;
    this.tid = init.tid ?? -1;
    this.layerSync = init.layerSync ?? false;
    this.keyIdx = init.keyIdx ?? -1;
    if (this.partitionIndex < 0 || this.partitionIndex > 7) throw new InvalidOptionError(`Cannot use partitionIndex=${this.partitionIndex}: allowed is 0 to 7`);
    if (this.pictureIdBits !== 7 && this.pictureIdBits !== 15) throw new InvalidOptionError(`Cannot use pictureIdBits=${String(this.pictureIdBits)}: allowed is 7 or 15`);
    if (this.pictureId > (this.pictureIdBits === 7 ? 0x7f : 0x7fff)) throw new InvalidOptionError(`Cannot use pictureId=${this.pictureId}: too large for ${this.pictureIdBits} bits`);
    if (this.tl0PicIdx > 255) throw new InvalidOptionError(`Cannot use tl0PicIdx=${this.tl0PicIdx}: allowed is -1 to 255`);
    if (this.tid > 3) throw new InvalidOptionError(`Cannot use tid=${this.tid}: allowed is -1 to 3`);
    if (this.keyIdx > 31) throw new InvalidOptionError(`Cannot use keyIdx=${this.keyIdx}: allowed is -1 to 31`);
  }

  /** True when this packet starts a frame: S=1 and PID=0 (RFC 7741 4.2). */
  get startOfFrame(): boolean {
    return this.startOfPartition && this.partitionIndex === 0;
  }

  private get extended(): boolean {
    return this.pictureId >= 0 || this.tl0PicIdx >= 0 || this.tid >= 0 || this.keyIdx >= 0;
  }

  get byteLength(): number {
    if (!this.extended) return 1;
    let n = 2;
    if (this.pictureId >= 0) n += this.pictureIdBits === 15 ? 2 : 1;
    if (this.tl0PicIdx >= 0) n += 1;
    if (this.tid >= 0 || this.keyIdx >= 0) n += 1;
    return n;
  }

  /** Parses the descriptor at the start of an RTP payload; the VP8 data starts at `headerLength`. */
  static parse(bytes: Uint8Array): Vp8PayloadDescriptor {
    const len = bytes.length;
    if (len < 1) fail("the payload is empty");
    const d = new Vp8PayloadDescriptor();
    const b0 = bytes[0]!;
    d.nonReference = (b0 & 0x20) !== 0;
    d.startOfPartition = (b0 & 0x10) !== 0;
    d.partitionIndex = b0 & 0x07;
    let o = 1;
    if ((b0 & 0x80) !== 0) {
      if (o >= len) fail("X bit set but the extension byte is missing");
      const x = bytes[o++]!;
      if ((x & 0x80) !== 0) {
        if (o >= len) fail("I bit set but PictureID is missing");
        const p0 = bytes[o++]!;
        if ((p0 & 0x80) !== 0) {
          if (o >= len) fail("M bit set but the second PictureID byte is missing");
          d.pictureId = ((p0 & 0x7f) << 8) | bytes[o++]!;
          d.pictureIdBits = 15;
        } else {
          d.pictureId = p0;
          d.pictureIdBits = 7;
        }
      }
      if ((x & 0x40) !== 0) {
        if (o >= len) fail("L bit set but TL0PICIDX is missing");
        d.tl0PicIdx = bytes[o++]!;
      }
      const t = (x & 0x20) !== 0;
      const k = (x & 0x10) !== 0;
      if (t || k) {
        if (o >= len) fail("T or K bit set but the TID/KEYIDX byte is missing");
        const tk = bytes[o++]!;
        if (t) {
          d.tid = tk >> 6;
          d.layerSync = (tk & 0x20) !== 0;
        }
        if (k) d.keyIdx = tk & 0x1f;
      }
    }
    d.headerLength = o;
    return d;
  }

  serializeInto(dst: Uint8Array, offset: number): number {
    const n = this.byteLength;
    if (offset + n > dst.length) throw new RangeError(`Cannot serialize VP8 payload descriptor: needs ${n} bytes at offset ${offset}`);
    const ext = this.extended;
    dst[offset] = (ext ? 0x80 : 0) | (this.nonReference ? 0x20 : 0) | (this.startOfPartition ? 0x10 : 0) | (this.partitionIndex & 7);
    if (!ext) return 1;
    const hasT = this.tid >= 0;
    const hasK = this.keyIdx >= 0;
    dst[offset + 1] = (this.pictureId >= 0 ? 0x80 : 0) | (this.tl0PicIdx >= 0 ? 0x40 : 0) | (hasT ? 0x20 : 0) | (hasK ? 0x10 : 0);
    let o = offset + 2;
    if (this.pictureId >= 0) {
      if (this.pictureIdBits === 15) {
        dst[o++] = 0x80 | ((this.pictureId >> 8) & 0x7f);
        dst[o++] = this.pictureId & 0xff;
      } else {
        dst[o++] = this.pictureId & 0x7f;
      }
    }
    if (this.tl0PicIdx >= 0) dst[o++] = this.tl0PicIdx & 0xff;
    if (hasT || hasK) dst[o++] = (hasT ? (this.tid & 3) << 6 : 0) | (hasT && this.layerSync ? 0x20 : 0) | (hasK ? this.keyIdx & 0x1f : 0);
    return o - offset;
  }

  serialize(): Uint8Array {
    const out = new Uint8Array(this.byteLength);
    this.serializeInto(out, 0);
    return out;
  }

  /**
   * Whether a VP8 frame is a keyframe: the P bit (bit 0 of the first byte of the frame tag,
   * RFC 7741 4.3, RFC 6386 9.1) is 0. Call on the first bytes of a frame (S=1, PID=0).
   */
  static isKeyframe(vp8Payload: Uint8Array): boolean {
    return vp8Payload.length >= 1 && (vp8Payload[0]! & 0x01) === 0;
  }

  /**
   * Width and height from a VP8 keyframe header (RFC 6386 9.1: 3-byte frame tag, start code
   * 9d 01 2a, 14-bit width and height with 2-bit scale), or undefined when not a keyframe.
   */
  static keyframeSize(vp8Payload: Uint8Array): { width: number; height: number } | undefined {
    if (vp8Payload.length < 10 || (vp8Payload[0]! & 0x01) !== 0) return undefined;
    if (vp8Payload[3] !== 0x9d || vp8Payload[4] !== 0x01 || vp8Payload[5] !== 0x2a) return undefined;
    const width = (vp8Payload[6]! | (vp8Payload[7]! << 8)) & 0x3fff;
    const height = (vp8Payload[8]! | (vp8Payload[9]! << 8)) & 0x3fff;
    return { width, height };
  }
}
