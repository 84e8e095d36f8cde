/** The RTCP packet kinds this module decodes, and the per-packet dispatch (RFC 3550 6.4-6.6). */
import { Goodbye } from "./goodbye.js";
import { PictureLossIndication, PLI_FMT } from "./picture-loss-indication.js";
import { ReceiverReport } from "./receiver-report.js";
import { RtcpHeader, RtcpPacketType } from "./rtcp-header.js";
import { SenderReport } from "./sender-report.js";
import { SourceDescription } from "./source-description.js";
import { UnknownRtcpPacket } from "./unknown-rtcp-packet.js";

export type RtcpPacket = SenderReport | ReceiverReport | SourceDescription | Goodbye | PictureLossIndication | UnknownRtcpPacket;

/**
 * Parses exactly one RTCP packet (`bytes` is the whole packet as its length field says):
 * SR, RR, SDES, BYE and PLI (RFC 4585) are decoded, anything else is kept as an UnknownRtcpPacket.
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
    case RtcpPacketType.PSFB:
      // A PLI has no FCI (RFC 4585 6.3.1); other PSFB messages stay opaque.
      return header.count === PLI_FMT && bytes.length === 12 ? PictureLossIndication.parse(bytes) : UnknownRtcpPacket.parse(bytes);
    default:
      return UnknownRtcpPacket.parse(bytes);
  }
}
