/** The RTCP packet kinds this module decodes, and the per-packet dispatch (RFC 3550 6.4-6.6). */
import { FIR_FMT, FullIntraRequest } from "./full-intra-request.js";
import { GENERIC_NACK_FMT, GenericNack } from "./generic-nack.js";
import { Goodbye } from "./goodbye.js";
import { PictureLossIndication, PLI_FMT } from "./picture-loss-indication.js";
import { ReceiverReport } from "./receiver-report.js";
import { RtcpHeader, RtcpPacketType } from "./rtcp-header.js";
import { SenderReport } from "./sender-report.js";
import { SourceDescription } from "./source-description.js";
import { UnknownRtcpPacket } from "./unknown-rtcp-packet.js";

export type RtcpPacket = SenderReport | ReceiverReport | SourceDescription | Goodbye | PictureLossIndication | GenericNack | FullIntraRequest | UnknownRtcpPacket;

/**
 * Parses exactly one RTCP packet (`bytes` is the whole packet as its length field says):
 * SR, RR, SDES, BYE, PLI and Generic NACK (RFC 4585) and FIR (RFC 5104) are decoded, anything
 * else is kept as an UnknownRtcpPacket. Feedback packets are decoded only in their well-formed
 * shape without RTCP padding (FCI a whole number of entries, at least one); other shapes stay
 * opaque rather than failing the compound packet.
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
    case RtcpPacketType.RTPFB:
      // Generic NACK: 12 bytes plus 4-byte FCI entries (RFC 4585 6.2.1).
      return header.count === GENERIC_NACK_FMT && !header.padding && bytes.length >= 16 && bytes.length % 4 === 0 ? GenericNack.parse(bytes) : UnknownRtcpPacket.parse(bytes);
    case RtcpPacketType.PSFB:
      // A PLI has no FCI (RFC 4585 6.3.1); a FIR has 8-byte entries (RFC 5104 4.3.1.1); other PSFB messages stay opaque.
      if (header.count === PLI_FMT && bytes.length === 12) return PictureLossIndication.parse(bytes);
      if (header.count === FIR_FMT && !header.padding && bytes.length >= 20 && (bytes.length - 12) % 8 === 0) return FullIntraRequest.parse(bytes);
      return UnknownRtcpPacket.parse(bytes);
    default:
      return UnknownRtcpPacket.parse(bytes);
  }
}
