/**
 * A compound RTCP packet (RFC 3550 6.1): several RTCP packets back to back in one datagram,
 * checked as in RFC 3550 A.2: every packet version 2, the first an SR or RR (unless
 * reduced-size RTCP, RFC 5506 3.4.2, is allowed), padding only on the last, and the lengths
 * summing exactly to the datagram size.
 */
import { MalformedPacketError } from "../errors.js";
import { RtcpHeader, RtcpPacketType } from "./rtcp-header.js";
import { parseRtcpPacket, type RtcpPacket } from "./rtcp-packet.js";

export interface RtcpCompoundParseOptions {
  /** Accept packets that do not start with SR/RR (RFC 5506 reduced-size RTCP). Default false. */
  reducedSize?: boolean;
}

function fail(reason: string): never {
  throw new MalformedPacketError(`Cannot parse compound RTCP packet: ${reason}`);
}

export class RtcpCompoundPacket {
  packets: RtcpPacket[];

  constructor(packets: RtcpPacket[] = []) {
    this.packets = packets;
  }

  static parse(bytes: Uint8Array, options: RtcpCompoundParseOptions = {}): RtcpCompoundPacket {
    if (bytes.length === 0) fail("the datagram is empty");
    const packets: RtcpPacket[] = [];
    let o = 0;
    while (o < bytes.length) {
      const rest = bytes.subarray(o);
      let header: RtcpHeader;
      try {
        header = RtcpHeader.parse(rest);
      } catch (e) {
        fail(`packet ${packets.length} at offset ${o}: ${(e as Error).message}`);
      }
      if (o === 0 && !options.reducedSize && header.packetType !== RtcpPacketType.SR && header.packetType !== RtcpPacketType.RR) {
        fail(`first packet type is ${header.packetType}, allowed is SR (200) or RR (201)`);
      }
      const size = header.packetBytes;
      if (size > rest.length) fail(`packet ${packets.length} at offset ${o} says ${size} bytes, only ${rest.length} remain`);
      if (header.padding && o + size !== bytes.length) fail(`packet ${packets.length} at offset ${o} has padding but is not the last`);
      packets.push(parseRtcpPacket(rest.subarray(0, size)));
      o += size;
    }
    return new RtcpCompoundPacket(packets);
  }

  get byteLength(): number {
    let n = 0;
    for (const p of this.packets) n += p.byteLength;
    return n;
  }

  serializeInto(dst: Uint8Array, offset: number): number {
    let o = offset;
    for (const p of this.packets) o += p.serializeInto(dst, o);
    return o - offset;
  }

  serialize(): Uint8Array {
    const out = new Uint8Array(this.byteLength);
    this.serializeInto(out, 0);
    return out;
  }
}
