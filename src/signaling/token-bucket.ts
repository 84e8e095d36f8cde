import { checkRange } from "../errors.js";

/** Options of {@link TokenBucket}. */
export interface TokenBucketOptions {
  /** Tokens added per second (the sustained rate). */
  ratePerS: number;
  /** Bucket size (the burst allowed after a quiet period); the bucket starts full. */
  burst: number;
}

/**
 * A token bucket rate limiter: `take(nowMs)` spends one token if there is one. Time comes in
 * as an argument; nothing here reads the clock.
 */
export class TokenBucket {
  private readonly ratePerMs: number;
  private readonly burst: number;
  private tokens: number;
  private lastMs: number | undefined;

  constructor(options: TokenBucketOptions) {
    this.ratePerMs = checkRange("ratePerS", options.ratePerS, 0.001, 1e6) / 1000;
    this.burst = checkRange("burst", options.burst, 1, 1e6);
    this.tokens = this.burst;
  }

  /** Spends one token at `nowMs`; false when the bucket is empty (the caller drops the message). */
  take(nowMs: number): boolean {
    if (this.lastMs !== undefined && nowMs > this.lastMs) {
      this.tokens = Math.min(this.burst, this.tokens + (nowMs - this.lastMs) * this.ratePerMs);
    }
    if (this.lastMs === undefined || nowMs > this.lastMs) this.lastMs = nowMs;
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }

  /** Tokens left now (fractional). */
  get available(): number {
    return this.tokens;
  }
}
