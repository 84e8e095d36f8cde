/** The RTCP packet kinds this module decodes, and the per-packet dispatch (RFC 3550 6.4-6.6). */
import { MalformedPacketError } from "../errors.js";
import { FIR_FMT, FullIntraRequest } from "./full-intra-request.js";
import { GENERIC_NACK_FMT, GenericNack } from "./generic-nack.js";
import { Goodbye } from "./goodbye.js";
import { PictureLossIndication, PLI_FMT } from "./picture-loss-indication.js";
import { isRembPacket, REMB_FMT, ReceiverEstimatedMaxBitrate } from "./receiver-estimated-max-bitrate.js";
import { ReceiverReport } from "./receiver-report.js";
import { RtcpHeader, RtcpPacketType } from "./rtcp-header.js";
import { SenderReport } from "./sender-report.js";
import { SourceDescription } from "./source-description.js";
import { TRANSPORT_FEEDBACK_FMT, TransportFeedback } from "./transport-feedback.js";
import { UnknownRtcpPacket } from "./unknown-rtcp-packet.js";

export type RtcpPacket = SenderReport | ReceiverReport | SourceDescription | Goodbye | PictureLossIndication | GenericNack | FullIntraRequest | TransportFeedback | ReceiverEstimatedMaxBitrate | UnknownRtcpPacket;

/**
 * Parses exactly one RTCP packet (`bytes` is the whole packet as its length field says):
 * SR, RR, SDES, BYE, PLI and Generic NACK (RFC 4585), FIR (RFC 5104), transport-wide CC
 * feedback (RTPFB FMT=15) and REMB (PSFB FMT=15 "REMB") are decoded, anything else is kept as
 * an UnknownRtcpPacket. Feedback packets are decoded only in their well-formed
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
      if (header.count === GENERIC_NACK_FMT) return !header.padding && bytes.length >= 16 && bytes.length % 4 === 0 ? GenericNack.parse(bytes) : UnknownRtcpPacket.parse(bytes);
      // Transport-wide CC feedback (draft-holmer-rmcat-transport-wide-cc-extensions-01 3.1): its shape is only known by decoding it.
      if (header.count === TRANSPORT_FEEDBACK_FMT) return orUnknown(bytes, TransportFeedback.parse);
      return UnknownRtcpPacket.parse(bytes);
    case RtcpPacketType.PSFB:
      // A PLI has no FCI (RFC 4585 6.3.1); a FIR has 8-byte entries (RFC 5104 4.3.1.1); other PSFB messages stay opaque.
      if (header.count === PLI_FMT && bytes.length === 12) return PictureLossIndication.parse(bytes);
      if (header.count === FIR_FMT && !header.padding && bytes.length >= 20 && (bytes.length - 12) % 8 === 0) return FullIntraRequest.parse(bytes);
      // Application layer feedback (RFC 4585 6.4) is REMB only with the "REMB" identifier.
      if (header.count === REMB_FMT && isRembPacket(bytes)) return orUnknown(bytes, ReceiverEstimatedMaxBitrate.parse);
      return UnknownRtcpPacket.parse(bytes);
    default:
      return UnknownRtcpPacket.parse(bytes);
  }
}

/** Decodes with `parse`, or keeps the packet opaque when that shape is malformed. */
function orUnknown(bytes: Uint8Array, parse: (b: Uint8Array) => RtcpPacket): RtcpPacket {
  try {
    return parse(bytes);
  } catch (e) {
    if (!(e instanceof MalformedPacketError)) throw e;
    return UnknownRtcpPacket.parse(bytes);
  }
}
