/**
 * The caller's (or a rekey initiator's) key offer, signed with its Ed25519 identity key:
 *
 *   version(1)=1 | type(1)=1 | epoch(4) | callIdLen(1) | callId | timestampMs(8) | nonce(16)
 *   | identitySigningKey(32) | identityAgreementKey(32) | ephemeralKey(32)
 *   | suiteCount(1) | suite(2)*   (DTLS-SRTP profile numbers, preference order)
 *   | switchCount(1) | (ssrc(4) | index(6))*   (empty in epoch 0)
 *   | signature(64) = Ed25519(identitySigningKey, "rtcpipe-e2ee/1 offer" || every byte before it)
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

const OFFER_LABEL = label("rtcpipe-e2ee/1 offer");
const MIN_OFFER_BYTES = 6 + 2 + 8 + KEY_NONCE_BYTES + 96 + 3 + 1 + ED25519_SIGNATURE_BYTES;

/** The fields of an offer before signing. */
export interface KeyOfferFields {
  /** 0 for the call's first exchange, then 1, 2, ... for each rekey. */
  readonly epoch: number;
  readonly callId: string;
  /** The sender's Unix time in ms (replay window). */
  readonly timestampMs: number;
  /** 16 random bytes (replay detection). */
  readonly nonce: Uint8Array;
  readonly identity: IdentityPublicKey;
  /** The fresh ephemeral X25519 public key of this exchange. */
  readonly ephemeralKey: Uint8Array;
  /** The SRTP suites offered, most preferred first (1 to 4, no repeats). */
  readonly suites: readonly SrtpSuiteName[];
  /** Where the sender's streams switch to this epoch's keys (rekeys only). */
  readonly switchIndexes: readonly SwitchIndex[];
}

/** A signed key offer (wire format in the file comment). */
export class KeyOffer implements KeyOfferFields {
  readonly epoch: number;
  readonly callId: string;
  readonly timestampMs: number;
  readonly nonce: Uint8Array;
  readonly identity: IdentityPublicKey;
  readonly ephemeralKey: Uint8Array;
  readonly suites: readonly SrtpSuiteName[];
  readonly switchIndexes: readonly SwitchIndex[];
  readonly signature: Uint8Array;
  /** The whole message as sent. */
  private readonly bytes: Uint8Array;

  private constructor(fields: KeyOfferFields, signature: Uint8Array, bytes: Uint8Array) {
    this.epoch = fields.epoch;
    this.callId = fields.callId;
    this.timestampMs = fields.timestampMs;
    this.nonce = fields.nonce;
    this.identity = fields.identity;
    this.ephemeralKey = fields.ephemeralKey;
    this.suites = Object.freeze([...fields.suites]);
    this.switchIndexes = Object.freeze(fields.switchIndexes.map((s) => ({ ssrc: s.ssrc, index: s.index })));
    this.signature = signature;
    this.bytes = bytes;
  }

  /** Encodes `fields` and signs them with `signer` (whose public key must be fields.identity). */
  static create(fields: KeyOfferFields, signer: IdentityKeyPair): KeyOffer {
    if (!signer.publicKey.equals(fields.identity)) throw new MalformedPacketError("Cannot create key offer: the signer is not the identity it names");
    const body = encodeBody(fields);
    const signature = signer.sign(concatBytes(OFFER_LABEL, body));
    return new KeyOffer(fields, signature, concatBytes(body, signature));
  }

  /** Parses an offer (structure only; see verifySignature). Throws MalformedPacketError. */
  static parse(bytes: Uint8Array): KeyOffer {
    checkMessageSize(bytes, "key offer", MIN_OFFER_BYTES);
    const r = new KeyMessageReader(bytes, "key offer");
    const epoch = r.header(KeyMessageType.offer);
    const callId = r.callId();
    const timestampMs = r.u64("timestamp");
    const nonce = r.take(KEY_NONCE_BYTES, "nonce");
    const identity = new IdentityPublicKey(r.take(32, "identity signing key"), r.take(32, "identity agreement key"));
    const ephemeralKey = r.take(32, "ephemeral key");
    const nSuites = r.u8("suite count");
    if (nSuites < 1 || nSuites > 4) r.fail(`suite count is ${nSuites}, allowed is 1 to 4`);
    const suites: SrtpSuiteName[] = [];
    for (let i = 0; i < nSuites; i++) {
      const s = r.suite("offered suite");
      if (suites.includes(s)) r.fail(`suite ${s} is offered twice`);
      suites.push(s);
    }
    const switchIndexes = r.switchIndexes();
    const signature = r.take(ED25519_SIGNATURE_BYTES, "signature");
    r.end();
    return new KeyOffer({ epoch, callId, timestampMs, nonce, identity, ephemeralKey, suites, switchIndexes }, signature, bytes.slice());
  }

  /** True when the signature verifies under the identity signing key the offer carries. */
  verifySignature(): boolean {
    const body = this.bytes.subarray(0, this.bytes.length - ED25519_SIGNATURE_BYTES);
    return ed25519Verify(this.identity.signingKey, concatBytes(OFFER_LABEL, body), this.signature);
  }

  get byteLength(): number {
    return this.bytes.length;
  }

  serializeInto(dst: Uint8Array, offset = 0): number {
    if (dst.length - offset < this.bytes.length) throw new RangeError(`Cannot serialize key offer: ${this.bytes.length} bytes do not fit at offset ${offset} of ${dst.length}`);
    dst.set(this.bytes, offset);
    return this.bytes.length;
  }

  serialize(): Uint8Array {
    return this.bytes.slice();
  }
}

function encodeBody(f: KeyOfferFields): Uint8Array {
  if (f.nonce.length !== KEY_NONCE_BYTES) throw new MalformedPacketError(`Cannot create key offer: nonce has ${f.nonce.length} bytes, allowed is ${KEY_NONCE_BYTES}`);
  if (f.ephemeralKey.length !== 32) throw new MalformedPacketError(`Cannot create key offer: ephemeral key has ${f.ephemeralKey.length} bytes, allowed is 32`);
  if (f.suites.length < 1 || f.suites.length > 4 || new Set(f.suites).size !== f.suites.length) {
    throw new MalformedPacketError("Cannot create key offer: allowed is 1 to 4 different suites");
  }
  if (!Number.isSafeInteger(f.timestampMs) || f.timestampMs < 0) throw new MalformedPacketError(`Cannot create key offer: timestamp ${f.timestampMs} is not a Unix time in ms`);
  if (!Number.isInteger(f.epoch) || f.epoch < 0 || f.epoch > 0xffffffff) throw new MalformedPacketError(`Cannot create key offer: epoch ${f.epoch} is not a 32-bit unsigned integer`);
  const w = new KeyMessageWriter().header(KeyMessageType.offer, f.epoch).callId(f.callId).u64(f.timestampMs).put(f.nonce);
  w.put(f.identity.signingKey).put(f.identity.agreementKey).put(f.ephemeralKey).u8(f.suites.length);
  for (const s of f.suites) w.suite(s);
  return w.switchIndexes(f.switchIndexes).finish();
}
