/** The RTCP packet kinds this module decodes, and the per-packet dispatch (RFC 3550 6.4-6.6). */
import { Goodbye } from "./goodbye.js";
import { ReceiverReport } from "./receiver-report.js";
import { RtcpHeader, RtcpPacketType } from "./rtcp-header.js";
import { SenderReport } from "./sender-report.js";
import { SourceDescription } from "./source-description.js";
import { UnknownRtcpPacket } from "./unknown-rtcp-packet.js";

export type RtcpPacket = SenderReport | ReceiverReport | SourceDescription | Goodbye | UnknownRtcpPacket;

/**
 * Parses exactly one RTCP packet (`bytes` is the whole packet as its length field says):
 * SR, RR, SDES and BYE are decoded, anything else is kept as an UnknownRtcpPacket.
 */
export function parseRtcpPacket(bytes: Uint8Array): RtcpPacket {
  const header = RtcpHeader.parse(bytes);
  switch (header.packetType) {
    case RtcpPacketType.SR:
      return SenderReport.parse(bytes);
    case RtcpPacketType.RR:
      return ReceiverReport.parse(bytes);
    case RtcpPacketType.SDES:
      return SourceDescription.parse(bytes);
    case RtcpPacketType.BYE:
      return Goodbye.parse(bytes);
    default:
      return UnknownRtcpPacket.parse(bytes);
  }
}
