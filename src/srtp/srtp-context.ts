import type { SrtpStats } from "./srtp-session.js";

/**
 * What a Peer needs of one direction of SRTP (RFC 3711): protect or unprotect RTP and RTCP, the
 * bytes a protected RTP packet grows by, and the counters. SrtpSession (one master key) and
 * RekeyingSrtpSession (keys switched at announced packet indexes during the call) both satisfy it.
 */
export interface SrtpContext {
  /** Bytes protectRtp adds to a packet (the tag). */
  readonly rtpOverheadBytes: number;
  /** Protects one RTP packet (the result may be a view into a reused buffer: copy to keep it). */
  protectRtp(packet: Uint8Array): Uint8Array;
  /** Verifies and decrypts one SRTP packet; throws MalformedPacketError, ReplayError or AuthenticationError. */
  unprotectRtp(packet: Uint8Array): Uint8Array;
  /** Protects one RTCP compound packet. */
  protectRtcp(packet: Uint8Array): Uint8Array;
  /** Verifies and decrypts one SRTCP packet; throws as unprotectRtp. */
  unprotectRtcp(packet: Uint8Array): Uint8Array;
  /** Counters: at least those of SrtpStats (packets, authentication failures, replays, malformed). */
  stats(): SrtpStats;
}
