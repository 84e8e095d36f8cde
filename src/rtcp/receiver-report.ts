/**
 * RTCP Receiver Report, PT=201 (RFC 3550 6.4.2): the reporter's SSRC, up to 31 report
 * blocks, and an optional profile-specific extension.
 */
import { MalformedPacketError, InvalidOptionError } from "../errors.js";
import { ReportBlock, REPORT_BLOCK_BYTES } from "./report-block.js";
import { checkRoom, readU32, RtcpHeader, RtcpPacketType, writeU32 } from "./rtcp-header.js";

export interface ReceiverReportInit {
  ssrc: number;
  reportBlocks?: ReportBlock[];
  profileExtension?: Uint8Array;
}

const EMPTY = new Uint8Array(0);

export class ReceiverReport {
  readonly packetType = RtcpPacketType.RR;
  ssrc: number;
  reportBlocks: ReportBlock[];
  profileExtension: Uint8Array;

  constructor(init: ReceiverReportInit) {
    this.ssrc = init.ssrc >>> 0;
    this.reportBlocks = init.reportBlocks ?? [];
    this.profileExtension = init.profileExtension ?? EMPTY;
  }

  get byteLength(): number {
    return 8 + REPORT_BLOCK_BYTES * this.reportBlocks.length + this.profileExtension.length;
  }

  /** Parses exactly one RR packet. */
  static parse(bytes: Uint8Array): ReceiverReport {
    const { header, body } = RtcpHeader.body(bytes, RtcpPacketType.RR, "receiver report");
    const need = 4 + REPORT_BLOCK_BYTES * header.count;
    if (body.length < need) throw new MalformedPacketError(`Cannot parse receiver report: ${header.count} report blocks need ${need} bytes after the header, got ${body.length}`);
    const blocks: ReportBlock[] = [];
    for (let i = 0; i < header.count; i++) blocks.push(ReportBlock.parse(body.subarray(4 + REPORT_BLOCK_BYTES * i)));
    const ext = body.subarray(need);
    if (ext.length % 4 !== 0) throw new MalformedPacketError(`Cannot parse receiver report: extension of ${ext.length} bytes is not a multiple of 4`);
    return new ReceiverReport({ ssrc: readU32(body, 0), reportBlocks: blocks, profileExtension: ext });
  }

  serializeInto(dst: Uint8Array, offset: number): number {
    const n = this.byteLength;
    if (this.reportBlocks.length > 31) throw new InvalidOptionError(`Cannot serialize receiver report: ${this.reportBlocks.length} report blocks, allowed is at most 31`);
    if (this.profileExtension.length % 4 !== 0) throw new InvalidOptionError(`Cannot serialize receiver report: extension of ${this.profileExtension.length} bytes is not a multiple of 4`);
    checkRoom("receiver report", dst, offset, n);
    RtcpHeader.write(dst, offset, this.reportBlocks.length, RtcpPacketType.RR, n);
    writeU32(dst, offset + 4, this.ssrc);
    let o = offset + 8;
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
