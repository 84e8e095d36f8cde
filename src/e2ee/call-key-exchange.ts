/**
 * The end-to-end key exchange of one call, as a pure state machine (sans-IO): it takes key
 * messages and the current Unix time, and returns messages to send and, once both sides proved
 * they derived the same keys, the call's SRTP keys. It never reads the clock, sets timers or does
 * I/O; any signaling that carries opaque bytes (or their base64url text) can carry its messages.
 *
 * Epoch 0 (the call set-up), caller C as initiator, callee as responder R:
 *
 *   C -> R  offer    (KeyOffer: fresh ephemeral EK_C, nonce, timestamp, call id, suites; signed by C)
 *   R        verifies the signature, the replay guard (nonce, ±window), the pin of C's identity
 *            (KnownPeers), picks a suite, derives the keys (EpochKeySchedule), zeroes EK_R
 *   R -> C  answer   (KeyAnswer: fresh EK_R, chosen suite, SHA-256 of the offer; signed by R)
 *   R -> C  confirm  (R's key-confirmation MAC)
 *   C        verifies the signature, the offer hash, the pin of R's identity, derives, zeroes EK_C,
 *            checks R's MAC -> C's keys are ready (R holds the same keys)
 *   C -> R  confirm  (C's MAC) -> R checks it -> R's keys are ready
 *
 * Rekeying (rekey()) runs the same exchange for epoch n+1 during the call, started by either side
 * (which is then the initiator of that epoch), with the identities pinned at set-up, the previous
 * epoch's chain key as HKDF salt, and per-SSRC switch indexes: each side names the SRTP packet
 * index from which it protects with the new keys (RekeyingSrtpSession applies them). If both sides
 * start the same rekey at once, the caller's offer wins and the callee drops its own.
 *
 * A message that is malformed, forged, replayed, for another call or out of order throws a typed
 * error (MalformedPacketError, SignatureError, ReplayError, IdentityChangedError,
 * KeyConfirmationError, KeyExchangeStateError) and is counted in stats(); before epoch 0 is
 * confirmed, a failed signature, pin or confirmation also fails the exchange for good (the call is
 * refused), and nothing derived from attacker-supplied keys is ever handed out. destroy() at
 * hang-up zeroes every ephemeral key, chain key and SRTP key it holds or handed out.
 */
import type { KeyObject } from "node:crypto";
import { InvalidOptionError, MalformedPacketError, RtcpipeError, checkOneOf, checkRange } from "../errors.js";
import { SRTP_SUITE_NAMES, type SrtpSuiteName } from "../srtp/srtp-suite.js";
import { CallSrtpKeys } from "./call-srtp-keys.js";
import { IdentityChangedError, KeyConfirmationError, KeyExchangeStateError, SignatureError } from "./e2ee-errors.js";
import { deriveEpochKeys, sha256, transcriptHash, type EpochKeys } from "./epoch-key-schedule.js";
import { secureRandomFill, type IdentityKeyPair, type RandomFill } from "./identity-key-pair.js";
import type { IdentityPublicKey } from "./identity-public-key.js";
import { KeyAnswer } from "./key-answer.js";
import { KeyConfirm, type ExchangeRole } from "./key-confirm.js";
import { KEY_NONCE_BYTES, checkCallId, checkSwitchIndexes, type SwitchIndex } from "./key-message-codec.js";
import { parseKeyMessage } from "./key-message.js";
import { KeyOffer } from "./key-offer.js";
import type { KnownPeers } from "./known-peers.js";
import type { OfferReplayGuard } from "./offer-replay-guard.js";
import { shortFingerprint } from "./safety-number.js";
import { INSPECT_CUSTOM, bytesEqual, bytesEqualConstantTime, zeroBytes } from "./secret-bytes.js";
import { X25519_KEY_BYTES, importX25519PrivateKey, x25519, x25519PublicKey } from "./x25519.js";

/** The side of the call: the caller sends the first offer. */
export type CallRole = "caller" | "callee";

/** Where an exchange is. */
export type CallKeyExchangeState = "idle" | "offered" | "answered" | "established" | "failed" | "destroyed";

export interface CallKeyExchangeOptions {
  /** This side's long-term identity. */
  identity: IdentityKeyPair;
  role: CallRole;
  /** The call id both sides use (from signaling); 1..64 printable ASCII characters. */
  callId: string;
  /** The peer's name (as signaling knows it): the key of its pin in knownPeers. */
  peerName: string;
  /** Pinned peer identities; a new peer is pinned at set-up. Save it afterwards if `changed`. */
  knownPeers: KnownPeers;
  /** Replay protection for received offers; share one guard across the calls of an identity. */
  replayGuard: OfferReplayGuard;
  /** Suites this side accepts, most preferred first. Default SRTP_SUITE_NAMES. */
  suites?: readonly SrtpSuiteName[];
  /** Accept and re-pin a peer identity that differs from the pinned one. Default false. */
  acceptNewIdentity?: boolean;
  /** Source of ephemeral keys and nonces. Default crypto.randomFillSync. */
  randomFill?: RandomFill;
}

/** What receive() returns. */
export interface KeyExchangeOutput {
  /** Messages to send to the peer, in this order. */
  readonly messages: Uint8Array[];
  /** Keys that became ready with this message: the call's first keys or a rekey's. */
  readonly keys?: CallSrtpKeys;
}

/** Counters of one exchange. */
export type CallKeyExchangeStats = {
  received: number;
  sent: number;
  /** Epochs whose keys were derived (HKDF run) and confirmed. */
  keysDerived: number;
  epochsConfirmed: number;
  malformed: number;
  badSignatures: number;
  replayed: number;
  identityChanged: number;
  badConfirmations: number;
  outOfState: number;
  rekeyCollisions: number;
};

/** One epoch's exchange in progress. */
interface PendingEpoch {
  readonly epoch: number;
  readonly role: ExchangeRole;
  /** Raw X25519 private key, zeroed as soon as the keys are derived. */
  readonly ephemeralPrivate: Uint8Array;
  /** The same key imported once for Node (dropped with it; see x25519.ts). */
  ephemeralObject: KeyObject | undefined;
  readonly offer: KeyOffer;
  answer?: KeyAnswer;
  keys?: EpochKeys;
  /** The peer's identity as this epoch's messages carry it. */
  peerIdentity?: IdentityPublicKey;
  mySwitchIndexes: readonly SwitchIndex[];
  peerSwitchIndexes: readonly SwitchIndex[];
}

const ZERO_CHAIN = new Uint8Array(32);

/** The key exchange of one call: set-up, key confirmation, rekeys, hang-up (see the file comment). */
export class CallKeyExchange {
  readonly role: CallRole;
  readonly callId: string;
  readonly peerName: string;
  private readonly identity: IdentityKeyPair;
  private readonly knownPeers: KnownPeers;
  private readonly replayGuard: OfferReplayGuard;
  private readonly suites: readonly SrtpSuiteName[];
  private readonly acceptNewIdentity: boolean;
  private readonly randomFill: RandomFill;

  private st: CallKeyExchangeState = "idle";
  private pending: PendingEpoch | undefined;
  /** The established epoch number (-1 before set-up completes). */
  private epochNow = -1;
  private peer: IdentityPublicKey | undefined;
  readonly #chainKey = new Uint8Array(32);
  /** Keys handed out, newest last; destroy() zeroes them all, rekeys drop all but the last two. */
  readonly #issued: CallSrtpKeys[] = [];
  private readonly counters: CallKeyExchangeStats = {
    received: 0,
    sent: 0,
    keysDerived: 0,
    epochsConfirmed: 0,
    malformed: 0,
    badSignatures: 0,
    replayed: 0,
    identityChanged: 0,
    badConfirmations: 0,
    outOfState: 0,
    rekeyCollisions: 0,
  };

  constructor(options: CallKeyExchangeOptions) {
    if (options === null || typeof options !== "object") throw new RtcpipeError("ERR_INVALID_OPTION", "Cannot create CallKeyExchange: options must be an object");
    this.role = checkOneOf("role", options.role, ["caller", "callee"] as const);
    try {
      checkCallId(options.callId);
    } catch (err) {
      throw new RtcpipeError("ERR_INVALID_OPTION", (err as Error).message);
    }
    this.callId = options.callId;
    if (typeof options.peerName !== "string" || options.peerName.length === 0) {
      throw new RtcpipeError("ERR_INVALID_OPTION", "Cannot create CallKeyExchange: peerName must be a non-empty string");
    }
    this.peerName = options.peerName;
    this.identity = options.identity;
    this.knownPeers = options.knownPeers;
    this.replayGuard = options.replayGuard;
    const suites = options.suites ?? SRTP_SUITE_NAMES;
    if (suites.length < 1 || suites.length > 4 || new Set(suites).size !== suites.length) {
      throw new RtcpipeError("ERR_INVALID_OPTION", `Cannot create CallKeyExchange: suites must list 1 to 4 different suites of ${SRTP_SUITE_NAMES.join(", ")}`);
    }
    for (const s of suites) checkOneOf("suite", s, SRTP_SUITE_NAMES);
    this.suites = Object.freeze([...suites]);
    this.acceptNewIdentity = options.acceptNewIdentity ?? false;
    this.randomFill = options.randomFill ?? secureRandomFill;
  }

  /** Where the exchange is: "established" once epoch 0 is confirmed (and stays so across rekeys). */
  get state(): CallKeyExchangeState {
    return this.st;
  }

  /** The newest confirmed epoch number, or -1. */
  get epoch(): number {
    return this.epochNow;
  }

  /** True while a rekey (or the set-up) waits for the peer. */
  get exchangeInProgress(): boolean {
    return this.pending !== undefined;
  }

  /** The peer's identity once set-up is confirmed. */
  get peerIdentity(): IdentityPublicKey | undefined {
    return this.peer;
  }

  /** The newest confirmed keys, if any. */
  get currentKeys(): CallSrtpKeys | undefined {
    return this.#issued.at(-1);
  }

  /** Counters (a copy). */
  stats(): CallKeyExchangeStats {
    return { ...this.counters };
  }

  /** Caller: the signed offer that starts the call (epoch 0). `nowMs` is Unix time in ms. */
  createOffer(nowMs: number): Uint8Array {
    this.checkUsable();
    checkNow(nowMs);
    if (this.role !== "caller") throw new KeyExchangeStateError("Cannot create a key offer: only the caller offers at set-up (the callee answers)");
    if (this.st !== "idle") throw new KeyExchangeStateError(`Cannot create a key offer: the exchange is ${this.st}, allowed only when idle`);
    const out = this.startEpoch(0, nowMs, []);
    this.st = "offered";
    return out;
  }

  /**
   * Starts a rekey (epoch n+1) in an established call: returns the signed offer to send.
   * `switchIndexes` names, per SSRC this side sends, the SRTP packet index (2^16 * ROC + SEQ)
   * from which it will protect with the new keys; pick them far enough ahead for the exchange to
   * finish first (about one round trip of signaling plus margin).
   */
  rekey(nowMs: number, switchIndexes: readonly SwitchIndex[]): Uint8Array {
    this.checkUsable();
    if (this.st !== "established") throw new KeyExchangeStateError(`Cannot rekey: the call is ${this.st}, allowed only when established`);
    if (this.pending !== undefined) throw new KeyExchangeStateError(`Cannot rekey: the exchange of epoch ${this.pending.epoch} is still under way`);
    checkNow(nowMs);
    checkLocalSwitchIndexes(switchIndexes);
    return this.startEpoch(this.epochNow + 1, nowMs, switchIndexes);
  }

  /**
   * Handles one received key message. Returns what to send back and any keys now confirmed;
   * throws a typed error (see the file comment) for a message that cannot be accepted.
   * `switchIndexes` is used when the message is a rekey offer: where this side's streams will
   * switch to the new keys (as for rekey()); omitted, they switch at index 0, i.e. as soon as
   * this side has the confirmed keys (RekeyingSrtpSession's fallback covers the peer meanwhile).
   */
  receive(bytes: Uint8Array, nowMs: number, switchIndexes: readonly SwitchIndex[] = []): KeyExchangeOutput {
    this.checkUsable();
    checkNow(nowMs);
    checkLocalSwitchIndexes(switchIndexes);
    this.counters.received++;
    let msg;
    try {
      msg = parseKeyMessage(bytes);
    } catch (err) {
      this.counters.malformed++;
      throw err;
    }
    try {
      if (msg instanceof KeyOffer) return this.onOffer(msg, nowMs, switchIndexes);
      if (msg instanceof KeyAnswer) return this.onAnswer(msg, nowMs);
      return this.onConfirm(msg);
    } catch (err) {
      this.count(err);
      throw err;
    }
  }

  /**
   * Hang-up: zeroes the ephemeral key of any exchange under way, the chain key and every SRTP key
   * handed out (CallSrtpKeys.destroyed is then true). The exchange cannot be used afterwards.
   */
  destroy(): void {
    this.dropPending();
    zeroBytes(this.#chainKey);
    for (const k of this.#issued) k.destroy();
    this.st = "destroyed";
  }

  toJSON(): Record<string, unknown> {
    return {
      type: "CallKeyExchange",
      role: this.role,
      callId: this.callId,
      peerName: this.peerName,
      state: this.st,
      epoch: this.epochNow,
      peer: this.peer === undefined ? null : shortFingerprint(this.peer),
    };
  }

  toString(): string {
    return `CallKeyExchange(${this.role} of ${this.callId} with ${this.peerName}, ${this.st}, epoch ${this.epochNow})`;
  }

  [INSPECT_CUSTOM](): string {
    return this.toString();
  }

  // -----------------------------------------------------------------------------------------------

  private startEpoch(epoch: number, nowMs: number, switchIndexes: readonly SwitchIndex[]): Uint8Array {
    const ephemeralPrivate = new Uint8Array(X25519_KEY_BYTES);
    this.randomFill(ephemeralPrivate);
    const ephemeralObject = importX25519PrivateKey(ephemeralPrivate);
    const nonce = new Uint8Array(KEY_NONCE_BYTES);
    this.randomFill(nonce);
    const offer = KeyOffer.create(
      {
        epoch,
        callId: this.callId,
        timestampMs: Math.round(nowMs),
        nonce,
        identity: this.identity.publicKey,
        ephemeralKey: x25519PublicKey(ephemeralObject),
        suites: epoch === 0 ? this.suites : [this.currentSuite()],
        switchIndexes,
      },
      this.identity,
    );
    this.pending = { epoch, role: "initiator", ephemeralPrivate, ephemeralObject, offer, mySwitchIndexes: switchIndexes, peerSwitchIndexes: [] };
    this.counters.sent++;
    return offer.serialize();
  }

  private onOffer(offer: KeyOffer, nowMs: number, switchIndexes: readonly SwitchIndex[]): KeyExchangeOutput {
    if (offer.callId !== this.callId) throw new KeyExchangeStateError(`Cannot accept key offer: it is for call ${JSON.stringify(offer.callId)}, this exchange is for ${JSON.stringify(this.callId)}`);
    const setUp = offer.epoch === 0;
    if (setUp) {
      if (this.role !== "callee" || this.st !== "idle") throw new KeyExchangeStateError(`Cannot accept a set-up key offer: this side is the ${this.role} and the exchange is ${this.st}`);
    } else if (this.st !== "established" || offer.epoch !== this.epochNow + 1) {
      throw new KeyExchangeStateError(`Cannot accept rekey offer for epoch ${offer.epoch}: the call is ${this.st} at epoch ${this.epochNow}`);
    }
    if (!offer.verifySignature()) {
      this.failSetUp(setUp);
      throw new SignatureError(`Cannot accept key offer from ${JSON.stringify(this.peerName)}: its Ed25519 signature does not verify under the identity key it carries (forged or altered)`);
    }
    if (!setUp && !offer.identity.equals(this.peer as IdentityPublicKey)) {
      throw new KeyExchangeStateError("Cannot accept rekey offer: it is signed by an identity other than the one this call was set up with");
    }
    this.replayGuard.check(offer.nonce, offer.timestampMs, nowMs);
    if (setUp) {
      try {
        this.knownPeers.verify(this.peerName, offer.identity, nowMs, this.acceptNewIdentity);
      } catch (err) {
        this.failSetUp(true);
        throw err;
      }
    }
    if (this.pending?.role === "initiator") {
      // Both sides started the same rekey: the caller's offer wins (see the file comment).
      this.counters.rekeyCollisions++;
      if (this.role === "caller") return { messages: [] };
    }
    // (A pending responder exchange is replaced: the peer started its rekey again.)
    this.dropPending();
    const suite = setUp ? offer.suites.find((s) => this.suites.includes(s)) : offer.suites[0] === this.currentSuite() ? offer.suites[0] : undefined;
    if (suite === undefined) {
      if (setUp) this.failSetUp(true);
      throw new KeyExchangeStateError(`Cannot accept key offer: none of the offered suites (${offer.suites.join(", ")}) is allowed here (${setUp ? this.suites.join(", ") : this.currentSuite()})`);
    }
    const mySwitch: readonly SwitchIndex[] = setUp ? [] : switchIndexes;
    const ephemeralPrivate = new Uint8Array(X25519_KEY_BYTES);
    this.randomFill(ephemeralPrivate);
    const ephemeralObject = importX25519PrivateKey(ephemeralPrivate);
    const nonce = new Uint8Array(KEY_NONCE_BYTES);
    this.randomFill(nonce);
    const answer = KeyAnswer.create(
      {
        epoch: offer.epoch,
        callId: this.callId,
        offerHash: sha256(offer.serialize()),
        timestampMs: Math.round(nowMs),
        nonce,
        identity: this.identity.publicKey,
        ephemeralKey: x25519PublicKey(ephemeralObject),
        suite,
        switchIndexes: mySwitch,
      },
      this.identity,
    );
    const pending: PendingEpoch = {
      epoch: offer.epoch,
      role: "responder",
      ephemeralPrivate,
      ephemeralObject,
      offer,
      answer,
      peerIdentity: offer.identity,
      mySwitchIndexes: mySwitch,
      peerSwitchIndexes: offer.switchIndexes,
    };
    // Responder: DH1 = X25519(EK_R, IK_I), DH2 = X25519(IK_R, EK_I), DH3 = X25519(EK_R, EK_I).
    // (A low-order key in the offer throws here; nothing is kept.)
    this.derive(pending, (dh1, dh2, dh3) => {
      x25519(ephemeralObject, offer.identity.agreementKey, dh1);
      this.identity.agree(offer.ephemeralKey, dh2);
      x25519(ephemeralObject, offer.ephemeralKey, dh3);
    });
    this.pending = pending;
    if (setUp) this.st = "answered";
    const confirm = new KeyConfirm(offer.epoch, "responder", (pending.keys as EpochKeys).confirmMac("responder"));
    this.counters.sent += 2;
    return { messages: [answer.serialize(), confirm.serialize()] };
  }

  private onAnswer(answer: KeyAnswer, nowMs: number): KeyExchangeOutput {
    const p = this.pending;
    if (p === undefined || p.role !== "initiator" || p.answer !== undefined || answer.epoch !== p.epoch) {
      throw new KeyExchangeStateError(`Cannot accept key answer for epoch ${answer.epoch}: no offer of that epoch awaits an answer`);
    }
    const setUp = p.epoch === 0;
    if (answer.callId !== this.callId || !bytesEqual(answer.offerHash, sha256(p.offer.serialize()))) {
      throw new KeyExchangeStateError("Cannot accept key answer: it answers another offer (call id or offer hash differ)");
    }
    if (!answer.verifySignature()) {
      this.failSetUp(setUp);
      throw new SignatureError(`Cannot accept key answer from ${JSON.stringify(this.peerName)}: its Ed25519 signature does not verify under the identity key it carries (forged or altered)`);
    }
    if (!p.offer.suites.includes(answer.suite)) {
      this.failSetUp(setUp);
      throw new KeyExchangeStateError(`Cannot accept key answer: it chose suite ${answer.suite}, which was not offered`);
    }
    if (setUp) {
      try {
        this.knownPeers.verify(this.peerName, answer.identity, nowMs, this.acceptNewIdentity);
      } catch (err) {
        this.failSetUp(true);
        throw err;
      }
    } else if (!answer.identity.equals(this.peer as IdentityPublicKey)) {
      this.dropPending();
      throw new KeyExchangeStateError("Cannot accept rekey answer: it is signed by an identity other than the one this call was set up with");
    }
    p.answer = answer;
    p.peerIdentity = answer.identity;
    p.peerSwitchIndexes = answer.switchIndexes;
    // Initiator: DH1 = X25519(IK_I, EK_R), DH2 = X25519(EK_I, IK_R), DH3 = X25519(EK_I, EK_R).
    try {
      this.derive(p, (dh1, dh2, dh3) => {
        this.identity.agree(answer.ephemeralKey, dh1);
        const ek = p.ephemeralObject as KeyObject;
        x25519(ek, answer.identity.agreementKey, dh2);
        x25519(ek, answer.ephemeralKey, dh3);
      });
    } catch (err) {
      // A low-order key in the answer: this exchange cannot complete.
      this.dropPending();
      this.failSetUp(setUp);
      throw err;
    }
    return { messages: [] };
  }

  private onConfirm(confirm: KeyConfirm): KeyExchangeOutput {
    const p = this.pending;
    const expectedRole: ExchangeRole = p?.role === "initiator" ? "responder" : "initiator";
    if (p === undefined || p.keys === undefined || confirm.epoch !== p.epoch || confirm.role !== expectedRole) {
      throw new KeyExchangeStateError(`Cannot accept key confirmation of the ${confirm.role} for epoch ${confirm.epoch}: no exchange of that epoch awaits it`);
    }
    const setUp = p.epoch === 0;
    if (!bytesEqualConstantTime(confirm.mac, p.keys.confirmMac(expectedRole))) {
      this.dropPending();
      this.failSetUp(setUp);
      throw new KeyConfirmationError(
        `Cannot accept key confirmation of epoch ${confirm.epoch}: the peer's MAC does not match, so the two sides did not derive the same keys; ${setUp ? "the call is refused" : "the rekey is dropped and the current keys stay"}`,
      );
    }
    const messages: Uint8Array[] = [];
    if (p.role === "initiator") {
      messages.push(new KeyConfirm(p.epoch, "initiator", p.keys.confirmMac("initiator")).serialize());
      this.counters.sent++;
    }
    const keys = this.establish(p);
    return { messages, keys };
  }

  /** Runs the three DH functions into scratch arrays, the key schedule, and zeroes EK and the DH outputs. */
  private derive(p: PendingEpoch, dh: (dh1: Uint8Array, dh2: Uint8Array, dh3: Uint8Array) => void): void {
    const dh1 = new Uint8Array(32);
    const dh2 = new Uint8Array(32);
    const dh3 = new Uint8Array(32);
    try {
      dh(dh1, dh2, dh3);
      const answer = p.answer as KeyAnswer;
      p.keys = deriveEpochKeys({
        suite: answer.suite,
        dh1,
        dh2,
        dh3,
        transcriptHash: transcriptHash(p.offer.serialize(), answer.serialize()),
        chainKey: p.epoch === 0 ? ZERO_CHAIN : this.#chainKey,
      });
      this.counters.keysDerived++;
    } finally {
      zeroBytes(dh1, dh2, dh3, p.ephemeralPrivate);
      p.ephemeralObject = undefined;
    }
  }

  private establish(p: PendingEpoch): CallSrtpKeys {
    const ek = p.keys as EpochKeys;
    const iToR = ek.srtp("initiatorToResponder");
    const rToI = ek.srtp("responderToInitiator");
    const mine = p.role === "initiator" ? iToR : rToI;
    const theirs = p.role === "initiator" ? rToI : iToR;
    const keys = new CallSrtpKeys({
      suite: ek.suite,
      epoch: p.epoch,
      sendMasterKey: mine.masterKey,
      sendMasterSalt: mine.masterSalt,
      receiveMasterKey: theirs.masterKey,
      receiveMasterSalt: theirs.masterSalt,
      sendSwitchIndexes: p.mySwitchIndexes,
      receiveSwitchIndexes: p.peerSwitchIndexes,
    });
    if (p.epoch === 0) this.peer = p.peerIdentity;
    this.#chainKey.set(ek.nextChainKey());
    ek.destroy();
    this.pending = undefined;
    this.epochNow = p.epoch;
    this.st = "established";
    this.counters.epochsConfirmed++;
    this.#issued.push(keys);
    // Keep the current and the previous epoch's keys (for reordered packets); zero older ones.
    while (this.#issued.length > 2) this.#issued.shift()?.destroy();
    return keys;
  }

  private currentSuite(): SrtpSuiteName {
    const k = this.#issued.at(-1);
    if (k === undefined) throw new KeyExchangeStateError("Cannot rekey: no keys were established yet");
    return k.suite;
  }

  private dropPending(): void {
    const p = this.pending;
    if (p === undefined) return;
    zeroBytes(p.ephemeralPrivate);
    p.ephemeralObject = undefined;
    p.keys?.destroy();
    this.pending = undefined;
  }

  /** Before epoch 0 is confirmed, a failed check refuses the call for good. */
  private failSetUp(setUp: boolean): void {
    if (!setUp) return;
    this.dropPending();
    this.st = "failed";
  }

  private checkUsable(): void {
    if (this.st === "destroyed") throw new RtcpipeError("ERR_CLOSED", "Cannot use the call key exchange: it was destroyed at hang-up");
    if (this.st === "failed") throw new KeyExchangeStateError(`Cannot use the call key exchange of ${this.callId}: it failed and the call was refused`);
  }

  private count(err: unknown): void {
    const c = this.counters;
    if (err instanceof SignatureError) c.badSignatures++;
    else if (err instanceof IdentityChangedError) c.identityChanged++;
    else if (err instanceof KeyConfirmationError) c.badConfirmations++;
    else if (err instanceof MalformedPacketError) c.malformed++;
    else if (err instanceof RtcpipeError && err.code === "ERR_REPLAYED") c.replayed++;
    else c.outOfState++;
  }
}

function checkNow(nowMs: number): void {
  checkRange("nowMs", nowMs, 0, Number.MAX_SAFE_INTEGER);
}

/** Switch indexes given by this side's caller: InvalidOptionError rather than MalformedPacketError. */
function checkLocalSwitchIndexes(list: readonly SwitchIndex[]): void {
  if (!Array.isArray(list)) throw new InvalidOptionError("Cannot use switchIndexes: allowed is an array of { ssrc, index }");
  try {
    checkSwitchIndexes(list);
  } catch (err) {
    throw new InvalidOptionError((err as Error).message);
  }
}
