/**
 * The RTP retransmission payload format (RFC 4588 4): an RTX packet carries the original
 * sequence number (OSN, 2 bytes) followed by the original payload. The RTX stream has its own
 * SSRC, payload type and sequence-number space (session multiplexing by SSRC, RFC 4588 5.3);
 * the timestamp, marker bit, CSRCs and header extensions are those of the original packet
 * (RFC 4588 4.1), and the receiver maps SSRC and payload type back (RFC 4588 8.6, `apt`).
 *
 * ```
 *  0                   1                   2                   3
 * |                         RTP Header                            |
 * |            OSN                |                               |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+                               |
 * |                  Original RTP Packet Payload                  |
 * ```
 */
import { MalformedPacketError } from "../errors.js";
import { RtpHeaderExtensions } from "./rtp-header-extensions.js";
import { RtpPacket } from "./rtp-packet.js";

/** Size of the original-sequence-number field (RFC 4588 4). */
export const RTX_OSN_BYTES = 2;

/** Where an RTX packet goes: the RTX stream's SSRC, payload type and next sequence number. */
export interface RtxWrapParams {
  ssrc: number;
  payloadType: number;
  sequenceNumber: number;
}

/** The media stream an RTX packet is restored to. */
export interface RtxUnwrapParams {
  ssrc: number;
  payloadType: number;
}

/** A copy of the extension block, so that setting an element on one packet (e.g. a TWCC number) leaves the other alone. */
function cloneExtensions(ext: RtpHeaderExtensions | null): RtpHeaderExtensions | null {
  return ext === null ? null : RtpHeaderExtensions.parse(ext.serialize());
}

/**
 * Builds the RTX packet for `original` (RFC 4588 4): OSN + original payload, the original's
 * timestamp, marker, CSRCs, header extensions (copied) and padding, the RTX SSRC, payload type
 * and sequence number from `rtx`.
 */
export function wrapRtx(original: RtpPacket, rtx: RtxWrapParams): RtpPacket {
  const payload = new Uint8Array(RTX_OSN_BYTES + original.payload.length);
  payload[0] = original.sequenceNumber >> 8;
  payload[1] = original.sequenceNumber & 0xff;
  payload.set(original.payload, RTX_OSN_BYTES);
  return new RtpPacket({
    marker: original.marker,
    payloadType: rtx.payloadType,
    sequenceNumber: rtx.sequenceNumber,
    timestamp: original.timestamp,
    ssrc: rtx.ssrc,
    csrcs: original.csrcs,
    headerExtensions: cloneExtensions(original.headerExtensions),
    payload,
    paddingLength: original.paddingLength,
  });
}

/** The original sequence number of an RTX packet (RFC 4588 4); throws MalformedPacketError if there is none. */
export function rtxOriginalSequenceNumber(rtx: RtpPacket): number {
  if (rtx.payload.length < RTX_OSN_BYTES) throw new MalformedPacketError(`Cannot parse RTX payload: ${rtx.payload.length} bytes is shorter than the 2-byte original sequence number`);
  return (rtx.payload[0]! << 8) | rtx.payload[1]!;
}

/**
 * Restores the original media packet from an RTX packet (RFC 4588 4): sequence number from
 * the OSN, SSRC and payload type from `media`, everything else from the RTX packet. The payload
 * is a view into the RTX packet's payload. Throws MalformedPacketError when the payload is
 * shorter than the OSN (a padding-only RTX packet, RFC 4588 8.2, carries no media).
 */
export function unwrapRtx(rtx: RtpPacket, media: RtxUnwrapParams): RtpPacket {
  const osn = rtxOriginalSequenceNumber(rtx);
  return new RtpPacket({
    marker: rtx.marker,
    payloadType: media.payloadType,
    sequenceNumber: osn,
    timestamp: rtx.timestamp,
    ssrc: media.ssrc,
    csrcs: rtx.csrcs,
    headerExtensions: rtx.headerExtensions,
    payload: rtx.payload.subarray(RTX_OSN_BYTES),
    paddingLength: rtx.paddingLength,
  });
}
