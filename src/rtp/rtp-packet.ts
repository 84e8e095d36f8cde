/**
 * An RTP packet: the fixed header, CSRC list, header extension, payload and padding
 * (RFC 3550 5.1, 5.3.1; extension elements RFC 8285).
 */
import { MalformedPacketError, InvalidOptionError } from "../errors.js";
import { RtpHeaderExtensions, ONE_BYTE_PROFILE } from "./rtp-header-extensions.js";

/** Size of the fixed RTP header (RFC 3550 5.1). */
export const RTP_FIXED_HEADER_BYTES = 12;

const EMPTY = new Uint8Array(0);
const NO_CSRCS: readonly number[] = Object.freeze([]);

export interface RtpPacketInit {
  marker?: boolean;
  /** 0-127. */
  payloadType: number;
  sequenceNumber: number;
  timestamp: number;
  ssrc: number;
  /** Up to 15 contributing sources. */
  csrcs?: readonly number[];
  headerExtensions?: RtpHeaderExtensions | null;
  payload?: Uint8Array;
  /** Padding bytes to append, 0 or 1-255 (RFC 3550 5.1, the last byte counts itself). */
  paddingLength?: number;
}

function fail(reason: string): never {
  throw new MalformedPacketError(`Cannot parse RTP packet: ${reason}`);
}

export class RtpPacket {
  /** Always 2 (RFC 3550 5.1). */
  get version(): 2 {
    return 2;
  }
  marker: boolean;
  payloadType: number;
  sequenceNumber: number;
  timestamp: number;
  ssrc: number;
  csrcs: readonly number[];
  /** View of the payload (between header/extension and padding). */
  payload: Uint8Array;
  /** Number of padding bytes including the count byte; 0 means the P bit is clear. */
  paddingLength: number;

  // The extension is kept raw after parse and decoded on first use (no per-packet objects).
  private extProfile = 0;
  private extRaw: Uint8Array | null = null;
  private ext: RtpHeaderExtensions | null = null;

  constructor(init: RtpPacketInit) {
    const pt = init.payloadType;
    if (!Number.isInteger(pt) || pt < 0 || pt > 127) throw new InvalidOptionError(`Cannot use payloadType=${pt}: allowed is an integer from 0 to 127`);
    const csrcs = init.csrcs ?? NO_CSRCS;
    if (csrcs.length > 15) throw new InvalidOptionError(`Cannot use ${csrcs.length} CSRCs: allowed is at most 15`);
    const pad = init.paddingLength ?? 0;
    if (!Number.isInteger(pad) || pad < 0 || pad > 255) throw new InvalidOptionError(`Cannot use paddingLength=${pad}: allowed is an integer from 0 to 255`);
    this.marker = init.marker ?? false;
    this.payloadType = pt;
    this.sequenceNumber = init.sequenceNumber & 0xffff;
    this.timestamp = init.timestamp >>> 0;
    this.ssrc = init.ssrc >>> 0;
    this.csrcs = csrcs;
    this.ext = init.headerExtensions ?? null;
    this.payload = init.payload ?? EMPTY;
    this.paddingLength = pad;
  }

  /** The P bit. */
  get padding(): boolean {
    return this.paddingLength > 0;
  }

  /** The X bit: whether a header extension is present. */
  get extension(): boolean {
    return this.ext !== null || this.extRaw !== null;
  }

  /** The header extension block (decoded on first access), or null. */
  get headerExtensions(): RtpHeaderExtensions | null {
    if (this.ext === null && this.extRaw !== null) {
      this.ext = RtpHeaderExtensions.fromData(this.extProfile, this.extRaw);
      this.extRaw = null;
    }
    return this.ext;
  }

  set headerExtensions(value: RtpHeaderExtensions | null) {
    this.ext = value;
    this.extRaw = null;
  }

  /** Data of RFC 8285 element `id`, or undefined; no allocation beyond the view. */
  getExtension(id: number): Uint8Array | undefined {
    if (this.ext !== null) return this.ext.get(id);
    if (this.extRaw !== null) return RtpHeaderExtensions.find(this.extProfile, this.extRaw, id);
    return undefined;
  }

  /** Sets RFC 8285 element `id`, creating a one-byte block when there is none. */
  setExtension(id: number, data: Uint8Array): this {
    let ext = this.headerExtensions;
    if (ext === null) {
      ext = new RtpHeaderExtensions(ONE_BYTE_PROFILE);
      this.ext = ext;
    }
    ext.set(id, data);
    return this;
  }

  /** Size of everything before the payload: fixed header, CSRCs, extension. */
  get headerLength(): number {
    let n = RTP_FIXED_HEADER_BYTES + 4 * this.csrcs.length;
    if (this.ext !== null) n += this.ext.byteLength;
    else if (this.extRaw !== null) n += 4 + this.extRaw.length;
    return n;
  }

  get byteLength(): number {
    return this.headerLength + this.payload.length + this.paddingLength;
  }

  /**
   * Parses one RTP packet (RFC 3550 5.1). The payload, CSRC-free header fields and extension
   * data are views into `bytes`. Throws MalformedPacketError.
   */
  static parse(bytes: Uint8Array): RtpPacket {
    const len = bytes.length;
    if (len < RTP_FIXED_HEADER_BYTES) fail(`${len} bytes is shorter than the 12-byte fixed header`);
    const b0 = bytes[0]!;
    const b1 = bytes[1]!;
    if (b0 >> 6 !== 2) fail(`version is ${b0 >> 6}, allowed is 2`);
    const cc = b0 & 0x0f;
    let o = RTP_FIXED_HEADER_BYTES + 4 * cc;
    if (o > len) fail(`${cc} CSRCs overrun the ${len}-byte packet`);
    const p = Object.create(RtpPacket.prototype) as RtpPacket;
    p.marker = (b1 & 0x80) !== 0;
    p.payloadType = b1 & 0x7f;
    p.sequenceNumber = (bytes[2]! << 8) | bytes[3]!;
    p.timestamp = ((bytes[4]! << 24) | (bytes[5]! << 16) | (bytes[6]! << 8) | bytes[7]!) >>> 0;
    p.ssrc = ((bytes[8]! << 24) | (bytes[9]! << 16) | (bytes[10]! << 8) | bytes[11]!) >>> 0;
    if (cc === 0) {
      p.csrcs = NO_CSRCS;
    } else {
      const csrcs = new Array<number>(cc);
      for (let i = 0; i < cc; i++) {
        const q = RTP_FIXED_HEADER_BYTES + 4 * i;
        csrcs[i] = ((bytes[q]! << 24) | (bytes[q + 1]! << 16) | (bytes[q + 2]! << 8) | bytes[q + 3]!) >>> 0;
      }
      p.csrcs = csrcs;
    }
    p.ext = null;
    p.extRaw = null;
    p.extProfile = 0;
    if ((b0 & 0x10) !== 0) {
      if (o + 4 > len) fail(`extension header overruns the ${len}-byte packet`);
      const profile = (bytes[o]! << 8) | bytes[o + 1]!;
      const words = (bytes[o + 2]! << 8) | bytes[o + 3]!;
      const end = o + 4 + 4 * words;
      if (end > len) fail(`extension of ${words} words overruns the ${len}-byte packet`);
      const data = bytes.subarray(o + 4, end);
      try {
        RtpHeaderExtensions.validate(profile, data);
      } catch (e) {
        fail(`header extension: ${(e as Error).message.replace(/^Cannot parse RTP header extension: /, "")}`);
      }
      p.extProfile = profile;
      p.extRaw = data;
      o = end;
    }
    let payloadEnd = len;
    p.paddingLength = 0;
    if ((b0 & 0x20) !== 0) {
      const pad = bytes[len - 1]!;
      if (pad === 0) fail("padding count is 0 with the P bit set");
      if (o + pad > len) fail(`padding of ${pad} bytes overruns the ${len - o} bytes after the header`);
      p.paddingLength = pad;
      payloadEnd = len - pad;
    }
    p.payload = bytes.subarray(o, payloadEnd);
    return p;
  }

  /** Writes the packet at `offset`; returns bytes written. */
  serializeInto(dst: Uint8Array, offset: number): number {
    const total = this.byteLength;
    if (offset + total > dst.length) throw new RangeError(`Cannot serialize RTP packet: needs ${total} bytes at offset ${offset}, buffer has ${dst.length}`);
    const cc = this.csrcs.length;
    const hasExt = this.extension;
    dst[offset] = 0x80 | (this.paddingLength > 0 ? 0x20 : 0) | (hasExt ? 0x10 : 0) | cc;
    dst[offset + 1] = (this.marker ? 0x80 : 0) | (this.payloadType & 0x7f);
    dst[offset + 2] = (this.sequenceNumber >> 8) & 0xff;
    dst[offset + 3] = this.sequenceNumber & 0xff;
    writeU32(dst, offset + 4, this.timestamp);
    writeU32(dst, offset + 8, this.ssrc);
    let o = offset + RTP_FIXED_HEADER_BYTES;
    for (let i = 0; i < cc; i++, o += 4) writeU32(dst, o, this.csrcs[i]!);
    if (this.ext !== null) {
      o += this.ext.serializeInto(dst, o);
    } else if (this.extRaw !== null) {
      const words = this.extRaw.length / 4;
      dst[o] = this.extProfile >> 8;
      dst[o + 1] = this.extProfile & 0xff;
      dst[o + 2] = words >> 8;
      dst[o + 3] = words & 0xff;
      dst.set(this.extRaw, o + 4);
      o += 4 + this.extRaw.length;
    }
    dst.set(this.payload, o);
    o += this.payload.length;
    if (this.paddingLength > 0) {
      dst.fill(0, o, o + this.paddingLength - 1);
      o += this.paddingLength;
      dst[o - 1] = this.paddingLength;
    }
    return o - offset;
  }

  serialize(): Uint8Array {
    const out = new Uint8Array(this.byteLength);
    this.serializeInto(out, 0);
    return out;
  }
}

function writeU32(dst: Uint8Array, o: number, v: number): void {
  dst[o] = v >>> 24;
  dst[o + 1] = (v >>> 16) & 0xff;
  dst[o + 2] = (v >>> 8) & 0xff;
  dst[o + 3] = v & 0xff;
}
