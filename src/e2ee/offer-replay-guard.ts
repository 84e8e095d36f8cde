/**
 * Replay protection for key offers: an offer is accepted only if its timestamp is within
 * ±windowMs of the receiver's clock and its nonce was not seen in an accepted offer before.
 * Nonces are remembered only while their timestamp is inside the window (an older copy fails
 * the timestamp check anyway), so memory is bounded by the offer rate times 2·windowMs, and by
 * maxEntries: when that many nonces are live, new offers are refused until some expire.
 *
 * One guard serves every call of an identity (keep it for the life of the process).
 */
import { ReplayError, checkInt, checkRange } from "../errors.js";

/** Options of OfferReplayGuard. */
export interface OfferReplayGuardOptions {
  /** Accepted clock difference in ms either way. Default 120000 (±2 min); allowed 1000..3600000. */
  windowMs?: number;
  /** Most nonces remembered at once. Default 65536; allowed 16..1048576. */
  maxEntries?: number;
}

/** Counters of a guard. */
export type OfferReplayGuardStats = {
  accepted: number;
  refusedNonce: number;
  refusedTimestamp: number;
  refusedFull: number;
  live: number;
};

/** The nonce and timestamp check of received offers (see the file comment). */
export class OfferReplayGuard {
  /** The accepted clock difference in ms. */
  readonly windowMs: number;
  private readonly maxEntries: number;
  /** nonce (hex) -> its offer's timestamp. */
  private readonly seen = new Map<string, number>();
  private nAccepted = 0;
  private nNonce = 0;
  private nTime = 0;
  private nFull = 0;

  constructor(options: OfferReplayGuardOptions = {}) {
    this.windowMs = checkInt("windowMs", options.windowMs ?? 120_000, 1000, 3_600_000);
    this.maxEntries = checkInt("maxEntries", options.maxEntries ?? 65536, 16, 1 << 20);
  }

  /**
   * Accepts (and remembers) the offer's nonce, or throws ReplayError. `nowMs` is the receiver's
   * Unix time in ms; `timestampMs` the offer's.
   */
  check(nonce: Uint8Array, timestampMs: number, nowMs: number): void {
    checkRange("nowMs", nowMs, 0, Number.MAX_SAFE_INTEGER);
    checkRange("timestampMs", timestampMs, 0, Number.MAX_SAFE_INTEGER);
    if (Math.abs(nowMs - timestampMs) > this.windowMs) {
      this.nTime++;
      throw new ReplayError(
        `Cannot accept key offer: its timestamp is ${Math.round((timestampMs - nowMs) / 1000)} s from this clock, allowed is within ±${this.windowMs / 1000} s (a replayed offer, or clocks out of sync)`,
      );
    }
    const key = Buffer.from(nonce.buffer, nonce.byteOffset, nonce.length).toString("hex");
    if (this.seen.has(key)) {
      this.nNonce++;
      throw new ReplayError("Cannot accept key offer: its nonce was seen in an earlier offer (a replayed offer)");
    }
    if (this.seen.size >= this.maxEntries) this.prune(nowMs);
    if (this.seen.size >= this.maxEntries) {
      this.nFull++;
      throw new ReplayError(`Cannot accept key offer: ${this.maxEntries} offers arrived within the last ${this.windowMs / 1000} s (allowed maxEntries); try again later`);
    }
    this.seen.set(key, timestampMs);
    this.nAccepted++;
    if ((this.nAccepted & 1023) === 0) this.prune(nowMs);
  }

  /** Forgets nonces whose timestamp left the window. */
  prune(nowMs: number): void {
    for (const [k, ts] of this.seen) if (nowMs - ts > this.windowMs) this.seen.delete(k);
  }

  /** A copy of the counters. */
  stats(): OfferReplayGuardStats {
    return { accepted: this.nAccepted, refusedNonce: this.nNonce, refusedTimestamp: this.nTime, refusedFull: this.nFull, live: this.seen.size };
  }
}
