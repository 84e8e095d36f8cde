/**
 * RTCP Sender Report, PT=200 (RFC 3550 6.4.1): sender info (NTP and RTP timestamps, packet
 * and octet counts), up to 31 report blocks, and an optional profile-specific extension.
 */
import { MalformedPacketError, InvalidOptionError } from "../errors.js";
import { ReportBlock, REPORT_BLOCK_BYTES } from "./report-block.js";
import { checkRoom, readU32, RtcpHeader, RtcpPacketType, writeU32 } from "./rtcp-header.js";

export interface SenderReportInit {
  ssrc: number;
  /** NTP timestamp, seconds since 1900 (most significant word). */
  ntpSeconds: number;
  /** NTP timestamp fraction (least significant word). */
  ntpFraction: number;
  rtpTimestamp: number;
  packetCount: number;
  /** Payload octets sent (not counting headers or padding). */
  octetCount: number;
  reportBlocks?: ReportBlock[];
  /** Profile-specific extension, a multiple of 4 bytes. */
  profileExtension?: Uint8Array;
}

const EMPTY = new Uint8Array(0);

export class SenderReport {
  readonly packetType = RtcpPacketType.SR;
  ssrc: number;
  ntpSeconds: number;
  ntpFraction: number;
  rtpTimestamp: number;
  packetCount: number;
  octetCount: number;
  reportBlocks: ReportBlock[];
  profileExtension: Uint8Array;

  constructor(init: SenderReportInit) {
    this.ssrc = init.ssrc >>> 0;
    this.ntpSeconds = init.ntpSeconds >>> 0;
    this.ntpFraction = init.ntpFraction >>> 0;
    this.rtpTimestamp = init.rtpTimestamp >>> 0;
    this.packetCount = init.packetCount >>> 0;
    this.octetCount = init.octetCount >>> 0;
    this.reportBlocks = init.reportBlocks ?? [];
    this.profileExtension = init.profileExtension ?? EMPTY;
  }

  get byteLength(): number {
    return 28 + REPORT_BLOCK_BYTES * this.reportBlocks.length + this.profileExtension.length;
  }

  /** Parses exactly one SR packet. */
  static parse(bytes: Uint8Array): SenderReport {
    const { header, body } = RtcpHeader.body(bytes, RtcpPacketType.SR, "sender report");
    const need = 24 + REPORT_BLOCK_BYTES * header.count;
    if (body.length < need) throw new MalformedPacketError(`Cannot parse sender report: ${header.count} report blocks need ${need} bytes after the header, got ${body.length}`);
    const blocks: ReportBlock[] = [];
    for (let i = 0; i < header.count; i++) blocks.push(ReportBlock.parse(body.subarray(24 + REPORT_BLOCK_BYTES * i)));
    const ext = body.subarray(need);
    if (ext.length % 4 !== 0) throw new MalformedPacketError(`Cannot parse sender report: extension of ${ext.length} bytes is not a multiple of 4`);
    return new SenderReport({
      ssrc: readU32(body, 0),
      ntpSeconds: readU32(body, 4),
      ntpFraction: readU32(body, 8),
      rtpTimestamp: readU32(body, 12),
      packetCount: readU32(body, 16),
      octetCount: readU32(body, 20),
      reportBlocks: blocks,
      profileExtension: ext,
    });
  }

  serializeInto(dst: Uint8Array, offset: number): number {
    const n = this.byteLength;
    if (this.reportBlocks.length > 31) throw new InvalidOptionError(`Cannot serialize sender report: ${this.reportBlocks.length} report blocks, allowed is at most 31`);
    if (this.profileExtension.length % 4 !== 0) throw new InvalidOptionError(`Cannot serialize sender report: extension of ${this.profileExtension.length} bytes is not a multiple of 4`);
    checkRoom("sender report", dst, offset, n);
    RtcpHeader.write(dst, offset, this.reportBlocks.length, RtcpPacketType.SR, n);
    writeU32(dst, offset + 4, this.ssrc);
    writeU32(dst, offset + 8, this.ntpSeconds);
    writeU32(dst, offset + 12, this.ntpFraction);
    writeU32(dst, offset + 16, this.rtpTimestamp);
    writeU32(dst, offset + 20, this.packetCount);
    writeU32(dst, offset + 24, this.octetCount);
    let o = offset + 28;
    for (const b of this.reportBlocks) o += b.serializeInto(dst, o);
    dst.set(this.profileExtension, o);
    return n;
  }

  serialize(): Uint8Array {
    const out = new Uint8Array(this.byteLength);
    this.serializeInto(out, 0);
    return out;
  }
}
