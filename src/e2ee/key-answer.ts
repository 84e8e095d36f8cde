/**
 * The callee's (or a rekey responder's) key answer, signed with its Ed25519 identity key and
 * bound to the offer it answers by the offer's SHA-256:
 *
 *   version(1)=1 | type(1)=2 | epoch(4) | callIdLen(1) | callId | offerHash(32) | timestampMs(8)
 *   | nonce(16) | identitySigningKey(32) | identityAgreementKey(32) | ephemeralKey(32)
 *   | suite(2)   (the chosen one, from the offer's list)
 *   | switchCount(1) | (ssrc(4) | index(6))*
 *   | signature(64) = Ed25519(identitySigningKey, "rtcpipe-e2ee/1 answer" || every byte before it)
 */
import { MalformedPacketError } from "../errors.js";
import type { SrtpSuiteName } from "../srtp/srtp-suite.js";
import { ED25519_SIGNATURE_BYTES, ed25519Verify } from "./ed25519.js";
import type { IdentityKeyPair } from "./identity-key-pair.js";
import { IdentityPublicKey } from "./identity-public-key.js";
import {
  KEY_NONCE_BYTES,
  KeyMessageReader,
  KeyMessageType,
  KeyMessageWriter,
  checkMessageSize,
  label,
  type SwitchIndex,
} from "./key-message-codec.js";
import { concatBytes } from "./secret-bytes.js";

const ANSWER_LABEL = label("rtcpipe-e2ee/1 answer");
const MIN_ANSWER_BYTES = 6 + 2 + 32 + 8 + KEY_NONCE_BYTES + 96 + 2 + 1 + ED25519_SIGNATURE_BYTES;

/** The fields of an answer before signing. */
export interface KeyAnswerFields {
  readonly epoch: number;
  readonly callId: string;
  /** SHA-256 of the offer's bytes. */
  readonly offerHash: Uint8Array;
  readonly timestampMs: number;
  readonly nonce: Uint8Array;
  readonly identity: IdentityPublicKey;
  readonly ephemeralKey: Uint8Array;
  /** The suite chosen from the offer. */
  readonly suite: SrtpSuiteName;
  readonly switchIndexes: readonly SwitchIndex[];
}

/** A signed key answer (wire format in the file comment). */
export class KeyAnswer implements KeyAnswerFields {
  readonly epoch: number;
  readonly callId: string;
  readonly offerHash: Uint8Array;
  readonly timestampMs: number;
  readonly nonce: Uint8Array;
  readonly identity: IdentityPublicKey;
  readonly ephemeralKey: Uint8Array;
  readonly suite: SrtpSuiteName;
  readonly switchIndexes: readonly SwitchIndex[];
  readonly signature: Uint8Array;
  private readonly bytes: Uint8Array;

  private constructor(fields: KeyAnswerFields, signature: Uint8Array, bytes: Uint8Array) {
    this.epoch = fields.epoch;
    this.callId = fields.callId;
    this.offerHash = fields.offerHash;
    this.timestampMs = fields.timestampMs;
    this.nonce = fields.nonce;
    this.identity = fields.identity;
    this.ephemeralKey = fields.ephemeralKey;
    this.suite = fields.suite;
    this.switchIndexes = Object.freeze(fields.switchIndexes.map((s) => ({ ssrc: s.ssrc, index: s.index })));
    this.signature = signature;
    this.bytes = bytes;
  }

  /** Encodes `fields` and signs them with `signer` (whose public key must be fields.identity). */
  static create(fields: KeyAnswerFields, signer: IdentityKeyPair): KeyAnswer {
    if (!signer.publicKey.equals(fields.identity)) throw new MalformedPacketError("Cannot create key answer: the signer is not the identity it names");
    if (fields.offerHash.length !== 32 || fields.nonce.length !== KEY_NONCE_BYTES || fields.ephemeralKey.length !== 32) {
      throw new MalformedPacketError("Cannot create key answer: offerHash and ephemeralKey must have 32 bytes, nonce 16");
    }
    if (!Number.isSafeInteger(fields.timestampMs) || fields.timestampMs < 0) throw new MalformedPacketError(`Cannot create key answer: timestamp ${fields.timestampMs} is not a Unix time in ms`);
    const body = new KeyMessageWriter()
      .header(KeyMessageType.answer, fields.epoch)
      .callId(fields.callId)
      .put(fields.offerHash)
      .u64(fields.timestampMs)
      .put(fields.nonce)
      .put(fields.identity.signingKey)
      .put(fields.identity.agreementKey)
      .put(fields.ephemeralKey)
      .suite(fields.suite)
      .switchIndexes(fields.switchIndexes)
      .finish();
    const signature = signer.sign(concatBytes(ANSWER_LABEL, body));
    return new KeyAnswer(fields, signature, concatBytes(body, signature));
  }

  /** Parses an answer (structure only; see verifySignature). Throws MalformedPacketError. */
  static parse(bytes: Uint8Array): KeyAnswer {
    checkMessageSize(bytes, "key answer", MIN_ANSWER_BYTES);
    const r = new KeyMessageReader(bytes, "key answer");
    const epoch = r.header(KeyMessageType.answer);
    const callId = r.callId();
    const offerHash = r.take(32, "offer hash");
    const timestampMs = r.u64("timestamp");
    const nonce = r.take(KEY_NONCE_BYTES, "nonce");
    const identity = new IdentityPublicKey(r.take(32, "identity signing key"), r.take(32, "identity agreement key"));
    const ephemeralKey = r.take(32, "ephemeral key");
    const suite = r.suite("chosen suite");
    const switchIndexes = r.switchIndexes();
    const signature = r.take(ED25519_SIGNATURE_BYTES, "signature");
    r.end();
    return new KeyAnswer({ epoch, callId, offerHash, timestampMs, nonce, identity, ephemeralKey, suite, switchIndexes }, signature, bytes.slice());
  }

  /** True when the signature verifies under the identity signing key the answer carries. */
  verifySignature(): boolean {
    const body = this.bytes.subarray(0, this.bytes.length - ED25519_SIGNATURE_BYTES);
    return ed25519Verify(this.identity.signingKey, concatBytes(ANSWER_LABEL, body), this.signature);
  }

  get byteLength(): number {
    return this.bytes.length;
  }

  serializeInto(dst: Uint8Array, offset = 0): number {
    if (dst.length - offset < this.bytes.length) throw new RangeError(`Cannot serialize key answer: ${this.bytes.length} bytes do not fit at offset ${offset} of ${dst.length}`);
    dst.set(this.bytes, offset);
    return this.bytes.length;
  }

  serialize(): Uint8Array {
    return this.bytes.slice();
  }
}
