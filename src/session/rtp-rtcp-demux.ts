/**
 * Tells RTCP from RTP on one port (RFC 5761 4): the second byte of an RTCP packet is its
 * packet type, 192-223 (SR 200, RR 201, SDES 202, BYE 203, RTPFB 205, PSFB 206...), which in
 * RTP would be marker + payload type 64-95, a range RTP/AVP never assigns. The header stays
 * readable under SRTP/SRTCP, so this works on protected packets.
 */
export function isRtcp(datagram: Uint8Array): boolean {
  const pt = datagram[1];
  return pt !== undefined && pt >= 192 && pt <= 223;
}
