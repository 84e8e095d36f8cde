/**
 * A STUN client transaction over UDP (RFC 8489 6.2.1), as a pure core: the owner sends the
 * request when it makes the transaction, then calls `tick(nowUs)` at `nextTimeoutUs()`; a
 * "retransmit" answer means send the same bytes again, "timeout" means give up. Requests go
 * out at 0, RTO, 3 RTO, 7 RTO, ... (the interval doubles), Rc transmissions in all; after the
 * last one the client waits Rm × RTO. With the defaults (RTO 500 ms, Rc 7, Rm 16) the
 * transmissions are at 0, 0.5, 1.5, 3.5, 7.5, 15.5 and 31.5 s and the timeout at 39.5 s.
 */
import { checkInt } from "../errors.js";

/** Options of a StunClientTransaction (RFC 8489 6.2.1). */
export interface StunTransactionOptions {
  /** Initial retransmission timeout. Default 500 ms; 1-60000. */
  rtoMs?: number;
  /** Rc: transmissions in all, the first included. Default 7; 1-20. */
  maxTransmits?: number;
  /** Rm: the wait after the last transmission, in RTOs. Default 16; 1-64. */
  lastWaitRto?: number;
}

/** What `tick` asks the owner to do. */
export type StunTransactionAction = "retransmit" | "timeout" | undefined;

/** The state of one client transaction. */
export type StunTransactionState = "pending" | "succeeded" | "timedOut";

/** One outstanding STUN request (RFC 8489 6.2.1). */
export class StunClientTransaction {
  /** The request bytes to (re)send. */
  readonly request: Uint8Array;
  /** Transmissions so far, the first included. */
  transmits = 1;
  state: StunTransactionState = "pending";
  private readonly rtoUs: number;
  private readonly maxTransmits: number;
  private readonly lastWaitUs: number;
  private readonly startUs: number;
  private lastSendUs: number;
  private nextUs: number;

  /** Starts the transaction; the caller sends `request` now (the first transmission). */
  constructor(request: Uint8Array, nowUs: number, options: StunTransactionOptions = {}) {
    this.request = request;
    const rtoMs = checkInt("rtoMs", options.rtoMs ?? 500, 1, 60_000);
    this.maxTransmits = checkInt("maxTransmits", options.maxTransmits ?? 7, 1, 20);
    this.lastWaitUs = checkInt("lastWaitRto", options.lastWaitRto ?? 16, 1, 64) * rtoMs * 1000;
    this.rtoUs = rtoMs * 1000;
    this.startUs = nowUs;
    this.lastSendUs = nowUs;
    this.nextUs = this.maxTransmits > 1 ? nowUs + this.rtoUs : nowUs + this.lastWaitUs;
  }

  /** When `tick` next has something to do, or undefined once finished. */
  nextTimeoutUs(): number | undefined {
    return this.state === "pending" ? this.nextUs : undefined;
  }

  /** Time-driven work: a retransmission or the final timeout, when due. */
  tick(nowUs: number): StunTransactionAction {
    if (this.state !== "pending" || nowUs < this.nextUs) return undefined;
    if (this.transmits >= this.maxTransmits) {
      this.state = "timedOut";
      return "timeout";
    }
    this.transmits++;
    this.lastSendUs = nowUs;
    // Interval after transmission k (1-based) is RTO * 2^(k-1); the last is followed by Rm * RTO.
    this.nextUs = this.transmits >= this.maxTransmits ? nowUs + this.lastWaitUs : nowUs + this.rtoUs * 2 ** (this.transmits - 1);
    return "retransmit";
  }

  /**
   * Marks the transaction answered. Returns the round-trip time in µs when the request was
   * sent once (Karn's rule: with retransmissions the answer is ambiguous), else undefined.
   */
  complete(nowUs: number): number | undefined {
    if (this.state !== "pending") return undefined;
    this.state = "succeeded";
    return this.transmits === 1 ? nowUs - this.lastSendUs : undefined;
  }

  /** Time since the first transmission. */
  elapsedUs(nowUs: number): number {
    return nowUs - this.startUs;
  }
}
