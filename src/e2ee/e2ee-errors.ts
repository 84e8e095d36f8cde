/**
 * Errors of the end-to-end call key exchange, in the src/errors.ts family (RtcpipeError with an
 * existing `code`). Malformed key messages throw MalformedPacketError and replayed offers
 * ReplayError from src/errors.ts; the classes here cover what that family has no class for.
 */
import { RtcpipeError } from "../errors.js";

/** A key message whose Ed25519 signature does not verify (forged or altered in transit). */
export class SignatureError extends RtcpipeError {
  constructor(message: string) {
    super("ERR_AUTH_FAILED", message);
  }
}

/** A key-confirmation MAC that does not match: the two sides did not derive the same keys. */
export class KeyConfirmationError extends RtcpipeError {
  constructor(message: string) {
    super("ERR_AUTH_FAILED", message);
  }
}

/**
 * A known peer presented an identity key other than the one pinned at the first call. Carries
 * both fingerprints (as `rtcpipe identity show` prints them) so the user can compare them with the
 * peer out of band before accepting the new identity.
 */
export class IdentityChangedError extends RtcpipeError {
  /** The peer name the identity was pinned under. */
  readonly peerName: string;
  /** Fingerprint of the pinned identity key. */
  readonly pinnedFingerprint: string;
  /** Fingerprint of the identity key the peer presented now. */
  readonly presentedFingerprint: string;
  constructor(peerName: string, pinnedFingerprint: string, presentedFingerprint: string) {
    super(
      "ERR_AUTH_FAILED",
      `Cannot accept the identity of peer ${JSON.stringify(peerName)}: its identity key changed from ${pinnedFingerprint} (pinned) to ${presentedFingerprint}; ` +
        "compare the new fingerprint with the peer out of band, then accept the new identity explicitly",
    );
    this.peerName = peerName;
    this.pinnedFingerprint = pinnedFingerprint;
    this.presentedFingerprint = presentedFingerprint;
  }
}

/**
 * A key message that is well formed and authentic but does not fit the exchange's state: an answer
 * to another offer, a confirm for an epoch not under way, an offer for another call.
 */
export class KeyExchangeStateError extends RtcpipeError {
  constructor(message: string) {
    super("ERR_AUTH_FAILED", message);
  }
}

/** An identity or known-peers file that other users can read or write (mode must be 0600). */
export class InsecureKeyFileError extends RtcpipeError {
  /** The file. */
  readonly path: string;
  /** Its permission bits, e.g. 0o644. */
  readonly mode: number;
  constructor(path: string, mode: number) {
    super(
      "ERR_BAD_FILE",
      `Cannot load key file ${path}: its mode is 0${(mode & 0o777).toString(8)}, so other users can read it; allowed is 0600 (run chmod 600 ${JSON.stringify(path)})`,
    );
    this.path = path;
    this.mode = mode;
  }
}
