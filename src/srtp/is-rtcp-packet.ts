/**
 * RTP/RTCP demultiplexing on one port (RFC 5761 Section 4): a packet whose second byte (the RTP
 * marker bit and payload type, or the RTCP packet type) is 192..223 is RTCP.
 */
export function isRtcpPacket(packet: Uint8Array): boolean {
  const b1 = packet[1];
  return b1 !== undefined && b1 >= 192 && b1 <= 223;
}
