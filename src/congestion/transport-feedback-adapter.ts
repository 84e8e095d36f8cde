/**
 * Sender side of transport-wide congestion control: keeps what was sent (SentPacketInfo by
 * unwrapped transport-wide sequence number, added when a packet leaves the pacer) and turns
 * each TWCC feedback packet (draft-holmer-rmcat-transport-wide-cc-extensions-01 3.1) into a
 * TransportFeedbackUpdate for the network controller: received and lost packets in sequence
 * order, with receive times on one continuous receiver timeline, and the bytes in flight.
 * After libwebrtc's TransportFeedbackAdapter: the 16-bit base sequence number is unwrapped
 * against the newest sent number, the 24-bit reference time against the previous feedback,
 * and a packet reported lost may later be reported received (reordered feedback) but never
 * twice the same way. Bad feedback is dropped and counted, never thrown. Pure: time is an
 * argument; history is a fixed ring.
 */
import type { PacketResult, SentPacketInfo, TransportFeedbackUpdate } from "./congestion-types.js";
import { checkInt, checkRange } from "../errors.js";
import { TRANSPORT_FEEDBACK_REFERENCE_TIME_UNIT_US, type TransportFeedback } from "../rtcp/transport-feedback.js";
import { seqDiff } from "../rtp/wrap-around-unwrapper.js";

const REF_MOD = 1 << 24;
const REF_HALF = 1 << 23;

const IN_FLIGHT = 1;
const LOST = 2;
const RECEIVED = 3;
/** Sent before a feedback's base but never reported: its feedback was lost; not in flight. */
const FEEDBACK_LOST = 4;
/** How long after sending a packet with no report (but later ones reported) counts as its feedback lost. */
const FEEDBACK_LOST_AFTER_US = 3_000_000;

/** Options of TransportFeedbackAdapter. */
export interface TransportFeedbackAdapterOptions {
  /** Sent packets remembered (rounded up to a power of two), 64 to 65536. Default 8192. */
  maxHistoryPackets?: number;
  /** Sent packets older than this (by send time, against the newest) are forgotten (libwebrtc: 60 s). Default 60 000 000 µs. */
  maxHistoryAgeUs?: number;
  /** A feedback whose one-way delays (receive − send) differ by more than this is absurd and dropped. Default 10 000 000 µs. */
  maxDelayVariationUs?: number;
}

/** Counters of TransportFeedbackAdapter: what was used and what was dropped, and why. */
export interface TransportFeedbackAdapterStats {
  packetsSent: number;
  /** onPacketSent calls refused: sequence number not above the newest, or a bad size/time. */
  sentRejected: number;
  /** Packets that left the history still in flight (never covered by feedback). */
  evictedInFlight: number;
  feedbacksReceived: number;
  /** Feedbacks used (at least one new result). */
  feedbacksUsed: number;
  /** Dropped: every number in it is above the newest sent. */
  droppedUnsent: number;
  /** Dropped: every number in it is older than the history. */
  droppedAncient: number;
  /** Dropped: delays vary more than maxDelayVariationUs. */
  droppedAbsurd: number;
  /** Dropped: nothing new in it (a duplicate feedback, or all already reported). */
  droppedDuplicate: number;
  /** Feedbacks whose 8-bit feedback packet count is not after the previous one (reordered or repeated). */
  outOfOrderFeedbacks: number;
  /** Feedbacks the 8-bit count says were skipped (lost on the way, or never sent). */
  missedFeedbacks: number;
  /** Results reported received / lost. */
  packetsReceived: number;
  packetsLost: number;
  /** Reported lost first, received later. */
  lostThenReceived: number;
  /** Per-packet reports already known (same status again), skipped. */
  duplicateReports: number;
  /** Per-packet reports for numbers not in the history (never sent, or forgotten). */
  unknownReports: number;
  /** Packets whose feedback was lost (before a later feedback's base, never reported): no longer in flight. */
  feedbackLostPackets: number;
}

/** Sender-side TWCC: sent-packet history in, TransportFeedbackUpdate out (see the file comment). */
export class TransportFeedbackAdapter {
  readonly name = "transport-feedback-adapter";
  private readonly maxHistoryAgeUs: number;
  private readonly maxDelayVariationUs: number;
  private readonly mask: number;
  private readonly capacity: number;
  private readonly infos: (SentPacketInfo | undefined)[];
  private readonly state: Uint8Array;
  /** Oldest and newest unwrapped numbers in the history; NaN while empty. */
  private oldest = NaN;
  private highest = NaN;
  /** The highest sequence number any feedback covered. */
  private coveredUpTo = NaN;
  /** Packets before this were checked for lost feedback. */
  private scannedUpTo = -1;
  private inFlightBytes = 0;
  private lastRefRaw = -1;
  private lastRefUnwrapped = 0;
  private lastFbCount = -1;
  private readonly s: TransportFeedbackAdapterStats = {
    packetsSent: 0,
    sentRejected: 0,
    evictedInFlight: 0,
    feedbacksReceived: 0,
    feedbacksUsed: 0,
    droppedUnsent: 0,
    droppedAncient: 0,
    droppedAbsurd: 0,
    droppedDuplicate: 0,
    outOfOrderFeedbacks: 0,
    missedFeedbacks: 0,
    packetsReceived: 0,
    packetsLost: 0,
    lostThenReceived: 0,
    duplicateReports: 0,
    unknownReports: 0,
    feedbackLostPackets: 0,
  };

  constructor(options: TransportFeedbackAdapterOptions = {}) {
    const maxHistory = checkInt("maxHistoryPackets", options.maxHistoryPackets ?? 8192, 64, 65536);
    this.maxHistoryAgeUs = checkRange("maxHistoryAgeUs", options.maxHistoryAgeUs ?? 60_000_000, 1000, 3_600_000_000);
    this.maxDelayVariationUs = checkRange("maxDelayVariationUs", options.maxDelayVariationUs ?? 10_000_000, 1000, 3_600_000_000);
    let cap = 64;
    while (cap < maxHistory) cap *= 2;
    this.capacity = cap;
    this.mask = cap - 1;
    this.infos = new Array<SentPacketInfo | undefined>(cap).fill(undefined);
    this.state = new Uint8Array(cap);
  }

  /** Bytes sent and not yet covered by feedback (still in the history). */
  get dataInFlightBytes(): number {
    return this.inFlightBytes;
  }

  /**
   * Records a packet as it leaves the pacer. `info.sequenceNumber` is the unwrapped
   * transport-wide number (its low 16 bits went on the wire) and must grow; the object is kept
   * (not copied) and handed back in PacketResult.sent.
   */
  onPacketSent(info: SentPacketInfo): void {
    const u = info.sequenceNumber;
    if (!Number.isSafeInteger(u) || u < 0 || !(u > this.highest || Number.isNaN(this.highest)) || !Number.isFinite(info.sendTimeUs) || !(info.sizeBytes >= 0)) {
      this.s.sentRejected++;
      return;
    }
    if (Number.isNaN(this.highest)) {
      this.oldest = u;
    } else {
      // Clear the numbers skipped between the newest and this one, and evict what the ring overwrites.
      if (u - this.highest >= this.capacity) {
        for (let s = this.oldest; s <= this.highest; s++) this.evict(s);
        this.oldest = u;
      } else {
        while (this.oldest <= u - this.capacity) this.evict(this.oldest++);
        for (let s = this.highest + 1; s < u; s++) this.clear(s);
      }
    }
    this.highest = u;
    const slot = u & this.mask;
    this.infos[slot] = info;
    this.state[slot] = IN_FLIGHT;
    this.inFlightBytes += info.sizeBytes;
    this.s.packetsSent++;
    // Forget packets older than the history age.
    const minSendUs = info.sendTimeUs - this.maxHistoryAgeUs;
    while (this.oldest < u) {
      const old = this.infos[this.oldest & this.mask];
      if (old !== undefined && old.sendTimeUs >= minSendUs) break;
      this.evict(this.oldest++);
    }
  }

  private clear(s: number): void {
    const slot = s & this.mask;
    this.infos[slot] = undefined;
    this.state[slot] = 0;
  }

  private evict(s: number): void {
    const slot = s & this.mask;
    const info = this.infos[slot];
    if (info !== undefined && info.sequenceNumber === s && this.state[slot] === IN_FLIGHT) {
      this.inFlightBytes -= info.sizeBytes;
      this.s.evictedInFlight++;
    }
    this.clear(s);
  }

  private known(u: number): SentPacketInfo | undefined {
    if (!(u >= this.oldest && u <= this.highest)) return undefined;
    const info = this.infos[u & this.mask];
    return info !== undefined && info.sequenceNumber === u ? info : undefined;
  }

  /**
   * Applies one feedback packet received at `nowUs` (sender clock). Returns the update, or
   * undefined when the feedback was dropped (see stats) or told nothing new.
   */
  onFeedback(feedback: TransportFeedback, nowUs: number): TransportFeedbackUpdate | undefined {
    this.s.feedbacksReceived++;
    if (this.lastFbCount >= 0) {
      const d = (feedback.feedbackPacketCount - this.lastFbCount) & 0xff;
      if (d === 0 || d >= 128) this.s.outOfOrderFeedbacks++;
      else {
        this.s.missedFeedbacks += d - 1;
        this.lastFbCount = feedback.feedbackPacketCount;
      }
    } else this.lastFbCount = feedback.feedbackPacketCount;
    if (Number.isNaN(this.highest)) {
      this.s.droppedUnsent++;
      return undefined;
    }
    const baseU = this.highest + seqDiff(feedback.baseSequenceNumber, this.highest);
    const endU = baseU + feedback.packetStatusCount - 1;
    if (baseU > this.highest) {
      this.s.droppedUnsent++;
      return undefined;
    }
    if (endU < this.oldest) {
      this.s.droppedAncient++;
      return undefined;
    }
    // Absurd receive times: one-way delays spread beyond what any queue holds.
    let minDelay = Infinity;
    let maxDelay = -Infinity;
    feedback.forEachPacket((_seq, i, rx) => {
      if (rx === undefined) return;
      const info = this.known(baseU + i);
      if (info === undefined) return;
      const d = rx - info.sendTimeUs;
      if (d < minDelay) minDelay = d;
      if (d > maxDelay) maxDelay = d;
    });
    if (maxDelay - minDelay > this.maxDelayVariationUs) {
      this.s.droppedAbsurd++;
      return undefined;
    }
    // One receiver timeline across the 24-bit reference time wrap (every 12.4 days).
    const ref = feedback.referenceTime;
    let refU: number;
    if (this.lastRefRaw < 0) {
      refU = ref;
      this.lastRefRaw = ref;
      this.lastRefUnwrapped = ref;
    } else {
      let d = (ref - this.lastRefRaw) % REF_MOD;
      if (d < 0) d += REF_MOD;
      if (d >= REF_HALF) d -= REF_MOD;
      refU = this.lastRefUnwrapped + d;
      if (d > 0) {
        this.lastRefRaw = ref;
        this.lastRefUnwrapped = refU;
      }
    }
    const offsetUs = (refU - ref) * TRANSPORT_FEEDBACK_REFERENCE_TIME_UNIT_US;
    // Packets before this feedback's base, sent over 3 s ago, that no feedback covered:
    // their report was lost (the receiver reports each number once; a feedback merely reordered
    // arrives within a few seconds, even behind a deep queue). They have left the network either way, so they stop
    // counting as in flight; otherwise every lost feedback would grow, for the whole history
    // age, the in-flight bytes the congestion-window pushback reads.
    const from = Number.isNaN(this.coveredUpTo) ? baseU : Math.max(this.scannedUpTo + 1, baseU - this.capacity, this.oldest);
    for (let u = from; u < baseU; u++) {
      const slot = u & this.mask;
      const info = this.known(u);
      if (info !== undefined && info.sendTimeUs > nowUs - FEEDBACK_LOST_AFTER_US) break;
      if (this.state[slot] === IN_FLIGHT && info !== undefined) {
        this.inFlightBytes -= info.sizeBytes;
        this.state[slot] = FEEDBACK_LOST;
        this.s.feedbackLostPackets++;
      }
      this.scannedUpTo = u;
    }
    if (Number.isNaN(this.coveredUpTo) || endU > this.coveredUpTo) this.coveredUpTo = endU;
    const packets: PacketResult[] = [];
    feedback.forEachPacket((_seq, i, rx) => {
      const u = baseU + i;
      const info = this.known(u);
      if (info === undefined) {
        this.s.unknownReports++;
        return;
      }
      const slot = u & this.mask;
      const st = this.state[slot]!;
      if (rx === undefined) {
        if (st !== IN_FLIGHT) {
          this.s.duplicateReports++;
          return;
        }
        this.state[slot] = LOST;
        this.inFlightBytes -= info.sizeBytes;
        this.s.packetsLost++;
        packets.push({ sent: info, receiveTimeUs: undefined });
        return;
      }
      if (st === RECEIVED) {
        this.s.duplicateReports++;
        return;
      }
      if (st === IN_FLIGHT) this.inFlightBytes -= info.sizeBytes;
      else this.s.lostThenReceived++;
      this.state[slot] = RECEIVED;
      this.s.packetsReceived++;
      packets.push({ sent: info, receiveTimeUs: rx + offsetUs });
    });
    if (packets.length === 0) {
      this.s.droppedDuplicate++;
      return undefined;
    }
    this.s.feedbacksUsed++;
    return { feedbackTimeUs: nowUs, packets, dataInFlightBytes: this.inFlightBytes };
  }

  stats(): TransportFeedbackAdapterStats {
    return { ...this.s };
  }

  /** Forgets the history. */
  close(): void {
    this.infos.fill(undefined);
    this.state.fill(0);
    this.oldest = this.highest = NaN;
    this.inFlightBytes = 0;
    this.lastRefRaw = -1;
    this.lastFbCount = -1;
  }
}
