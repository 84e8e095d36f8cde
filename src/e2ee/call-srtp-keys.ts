/**
 * The SRTP master keys and salts of one side of a call for one epoch, as a confirmed key exchange
 * hands them out: one pair to protect what this side sends, one to unprotect what it receives,
 * plus where each direction switches to them (rekeys). The arrays are private (not in JSON,
 * inspect or toString output); destroy() zeroes them.
 */
import { RtcpipeError } from "../errors.js";
import { SrtpSession, type SrtpSessionOptions } from "../srtp/srtp-session.js";
import type { SrtpSuiteName } from "../srtp/srtp-suite.js";
import type { SwitchIndex } from "./key-message-codec.js";
import { INSPECT_CUSTOM, isAllZero, zeroBytes } from "./secret-bytes.js";

/** One side's SRTP master keys and salts of one epoch (see the file comment). */
export class CallSrtpKeys {
  /** The negotiated suite. */
  readonly suite: SrtpSuiteName;
  /** 0 for the call's first keys, then one more per rekey. */
  readonly epoch: number;
  /** From which packet index each of this side's streams is protected with these keys (empty in epoch 0). */
  readonly sendSwitchIndexes: readonly SwitchIndex[];
  /** From which packet index each of the peer's streams is protected with these keys (empty in epoch 0). */
  readonly receiveSwitchIndexes: readonly SwitchIndex[];
  readonly #sendKey: Uint8Array;
  readonly #sendSalt: Uint8Array;
  readonly #receiveKey: Uint8Array;
  readonly #receiveSalt: Uint8Array;
  #destroyed = false;

  /** Copies the four arrays. */
  constructor(options: {
    suite: SrtpSuiteName;
    epoch: number;
    sendMasterKey: Uint8Array;
    sendMasterSalt: Uint8Array;
    receiveMasterKey: Uint8Array;
    receiveMasterSalt: Uint8Array;
    sendSwitchIndexes: readonly SwitchIndex[];
    receiveSwitchIndexes: readonly SwitchIndex[];
  }) {
    this.suite = options.suite;
    this.epoch = options.epoch;
    this.#sendKey = options.sendMasterKey.slice();
    this.#sendSalt = options.sendMasterSalt.slice();
    this.#receiveKey = options.receiveMasterKey.slice();
    this.#receiveSalt = options.receiveMasterSalt.slice();
    this.sendSwitchIndexes = Object.freeze([...options.sendSwitchIndexes]);
    this.receiveSwitchIndexes = Object.freeze([...options.receiveSwitchIndexes]);
  }

  /** Master key to protect what this side sends (the array itself; zeroed by destroy()). */
  get sendMasterKey(): Uint8Array {
    this.checkAlive();
    return this.#sendKey;
  }

  get sendMasterSalt(): Uint8Array {
    this.checkAlive();
    return this.#sendSalt;
  }

  /** Master key to unprotect what the peer sends. */
  get receiveMasterKey(): Uint8Array {
    this.checkAlive();
    return this.#receiveKey;
  }

  get receiveMasterSalt(): Uint8Array {
    this.checkAlive();
    return this.#receiveSalt;
  }

  /** An SrtpSession that protects this side's packets. */
  createSendSession(options: Omit<SrtpSessionOptions, "suite" | "masterKey" | "masterSalt"> = {}): SrtpSession {
    return new SrtpSession({ ...options, suite: this.suite, masterKey: this.sendMasterKey, masterSalt: this.sendMasterSalt });
  }

  /** An SrtpSession that unprotects the peer's packets. */
  createReceiveSession(options: Omit<SrtpSessionOptions, "suite" | "masterKey" | "masterSalt"> = {}): SrtpSession {
    return new SrtpSession({ ...options, suite: this.suite, masterKey: this.receiveMasterKey, masterSalt: this.receiveMasterSalt });
  }

  /** Zeroes the four arrays. */
  destroy(): void {
    zeroBytes(this.#sendKey, this.#sendSalt, this.#receiveKey, this.#receiveSalt);
    this.#destroyed = true;
  }

  /** True after destroy() (and then every array is zero). */
  get destroyed(): boolean {
    return this.#destroyed && [this.#sendKey, this.#sendSalt, this.#receiveKey, this.#receiveSalt].every(isAllZero);
  }

  toJSON(): { type: "CallSrtpKeys"; suite: SrtpSuiteName; epoch: number; keys: "redacted" } {
    return { type: "CallSrtpKeys", suite: this.suite, epoch: this.epoch, keys: "redacted" };
  }

  toString(): string {
    return `CallSrtpKeys(${this.suite}, epoch ${this.epoch}, keys redacted)`;
  }

  [INSPECT_CUSTOM](): string {
    return this.toString();
  }

  private checkAlive(): void {
    if (this.#destroyed) throw new RtcpipeError("ERR_CLOSED", "Cannot use call SRTP keys: they were destroyed at hang-up");
  }
}
