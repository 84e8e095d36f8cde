import { RtcpipeError, type RtcpipeErrorCode } from "../errors.js";

/**
 * The error codes of the signaling protocol. The server sends the first group in `error`
 * messages; the client adds `timeout` (no reply in time) and `closed` (the connection ended).
 */
export const SIGNALING_ERROR_CODES = [
  "malformed",
  "unsupported-version",
  "too-large",
  "rate-limited",
  "not-registered",
  "already-registered",
  "identity-taken",
  "unknown-peer",
  "replayed-offer",
  "server-error",
  "timeout",
  "closed",
] as const;

/** One code of {@link SIGNALING_ERROR_CODES}. */
export type SignalingErrorCode = (typeof SIGNALING_ERROR_CODES)[number];

// The closest code of the rtcpipe error family for each signaling code.
const FAMILY_CODE: Record<SignalingErrorCode, RtcpipeErrorCode> = {
  malformed: "ERR_MALFORMED_PACKET",
  "unsupported-version": "ERR_MALFORMED_PACKET",
  "too-large": "ERR_MALFORMED_PACKET",
  "rate-limited": "ERR_QUEUE_FULL",
  "not-registered": "ERR_UNKNOWN_STREAM",
  "already-registered": "ERR_INVALID_OPTION",
  "identity-taken": "ERR_INVALID_OPTION",
  "unknown-peer": "ERR_UNKNOWN_STREAM",
  "replayed-offer": "ERR_REPLAYED",
  "server-error": "ERR_CLOSED",
  timeout: "ERR_CLOSED",
  closed: "ERR_CLOSED",
};

/**
 * A signaling request refused by the server (its `error` reply) or failed on the client
 * (timeout, closed connection). `reason` is the protocol's code; `code` the rtcpipe family's.
 */
export class SignalingError extends RtcpipeError {
  /** The signaling protocol's error code. */
  readonly reason: SignalingErrorCode;
  constructor(reason: SignalingErrorCode, message: string) {
    super(FAMILY_CODE[reason], message);
    this.reason = reason;
  }
}
