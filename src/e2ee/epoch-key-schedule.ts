/**
 * The key schedule of one exchange (epoch), in the spirit of X3DH (Signal, "The X3DH Key
 * Agreement Protocol" Section 3.3) with the responder's fresh ephemeral key in the place of the
 * signed prekey. With I the initiator (the caller, or whoever started a rekey), R the responder,
 * IK the identity X25519 keys and EK the ephemeral ones:
 *
 *   DH1 = X25519(IK_I, EK_R)    mutual authentication: needs I's identity key
 *   DH2 = X25519(EK_I, IK_R)    needs R's identity key
 *   DH3 = X25519(EK_I, EK_R)    forward secrecy: needs an ephemeral private key
 *
 *   transcriptHash = SHA-256("rtcpipe-e2ee/1 transcript" || len(offer) || offer || len(answer) || answer)
 *                    (lengths as 2-byte big-endian; offer and answer are the signed messages)
 *   OKM = HKDF-SHA256(IKM = DH1 || DH2 || DH3, salt = chainKey, info = "rtcpipe-e2ee/1 keys" || transcriptHash)
 *       = k_IR || s_IR || k_RI || s_RI || confirmKey_I (32) || confirmKey_R (32) || nextChainKey (32)
 *
 * where k/s are the SRTP master key and salt of the negotiated suite (SRTP_SUITES lengths) for
 * the direction initiator->responder (IR) and back (RI). chainKey is 32 zero bytes in epoch 0
 * (RFC 5869 Section 2.2's default salt) and the previous epoch's nextChainKey after that, so a
 * rekey's keys depend on every earlier exchange as well as on its own ephemeral keys.
 *
 * X3DH's 32 0xFF bytes before the IKM (kept there for XEdDSA domain separation) are left out:
 * the identity keys here are plain X25519 keys, never used for signatures.
 */
import { createHash, createHmac } from "node:crypto";
import { SRTP_SUITES, type SrtpSuiteName } from "../srtp/srtp-suite.js";
import { hkdfSha256 } from "./hkdf-sha256.js";
import type { ExchangeRole } from "./key-confirm.js";
import { label } from "./key-message-codec.js";
import { INSPECT_CUSTOM, concatBytes, zeroBytes } from "./secret-bytes.js";

const TRANSCRIPT_LABEL = label("rtcpipe-e2ee/1 transcript");
const KEYS_LABEL = label("rtcpipe-e2ee/1 keys");
const CONFIRM_LABEL = label("rtcpipe-e2ee/1 confirm");

/** SHA-256 over the framed offer and answer bytes (see the file comment). */
export function transcriptHash(offer: Uint8Array, answer: Uint8Array): Uint8Array {
  const len = (n: number): Uint8Array => Uint8Array.of(n >>> 8, n & 0xff);
  return new Uint8Array(createHash("sha256").update(TRANSCRIPT_LABEL).update(len(offer.length)).update(offer).update(len(answer.length)).update(answer).digest());
}

/** SHA-256 of a message (the offer hash an answer carries). */
export function sha256(bytes: Uint8Array): Uint8Array {
  return new Uint8Array(createHash("sha256").update(bytes).digest());
}

/** The inputs of deriveEpochKeys. */
export interface EpochKeyInput {
  readonly suite: SrtpSuiteName;
  readonly dh1: Uint8Array;
  readonly dh2: Uint8Array;
  readonly dh3: Uint8Array;
  readonly transcriptHash: Uint8Array;
  /** 32 bytes: zeros in epoch 0, else the previous epoch's nextChainKey. */
  readonly chainKey: Uint8Array;
}

/** The secrets of one epoch. All arrays are private; destroy() zeroes them. */
export class EpochKeys {
  readonly suite: SrtpSuiteName;
  readonly transcriptHash: Uint8Array;
  readonly #okm: Uint8Array;
  readonly #keyLen: number;
  readonly #saltLen: number;

  constructor(suite: SrtpSuiteName, okm: Uint8Array, transcript: Uint8Array) {
    this.suite = suite;
    this.#okm = okm;
    this.#keyLen = SRTP_SUITES[suite].keyLength;
    this.#saltLen = SRTP_SUITES[suite].saltLength;
    this.transcriptHash = transcript;
  }

  /** Master key and salt of one direction (views into the OKM, zeroed by destroy()). */
  srtp(direction: "initiatorToResponder" | "responderToInitiator"): { masterKey: Uint8Array; masterSalt: Uint8Array } {
    const k = this.#keyLen;
    const s = this.#saltLen;
    const o = direction === "initiatorToResponder" ? 0 : k + s;
    return { masterKey: this.#okm.subarray(o, o + k), masterSalt: this.#okm.subarray(o + k, o + k + s) };
  }

  /** The 32-byte MAC of `role`'s key confirmation (KeyConfirm). */
  confirmMac(role: ExchangeRole): Uint8Array {
    const o = 2 * (this.#keyLen + this.#saltLen) + (role === "initiator" ? 0 : 32);
    const mac = createHmac("sha256", this.#okm.subarray(o, o + 32));
    mac.update(CONFIRM_LABEL).update(Uint8Array.of(role === "initiator" ? 0 : 1)).update(this.transcriptHash);
    return new Uint8Array(mac.digest());
  }

  /** The chain key the next epoch's derivation takes as salt (a view; copy it to keep it). */
  nextChainKey(): Uint8Array {
    const o = 2 * (this.#keyLen + this.#saltLen) + 64;
    return this.#okm.subarray(o, o + 32);
  }

  /** Zeroes every secret. */
  destroy(): void {
    zeroBytes(this.#okm);
  }

  toJSON(): { type: "EpochKeys"; suite: SrtpSuiteName } {
    return { type: "EpochKeys", suite: this.suite };
  }

  toString(): string {
    return `EpochKeys(${this.suite}, redacted)`;
  }

  [INSPECT_CUSTOM](): string {
    return this.toString();
  }
}

/** Runs the key schedule; the IKM copy it builds is zeroed before returning. */
export function deriveEpochKeys(input: EpochKeyInput): EpochKeys {
  const suite = SRTP_SUITES[input.suite];
  const length = 2 * (suite.keyLength + suite.saltLength) + 96;
  const ikm = concatBytes(input.dh1, input.dh2, input.dh3);
  const info = concatBytes(KEYS_LABEL, input.transcriptHash);
  try {
    return new EpochKeys(input.suite, hkdfSha256(ikm, input.chainKey, info, length), input.transcriptHash.slice());
  } finally {
    zeroBytes(ikm);
  }
}
