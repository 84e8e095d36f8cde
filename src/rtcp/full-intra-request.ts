/**
 * Full Intra Request, RTCP PSFB (PT=206) with FMT=4 (RFC 5104 4.3.1): a command to the media
 * sender to send a decoder refresh point (a keyframe) as soon as possible. The FCI holds one
 * entry per addressed media sender: its SSRC and a command sequence number that grows by one
 * (mod 256) for each new request and stays the same for repetitions (RFC 5104 4.3.1.2).
 *
 * ```
 * |V=2|P| FMT=4 |   PT=206      |          length               |
 * |                  SSRC of packet sender                        |
 * |             SSRC of media source (unused, 0)                  |
 * |                              SSRC                             |  (one or more)
 * | Seq nr.       |    Reserved                                   |
 * ```
 */
import { MalformedPacketError } from "../errors.js";
import { checkRoom, readU32, RtcpHeader, RtcpPacketType, writeU32 } from "./rtcp-header.js";

/** Feedback message type of FIR in a PSFB packet (RFC 5104 4.3.1.1). */
export const FIR_FMT = 4;

const MAX_ENTRIES = (0xffff - 2) >> 1;

/** One FIR FCI entry (RFC 5104 4.3.1.1). */
export interface FirEntry {
  /** SSRC of the media sender asked for a keyframe. */
  ssrc: number;
  /** Command sequence number, 0-255. */
  sequenceNumber: number;
  /** The 24 reserved bits: 0 when sent, ignored on receipt; kept so parse/serialize is byte-exact. */
  reserved?: number;
}

export class FullIntraRequest {
  readonly packetType = RtcpPacketType.PSFB;
  readonly format = FIR_FMT;
  senderSsrc: number;
  /** "SSRC of media source": unused by FIR, SHALL be 0 (RFC 5104 4.3.1.2). */
  mediaSsrc: number;
  /** At least one entry on the wire. */
  entries: FirEntry[];

  constructor(senderSsrc: number, entries: FirEntry[], mediaSsrc = 0) {
    this.senderSsrc = senderSsrc >>> 0;
    this.mediaSsrc = mediaSsrc >>> 0;
    this.entries = entries;
  }

  get byteLength(): number {
    return 12 + 8 * this.entries.length;
  }

  /** Parses exactly one FIR packet (RFC 4585 6.1 common format, RFC 5104 4.3.1.1 FCI). */
  static parse(bytes: Uint8Array): FullIntraRequest {
    const { header, body } = RtcpHeader.body(bytes, RtcpPacketType.PSFB, "FIR");
    if (header.count !== FIR_FMT) throw new MalformedPacketError(`Cannot parse FIR: feedback format is ${header.count}, expected ${FIR_FMT}`);
    if (body.length < 16) throw new MalformedPacketError(`Cannot parse FIR: ${body.length} bytes after the header, need 8 plus at least one 8-byte FCI entry`);
    if ((body.length - 8) % 8 !== 0) throw new MalformedPacketError(`Cannot parse FIR: FCI of ${body.length - 8} bytes is not a whole number of 8-byte entries`);
    const n = (body.length - 8) / 8;
    const entries = new Array<FirEntry>(n);
    for (let i = 0, o = 8; i < n; i++, o += 8) {
      const reserved = (body[o + 5]! << 16) | (body[o + 6]! << 8) | body[o + 7]!;
      entries[i] = reserved === 0 ? { ssrc: readU32(body, o), sequenceNumber: body[o + 4]! } : { ssrc: readU32(body, o), sequenceNumber: body[o + 4]!, reserved };
    }
    return new FullIntraRequest(readU32(body, 0), entries, readU32(body, 4));
  }

  serializeInto(dst: Uint8Array, offset: number): number {
    const n = this.entries.length;
    if (n === 0 || n > MAX_ENTRIES) throw new RangeError(`Cannot serialize FIR: ${n} FCI entries, allowed is 1 to ${MAX_ENTRIES}`);
    const size = this.byteLength;
    checkRoom("FIR", dst, offset, size);
    RtcpHeader.write(dst, offset, FIR_FMT, RtcpPacketType.PSFB, size);
    writeU32(dst, offset + 4, this.senderSsrc);
    writeU32(dst, offset + 8, this.mediaSsrc);
    let o = offset + 12;
    for (const e of this.entries) {
      writeU32(dst, o, e.ssrc >>> 0);
      const r = (e.reserved ?? 0) & 0xffffff;
      dst[o + 4] = e.sequenceNumber & 0xff;
      dst[o + 5] = r >>> 16;
      dst[o + 6] = (r >>> 8) & 0xff;
      dst[o + 7] = r & 0xff;
      o += 8;
    }
    return size;
  }

  serialize(): Uint8Array {
    const out = new Uint8Array(this.byteLength);
    this.serializeInto(out, 0);
    return out;
  }
}
