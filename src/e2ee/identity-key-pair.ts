/**
 * A long-term identity key pair: Ed25519 for signatures and X25519 for key agreement. The
 * private keys are raw 32-byte arrays held in private fields, never in toJSON, util.inspect or
 * toString output; destroy() zeroes them. Each is also imported once into a Node KeyObject (an
 * import costs ~0.3 ms); destroy() drops those, which OpenSSL clears when they are collected.
 */
import { randomFillSync, type KeyObject } from "node:crypto";
import { RtcpipeError } from "../errors.js";
import { ed25519PublicKey, ed25519Sign, importEd25519PrivateKey } from "./ed25519.js";
import { IdentityPublicKey } from "./identity-public-key.js";
import { shortFingerprint } from "./safety-number.js";
import { INSPECT_CUSTOM, zeroBytes } from "./secret-bytes.js";
import { importX25519PrivateKey, x25519, x25519PublicKey } from "./x25519.js";

/** Fills an array with cryptographically secure random bytes (default: crypto.randomFillSync). */
export type RandomFill = (out: Uint8Array) => void;

/** The default RandomFill: Node's CSPRNG. */
export const secureRandomFill: RandomFill = (out) => {
  randomFillSync(out);
};

/** A long-term identity key pair (Ed25519 + X25519) with private keys kept out of every output. */
export class IdentityKeyPair {
  /** The public keys. */
  readonly publicKey: IdentityPublicKey;
  readonly #signingPrivate: Uint8Array;
  readonly #agreementPrivate: Uint8Array;
  #signingObject: KeyObject | undefined;
  #agreementObject: KeyObject | undefined;
  #destroyed = false;

  private constructor(signingPrivate: Uint8Array, agreementPrivate: Uint8Array) {
    this.#signingPrivate = signingPrivate;
    this.#agreementPrivate = agreementPrivate;
    this.#signingObject = importEd25519PrivateKey(signingPrivate);
    this.#agreementObject = importX25519PrivateKey(agreementPrivate);
    this.publicKey = new IdentityPublicKey(ed25519PublicKey(signingPrivate), x25519PublicKey(this.#agreementObject));
  }

  /** A new random identity. */
  static generate(randomFill: RandomFill = secureRandomFill): IdentityKeyPair {
    const s = new Uint8Array(32);
    const a = new Uint8Array(32);
    randomFill(s);
    randomFill(a);
    return new IdentityKeyPair(s, a);
  }

  /** An identity from its two raw private keys (copied; zero your arrays after if you like). */
  static fromPrivateKeys(signingPrivate: Uint8Array, agreementPrivate: Uint8Array): IdentityKeyPair {
    return new IdentityKeyPair(signingPrivate.slice(), agreementPrivate.slice());
  }

  /** Ed25519 signature of `message` with the identity signing key. */
  sign(message: Uint8Array): Uint8Array {
    this.checkAlive();
    return ed25519Sign(this.#signingObject as KeyObject, message);
  }

  /** X25519(identity agreement key, peerPublic) into `out`. */
  agree(peerPublic: Uint8Array, out?: Uint8Array): Uint8Array {
    this.checkAlive();
    return x25519(this.#agreementObject as KeyObject, peerPublic, out);
  }

  /**
   * Copies of the raw private keys, for writing the identity file only (the caller zeroes them).
   */
  exportPrivateKeys(): { signingPrivate: Uint8Array; agreementPrivate: Uint8Array } {
    this.checkAlive();
    return { signingPrivate: this.#signingPrivate.slice(), agreementPrivate: this.#agreementPrivate.slice() };
  }

  /** Zeroes the private keys; the pair cannot sign or agree afterwards. */
  destroy(): void {
    zeroBytes(this.#signingPrivate, this.#agreementPrivate);
    this.#signingObject = undefined;
    this.#agreementObject = undefined;
    this.#destroyed = true;
  }

  /** True after destroy(). */
  get destroyed(): boolean {
    return this.#destroyed;
  }

  /** Public information only. */
  toJSON(): { type: "IdentityKeyPair"; fingerprint: string } {
    return { type: "IdentityKeyPair", fingerprint: shortFingerprint(this.publicKey) };
  }

  toString(): string {
    return `IdentityKeyPair(${shortFingerprint(this.publicKey)})`;
  }

  [INSPECT_CUSTOM](): string {
    return this.toString();
  }

  private checkAlive(): void {
    if (this.#destroyed) throw new RtcpipeError("ERR_CLOSED", "Cannot use the identity key pair: it was destroyed");
  }
}
