/**
 * Picture Loss Indication, RTCP PSFB (PT=206) with FMT=1 (RFC 4585 6.3.1): the receiver of a
 * video stream lost part of a picture and asks the sender for a keyframe. No FCI.
 *
 * ```
 * |V=2|P| FMT=1 |   PT=206      |          length=2             |
 * |                  SSRC of packet sender                        |
 * |                  SSRC of media source                         |
 * ```
 */
import { MalformedPacketError } from "../errors.js";
import { checkRoom, readU32, RtcpHeader, RtcpPacketType, writeU32 } from "./rtcp-header.js";

/** Feedback message type of PLI in a PSFB packet (RFC 4585 6.3). */
export const PLI_FMT = 1;

export class PictureLossIndication {
  readonly packetType = RtcpPacketType.PSFB;
  readonly format = PLI_FMT;
  senderSsrc: number;
  mediaSsrc: number;

  constructor(senderSsrc: number, mediaSsrc: number) {
    this.senderSsrc = senderSsrc >>> 0;
    this.mediaSsrc = mediaSsrc >>> 0;
  }

  get byteLength(): number {
    return 12;
  }

  /** Parses exactly one PLI packet (RFC 4585 6.1 common format, 6.3.1 no FCI). */
  static parse(bytes: Uint8Array): PictureLossIndication {
    const { header, body } = RtcpHeader.body(bytes, RtcpPacketType.PSFB, "PLI");
    if (header.count !== PLI_FMT) throw new MalformedPacketError(`Cannot parse PLI: feedback format is ${header.count}, expected ${PLI_FMT}`);
    if (body.length < 8) throw new MalformedPacketError(`Cannot parse PLI: ${body.length} bytes after the header, need 8`);
    return new PictureLossIndication(readU32(body, 0), readU32(body, 4));
  }

  serializeInto(dst: Uint8Array, offset: number): number {
    checkRoom("PLI", dst, offset, 12);
    RtcpHeader.write(dst, offset, PLI_FMT, RtcpPacketType.PSFB, 12);
    writeU32(dst, offset + 4, this.senderSsrc);
    writeU32(dst, offset + 8, this.mediaSsrc);
    return 12;
  }

  serialize(): Uint8Array {
    const out = new Uint8Array(12);
    this.serializeInto(out, 0);
    return out;
  }
}
