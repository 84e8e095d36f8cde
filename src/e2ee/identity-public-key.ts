/**
 * The public half of a long-term identity: an Ed25519 key that signs key-exchange messages and
 * an X25519 key that takes part in the per-call agreement (see CallKeyExchange). The two are one
 * identity: pinning, fingerprints and safety numbers cover both.
 */
import { InvalidOptionError } from "../errors.js";
import { ED25519_KEY_BYTES } from "./ed25519.js";
import { bytesEqual, concatBytes } from "./secret-bytes.js";
import { X25519_KEY_BYTES } from "./x25519.js";

/** The public keys of one identity: what is pinned, fingerprinted and carried in key messages. */
export class IdentityPublicKey {
  /** Ed25519 public key (RFC 8032), 32 bytes. */
  readonly signingKey: Uint8Array;
  /** X25519 public key (RFC 7748), 32 bytes. */
  readonly agreementKey: Uint8Array;

  constructor(signingKey: Uint8Array, agreementKey: Uint8Array) {
    if (!(signingKey instanceof Uint8Array) || signingKey.length !== ED25519_KEY_BYTES) {
      throw new InvalidOptionError(`Cannot use identity signing key: allowed is a Uint8Array of ${ED25519_KEY_BYTES} bytes`);
    }
    if (!(agreementKey instanceof Uint8Array) || agreementKey.length !== X25519_KEY_BYTES) {
      throw new InvalidOptionError(`Cannot use identity agreement key: allowed is a Uint8Array of ${X25519_KEY_BYTES} bytes`);
    }
    this.signingKey = signingKey.slice();
    this.agreementKey = agreementKey.slice();
  }

  /** signingKey || agreementKey (64 bytes): what fingerprints hash. */
  encode(): Uint8Array {
    return concatBytes(this.signingKey, this.agreementKey);
  }

  /** True when both keys are equal. */
  equals(other: IdentityPublicKey): boolean {
    return bytesEqual(this.signingKey, other.signingKey) && bytesEqual(this.agreementKey, other.agreementKey);
  }

  /** The keys as base64url text, e.g. for the known-peers file. */
  toJSON(): { signingKey: string; agreementKey: string } {
    return {
      signingKey: Buffer.from(this.signingKey).toString("base64url"),
      agreementKey: Buffer.from(this.agreementKey).toString("base64url"),
    };
  }
}
