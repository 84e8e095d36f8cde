/**
 * The typed failure of a TURN operation (RFC 8656): the server's error code where there is
 * one, a kind to switch on, and a message "Cannot X on TURN server A: reason".
 */
import { RtcpipeError } from "../errors.js";

/** Why a TURN operation failed. */
export type TurnErrorKind =
  /** 401 with credentials, or 441: the username or password is wrong. */
  | "unauthorized"
  /** 403: the server forbids it (e.g. a peer address it does not relay to). */
  | "forbidden"
  /** 486: the user's allocation quota is reached. */
  | "quota"
  /** 508: the server has no capacity left. */
  | "capacity"
  /** 437: the allocation does not exist (expired or never made). */
  | "mismatch"
  /** No answer after all retransmissions (RFC 8489 6.2.1). */
  | "timeout"
  /** Any other error response, or too many 438 Stale Nonce rounds. */
  | "rejected";

/** A TURN request failed (typed, never a hang: transactions are bounded). */
export class TurnError extends RtcpipeError {
  /** What went wrong. */
  readonly kind: TurnErrorKind;
  /** The server's ERROR-CODE (RFC 8489 14.8), when it answered with one. */
  readonly stunErrorCode: number | undefined;
  /** The request that failed: "allocate", "refresh", "permission", "channelBind". */
  readonly request: string;

  constructor(kind: TurnErrorKind, request: string, message: string, stunErrorCode?: number) {
    super(kind === "unauthorized" ? "ERR_AUTH_FAILED" : "ERR_CLOSED", message);
    this.kind = kind;
    this.request = request;
    this.stunErrorCode = stunErrorCode;
  }
}

/** The kind of a TURN error response code. */
export function turnErrorKind(code: number): TurnErrorKind {
  switch (code) {
    case 401:
    case 441:
      return "unauthorized";
    case 403:
      return "forbidden";
    case 486:
      return "quota";
    case 508:
      return "capacity";
    case 437:
      return "mismatch";
    default:
      return "rejected";
  }
}
