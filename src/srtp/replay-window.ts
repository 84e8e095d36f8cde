/**
 * The sliding replay window of RFC 3711 Section 3.3.2: a bitmap of the last `size` packet indices
 * at or below the highest index accepted so far. Indices are SRTP packet indices (48 bits) or
 * SRTCP indices (31 bits); both fit a JS number exactly.
 *
 * `check` is separate from `accept` so the caller can update the window only after the packet
 * authenticated (RFC 3711 Section 3.3: "the replay list ... SHALL be updated only after").
 */
export const ReplayVerdict = Object.freeze({
  /** Newer than anything seen, or inside the window and not seen yet. */
  Fresh: 0,
  /** Inside the window and already accepted. */
  Duplicate: 1,
  /** Older than the window covers: cannot tell, so rejected. */
  TooOld: 2,
} as const);
export type ReplayVerdict = (typeof ReplayVerdict)[keyof typeof ReplayVerdict];

export class ReplayWindow {
  /** Window size in packets (a multiple of 32, at least 64). */
  readonly size: number;
  /** Highest accepted index, -1 before the first. */
  private top = -1;
  private readonly bits: Uint32Array;

  constructor(size: number) {
    this.size = Math.max(64, Math.ceil(size / 32) * 32);
    this.bits = new Uint32Array(this.size >>> 5);
  }

  /** The highest index accepted so far, or -1. */
  get highest(): number {
    return this.top;
  }

  check(index: number): ReplayVerdict {
    if (index > this.top) return ReplayVerdict.Fresh;
    if (this.top - index >= this.size) return ReplayVerdict.TooOld;
    const bit = index % this.size;
    return ((this.bits[bit >>> 5] as number) >>> (bit & 31)) & 1 ? ReplayVerdict.Duplicate : ReplayVerdict.Fresh;
  }

  /** Marks `index` as received; call only after `check` returned Fresh and the packet authenticated. */
  accept(index: number): void {
    if (index > this.top) {
      const advance = this.top < 0 ? this.size : index - this.top;
      if (advance >= this.size) {
        this.bits.fill(0);
      } else {
        // Clear the slots that now hold indices top+1 .. index (they were index - size ago).
        for (let i = this.top + 1; i <= index; i++) {
          const b = i % this.size;
          this.bits[b >>> 5] = (this.bits[b >>> 5] as number) & ~(1 << (b & 31));
        }
      }
      this.top = index;
    }
    const bit = index % this.size;
    this.bits[bit >>> 5] = (this.bits[bit >>> 5] as number) | (1 << (bit & 31));
  }
}
