/**
 * The transport-wide sequence number RTP header extension
 * (draft-holmer-rmcat-transport-wide-cc-extensions-01, section 2): one 16-bit counter shared
 * by every RTP packet on the transport, which TWCC feedback (RTPFB FMT=15) refers to.
 *
 * ```
 *  0                   1                   2
 * |  ID   | L=1   |transport-wide sequence number |   (one-byte form, RFC 8285 4.2)
 * ```
 *
 * Three ways to write it: `write` on an RtpPacket (reuses the element's 2 bytes when present,
 * so re-stamping a packet allocates nothing), and `patch` on an already-serialized packet
 * (the pacer assigns the number at send time, after serialization; no allocation at all).
 */
import { MalformedPacketError } from "../errors.js";
import type { RtpPacket } from "./rtp-packet.js";
import { ONE_BYTE_PROFILE, TWO_BYTE_PROFILE } from "./rtp-header-extensions.js";

/** The extension's URI for SDP `a=extmap` (draft section 2). */
export const TRANSPORT_WIDE_SEQUENCE_NUMBER_URI = "http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01";

/** Size of the element data (draft section 2). */
export const TRANSPORT_WIDE_SEQUENCE_NUMBER_BYTES = 2;

/**
 * Finds element `id` in the RFC 8285 header extension of a serialized RTP packet, without
 * allocating. Returns `offset * 256 + length` of the element data within `bytes`, or -1 when
 * the packet has no RFC 8285 extension block, no such element, or is too short to tell.
 */
export function findRtpExtensionElement(bytes: Uint8Array, id: number): number {
  const len = bytes.length;
  if (len < 12) return -1;
  const b0 = bytes[0]!;
  if ((b0 & 0x10) === 0) return -1;
  const o = 12 + 4 * (b0 & 0x0f);
  if (o + 4 > len) return -1;
  const profile = (bytes[o]! << 8) | bytes[o + 1]!;
  const end = o + 4 + 4 * ((bytes[o + 2]! << 8) | bytes[o + 3]!);
  if (end > len) return -1;
  let i = o + 4;
  if (profile === ONE_BYTE_PROFILE) {
    while (i < end) {
      const b = bytes[i]!;
      const eid = b >> 4;
      if (eid === 0) {
        i++; // padding (RFC 8285 4.2)
        continue;
      }
      if (eid === 15) return -1; // id 15 ends the block (RFC 8285 4.2)
      const n = (b & 0x0f) + 1;
      if (i + 1 + n > end) return -1;
      if (eid === id) return (i + 1) * 256 + n;
      i += 1 + n;
    }
  } else if ((profile & 0xfff0) === TWO_BYTE_PROFILE) {
    while (i < end) {
      const eid = bytes[i]!;
      if (eid === 0) {
        i++;
        continue;
      }
      if (i + 2 > end) return -1;
      const n = bytes[i + 1]!;
      if (i + 2 + n > end) return -1;
      if (eid === id) return (i + 2) * 256 + n;
      i += 2 + n;
    }
  }
  return -1;
}

/** Read/write helpers for the transport-wide sequence number extension (draft section 2). */
export const TransportWideSequenceNumber = {
  URI: TRANSPORT_WIDE_SEQUENCE_NUMBER_URI,

  /**
   * The 16-bit number in element `id` of `packet`, or undefined when the element is absent.
   * Throws MalformedPacketError when the element is not 2 bytes.
   */
  read(packet: RtpPacket, id: number): number | undefined {
    const d = packet.getExtension(id);
    if (d === undefined) return undefined;
    if (d.length !== TRANSPORT_WIDE_SEQUENCE_NUMBER_BYTES) throw new MalformedPacketError(`Cannot parse transport-wide sequence number: element is ${d.length} bytes, expected 2`);
    return (d[0]! << 8) | d[1]!;
  },

  /**
   * Sets element `id` of `packet` to `sequenceNumber & 0xffff`. Writes into the existing
   * 2-byte element when there is one (no allocation); otherwise adds a new 2-byte element.
   */
  write(packet: RtpPacket, id: number, sequenceNumber: number): void {
    const d = packet.getExtension(id);
    if (d !== undefined && d.length === TRANSPORT_WIDE_SEQUENCE_NUMBER_BYTES) {
      d[0] = (sequenceNumber >> 8) & 0xff;
      d[1] = sequenceNumber & 0xff;
      return;
    }
    packet.setExtension(id, Uint8Array.of((sequenceNumber >> 8) & 0xff, sequenceNumber & 0xff));
  },

  /**
   * Overwrites element `id` in a serialized RTP packet in place (before SRTP protection).
   * Returns false, changing nothing, when the packet has no 2-byte element `id`.
   */
  patch(bytes: Uint8Array, id: number, sequenceNumber: number): boolean {
    const r = findRtpExtensionElement(bytes, id);
    if (r < 0 || (r & 0xff) !== TRANSPORT_WIDE_SEQUENCE_NUMBER_BYTES) return false;
    const o = r >>> 8;
    bytes[o] = (sequenceNumber >> 8) & 0xff;
    bytes[o + 1] = sequenceNumber & 0xff;
    return true;
  },

  /** Reads element `id` from a serialized RTP packet without parsing it; undefined when absent or not 2 bytes. */
  peek(bytes: Uint8Array, id: number): number | undefined {
    const r = findRtpExtensionElement(bytes, id);
    if (r < 0 || (r & 0xff) !== TRANSPORT_WIDE_SEQUENCE_NUMBER_BYTES) return undefined;
    const o = r >>> 8;
    return (bytes[o]! << 8) | bytes[o + 1]!;
  },
} as const;

