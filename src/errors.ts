/**
 * The error family of rtcpipe: one base class with a machine-readable `code`.
 * Messages follow "Cannot X: reason" and name what is allowed where that helps.
 */
export type RtcpipeErrorCode =
  | "ERR_INVALID_OPTION"
  | "ERR_MALFORMED_PACKET"
  | "ERR_AUTH_FAILED"
  | "ERR_REPLAYED"
  | "ERR_UNKNOWN_STREAM"
  | "ERR_CODEC"
  | "ERR_BAD_FILE"
  | "ERR_CLOSED"
  | "ERR_QUEUE_FULL"
  | "ERR_TOOL_MISSING";

export class RtcpipeError extends Error {
  readonly code: RtcpipeErrorCode;
  constructor(code: RtcpipeErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }
}

/** A constructor or call got an option outside its allowed range. */
export class InvalidOptionError extends RtcpipeError {
  constructor(message: string) {
    super("ERR_INVALID_OPTION", message);
  }
}

/** Bytes on the wire that do not parse as the format they claim to be. */
export class MalformedPacketError extends RtcpipeError {
  constructor(message: string) {
    super("ERR_MALFORMED_PACKET", message);
  }
}

/** SRTP/SRTCP authentication tag or AEAD check failed (RFC 3711 3.3, RFC 7714 9). */
export class AuthenticationError extends RtcpipeError {
  constructor(message: string) {
    super("ERR_AUTH_FAILED", message);
  }
}

/** A packet index already seen or older than the replay window (RFC 3711 3.3.2). */
export class ReplayError extends RtcpipeError {
  constructor(message: string) {
    super("ERR_REPLAYED", message);
  }
}

/** The WASM codec refused or failed an operation. */
export class CodecError extends RtcpipeError {
  constructor(message: string) {
    super("ERR_CODEC", message);
  }
}

/** An input file (Y4M, WAV, trace, SDP) is not what it should be. */
export class BadFileError extends RtcpipeError {
  constructor(message: string) {
    super("ERR_BAD_FILE", message);
  }
}

/** Throws InvalidOptionError unless `value` is a finite number in [min, max]. */
export function checkRange(what: string, value: number, min: number, max: number): number {
  if (typeof value !== "number" || !Number.isFinite(value) || value < min || value > max) {
    throw new InvalidOptionError(`Cannot use ${what}=${String(value)}: allowed is a number from ${min} to ${max}`);
  }
  return value;
}

/** Throws InvalidOptionError unless `value` is an integer in [min, max]. */
export function checkInt(what: string, value: number, min: number, max: number): number {
  checkRange(what, value, min, max);
  if (!Number.isInteger(value)) {
    throw new InvalidOptionError(`Cannot use ${what}=${String(value)}: allowed is an integer from ${min} to ${max}`);
  }
  return value;
}

/** Throws InvalidOptionError unless `value` is one of `allowed`. */
export function checkOneOf<T extends string>(what: string, value: string, allowed: readonly T[]): T {
  if (!(allowed as readonly string[]).includes(value)) {
    throw new InvalidOptionError(`Cannot use ${what}=${JSON.stringify(value)}: allowed is one of ${allowed.join(", ")}`);
  }
  return value as T;
}
