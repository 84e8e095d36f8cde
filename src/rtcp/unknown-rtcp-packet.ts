/**
 * Any RTCP packet type this module does not decode (APP, RTPFB, PSFB, XR, ...): the header
 * fields and the body kept as bytes, so compound parsing never fails on unknown types
 * (RFC 3550 6.1 says receivers ignore types they do not know).
 */
import { InvalidOptionError } from "../errors.js";
import { checkRoom, RtcpHeader } from "./rtcp-header.js";

export class UnknownRtcpPacket {
  readonly packetType: number;
  /** The 5-bit count/format field. */
  count: number;
  /** Bytes after the 4-byte header, without padding (serialized with RTCP padding when not a multiple of 4). */
  body: Uint8Array;

  constructor(packetType: number, count: number, body: Uint8Array) {
    this.packetType = packetType & 0xff;
    this.count = count & 0x1f;
    this.body = body;
  }

  get byteLength(): number {
    return 4 + ((this.body.length + 3) & ~3);
  }

  /** Parses exactly one packet of any type. */
  static parse(bytes: Uint8Array): UnknownRtcpPacket {
    const { header, body } = RtcpHeader.body(bytes, -1, "RTCP packet");
    return new UnknownRtcpPacket(header.packetType, header.count, body);
  }

  serializeInto(dst: Uint8Array, offset: number): number {
    const n = this.byteLength;
    if (n > 0x40000) throw new InvalidOptionError(`Cannot serialize RTCP packet type ${this.packetType}: ${n} bytes is too long`);
    checkRoom(`RTCP packet type ${this.packetType}`, dst, offset, n);
    RtcpHeader.write(dst, offset, this.count, this.packetType, n);
    dst.set(this.body, offset + 4);
    const pad = n - 4 - this.body.length;
    dst.fill(0, offset + 4 + this.body.length, offset + n);
    if (pad > 0) {
      // A body that is not a multiple of 4 keeps its length through RTCP padding (RFC 3550 6.4.1).
      dst[offset] = dst[offset]! | 0x20;
      dst[offset + n - 1] = pad;
    }
    return n;
  }

  serialize(): Uint8Array {
    const out = new Uint8Array(this.byteLength);
    this.serializeInto(out, 0);
    return out;
  }
}
