/**
 * The one helper through which rtcpipe compares and unwraps wrapping counters: 16-bit RTP
 * sequence numbers and 32-bit RTP timestamps (RFC 3550 5.1), compared with serial-number
 * arithmetic (RFC 1982 3.2). `SequenceUnwrapper` and `TimestampUnwrapper` are this class fixed
 * to 16 and 32 bits; `seqNewer`/`timestampNewer` and friends are its static comparisons.
 */
import { checkOneOf } from "../errors.js";

const SEQ_MOD = 0x1_0000;
const SEQ_HALF = 0x8000;
const TS_MOD = 0x1_0000_0000;
const TS_HALF = 0x8000_0000;

/**
 * Signed distance from `b` to `a` in a `bits`-bit serial space (RFC 1982 3.2): positive when
 * `a` is newer. The ambiguous half-way value (exactly 2^(bits-1) apart) counts as newer, as in
 * libwebrtc's `IsNewerSequenceNumber` tie-break on the larger raw value.
 */
function serialDiff(a: number, b: number, mod: number, half: number): number {
  let d = (a - b) % mod;
  if (d < 0) d += mod;
  if (d > half || (d === half && a < b)) d -= mod;
  return d;
}

/** A monotonic unwrapper for a counter of 16 or 32 bits. */
export class WrapAroundUnwrapper {
  readonly bits: 16 | 32;
  private readonly mod: number;
  private readonly half: number;
  private last = NaN;
  private lastUnwrapped = 0;

  constructor(bits: 16 | 32) {
    checkOneOf("bits", String(bits), ["16", "32"]);
    this.bits = bits;
    this.mod = bits === 16 ? SEQ_MOD : TS_MOD;
    this.half = bits === 16 ? SEQ_HALF : TS_HALF;
  }

  /**
   * Maps a raw wrapped value to a monotonic number, relative to the last value unwrapped:
   * a value up to half the space ahead is later, otherwise earlier (may go below 0 only if the
   * very first values went backwards). Does not advance the reference for older values.
   */
  unwrap(value: number): number {
    const v = this.bits === 16 ? value & 0xffff : value >>> 0;
    if (Number.isNaN(this.last)) {
      this.last = v;
      this.lastUnwrapped = v;
      return v;
    }
    const d = serialDiff(v, this.last, this.mod, this.half);
    const u = this.lastUnwrapped + d;
    if (d > 0) {
      this.last = v;
      this.lastUnwrapped = u;
    }
    return u;
  }

  /** The unwrapped value `unwrap(value)` would return, without changing state. */
  peek(value: number): number {
    const v = this.bits === 16 ? value & 0xffff : value >>> 0;
    if (Number.isNaN(this.last)) return v;
    return this.lastUnwrapped + serialDiff(v, this.last, this.mod, this.half);
  }

  /** The largest unwrapped value so far, or NaN before the first. */
  get highest(): number {
    return Number.isNaN(this.last) ? NaN : this.lastUnwrapped;
  }

  /** Forgets history; the next value starts a new sequence. */
  reset(): void {
    this.last = NaN;
    this.lastUnwrapped = 0;
  }

  /** Signed distance a − b between 16-bit sequence numbers (RFC 1982), in [−32768, 32767]. */
  static seqDiff(a: number, b: number): number {
    return serialDiff(a & 0xffff, b & 0xffff, SEQ_MOD, SEQ_HALF);
  }

  /** Signed distance a − b between 32-bit RTP timestamps (RFC 1982). */
  static timestampDiff(a: number, b: number): number {
    return serialDiff(a >>> 0, b >>> 0, TS_MOD, TS_HALF);
  }
}

/** Unwraps 16-bit RTP sequence numbers (RFC 3550 5.1) into a monotonic number. */
export class SequenceUnwrapper extends WrapAroundUnwrapper {
  constructor() {
    super(16);
  }
}

/** Unwraps 32-bit RTP timestamps (RFC 3550 5.1) into a monotonic number. */
export class TimestampUnwrapper extends WrapAroundUnwrapper {
  constructor() {
    super(32);
  }
}

/** Signed distance a − b between sequence numbers (RFC 1982 serial arithmetic). */
export function seqDiff(a: number, b: number): number {
  return WrapAroundUnwrapper.seqDiff(a, b);
}

/** True when sequence number `a` is newer than `b` (RFC 1982). */
export function seqNewer(a: number, b: number): boolean {
  return WrapAroundUnwrapper.seqDiff(a, b) > 0;
}

/** Signed distance a − b between RTP timestamps (RFC 1982 serial arithmetic). */
export function timestampDiff(a: number, b: number): number {
  return WrapAroundUnwrapper.timestampDiff(a, b);
}

/** True when RTP timestamp `a` is newer than `b` (RFC 1982). */
export function timestampNewer(a: number, b: number): boolean {
  return WrapAroundUnwrapper.timestampDiff(a, b) > 0;
}
