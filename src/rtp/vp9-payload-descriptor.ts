/**
 * The VP9 payload descriptor (RFC 9628 4.2), flexible and non-flexible modes, with the
 * scalability structure (RFC 9628 4.2.1).
 *
 * ```
 *       0 1 2 3 4 5 6 7
 *      +-+-+-+-+-+-+-+-+
 *      |I|P|L|F|B|E|V|Z| (REQUIRED)
 *      +-+-+-+-+-+-+-+-+
 * I:   |M| PICTURE ID  | 7 bits, or 15 with M (and the EXTENDED PID byte)
 *      +-+-+-+-+-+-+-+-+
 * L:   | TID |U| SID |D|
 *      +-+-+-+-+-+-+-+-+
 *      |   TL0PICIDX   | (non-flexible mode, F=0, with L)
 *      +-+-+-+-+-+-+-+-+
 * P,F: | P_DIFF      |N| up to 3 times (flexible mode, F=1, with P)
 *      +-+-+-+-+-+-+-+-+
 * V:   | SS            |
 *      +-+-+-+-+-+-+-+-+
 * ```
 */
import { MalformedPacketError, InvalidOptionError } from "../errors.js";

/** The scalability structure (RFC 9628 4.2.1). */
export interface Vp9ScalabilityStructure {
  /** N_S + 1: number of spatial layers, 1-8. */
  numSpatialLayers: number;
  /** Y: the resolution of each spatial layer, or null when absent. */
  resolutions: { width: number; height: number }[] | null;
  /** G: picture group description (N_G entries), or null when absent. */
  pictureGroup: { tid: number; switchingUpPoint: boolean; pDiffs: number[] }[] | null;
}

export interface Vp9PayloadDescriptorInit {
  /** P: inter-picture predicted (false on keyframes). */
  interPicturePredicted?: boolean;
  /** F: flexible mode. */
  flexibleMode?: boolean;
  /** B: first packet of a layer frame. */
  beginningOfFrame?: boolean;
  /** E: last packet of a layer frame. */
  endOfFrame?: boolean;
  /** Z: not used as a reference by upper spatial layers. */
  notReferenceForUpperSpatial?: boolean;
  /** PictureID, or -1 when absent (I bit). */
  pictureId?: number;
  pictureIdBits?: 7 | 15;
  /** Temporal layer id 0-7, or -1 when the layer byte is absent (L bit). */
  tid?: number;
  /** U: switching up point. */
  switchingUpPoint?: boolean;
  /** Spatial layer id 0-7. */
  sid?: number;
  /** D: inter-layer dependency. */
  interLayerDependency?: boolean;
  /** TL0PICIDX (non-flexible mode with L); -1 when absent. */
  tl0PicIdx?: number;
  /** Reference PictureID differences (flexible mode with P), 1-3 values of 1-127. */
  pDiffs?: number[];
  /** Scalability structure (V bit), or null. */
  ss?: Vp9ScalabilityStructure | null;
}

function fail(reason: string): never {
  throw new MalformedPacketError(`Cannot parse VP9 payload descriptor: ${reason}`);
}

export class Vp9PayloadDescriptor {
  interPicturePredicted: boolean;
  flexibleMode: boolean;
  beginningOfFrame: boolean;
  endOfFrame: boolean;
  notReferenceForUpperSpatial: boolean;
  pictureId: number;
  pictureIdBits: 7 | 15;
  tid: number;
  switchingUpPoint: boolean;
  sid: number;
  interLayerDependency: boolean;
  tl0PicIdx: number;
  pDiffs: number[];
  ss: Vp9ScalabilityStructure | null;
  /** Bytes consumed by `parse`; the VP9 data starts here. */
  headerLength = 0;

  constructor(init: Vp9PayloadDescriptorInit = {}) {
    this.interPicturePredicted = init.interPicturePredicted ?? false;
    this.flexibleMode = init.flexibleMode ?? false;
    this.beginningOfFrame = init.beginningOfFrame ?? false;
    this.endOfFrame = init.endOfFrame ?? false;
    this.notReferenceForUpperSpatial = init.notReferenceForUpperSpatial ?? false;
    this.pictureId = init.pictureId ?? -1;
    this.pictureIdBits = init.pictureIdBits ?? 15;
    this.tid = init.tid ?? -1;
    this.switchingUpPoint = init.switchingUpPoint ?? false;
    this.sid = init.sid ?? 0;
    this.interLayerDependency = init.interLayerDependency ?? false;
    this.tl0PicIdx = init.tl0PicIdx ?? -1;
    this.pDiffs = init.pDiffs ?? [];
    this.ss = init.ss ?? null;
    if (this.pictureIdBits !== 7 && this.pictureIdBits !== 15) throw new InvalidOptionError(`Cannot use pictureIdBits=${String(this.pictureIdBits)}: allowed is 7 or 15`);
    if (this.pictureId > (this.pictureIdBits === 7 ? 0x7f : 0x7fff)) throw new InvalidOptionError(`Cannot use pictureId=${this.pictureId}: too large for ${this.pictureIdBits} bits`);
    if (this.tid > 7 || this.sid < 0 || this.sid > 7) throw new InvalidOptionError(`Cannot use tid=${this.tid}, sid=${this.sid}: allowed is 0 to 7`);
    if (this.pDiffs.length > 3 || this.pDiffs.some((d) => d < 0 || d > 127)) throw new InvalidOptionError(`Cannot use pDiffs=[${this.pDiffs.join(",")}]: allowed is up to 3 values from 0 to 127`);
  }

  /** Keyframe test for the first packet of a picture: not inter-predicted, B set, base spatial layer. */
  get isKeyframeStart(): boolean {
    return !this.interPicturePredicted && this.beginningOfFrame && (this.tid < 0 || this.sid === 0);
  }

  private get hasLayer(): boolean {
    return this.tid >= 0;
  }

  private get hasPDiffs(): boolean {
    return this.flexibleMode && this.interPicturePredicted && this.pDiffs.length > 0;
  }

  get byteLength(): number {
    let n = 1;
    if (this.pictureId >= 0) n += this.pictureIdBits === 15 ? 2 : 1;
    if (this.hasLayer) n += this.flexibleMode ? 1 : 2;
    if (this.hasPDiffs) n += this.pDiffs.length;
    if (this.ss !== null) {
      n += 1;
      if (this.ss.resolutions !== null) n += 4 * this.ss.numSpatialLayers;
      if (this.ss.pictureGroup !== null) {
        n += 1;
        for (const g of this.ss.pictureGroup) n += 1 + g.pDiffs.length;
      }
    }
    return n;
  }

  /** Parses the descriptor at the start of an RTP payload; the VP9 data starts at `headerLength`. */
  static parse(bytes: Uint8Array): Vp9PayloadDescriptor {
    const len = bytes.length;
    if (len < 1) fail("the payload is empty");
    const d = new Vp9PayloadDescriptor();
    const b0 = bytes[0]!;
    const i = (b0 & 0x80) !== 0;
    d.interPicturePredicted = (b0 & 0x40) !== 0;
    const l = (b0 & 0x20) !== 0;
    d.flexibleMode = (b0 & 0x10) !== 0;
    d.beginningOfFrame = (b0 & 0x08) !== 0;
    d.endOfFrame = (b0 & 0x04) !== 0;
    const v = (b0 & 0x02) !== 0;
    d.notReferenceForUpperSpatial = (b0 & 0x01) !== 0;
    let o = 1;
    if (i) {
      if (o >= len) fail("I bit set but PICTURE ID is missing");
      const p0 = bytes[o++]!;
      if ((p0 & 0x80) !== 0) {
        if (o >= len) fail("M bit set but EXTENDED PID is missing");
        d.pictureId = ((p0 & 0x7f) << 8) | bytes[o++]!;
        d.pictureIdBits = 15;
      } else {
        d.pictureId = p0;
        d.pictureIdBits = 7;
      }
    }
    if (l) {
      if (o >= len) fail("L bit set but the layer indices are missing");
      const lb = bytes[o++]!;
      d.tid = lb >> 5;
      d.switchingUpPoint = (lb & 0x10) !== 0;
      d.sid = (lb >> 1) & 7;
      d.interLayerDependency = (lb & 1) !== 0;
      if (!d.flexibleMode) {
        if (o >= len) fail("non-flexible mode with L bit but TL0PICIDX is missing");
        d.tl0PicIdx = bytes[o++]!;
      }
    }
    if (d.flexibleMode && d.interPicturePredicted) {
      for (;;) {
        if (o >= len) fail("flexible mode with P bit but P_DIFF is missing");
        if (d.pDiffs.length === 3) fail("more than 3 P_DIFF values");
        const pd = bytes[o++]!;
        d.pDiffs.push(pd >> 1);
        if ((pd & 1) === 0) break;
      }
    }
    if (v) {
      if (o >= len) fail("V bit set but the scalability structure is missing");
      const s0 = bytes[o++]!;
      const ns = (s0 >> 5) + 1;
      const ss: Vp9ScalabilityStructure = { numSpatialLayers: ns, resolutions: null, pictureGroup: null };
      if ((s0 & 0x10) !== 0) {
        if (o + 4 * ns > len) fail(`Y bit set but ${ns} resolutions overrun the payload`);
        ss.resolutions = [];
        for (let k = 0; k < ns; k++, o += 4) {
          ss.resolutions.push({ width: (bytes[o]! << 8) | bytes[o + 1]!, height: (bytes[o + 2]! << 8) | bytes[o + 3]! });
        }
      }
      if ((s0 & 0x08) !== 0) {
        if (o >= len) fail("G bit set but N_G is missing");
        const ng = bytes[o++]!;
        ss.pictureGroup = [];
        for (let k = 0; k < ng; k++) {
          if (o >= len) fail(`picture group entry ${k} of ${ng} is missing`);
          const g = bytes[o++]!;
          const r = (g >> 2) & 3;
          if (o + r > len) fail(`picture group entry ${k} has ${r} P_DIFFs overrunning the payload`);
          const pDiffs: number[] = [];
          for (let j = 0; j < r; j++) pDiffs.push(bytes[o++]!);
          ss.pictureGroup.push({ tid: g >> 5, switchingUpPoint: (g & 0x10) !== 0, pDiffs });
        }
      }
      d.ss = ss;
    }
    d.headerLength = o;
    return d;
  }

  serializeInto(dst: Uint8Array, offset: number): number {
    const n = this.byteLength;
    if (offset + n > dst.length) throw new RangeError(`Cannot serialize VP9 payload descriptor: needs ${n} bytes at offset ${offset}`);
    const hasPDiffs = this.hasPDiffs;
    const ss = this.ss;
    dst[offset] =
      (this.pictureId >= 0 ? 0x80 : 0) |
      (this.interPicturePredicted ? 0x40 : 0) |
      (this.hasLayer ? 0x20 : 0) |
      (this.flexibleMode ? 0x10 : 0) |
      (this.beginningOfFrame ? 0x08 : 0) |
      (this.endOfFrame ? 0x04 : 0) |
      (ss !== null ? 0x02 : 0) |
      (this.notReferenceForUpperSpatial ? 0x01 : 0);
    let o = offset + 1;
    if (this.pictureId >= 0) {
      if (this.pictureIdBits === 15) {
        dst[o++] = 0x80 | ((this.pictureId >> 8) & 0x7f);
        dst[o++] = this.pictureId & 0xff;
      } else {
        dst[o++] = this.pictureId & 0x7f;
      }
    }
    if (this.hasLayer) {
      dst[o++] = ((this.tid & 7) << 5) | (this.switchingUpPoint ? 0x10 : 0) | ((this.sid & 7) << 1) | (this.interLayerDependency ? 1 : 0);
      if (!this.flexibleMode) dst[o++] = Math.max(0, this.tl0PicIdx) & 0xff;
    }
    if (hasPDiffs) {
      for (let k = 0; k < this.pDiffs.length; k++) {
        dst[o++] = ((this.pDiffs[k]! & 0x7f) << 1) | (k + 1 < this.pDiffs.length ? 1 : 0);
      }
    }
    if (ss !== null) {
      const ns = ss.numSpatialLayers;
      if (ns < 1 || ns > 8) throw new InvalidOptionError(`Cannot serialize VP9 SS with ${ns} spatial layers: allowed is 1 to 8`);
      if (ss.resolutions !== null && ss.resolutions.length !== ns) throw new InvalidOptionError(`Cannot serialize VP9 SS: ${ss.resolutions.length} resolutions for ${ns} spatial layers`);
      dst[o++] = ((ns - 1) << 5) | (ss.resolutions !== null ? 0x10 : 0) | (ss.pictureGroup !== null ? 0x08 : 0);
      if (ss.resolutions !== null) {
        for (const r of ss.resolutions) {
          dst[o++] = (r.width >> 8) & 0xff;
          dst[o++] = r.width & 0xff;
          dst[o++] = (r.height >> 8) & 0xff;
          dst[o++] = r.height & 0xff;
        }
      }
      if (ss.pictureGroup !== null) {
        if (ss.pictureGroup.length > 255) throw new InvalidOptionError(`Cannot serialize VP9 SS: ${ss.pictureGroup.length} picture group entries, allowed is at most 255`);
        dst[o++] = ss.pictureGroup.length;
        for (const g of ss.pictureGroup) {
          if (g.pDiffs.length > 3) throw new InvalidOptionError(`Cannot serialize VP9 SS: ${g.pDiffs.length} P_DIFFs in a group entry, allowed is at most 3`);
          dst[o++] = ((g.tid & 7) << 5) | (g.switchingUpPoint ? 0x10 : 0) | (g.pDiffs.length << 2);
          for (const p of g.pDiffs) dst[o++] = p & 0xff;
        }
      }
    }
    return o - offset;
  }

  serialize(): Uint8Array {
    const out = new Uint8Array(this.byteLength);
    this.serializeInto(out, 0);
    return out;
  }
}

/**
 * Width and height from the uncompressed header of a VP9 keyframe (VP9 bitstream spec 6.2:
 * frame_marker, profile, show_existing_frame, frame_type, ..., frame_sync_code, color_config,
 * frame_size), or undefined when `frame` is not a keyframe or is too short.
 */
export function vp9KeyframeSize(frame: Uint8Array): { width: number; height: number } | undefined {
  let bit = 0;
  const read = (n: number): number => {
    let v = 0;
    for (let k = 0; k < n; k++, bit++) {
      const byte = frame[bit >> 3];
      if (byte === undefined) throw new RangeError("short");
      v = (v << 1) | ((byte >> (7 - (bit & 7))) & 1);
    }
    return v >>> 0;
  };
  try {
    if (read(2) !== 2) return undefined;
    const low = read(1);
    const high = read(1);
    const profile = (high << 1) | low;
    if (profile === 3) read(1);
    if (read(1) === 1) return undefined; // show_existing_frame
    if (read(1) !== 0) return undefined; // frame_type: 0 = KEY_FRAME
    read(2); // show_frame, error_resilient_mode
    if (read(24) !== 0x498342) return undefined;
    if (profile >= 2) read(1); // ten_or_twelve_bit
    const colorSpace = read(3);
    if (colorSpace !== 7) {
      read(1); // color_range
      if (profile === 1 || profile === 3) read(3); // subsampling_x, subsampling_y, reserved_zero
    } else if (profile === 1 || profile === 3) {
      read(1); // reserved_zero
    }
    const width = read(16) + 1;
    const height = read(16) + 1;
    return { width, height };
  } catch {
    return undefined;
  }
}
