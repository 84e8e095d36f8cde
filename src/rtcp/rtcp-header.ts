/**
 * The common RTCP header (RFC 3550 6.4.1): version, padding bit, a 5-bit count or format,
 * packet type and the length in 32-bit words minus one.
 *
 * ```
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |V=2|P|   RC    |      PT       |             length            |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * ```
 */
import { MalformedPacketError } from "../errors.js";

/** RTCP packet types (RFC 3550 12.1, RFC 4585 6.1). */
export const RtcpPacketType = {
  SR: 200,
  RR: 201,
  SDES: 202,
  BYE: 203,
  APP: 204,
  RTPFB: 205,
  PSFB: 206,
} as const;

export const RTCP_HEADER_BYTES = 4;

export class RtcpHeader {
  padding: boolean;
  /** RC/SC/FMT: the 5-bit count or format field. */
  count: number;
  packetType: number;
  /** The length field: size in 32-bit words minus one. */
  lengthWords: number;

  constructor(padding: boolean, count: number, packetType: number, lengthWords: number) {
    this.padding = padding;
    this.count = count;
    this.packetType = packetType;
    this.lengthWords = lengthWords;
  }

  /** Size of the whole packet, header and padding included. */
  get packetBytes(): number {
    return (this.lengthWords + 1) * 4;
  }

  get byteLength(): number {
    return RTCP_HEADER_BYTES;
  }

  /** Parses the 4-byte header at the start of `bytes` (which may hold more packets). */
  static parse(bytes: Uint8Array, what = "RTCP packet"): RtcpHeader {
    if (bytes.length < RTCP_HEADER_BYTES) throw new MalformedPacketError(`Cannot parse ${what}: ${bytes.length} bytes is shorter than the 4-byte header`);
    const b0 = bytes[0]!;
    if (b0 >> 6 !== 2) throw new MalformedPacketError(`Cannot parse ${what}: version is ${b0 >> 6}, allowed is 2`);
    return new RtcpHeader((b0 & 0x20) !== 0, b0 & 0x1f, bytes[1]!, (bytes[2]! << 8) | bytes[3]!);
  }

  /**
   * Checks that `bytes` is exactly one packet of this header (length field matches) and
   * returns the body: the bytes after the header, without padding (RFC 3550 6.4.1).
   */
  static body(bytes: Uint8Array, expectedType: number, what: string): { header: RtcpHeader; body: Uint8Array } {
    const header = RtcpHeader.parse(bytes, what);
    if (expectedType >= 0 && header.packetType !== expectedType) throw new MalformedPacketError(`Cannot parse ${what}: packet type is ${header.packetType}, expected ${expectedType}`);
    if (header.packetBytes !== bytes.length) throw new MalformedPacketError(`Cannot parse ${what}: length field says ${header.packetBytes} bytes, got ${bytes.length}`);
    let end = bytes.length;
    if (header.padding) {
      const pad = bytes[end - 1]!;
      if (pad === 0 || pad > end - RTCP_HEADER_BYTES) throw new MalformedPacketError(`Cannot parse ${what}: padding count ${pad} is invalid for a ${end}-byte packet`);
      end -= pad;
    }
    return { header, body: bytes.subarray(RTCP_HEADER_BYTES, end) };
  }

  serializeInto(dst: Uint8Array, offset: number): number {
    dst[offset] = 0x80 | (this.padding ? 0x20 : 0) | (this.count & 0x1f);
    dst[offset + 1] = this.packetType & 0xff;
    dst[offset + 2] = (this.lengthWords >> 8) & 0xff;
    dst[offset + 3] = this.lengthWords & 0xff;
    return RTCP_HEADER_BYTES;
  }

  /** Writes a header for a packet of `packetBytes` (a multiple of 4, padding none). */
  static write(dst: Uint8Array, offset: number, count: number, packetType: number, packetBytes: number): void {
    if (packetBytes % 4 !== 0 || packetBytes > 0x40000) throw new RangeError(`Cannot serialize RTCP packet type ${packetType}: ${packetBytes} bytes is not a multiple of 4 up to 262144`);
    const words = packetBytes / 4 - 1;
    dst[offset] = 0x80 | (count & 0x1f);
    dst[offset + 1] = packetType;
    dst[offset + 2] = words >> 8;
    dst[offset + 3] = words & 0xff;
  }
}

/** Reads a big-endian unsigned 32-bit value. */
export function readU32(b: Uint8Array, o: number): number {
  return ((b[o]! << 24) | (b[o + 1]! << 16) | (b[o + 2]! << 8) | b[o + 3]!) >>> 0;
}

/** Writes a big-endian unsigned 32-bit value. */
export function writeU32(b: Uint8Array, o: number, v: number): void {
  b[o] = v >>> 24;
  b[o + 1] = (v >>> 16) & 0xff;
  b[o + 2] = (v >>> 8) & 0xff;
  b[o + 3] = v & 0xff;
}

/** Throws unless `dst` has `n` bytes free at `offset`. */
export function checkRoom(what: string, dst: Uint8Array, offset: number, n: number): void {
  if (offset < 0 || offset + n > dst.length) throw new RangeError(`Cannot serialize ${what}: needs ${n} bytes at offset ${offset}, buffer has ${dst.length}`);
}
