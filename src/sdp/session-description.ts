/**
 * The parts of an SDP session description (RFC 8866) that rtcpipe reads and writes: one
 * session with an origin, a name, a connection address, timing, and media descriptions (one
 * `m=` line per RTP stream) with their `a=rtpmap`, `a=fmtp`, `a=ssrc`, `a=crypto` (RFC 4568)
 * and `a=rtcp` (RFC 3605) attributes. Attributes rtcpipe does not interpret are kept in order.
 */

/** `o=<username> <sess-id> <sess-version> <nettype> <addrtype> <unicast-address>` (RFC 8866 5.2). */
export interface SdpOrigin {
  username: string;
  /** Numeric string (may exceed 2^53, so kept as text). */
  sessionId: string;
  sessionVersion: string;
  netType: "IN";
  addrType: "IP4" | "IP6";
  address: string;
}

/** `c=IN IP4 <address>` (RFC 8866 5.7); the TTL/count suffix of multicast is not supported. */
export interface SdpConnection {
  addrType: "IP4" | "IP6";
  address: string;
}

/** `a=rtpmap:<pt> <encoding name>/<clock rate>[/<channels>]` (RFC 8866 6.6). */
export interface SdpRtpMap {
  payloadType: number;
  encodingName: string;
  clockRate: number;
  /** Audio channels when given (Opus always says 2, RFC 7587 6.1). */
  channels?: number;
}

/** `a=ssrc:<ssrc> <attribute>[:<value>]` (RFC 5576 4.1). */
export interface SdpSsrcAttribute {
  ssrc: number;
  attribute: string;
  value?: string;
}

/** `a=crypto:<tag> <crypto-suite> <key-params> [<session-params>]` (RFC 4568 9.1). */
export interface SdpCrypto {
  tag: number;
  suite: string;
  /** The key parameters as written, e.g. `inline:BASE64` (several joined by ";"). */
  keyParams: string;
  sessionParams: string[];
}

/** Any other `a=` line: `a=<name>` or `a=<name>:<value>`. */
export interface SdpAttribute {
  name: string;
  value?: string;
}

export type SdpDirection = "sendrecv" | "sendonly" | "recvonly" | "inactive";

/** One `m=` section. */
export interface SdpMediaDescription {
  /** `audio`, `video`, or another media type. */
  media: string;
  port: number;
  /** Transport protocol, e.g. `RTP/AVP` or `RTP/SAVP`. */
  protocol: string;
  /** Payload types (for RTP protocols) or formats, as in the m= line. */
  formats: string[];
  connection?: SdpConnection;
  rtpmaps: SdpRtpMap[];
  /** `a=fmtp:<pt> <params>` by payload type. */
  fmtps: { payloadType: number; parameters: string }[];
  ssrcs: SdpSsrcAttribute[];
  crypto: SdpCrypto[];
  /** `a=rtcp:<port>` (RFC 3605), when given. */
  rtcpPort?: number;
  direction?: SdpDirection;
  /** Other attributes, in order. */
  attributes: SdpAttribute[];
}

/** A whole session description. */
export interface SessionDescription {
  origin: SdpOrigin;
  sessionName: string;
  connection?: SdpConnection;
  /** `t=<start> <stop>`; "0 0" for an unbounded session. */
  timing: { start: string; stop: string };
  /** Session-level attributes other than direction, in order. */
  attributes: SdpAttribute[];
  direction?: SdpDirection;
  media: SdpMediaDescription[];
}
