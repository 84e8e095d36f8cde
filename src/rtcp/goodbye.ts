/**
 * RTCP BYE, PT=203 (RFC 3550 6.6): the sources leaving, and an optional reason.
 */
import { MalformedPacketError, InvalidOptionError } from "../errors.js";
import { checkRoom, readU32, RtcpHeader, RtcpPacketType, writeU32 } from "./rtcp-header.js";

const encoder = new TextEncoder();
const decoder = new TextDecoder();

export class Goodbye {
  readonly packetType = RtcpPacketType.BYE;
  ssrcs: number[];
  /** Reason for leaving as bytes (UTF-8), at most 255, or null when absent. */
  reasonBytes: Uint8Array | null;

  constructor(ssrcs: number[] = [], reason?: string | Uint8Array) {
    this.ssrcs = ssrcs.map((s) => s >>> 0);
    this.reasonBytes = reason === undefined ? null : typeof reason === "string" ? encoder.encode(reason) : reason;
  }

  /** The reason as text, or undefined. */
  get reason(): string | undefined {
    return this.reasonBytes === null ? undefined : decoder.decode(this.reasonBytes);
  }

  get byteLength(): number {
    let n = 4 + 4 * this.ssrcs.length;
    if (this.reasonBytes !== null) n += (1 + this.reasonBytes.length + 3) & ~3;
    return n;
  }

  /** Parses exactly one BYE packet. */
  static parse(bytes: Uint8Array): Goodbye {
    const { header, body } = RtcpHeader.body(bytes, RtcpPacketType.BYE, "BYE");
    const need = 4 * header.count;
    if (body.length < need) throw new MalformedPacketError(`Cannot parse BYE: ${header.count} SSRCs need ${need} bytes, got ${body.length}`);
    const ssrcs: number[] = [];
    for (let i = 0; i < header.count; i++) ssrcs.push(readU32(body, 4 * i));
    const bye = new Goodbye(ssrcs);
    if (body.length > need) {
      const len = body[need]!;
      if (need + 1 + len > body.length) throw new MalformedPacketError(`Cannot parse BYE: reason of ${len} bytes overruns the packet`);
      bye.reasonBytes = body.subarray(need + 1, need + 1 + len);
    }
    return bye;
  }

  serializeInto(dst: Uint8Array, offset: number): number {
    const n = this.byteLength;
    if (this.ssrcs.length > 31) throw new InvalidOptionError(`Cannot serialize BYE: ${this.ssrcs.length} SSRCs, allowed is at most 31`);
    if (this.reasonBytes !== null && this.reasonBytes.length > 255) throw new InvalidOptionError(`Cannot serialize BYE: reason of ${this.reasonBytes.length} bytes, allowed is at most 255`);
    checkRoom("BYE", dst, offset, n);
    RtcpHeader.write(dst, offset, this.ssrcs.length, RtcpPacketType.BYE, n);
    let o = offset + 4;
    for (const s of this.ssrcs) {
      writeU32(dst, o, s);
      o += 4;
    }
    if (this.reasonBytes !== null) {
      dst[o] = this.reasonBytes.length;
      dst.set(this.reasonBytes, o + 1);
      dst.fill(0, o + 1 + this.reasonBytes.length, offset + n);
    }
    return n;
  }

  serialize(): Uint8Array {
    const out = new Uint8Array(this.byteLength);
    this.serializeInto(out, 0);
    return out;
  }
}
