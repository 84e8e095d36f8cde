/**
 * A reception report block (RFC 3550 6.4.1), 24 bytes, carried in SR and RR packets.
 *
 * ```
 * |                 SSRC_1 (SSRC of first source)                 |
 * | fraction lost |       cumulative number of packets lost       |
 * |           extended highest sequence number received           |
 * |                      interarrival jitter                      |
 * |                         last SR (LSR)                         |
 * |                   delay since last SR (DLSR)                  |
 * ```
 */
import { MalformedPacketError } from "../errors.js";
import { checkRoom, readU32, writeU32 } from "./rtcp-header.js";

export const REPORT_BLOCK_BYTES = 24;

export interface ReportBlockInit {
  ssrc: number;
  /** Fraction lost since the previous report, as a fixed-point 0-255 (loss × 256). */
  fractionLost?: number;
  /** Cumulative packets lost, a signed 24-bit value (−8388608 to 8388607). */
  cumulativeLost?: number;
  extendedHighestSequenceNumber?: number;
  /** Interarrival jitter in RTP timestamp units. */
  jitter?: number;
  /** Middle 32 bits of the NTP timestamp of the last SR received, or 0. */
  lastSenderReport?: number;
  /** Delay since that SR in 1/65536 s, or 0. */
  delaySinceLastSenderReport?: number;
}

export class ReportBlock {
  ssrc: number;
  fractionLost: number;
  cumulativeLost: number;
  extendedHighestSequenceNumber: number;
  jitter: number;
  lastSenderReport: number;
  delaySinceLastSenderReport: number;

  constructor(init: ReportBlockInit) {
    this.ssrc = init.ssrc >>> 0;
    this.fractionLost = (init.fractionLost ?? 0) & 0xff;
    this.cumulativeLost = Math.max(-0x800000, Math.min(0x7fffff, Math.trunc(init.cumulativeLost ?? 0)));
    this.extendedHighestSequenceNumber = (init.extendedHighestSequenceNumber ?? 0) >>> 0;
    this.jitter = (init.jitter ?? 0) >>> 0;
    this.lastSenderReport = (init.lastSenderReport ?? 0) >>> 0;
    this.delaySinceLastSenderReport = (init.delaySinceLastSenderReport ?? 0) >>> 0;
  }

  get byteLength(): number {
    return REPORT_BLOCK_BYTES;
  }

  static parse(bytes: Uint8Array): ReportBlock {
    if (bytes.length < REPORT_BLOCK_BYTES) throw new MalformedPacketError(`Cannot parse report block: ${bytes.length} bytes is shorter than 24`);
    let lost = (bytes[5]! << 16) | (bytes[6]! << 8) | bytes[7]!;
    if (lost & 0x800000) lost -= 0x1000000;
    return new ReportBlock({
      ssrc: readU32(bytes, 0),
      fractionLost: bytes[4]!,
      cumulativeLost: lost,
      extendedHighestSequenceNumber: readU32(bytes, 8),
      jitter: readU32(bytes, 12),
      lastSenderReport: readU32(bytes, 16),
      delaySinceLastSenderReport: readU32(bytes, 20),
    });
  }

  serializeInto(dst: Uint8Array, offset: number): number {
    checkRoom("report block", dst, offset, REPORT_BLOCK_BYTES);
    writeU32(dst, offset, this.ssrc);
    const lost = this.cumulativeLost & 0xffffff;
    dst[offset + 4] = this.fractionLost & 0xff;
    dst[offset + 5] = lost >> 16;
    dst[offset + 6] = (lost >> 8) & 0xff;
    dst[offset + 7] = lost & 0xff;
    writeU32(dst, offset + 8, this.extendedHighestSequenceNumber);
    writeU32(dst, offset + 12, this.jitter);
    writeU32(dst, offset + 16, this.lastSenderReport);
    writeU32(dst, offset + 20, this.delaySinceLastSenderReport);
    return REPORT_BLOCK_BYTES;
  }

  serialize(): Uint8Array {
    const out = new Uint8Array(REPORT_BLOCK_BYTES);
    this.serializeInto(out, 0);
    return out;
  }
}
