/**
 * Demultiplexing of one datagram on a shared port by its first byte (RFC 7983 7, with the
 * TURN channel range of RFC 8656 12): 0-3 STUN, 16-19 ZRTP, 20-63 DTLS, 64-79 TURN
 * ChannelData, 128-191 RTP/RTCP; anything else is unknown. STUN is also checked for the magic
 * cookie (RFC 8489 5), so an RFC 3489-era or random 0-3 datagram is "unknown".
 */
import { isStunPacket } from "../stun/is-stun-packet.js";

/** What a datagram on a multiplexed port is. */
export type DatagramKind = "stun" | "zrtp" | "dtls" | "channel-data" | "rtp" | "unknown";

/** Classifies `bytes` per RFC 7983 7. */
export function classifyDatagram(bytes: Uint8Array): DatagramKind {
  if (bytes.length === 0) return "unknown";
  const b = bytes[0]!;
  if (b <= 3) return isStunPacket(bytes) ? "stun" : "unknown";
  if (b >= 16 && b <= 19) return "zrtp";
  if (b >= 20 && b <= 63) return "dtls";
  if (b >= 64 && b <= 79) return bytes.length >= 4 ? "channel-data" : "unknown";
  if (b >= 128 && b <= 191) return "rtp";
  return "unknown";
}
