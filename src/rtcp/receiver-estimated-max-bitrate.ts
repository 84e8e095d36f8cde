/**
 * Receiver Estimated Maximum Bitrate, RTCP PSFB (PT=206) with FMT=15 (application layer
 * feedback, RFC 4585 6.4) and the "REMB" identifier (draft-alvestrand-rmcat-remb-03, 2.2):
 * the receiver's estimate of the total bitrate the sender may use for the listed SSRCs.
 *
 * ```
 * |V=2|P| FMT=15  |   PT=206      |             length            |
 * |                  SSRC of packet sender                        |
 * |                  SSRC of media source (0)                     |
 * |  Unique identifier 'R' 'E' 'M' 'B'                            |
 * |  Num SSRC     | BR Exp    |  BR Mantissa                      |
 * |   SSRC feedback                                               |  (Num SSRC of them)
 * ```
 * The bitrate is mantissa × 2^exp bps (18-bit mantissa, 6-bit exponent).
 */
import { InvalidOptionError, MalformedPacketError } from "../errors.js";
import { checkRoom, readU32, RtcpHeader, RtcpPacketType, writeU32 } from "./rtcp-header.js";

/** Feedback message type of application layer feedback in a PSFB packet (RFC 4585 6.4). */
export const REMB_FMT = 15;
/** "REMB" as a big-endian 32-bit value (draft-alvestrand-rmcat-remb-03, 2.2). */
export const REMB_IDENTIFIER = 0x52454d42;

const MAX_MANTISSA = 0x3ffff;
/** The largest bitrate the format can carry: (2^18 − 1) × 2^63. */
export const REMB_MAX_BITRATE_BPS = MAX_MANTISSA * 2 ** 63;

/** Whether a PSFB FMT=15 packet carries the "REMB" identifier (so the dispatch knows what it is). */
export function isRembPacket(bytes: Uint8Array): boolean {
  return bytes.length >= 16 && readU32(bytes, 12) === REMB_IDENTIFIER;
}

/** The (exponent, mantissa) pair for a bitrate: the smallest exponent whose mantissa fits 18 bits, rounded down. */
export function rembExponentMantissa(bitrateBps: number): { exponent: number; mantissa: number } {
  let exponent = 0;
  let m = Math.floor(bitrateBps);
  while (m > MAX_MANTISSA) {
    exponent++;
    m = Math.floor(bitrateBps / 2 ** exponent);
  }
  return { exponent, mantissa: m };
}

/** A REMB packet: the receiver's maximum total bitrate estimate for the listed SSRCs (draft-alvestrand-rmcat-remb-03 2.2). */
export class ReceiverEstimatedMaxBitrate {
  readonly packetType = RtcpPacketType.PSFB;
  readonly format = REMB_FMT;
  senderSsrc: number;
  /** Always 0 on the wire (draft 2.2); kept as parsed. */
  mediaSsrc: number;
  /** The estimate, bps; what the wire can carry (mantissa × 2^exp). */
  readonly bitrateBps: number;
  /** The SSRCs the estimate applies to (0 to 255 of them). */
  ssrcs: number[];

  /**
   * `bitrateBps` is rounded down to what 18-bit mantissa × 2^exp can carry. Throws
   * InvalidOptionError for a negative or non-finite rate, one above REMB_MAX_BITRATE_BPS, or
   * more than 255 SSRCs.
   */
  constructor(senderSsrc: number, bitrateBps: number, ssrcs: number[], mediaSsrc = 0) {
    if (!Number.isFinite(bitrateBps) || bitrateBps < 0 || bitrateBps > REMB_MAX_BITRATE_BPS) {
      throw new InvalidOptionError(`Cannot use bitrateBps=${String(bitrateBps)}: allowed is a number from 0 to ${REMB_MAX_BITRATE_BPS}`);
    }
    if (ssrcs.length > 255) throw new InvalidOptionError(`Cannot build REMB with ${ssrcs.length} SSRCs: allowed is at most 255`);
    const { exponent, mantissa } = rembExponentMantissa(bitrateBps);
    this.senderSsrc = senderSsrc >>> 0;
    this.mediaSsrc = mediaSsrc >>> 0;
    this.bitrateBps = mantissa * 2 ** exponent;
    this.ssrcs = ssrcs.map((s) => s >>> 0);
  }

  get byteLength(): number {
    return 20 + 4 * this.ssrcs.length;
  }

  /**
   * Parses exactly one REMB packet (RFC 4585 6.1 common format, draft 2.2). Throws
   * MalformedPacketError when the identifier is not "REMB" or Num SSRC disagrees with the
   * packet length.
   */
  static parse(bytes: Uint8Array): ReceiverEstimatedMaxBitrate {
    const { header, body } = RtcpHeader.body(bytes, RtcpPacketType.PSFB, "REMB");
    if (header.count !== REMB_FMT) throw new MalformedPacketError(`Cannot parse REMB: feedback format is ${header.count}, expected ${REMB_FMT}`);
    if (body.length < 16) throw new MalformedPacketError(`Cannot parse REMB: ${body.length} bytes after the header, need at least 16`);
    if (readU32(body, 8) !== REMB_IDENTIFIER) throw new MalformedPacketError(`Cannot parse REMB: identifier is 0x${readU32(body, 8).toString(16)}, expected "REMB"`);
    const n = body[12]!;
    if (body.length !== 16 + 4 * n) throw new MalformedPacketError(`Cannot parse REMB: Num SSRC ${n} needs ${16 + 4 * n} bytes after the header, got ${body.length}`);
    const exponent = body[13]! >> 2;
    const mantissa = ((body[13]! & 3) << 16) | (body[14]! << 8) | body[15]!;
    const ssrcs = new Array<number>(n);
    for (let i = 0; i < n; i++) ssrcs[i] = readU32(body, 16 + 4 * i);
    return new ReceiverEstimatedMaxBitrate(readU32(body, 0), mantissa * 2 ** exponent, ssrcs, readU32(body, 4));
  }

  serializeInto(dst: Uint8Array, offset: number): number {
    const size = this.byteLength;
    if (this.ssrcs.length > 255) throw new RangeError(`Cannot serialize REMB: ${this.ssrcs.length} SSRCs, allowed is at most 255`);
    checkRoom("REMB", dst, offset, size);
    RtcpHeader.write(dst, offset, REMB_FMT, RtcpPacketType.PSFB, size);
    writeU32(dst, offset + 4, this.senderSsrc);
    writeU32(dst, offset + 8, this.mediaSsrc);
    writeU32(dst, offset + 12, REMB_IDENTIFIER);
    const { exponent, mantissa } = rembExponentMantissa(this.bitrateBps);
    dst[offset + 16] = this.ssrcs.length;
    dst[offset + 17] = (exponent << 2) | (mantissa >> 16);
    dst[offset + 18] = (mantissa >> 8) & 0xff;
    dst[offset + 19] = mantissa & 0xff;
    for (let i = 0; i < this.ssrcs.length; i++) writeU32(dst, offset + 20 + 4 * i, this.ssrcs[i]!);
    return size;
  }

  serialize(): Uint8Array {
    const out = new Uint8Array(this.byteLength);
    this.serializeInto(out, 0);
    return out;
  }
}
