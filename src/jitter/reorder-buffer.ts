import { checkInt, checkRange } from "../errors.js";
import { StageCore, type StageStats } from "../pipeline/stage.js";
import { SequenceUnwrapper } from "../rtp/wrap-around-unwrapper.js";

/** What the buffer needs of a packet: its 16-bit RTP sequence number. */
export interface Sequenced {
  readonly sequenceNumber: number;
}

export interface ReorderBufferOptions {
  /** Packets held at most; beyond it the oldest gap is given up (default 512). */
  capacity?: number;
  /** Shortest wait for a missing packet before skipping it (default 5 ms). */
  minWaitMs?: number;
  /** Longest wait for a missing packet (default 100 ms). */
  maxWaitMs?: number;
}

/**
 * Puts packets of one RTP stream back in sequence order (RFC 3550 5.1 sequence numbers, via
 * the one unwrapper). In-order packets pass straight through. On a gap it waits for the
 * missing packet as long as reordering on this path has been seen to last (the largest lateness
 * of a reordered packet, x1.5, clamped to [minWait, maxWait]), restarted when a release
 * uncovers the next gap unless that gap was seen two waits ago; then it declares the packet
 * lost and releases what follows. A gap the stream says nothing needs (`skipUnneededGaps`) is
 * given up sooner. Duplicates and packets older than what was released are dropped.
 */
export class ReorderBuffer<P extends Sequenced> extends StageCore<P, P> {
  readonly name = "reorder";
  private readonly capacity: number;
  private minWaitUs: number;
  private maxWaitUs: number;
  /** How long the first packets wait for an earlier one (the configured minWait, never widened). */
  private readonly startWaitUs: number;
  private readonly unwrapper = new SequenceUnwrapper();
  private readonly held = new Map<number, { packet: P; arrivalUs: number }>();
  private nextSeq = NaN;
  private gapSinceUs = NaN;
  /** Until the first release, the stream's start is not known: the first packet may be a reordered one. */
  private firstArrivalUs = NaN;
  private started = false;
  /** When the stream's start was decided (no gap is known before it). */
  private startedAtUs = NaN;
  private reorderLateness = 0;
  private learning = true;
  private highestArrivalUs = new Map<number, number>();
  private counters = { packetsIn: 0, packetsOut: 0, duplicates: 0, late: 0, reordered: 0, skippedLost: 0, skippedUnneeded: 0, overflows: 0, abandoned: 0 };
  private unneededGapDeadline: ((heldAfterGap: readonly P[], gapSeenUs: number) => number | undefined) | undefined;
  /** Until when the current gap, known to be unneeded, is still waited for (µs), or NaN. */
  private unneededUntilUs = NaN;
  private readonly runScratch: P[] = [];
  /** Called with the first sequence number released after a gap given up as unneeded. */
  onUnneededGapSkipped: (nextSequenceNumber: number) => void = () => {};

  constructor(options: ReorderBufferOptions = {}) {
    super();
    this.capacity = checkInt("capacity", options.capacity ?? 512, 1, 65_536);
    this.minWaitUs = checkRange("minWaitMs", options.minWaitMs ?? 5, 0, 10_000) * 1000;
    this.maxWaitUs = checkRange("maxWaitMs", options.maxWaitMs ?? 100, 0, 10_000) * 1000;
    if (this.maxWaitUs < this.minWaitUs) this.maxWaitUs = this.minWaitUs;
    this.startWaitUs = this.minWaitUs;
  }

  /**
   * Changes how long a gap may be waited for, e.g. to give a retransmission (NACK/RTX) one
   * round trip to arrive.
   */
  setWaitBounds(minWaitUs: number, maxWaitUs: number): void {
    this.minWaitUs = Math.max(0, minWaitUs);
    this.maxWaitUs = Math.max(this.minWaitUs, maxWaitUs);
  }

  /**
   * Stops waiting for anything before `sequenceNumber` (e.g. after an outage, when only a
   * keyframe can help): the gap is given up now and what follows is released.
   */
  abandonBefore(sequenceNumber: number, nowUs: number): void {
    const target = this.unwrapper.peek(sequenceNumber);
    if (!this.started || Number.isNaN(this.nextSeq) || target <= this.nextSeq) return;
    let heldDropped = 0;
    for (const k of [...this.held.keys()]) {
      if (k >= target) continue;
      this.held.delete(k);
      this.highestArrivalUs.delete(k);
      heldDropped++;
    }
    this.counters.skippedLost += target - this.nextSeq - heldDropped;
    this.counters.abandoned += heldDropped;
    this.nextSeq = target;
    this.gapSinceUs = NaN;
    this.release(nowUs);
  }

  /**
   * Lets the stream say a gap need not be waited for long: `deadline` gets the packets held
   * after the gap (consecutive, oldest first) and when the gap was first seen (µs), and returns
   * undefined when what they start needs the missing packets, else the time until which waiting
   * for them is still worth it (e.g. when the next frame is due to play: a lost FEC packet
   * between two frames, or a frame nothing depends on, is worth a retransmission only if it
   * comes before then). At that time (but not before reordering on this path has had its wait)
   * the gap is given up and counted as skippedUnneeded, not as loss.
   */
  skipUnneededGaps(deadline: (heldAfterGap: readonly P[], gapSeenUs: number) => number | undefined): void {
    this.unneededGapDeadline = deadline;
  }

  /** How late reordered packets have been seen to arrive on this path (µs, slowly decaying). */
  get reorderLatenessUs(): number {
    return this.reorderLateness;
  }

  /** How long a gap is currently waited for (µs). */
  get waitUs(): number {
    return Math.min(this.maxWaitUs, Math.max(this.minWaitUs, this.reorderLateness * 1.5));
  }

  /**
   * Takes a packet that came back through recovery (FEC, RTX): it fills its gap like any other,
   * but its lateness is recovery time, not reordering, so the path's reordering is not learned
   * from it.
   */
  pushRecovered(packet: P, nowUs: number): void {
    this.learning = false;
    try {
      this.push(packet, nowUs);
    } finally {
      this.learning = true;
    }
  }

  push(packet: P, nowUs: number): void {
    this.counters.packetsIn++;
    const seq = this.unwrapper.unwrap(packet.sequenceNumber);
    if (Number.isNaN(this.nextSeq)) {
      this.nextSeq = seq;
      this.firstArrivalUs = nowUs;
    }
    if (seq < this.nextSeq && !this.started && this.nextSeq - seq <= 64) this.nextSeq = seq; // an earlier first packet
    if (seq < this.nextSeq) {
      this.counters.late++;
      return;
    }
    if (this.held.has(seq)) {
      this.counters.duplicates++;
      return;
    }
    // A packet filling a gap after later ones arrived: remember how late reordering makes it.
    const newestAhead = this.highestSeqHeld();
    if (newestAhead > seq && this.learning) {
      this.counters.reordered++;
      const t = this.highestArrivalUs.get(newestAhead);
      if (t !== undefined) this.reorderLateness = Math.max(this.reorderLateness * 0.99, nowUs - t);
    }
    this.held.set(seq, { packet, arrivalUs: nowUs });
    this.highestArrivalUs.set(seq, nowUs);
    if (this.highestArrivalUs.size > this.capacity * 2) this.highestArrivalUs.clear();
    this.release(nowUs);
    if (this.held.size > this.capacity) {
      this.counters.overflows++;
      this.skipGap(nowUs);
    }
  }

  override tick(nowUs: number): void {
    if (!this.started && this.held.size > 0 && nowUs - this.firstArrivalUs >= this.startWaitUs) this.release(nowUs);
    if (this.held.size > 0 && nowUs >= this.unneededUntilUs) this.skipGap(nowUs, true);
    // Skipping one gap may uncover the next, seen as long ago: give up each that is due.
    while (this.held.size > 0 && !Number.isNaN(this.gapSinceUs) && nowUs - this.gapSinceUs >= this.waitUs) {
      this.skipGap(nowUs);
    }
  }

  /** Time by which `tick` should next run to release a waited-for gap, or undefined. */
  nextDueUs(): number | undefined {
    if (!this.started && this.held.size > 0) return this.firstArrivalUs + this.startWaitUs;
    if (this.held.size === 0 || Number.isNaN(this.gapSinceUs)) return undefined;
    const due = this.gapSinceUs + this.waitUs;
    return Number.isNaN(this.unneededUntilUs) ? due : Math.min(due, this.unneededUntilUs);
  }

  override stats(): StageStats {
    return { ...this.counters, held: this.held.size, waitMs: this.waitUs / 1000 };
  }

  private highestSeqHeld(): number {
    let max = -Infinity;
    for (const k of this.held.keys()) if (k > max) max = k;
    return max;
  }

  private release(nowUs: number): void {
    // The first packets wait minWait, in case the stream's real first packet is still coming.
    if (!this.started) {
      if (nowUs - this.firstArrivalUs < this.startWaitUs) return;
      this.started = true;
      this.startedAtUs = nowUs;
      let oldest = Infinity;
      for (const k of this.held.keys()) if (k < oldest) oldest = k;
      this.nextSeq = oldest;
    }
    let entry = this.held.get(this.nextSeq);
    const released = entry !== undefined;
    while (entry) {
      this.held.delete(this.nextSeq);
      this.highestArrivalUs.delete(this.nextSeq);
      this.nextSeq++;
      this.counters.packetsOut++;
      this.out.push(entry.packet, nowUs);
      entry = this.held.get(this.nextSeq);
    }
    // A gap the stream says nothing needs is given up at its deadline (skipUnneededGaps).
    this.unneededUntilUs = NaN;
    const seenUs = this.held.size > 0 ? Math.max(this.startedAtUs, this.earliestHeldArrivalUs()) : NaN;
    if (this.held.size > 0 && this.unneededGapDeadline) {
      const deadline = this.unneededGapDeadline(this.runAfterGap(), seenUs);
      // Whatever the deadline, a packet only reordered on this path is still waited for.
      const until = deadline === undefined ? undefined : Math.max(deadline, seenUs + Math.min(this.waitUs, Math.max(this.startWaitUs, 1.5 * this.reorderLateness)));
      if (until !== undefined && nowUs >= until) {
        this.skipGap(nowUs, true);
        return;
      }
      if (until !== undefined) this.unneededUntilUs = until;
    }
    // The wait for a gap restarts when a release uncovers it: its packet's retries may still be
    // on the way (counting from when the gap was seen froze a burst of 8 lost for 633 ms). But
    // a gap seen two waits ago or more is due at once, so gaps queued one after another (a
    // bottleneck dropping every few packets) never hold a packet longer than about 3 waits;
    // when each restarted the full wait, the held packets grew without bound.
    if (this.held.size === 0) this.gapSinceUs = NaN;
    else if (released || Number.isNaN(this.gapSinceUs)) {
      this.gapSinceUs = nowUs - seenUs >= 2 * this.waitUs ? seenUs : nowUs;
    }
  }

  private earliestHeldArrivalUs(): number {
    let t = Infinity;
    for (const e of this.held.values()) if (e.arrivalUs < t) t = e.arrivalUs;
    return t;
  }

  /**
   * The held packets from the oldest on, as long as their sequence numbers run on (in one
   * array reused from call to call: the deadline callback reads it at once).
   */
  private runAfterGap(): P[] {
    let oldest = Infinity;
    for (const k of this.held.keys()) if (k < oldest) oldest = k;
    const run = this.runScratch;
    run.length = 0;
    for (let e = this.held.get(oldest); e !== undefined; e = this.held.get(oldest + run.length)) run.push(e.packet);
    return run;
  }

  /** Gives up the missing packets before the oldest held one. */
  private skipGap(nowUs: number, unneeded = false): void {
    let oldest = Infinity;
    for (const k of this.held.keys()) if (k < oldest) oldest = k;
    if (!Number.isFinite(oldest)) return;
    if (unneeded) {
      this.counters.skippedUnneeded += oldest - this.nextSeq;
      this.onUnneededGapSkipped(this.held.get(oldest)!.packet.sequenceNumber);
    } else {
      this.counters.skippedLost += oldest - this.nextSeq;
    }
    this.nextSeq = oldest;
    this.gapSinceUs = NaN;
    this.release(nowUs);
  }
}
