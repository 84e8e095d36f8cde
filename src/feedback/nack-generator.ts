/**
 * Receiver-side Generic NACK generation (RFC 4585 6.2.1, behaviour after libwebrtc's
 * NackRequester): every received (or FEC-recovered) media sequence number is fed in; gaps
 * become missing entries; `tick` returns the numbers to NACK now. The first request waits a
 * small reorder allowance, retries come once per RTT, at most `maxRetries` times; entries are
 * dropped past `maxAgeUs` or when the list would exceed `maxListSize` (1000 in libwebrtc), in
 * which case a keyframe is asked for instead. Pure: time and RTT are arguments, no timers.
 */
import { checkInt, checkRange } from "../errors.js";
import { SequenceUnwrapper } from "../rtp/wrap-around-unwrapper.js";

export interface NackGeneratorOptions {
  /** Wait this long after a gap is seen before the first NACK, so reordered packets are not requested. Default 10 000 µs. */
  reorderAllowanceUs?: number;
  /** Retries after the first request. Default 10. */
  maxRetries?: number;
  /** Give up on a missing packet this long after its gap was seen. Default 1 500 000 µs. */
  maxAgeUs?: number;
  /** Most missing packets tracked (libwebrtc kMaxNackPackets). Default 1000. */
  maxListSize?: number;
  /** RTT assumed while `tick` gets none (libwebrtc kDefaultRtt). Default 100 000 µs. */
  defaultRttUs?: number;
  /** Added to the RTT before a retry, so a retransmission still in flight (RTT plus jitter) is not asked for again. Default 10 000 µs. */
  retryMarginUs?: number;
  /** Shortest time between two requests for the same packet, whatever the RTT. Default 10 000 µs. */
  minRetryIntervalUs?: number;
  /**
   * Above this packet loss (measured over the last ~100 sequence numbers), `tick` asks for each
   * NACK to be sent twice: a lost NACK costs a whole extra round trip, a second copy ~40 bytes.
   * Default 0.05.
   */
  duplicateAboveLoss?: number;
}

/** What `tick` asks the caller to send. */
export interface NackTickResult {
  /** Sequence numbers to put in a Generic NACK now, oldest first (may cross the wrap). */
  sequenceNumbers: number[];
  /** The list overflowed or jumped too far: ask the sender for a keyframe (PLI/FIR). */
  keyframeRequest: boolean;
  /** How many copies of the NACK to send (2 on a lossy path, see `duplicateAboveLoss`). */
  copies: 1 | 2;
}

/** Weight of one sequence number in the loss estimate (~100 packets of memory). */
const LOSS_ALPHA = 1 / 100;

interface Missing {
  seq: number;
  detectedUs: number;
  /** NaN until the first request. */
  sentAtUs: number;
  /** Requests sent so far. */
  requests: number;
}

export class NackGenerator {
  readonly name = "nack-generator";
  private reorderAllowanceUs: number;
  private readonly maxRetries: number;
  private readonly maxAgeUs: number;
  private readonly maxListSize: number;
  private readonly defaultRttUs: number;
  private readonly retryMarginUs: number;
  private readonly minRetryIntervalUs: number;
  private readonly duplicateAboveLoss: number;
  /** Exponentially weighted share of sequence numbers that went missing on first arrival. */
  private loss = 0;
  private lossSamples = 0;
  private readonly unwrapper = new SequenceUnwrapper();
  /** Missing packets by unwrapped sequence number; insertion order is oldest first. */
  private readonly missing = new Map<number, Missing>();
  private keyframePending = false;

  private nNacksSent = 0;
  private nSeqsRequested = 0;
  private nRetries = 0;
  private nGivenUp = 0;
  private nRecoveredAfterNack = 0;
  private nRecoveredBeforeNack = 0;
  private nFecRecovered = 0;
  private nKeyframeRequests = 0;
  private nOverflowDropped = 0;
  private nReceived = 0;
  private nDuplicates = 0;

  constructor(options: NackGeneratorOptions = {}) {
    this.reorderAllowanceUs = checkRange("reorderAllowanceUs", options.reorderAllowanceUs ?? 10_000, 0, 10_000_000);
    this.maxRetries = checkInt("maxRetries", options.maxRetries ?? 10, 0, 1000);
    this.maxAgeUs = checkRange("maxAgeUs", options.maxAgeUs ?? 1_500_000, 1_000, 60_000_000);
    this.maxListSize = checkInt("maxListSize", options.maxListSize ?? 1000, 1, 30_000);
    this.defaultRttUs = checkRange("defaultRttUs", options.defaultRttUs ?? 100_000, 0, 10_000_000);
    this.retryMarginUs = checkRange("retryMarginUs", options.retryMarginUs ?? 10_000, 0, 1_000_000);
    this.minRetryIntervalUs = checkRange("minRetryIntervalUs", options.minRetryIntervalUs ?? 10_000, 0, 10_000_000);
    this.duplicateAboveLoss = checkRange("duplicateAboveLoss", options.duplicateAboveLoss ?? 0.05, 0, 1);
  }

  /** Share of sequence numbers recently found missing on first arrival (0-1, smoothed over ~100). */
  get lossFraction(): number {
    return this.loss;
  }

  /** Missing packets currently tracked. */
  get missingCount(): number {
    return this.missing.size;
  }

  /**
   * One media packet arrived (or was recovered, e.g. by FEC: `recovered` true) at `nowUs`.
   * A number past the highest opens a gap; an older one fills one.
   */
  /**
   * How long a missing packet may be merely reordered before it is NACKed; a receiver that
   * measures reordering on its path raises it so reordered packets are not requested.
   */
  setReorderAllowanceUs(allowanceUs: number): void {
    this.reorderAllowanceUs = checkRange("reorderAllowanceUs", allowanceUs, 0, 10_000_000);
  }

  received(sequenceNumber: number, nowUs: number, recovered = false): void {
    this.nReceived++;
    const first = Number.isNaN(this.unwrapper.highest);
    const highest = this.unwrapper.highest;
    const u = this.unwrapper.unwrap(sequenceNumber);
    if (first) return;
    if (u > highest) {
      const gap = u - highest - 1;
      // Loss estimate: `gap` missing numbers, then one that arrived (a running mean over the
      // first 100 numbers, so it is right from the start of a call).
      for (let k = 0; k <= Math.min(gap, 1000); k++) {
        this.lossSamples++;
        const a = Math.max(LOSS_ALPHA, 1 / this.lossSamples);
        this.loss += a * ((k < gap ? 1 : 0) - this.loss);
      }
      if (gap > this.maxListSize) {
        // More missing than we may track: none of it can be requested, the decoder needs a keyframe.
        this.nOverflowDropped += this.missing.size + gap;
        this.missing.clear();
        this.keyframePending = true;
        return;
      }
      for (let k = highest + 1; k < u; k++) this.missing.set(k, { seq: k & 0xffff, detectedUs: nowUs, sentAtUs: NaN, requests: 0 });
      if (this.missing.size > this.maxListSize) {
        for (const key of this.missing.keys()) {
          if (this.missing.size <= this.maxListSize) break;
          this.missing.delete(key);
          this.nOverflowDropped++;
        }
        this.keyframePending = true;
      }
      return;
    }
    const m = this.missing.get(u);
    if (m === undefined) {
      if (u === highest) this.nDuplicates++;
      return;
    }
    this.missing.delete(u);
    if (recovered) this.nFecRecovered++;
    else if (m.requests > 0) this.nRecoveredAfterNack++;
    else this.nRecoveredBeforeNack++;
  }

  /**
   * Drops every missing entry older than `sequenceNumber` (e.g. after a keyframe made them
   * useless). Entries dropped this way are not counted as given up.
   */
  clearOlderThan(sequenceNumber: number): void {
    const u = this.unwrapper.peek(sequenceNumber);
    for (const key of this.missing.keys()) {
      if (key >= u) break;
      this.missing.delete(key);
    }
  }

  /**
   * The sequence numbers to NACK at `nowUs` given the current RTT (`rttUs`; NaN or ≤ 0 means
   * unknown, then `defaultRttUs`), and whether to ask for a keyframe.
   */
  tick(nowUs: number, rttUs: number): NackTickResult {
    const rtt = Number.isFinite(rttUs) && rttUs > 0 ? rttUs : this.defaultRttUs;
    const retryUs = Math.max(this.minRetryIntervalUs, rtt + this.retryMarginUs);
    const out: number[] = [];
    for (const [key, m] of this.missing) {
      if (nowUs - m.detectedUs > this.maxAgeUs) {
        this.missing.delete(key);
        this.nGivenUp++;
        continue;
      }
      if (m.requests === 0) {
        if (nowUs - m.detectedUs < this.reorderAllowanceUs) continue;
      } else {
        if (nowUs - m.sentAtUs < retryUs) continue;
        if (m.requests > this.maxRetries) {
          this.missing.delete(key);
          this.nGivenUp++;
          continue;
        }
        this.nRetries++;
      }
      m.requests++;
      m.sentAtUs = nowUs;
      out.push(m.seq);
    }
    if (out.length > 0) {
      this.nNacksSent++;
      this.nSeqsRequested += out.length;
    }
    const keyframeRequest = this.keyframePending;
    if (keyframeRequest) {
      this.keyframePending = false;
      this.nKeyframeRequests++;
    }
    return { sequenceNumbers: out, keyframeRequest, copies: this.loss > this.duplicateAboveLoss ? 2 : 1 };
  }

  /** When `tick` next has something to do (a request or a give-up), or Infinity. */
  nextDueUs(rttUs: number): number {
    if (this.keyframePending) return -Infinity;
    const rtt = Number.isFinite(rttUs) && rttUs > 0 ? rttUs : this.defaultRttUs;
    const retryUs = Math.max(this.minRetryIntervalUs, rtt + this.retryMarginUs);
    let next = Infinity;
    for (const m of this.missing.values()) {
      const due = m.requests === 0 ? m.detectedUs + this.reorderAllowanceUs : m.sentAtUs + retryUs;
      next = Math.min(next, due, m.detectedUs + this.maxAgeUs + 1);
    }
    return next;
  }

  /** Forgets the stream (e.g. after an SSRC change); counters are kept. */
  reset(): void {
    this.missing.clear();
    this.unwrapper.reset();
    this.keyframePending = false;
  }

  stats(): {
    received: number;
    missing: number;
    nacksSent: number;
    seqsRequested: number;
    retries: number;
    givenUp: number;
    recoveredAfterNack: number;
    recoveredBeforeNack: number;
    fecRecovered: number;
    overflowDropped: number;
    keyframeRequests: number;
    duplicates: number;
  } {
    return {
      received: this.nReceived,
      missing: this.missing.size,
      nacksSent: this.nNacksSent,
      seqsRequested: this.nSeqsRequested,
      retries: this.nRetries,
      givenUp: this.nGivenUp,
      recoveredAfterNack: this.nRecoveredAfterNack,
      recoveredBeforeNack: this.nRecoveredBeforeNack,
      fecRecovered: this.nFecRecovered,
      overflowDropped: this.nOverflowDropped,
      keyframeRequests: this.nKeyframeRequests,
      duplicates: this.nDuplicates,
    };
  }
}
