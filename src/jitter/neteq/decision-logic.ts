import { checkInt, checkRange } from "../../errors.js";

/** What NetEQ does for one 20 ms output request. */
export type NetEqOperation =
  /** Decode the packet due (or play what the sync buffer holds). */
  | "normal"
  /** Decode, then remove about one pitch period: the buffer is above target. */
  | "accelerate"
  /** Decode, then insert about one pitch period: the buffer is below target. */
  | "preemptiveExpand"
  /** No packet for this slot: Opus PLC. */
  | "expand"
  /** The first packet after concealment: decode and crossfade from the concealed audio. */
  | "merge"
  /** This slot's packet is missing but the next one is here with LBRR: decode its FEC copy. */
  | "fec"
  /** The sender is in DTX (nothing missing by sequence number): comfort noise. */
  | "cng"
  /** Before playout starts: silence. */
  | "idle";

/** The facts one decision is made from (timestamps are unwrapped 48 kHz samples). */
export interface DecisionInput {
  /** Whether the sync buffer holds less than one output frame (a packet must be decoded). */
  needData: boolean;
  /** Timestamp of the next packet to decode in order. */
  playTs: number;
  /** Samples of concealment generated since the last decoded packet. */
  generatedSamples: number;
  /** The earliest held packet's timestamp, or undefined when the buffer is empty. */
  earliestTs: number | undefined;
  has(ts: number): boolean;
  /** Whether the packet at `ts` is held and carries LBRR for the frame before it. */
  hasFec(ts: number): boolean;
  /** The earliest held packet follows the last decoded one by sequence number (nothing lost). */
  earliestIsNextSeq: boolean;
  /** The last decoded packet was a DTX packet (1-2 bytes). */
  lastPacketDtx: boolean;
  /** The last audio produced was concealment (expand/cng): the next decode merges. */
  lastWasConcealment: boolean;
  consecutiveExpands: number;
  /** Buffer level now: span of held packets + unplayed decoded samples. */
  bufferLevelSamples: number;
  targetLevelSamples: number;
}

/** A decision: the operation and, for merge/normal after a jump, which packet to decode. */
export interface Decision {
  operation: Exclude<NetEqOperation, "idle">;
  /** Timestamp of the packet to decode (normal/merge/accelerate/preemptive) or whose FEC to use (fec). */
  packetTs?: number;
}

/** Options of {@link DecisionLogic}. */
export interface DecisionLogicOptions {
  /** Samples per output request and per packet (default 960 = 20 ms). */
  frameSamples?: number;
  /**
   * Smoothing of the buffer level per decision (default 0.9: a time constant of 10 decisions
   * = 200 ms), so one early or late packet does not trigger a time stretch. libwebrtc's
   * BufferLevelFilter uses 251/256..254/256 per 10 ms (0.5-1.3 s): slower, because it stretches
   * in 10 ms steps; ours are 20 ms.
   */
  levelSmoothing?: number;
  /** Longest wait (expands) for a missing packet when later ones are here, frames (default 10 = 200 ms). */
  maxWaitFrames?: number;
  /** Use in-band FEC when possible (default true). */
  fec?: boolean;
  /**
   * Longest DTX pause bridged with comfort noise up to a held packet, ms (default 10 000). A
   * sequence-contiguous packet further ahead is a timestamp jump, not a pause: it is handled
   * like a loss (expand, then jump after maxWaitFrames).
   */
  maxDtxGapMs?: number;
}

/**
 * NetEQ's decision logic, one decision per 20 ms output request. We decide per 20 ms, not per
 * 10 ms as libwebrtc: the output frame (AudioFrame), the Opus packet and the PLC unit are all
 * 20 ms, so a 10 ms cadence would split every decode across two calls for no gain, at twice the
 * decision cost; the price is that a stretch reacts 10 ms later on average.
 *
 * Rules (libwebrtc's DecisionLogic, simplified to one codec):
 * - the packet due is here: after concealment, merge; otherwise compare the filtered buffer
 *   level with the target: ≥ high limit → accelerate, < low limit → preemptive expand, else
 *   normal, where low = max(¾·target, target − 85 ms), high = max(target, low + 20 ms);
 * - it is missing but later ones are here: the slot we are about to cover is playTs + the
 *   concealment already generated. If that packet is here (the gap was lost packets, all
 *   concealed), play it (merge). If the packet after it carries LBRR, decode that (fec). If
 *   sequence numbers show nothing was lost, the sender paused in DTX: cng. After maxWaitFrames
 *   of expanding, give up on the gap and jump to the earliest packet. Else expand (PLC) and wait:
 *   if the missing packet turns up it still plays (the delay grew by the concealed time);
 * - nothing is held: cng after a DTX packet, else expand.
 * Time-stretch counts are fed back (`stretched`) so the filtered level moves at once, as in
 * libwebrtc, and a stretch is not repeated on stale evidence.
 */
export class DecisionLogic {
  private readonly frame: number;
  private readonly alpha: number;
  private readonly maxWait: number;
  private readonly fecOn: boolean;
  private readonly maxDtxGap: number;
  private filtered = NaN;

  constructor(options: DecisionLogicOptions = {}) {
    this.frame = checkInt("frameSamples", options.frameSamples ?? 960, 1, 48_000);
    this.alpha = checkRange("levelSmoothing", options.levelSmoothing ?? 0.9, 0, 0.999);
    this.maxWait = checkInt("maxWaitFrames", options.maxWaitFrames ?? 10, 1, 1000);
    this.fecOn = options.fec ?? true;
    this.maxDtxGap = (checkRange("maxDtxGapMs", options.maxDtxGapMs ?? 10_000, 0, 3_600_000) * this.frame) / 20;
  }

  /** The smoothed buffer level, samples (NaN before the first decision). */
  get filteredLevelSamples(): number {
    return this.filtered;
  }

  /** The [low, high] limits for a target, samples. */
  limits(targetSamples: number): { low: number; high: number } {
    const msToSamples = this.frame / 20;
    const low = Math.max((targetSamples * 3) / 4, targetSamples - 85 * msToSamples);
    const high = Math.max(targetSamples, low + 20 * msToSamples);
    return { low, high };
  }

  decide(s: DecisionInput): Decision {
    this.filtered = Number.isNaN(this.filtered) ? s.bufferLevelSamples : this.alpha * this.filtered + (1 - this.alpha) * s.bufferLevelSamples;
    const hasDue = s.has(s.playTs);
    if (!s.needData && !hasDue) {
      // Enough decoded audio for this request; only stretch what is held.
      return { operation: this.stretchChoice(s, true) };
    }
    if (hasDue) {
      if (s.lastWasConcealment) return { operation: "merge", packetTs: s.playTs };
      return { operation: this.stretchChoice(s, false), packetTs: s.playTs };
    }
    if (s.earliestTs !== undefined && s.earliestTs > s.playTs) {
      const coverTs = s.playTs + Math.round(s.generatedSamples / this.frame) * this.frame;
      if (s.earliestTs <= coverTs) {
        // Concealment has covered the gap up to a held packet: play it.
        return { operation: s.lastWasConcealment ? "merge" : "normal", packetTs: s.has(coverTs) ? coverTs : s.earliestTs };
      }
      if (this.fecOn && s.hasFec(coverTs + this.frame)) return { operation: "fec", packetTs: coverTs + this.frame };
      if (s.earliestIsNextSeq && s.earliestTs - coverTs <= this.maxDtxGap) return { operation: "cng" };
      if (s.consecutiveExpands >= this.maxWait) return { operation: "merge", packetTs: s.earliestTs };
      return { operation: "expand" };
    }
    return { operation: s.lastPacketDtx ? "cng" : "expand" };
  }

  /** Tells the filter that a stretch removed (negative) or inserted (positive) samples. */
  stretched(deltaSamples: number): void {
    if (!Number.isNaN(this.filtered)) this.filtered = Math.max(0, this.filtered + deltaSamples);
  }

  /** Forget the level history (after a reset of the timeline). */
  reset(): void {
    this.filtered = NaN;
  }

  private stretchChoice(s: DecisionInput, bufferedOnly: boolean): "normal" | "accelerate" | "preemptiveExpand" {
    const { low, high } = this.limits(s.targetLevelSamples);
    if (this.filtered >= high && (!bufferedOnly || !s.needData)) return "accelerate";
    if (this.filtered < low) return "preemptiveExpand";
    return "normal";
  }
}
