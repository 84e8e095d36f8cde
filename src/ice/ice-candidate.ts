/**
 * An ICE candidate (RFC 8445 5.1) and its priority (5.1.2.1):
 *
 *   priority = 2^24 · type preference + 2^8 · local preference + (256 − component ID)
 *
 * with the recommended type preferences host 126, peer-reflexive 110, server-reflexive 100,
 * relayed 0 (5.1.2.2). The foundation (5.1.1.3) is the same for candidates of the same type,
 * base IP address, STUN/TURN server and transport, so the checklist can unfreeze them together.
 */
import { checkInt } from "../errors.js";
import { formatTransportAddress, type TransportAddress } from "../stun/transport-address.js";

/** The four candidate types of RFC 8445 5.1.1. */
export type IceCandidateType = "host" | "srflx" | "prflx" | "relay";

/** Recommended type preferences (RFC 8445 5.1.2.2). */
export const ICE_TYPE_PREFERENCE: Readonly<Record<IceCandidateType, number>> = {
  host: 126,
  prflx: 110,
  srflx: 100,
  relay: 0,
};

/** One candidate: a transport address the peer can try to reach, with what signaling carries. */
export interface IceCandidate {
  /** 1-32 ice-chars (RFC 8839 5.1). */
  foundation: string;
  /** 1-256; rtcpipe uses one component (RTP and RTCP multiplexed). */
  component: number;
  /** "udp" (the only transport this agent uses). */
  transport: string;
  /** 1 to 2^31 − 1 (RFC 8445 5.1.2.1). */
  priority: number;
  /** The candidate's transport address. */
  address: TransportAddress;
  type: IceCandidateType;
  /** raddr/rport: the base of a reflexive candidate, the mapped address of a relayed one. */
  related?: TransportAddress;
  /** Extension attributes after the standard fields (name, value), e.g. ["generation", "0"]. */
  extensions?: [string, string][];
}

/**
 * The priority of a candidate (RFC 8445 5.1.2.1). `localPreference` 0-65535 (65535 when the
 * agent has one address), `component` 1-256.
 */
export function candidatePriority(type: IceCandidateType, localPreference: number, component = 1): number {
  checkInt("localPreference", localPreference, 0, 65535);
  checkInt("component", component, 1, 256);
  return ICE_TYPE_PREFERENCE[type] * 2 ** 24 + localPreference * 2 ** 8 + (256 - component);
}

/**
 * A foundation (RFC 8445 5.1.1.3): a short stable string from the candidate type, base IP,
 * server (for srflx/relay) and transport. The same inputs give the same foundation.
 */
export function candidateFoundation(type: IceCandidateType, baseAddress: string, server: TransportAddress | undefined, transport = "udp"): string {
  const key = `${type}|${baseAddress}|${server ? formatTransportAddress(server) : ""}|${transport}`;
  // FNV-1a 32-bit, printed in decimal: digits are ice-chars.
  let h = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) {
    h ^= key.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return String(h);
}
