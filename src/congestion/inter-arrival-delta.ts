/**
 * Pre-filtering of the delay-based estimator (draft-ietf-rmcat-gcc-02 section 5.2, libwebrtc
 * goog_cc InterArrivalDelta): packets sent within one short burst form a group, and each
 * completed group yields one (send delta, arrival delta) pair against the group before it.
 * The difference d(i) = arrival delta - send delta is the inter-group delay variation the
 * trendline filter works on. Arrival-time jumps (the receiver's clock stepped) and repeated
 * reordering reset the state. Pure: every time is an argument.
 */
import { checkRange } from "../errors.js";

/** draft-ietf-rmcat-gcc-02 5.2 burst_time / libwebrtc kSendTimeGroupLength: 5 ms. */
const DEFAULT_GROUP_LENGTH_US = 5_000;
/** libwebrtc InterArrivalDelta kBurstDeltaThreshold: packets arriving < 5 ms apart with negative propagation delta belong to the same burst (draft 5.2). */
const BURST_DELTA_THRESHOLD_US = 5_000;
/** libwebrtc InterArrivalDelta kMaxBurstDuration: a burst is at most 100 ms long. */
const MAX_BURST_DURATION_US = 100_000;
/** libwebrtc InterArrivalDelta kArrivalTimeOffsetThreshold: arrival clock running 3 s ahead of the local clock means it jumped. */
const ARRIVAL_TIME_OFFSET_THRESHOLD_US = 3_000_000;
/** libwebrtc InterArrivalDelta kReorderedResetThreshold: 3 reordered groups in a row reset the state. */
const REORDERED_RESET_THRESHOLD = 3;

/** Options of an InterArrivalDelta. */
export interface InterArrivalDeltaOptions {
  /** Packets sent within this long of a group's first packet join it. Default 5 000 µs (draft 5.2). 100 to 100 000. */
  groupLengthUs?: number;
}

/** One completed group's deltas against the group before it. */
export interface InterArrivalDeltas {
  /** Difference of the two groups' last send times (ms). */
  sendDeltaMs: number;
  /** Difference of the two groups' last arrival times (ms). */
  arrivalDeltaMs: number;
  /** Size of the newer group minus the older one (bytes). */
  sizeDeltaBytes: number;
}

interface PacketGroup {
  sizeBytes: number;
  firstSendUs: number;
  lastSendUs: number;
  firstArrivalUs: number;
  lastArrivalUs: number;
  lastSystemUs: number;
}

function emptyGroup(): PacketGroup {
  return { sizeBytes: 0, firstSendUs: NaN, lastSendUs: NaN, firstArrivalUs: NaN, lastArrivalUs: NaN, lastSystemUs: NaN };
}

/** Groups packets by send-time bursts and returns inter-group deltas (draft-ietf-rmcat-gcc-02 5.2). */
export class InterArrivalDelta {
  private readonly groupLengthUs: number;
  private current = emptyGroup();
  private previous = emptyGroup();
  private consecutiveReordered = 0;
  private nResets = 0;
  private nReordered = 0;
  private nOutOfOrderPackets = 0;
  private nDeltas = 0;
  private readonly result: InterArrivalDeltas = { sendDeltaMs: 0, arrivalDeltaMs: 0, sizeDeltaBytes: 0 };

  constructor(options: InterArrivalDeltaOptions = {}) {
    this.groupLengthUs = checkRange("groupLengthUs", options.groupLengthUs ?? DEFAULT_GROUP_LENGTH_US, 100, 100_000);
  }

  /**
   * Adds one received packet: its send time (sender clock), arrival time (receiver clock) and
   * the local time the feedback carrying it arrived (sender clock, for jump detection). Returns
   * the deltas when this packet completes the previous group, else undefined. The returned
   * object is reused by the next call: copy it to keep it.
   */
  computeDeltas(sendTimeUs: number, arrivalTimeUs: number, systemTimeUs: number, sizeBytes: number): InterArrivalDeltas | undefined {
    const cur = this.current;
    let result: InterArrivalDeltas | undefined;
    if (Number.isNaN(cur.lastArrivalUs)) {
      cur.firstSendUs = sendTimeUs;
      cur.lastSendUs = sendTimeUs;
      cur.firstArrivalUs = arrivalTimeUs;
    } else if (sendTimeUs < cur.firstSendUs) {
      // Sent before the group being built: an old, reordered packet; it is ignored.
      this.nOutOfOrderPackets++;
      return undefined;
    } else if (this.startsNewGroup(arrivalTimeUs, sendTimeUs)) {
      const prev = this.previous;
      if (!Number.isNaN(prev.lastArrivalUs)) {
        const sendDeltaUs = cur.lastSendUs - prev.lastSendUs;
        const arrivalDeltaUs = cur.lastArrivalUs - prev.lastArrivalUs;
        const systemDeltaUs = cur.lastSystemUs - prev.lastSystemUs;
        if (arrivalDeltaUs - systemDeltaUs >= ARRIVAL_TIME_OFFSET_THRESHOLD_US) {
          // The arrival clock ran far ahead of ours: it jumped. Start over with this packet.
          this.reset();
          return undefined;
        }
        if (arrivalDeltaUs < 0) {
          // The receiver's clock went backwards or the groups were reordered.
          this.nReordered++;
          if (++this.consecutiveReordered >= REORDERED_RESET_THRESHOLD) this.reset();
          return undefined;
        }
        this.consecutiveReordered = 0;
        result = this.result;
        result.sendDeltaMs = sendDeltaUs / 1000;
        result.arrivalDeltaMs = arrivalDeltaUs / 1000;
        result.sizeDeltaBytes = cur.sizeBytes - prev.sizeBytes;
        this.nDeltas++;
      }
      this.previous = cur;
      this.current = { sizeBytes: 0, firstSendUs: sendTimeUs, lastSendUs: sendTimeUs, firstArrivalUs: arrivalTimeUs, lastArrivalUs: NaN, lastSystemUs: NaN };
    } else {
      cur.lastSendUs = Math.max(cur.lastSendUs, sendTimeUs);
    }
    const group = this.current;
    group.sizeBytes += sizeBytes;
    group.lastArrivalUs = arrivalTimeUs;
    group.lastSystemUs = systemTimeUs;
    return result;
  }

  /** Forgets both groups (stream timeout, clock jump). */
  reset(): void {
    this.current = emptyGroup();
    this.previous = emptyGroup();
    this.consecutiveReordered = 0;
    this.nResets++;
  }

  private startsNewGroup(arrivalTimeUs: number, sendTimeUs: number): boolean {
    if (this.belongsToBurst(arrivalTimeUs, sendTimeUs)) return false;
    return sendTimeUs - this.current.firstSendUs > this.groupLengthUs;
  }

  /** draft 5.2: a packet arriving within burst_time of the group with negative propagation delta is part of the same burst. */
  private belongsToBurst(arrivalTimeUs: number, sendTimeUs: number): boolean {
    const cur = this.current;
    const arrivalDeltaUs = arrivalTimeUs - cur.lastArrivalUs;
    const sendDeltaUs = sendTimeUs - cur.lastSendUs;
    if (sendDeltaUs === 0) return true;
    const propagationDeltaUs = arrivalDeltaUs - sendDeltaUs;
    return propagationDeltaUs < 0 && arrivalDeltaUs <= BURST_DELTA_THRESHOLD_US && arrivalTimeUs - cur.firstArrivalUs < MAX_BURST_DURATION_US;
  }

  /** Counters: deltas produced, resets, reordered groups, out-of-order packets ignored. */
  stats(): { deltas: number; resets: number; reorderedGroups: number; outOfOrderPackets: number } {
    return { deltas: this.nDeltas, resets: this.nResets, reorderedGroups: this.nReordered, outOfOrderPackets: this.nOutOfOrderPackets };
  }
}
