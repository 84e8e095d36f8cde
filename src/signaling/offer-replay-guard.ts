import { checkInt } from "../errors.js";

/** Options of {@link OfferReplayGuard}. */
export interface OfferReplayGuardOptions {
  /** How long a call id stays remembered, ms. Default 600000 (10 min). */
  windowMs?: number;
  /** Most call ids remembered; the oldest are forgotten first. Default 100000. */
  maxEntries?: number;
}

/**
 * Remembers the call ids of offers seen in the last `windowMs` so a replayed or duplicated
 * offer (same call id) is refused. Bounded: at most `maxEntries` ids (oldest evicted). Time
 * comes in as an argument.
 */
export class OfferReplayGuard {
  private readonly windowMs: number;
  private readonly maxEntries: number;
  // Insertion order is time order, so the oldest entries are first.
  private readonly seenAtMs = new Map<string, number>();

  constructor(options: OfferReplayGuardOptions = {}) {
    this.windowMs = checkInt("windowMs", options.windowMs ?? 600_000, 1, 86_400_000);
    this.maxEntries = checkInt("maxEntries", options.maxEntries ?? 100_000, 1, 10_000_000);
  }

  /** Records `callId` at `nowMs`; false when it was already seen within the window (a replay). */
  accept(callId: string, nowMs: number): boolean {
    this.expire(nowMs);
    if (this.seenAtMs.has(callId)) return false;
    this.seenAtMs.set(callId, nowMs);
    if (this.seenAtMs.size > this.maxEntries) {
      const oldest = this.seenAtMs.keys().next().value;
      if (oldest !== undefined) this.seenAtMs.delete(oldest);
    }
    return true;
  }

  /** Call ids remembered now. */
  get size(): number {
    return this.seenAtMs.size;
  }

  private expire(nowMs: number): void {
    for (const [id, atMs] of this.seenAtMs) {
      if (nowMs - atMs < this.windowMs) break;
      this.seenAtMs.delete(id);
    }
  }
}
