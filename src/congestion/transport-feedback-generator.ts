/**
 * Receiver side of transport-wide congestion control
 * (draft-holmer-rmcat-transport-wide-cc-extensions-01): records the transport-wide sequence
 * number and arrival time of every packet and, on `tick`, returns the TWCC feedback packets
 * (RTPFB FMT=15) to send. Behaviour after libwebrtc's RemoteEstimatorProxy
 * (modules/remote_bitrate_estimator/remote_estimator_proxy.cc):
 * - feedback every 100 ms until `setBitrate` is called, then at the interval at which a
 *   68-byte report (IPv4 20 + UDP 8 + SRTP 10 + average TWCC 30) takes 5% of the bitrate,
 *   clamped to 50..250 ms (`OnBitrateChanged`);
 * - each feedback starts at the first sequence number not yet reported; a reordered packet
 *   older than that moves the start back so it is reported again, now received;
 * - at most `maxHistoryPackets` sequence numbers are kept (libwebrtc keeps 2^15), in a ring
 *   indexed by the unwrapped number: memory is fixed and recording allocates nothing.
 * A jump of more than `restartGap` (either way) from the newest number is taken for a sender restart only
 * when the next packet follows it (as RFC 3550 A.1 does for SSRC probation); until then it is
 * ignored, so one forged number cannot wipe the state. Pure: time is an argument.
 */
import { checkInt, checkRange } from "../errors.js";
import { TransportFeedback } from "../rtcp/transport-feedback.js";
import { SequenceUnwrapper } from "../rtp/wrap-around-unwrapper.js";

/** Report size libwebrtc budgets for: IPv4 20 + UDP 8 + SRTP 10 + average TWCC 30 bytes. */
const TWCC_REPORT_BYTES = 20 + 8 + 10 + 30;

/** Options of TransportFeedbackGenerator; defaults follow libwebrtc's RemoteEstimatorProxy. */
export interface TransportFeedbackGeneratorOptions {
  /** SSRC put in the "packet sender" field. */
  senderSsrc: number;
  /** SSRC put in the "media source" field (libwebrtc puts the last media SSRC seen). Default 0. */
  mediaSsrc?: number;
  /** Shortest interval between feedbacks. Default 50 000 µs. */
  minIntervalUs?: number;
  /** Longest interval between feedbacks. Default 250 000 µs. */
  maxIntervalUs?: number;
  /** Interval until `setBitrate` is called. Default 100 000 µs. */
  initialIntervalUs?: number;
  /** Share of the bitrate feedback may take. Default 0.05. */
  bandwidthFraction?: number;
  /** Largest feedback packet, bytes. Default 1200. */
  maxPacketBytes?: number;
  /** Sequence numbers remembered (rounded up to a power of two), 64 to 32768. Default 32768. */
  maxHistoryPackets?: number;
  /** A number more than this far ahead of or behind the newest one is a restart candidate. Default 3000. */
  restartGap?: number;
}

/** Counters of TransportFeedbackGenerator. */
export interface TransportFeedbackGeneratorStats {
  /** Packets recorded (first arrivals). */
  packetsReceived: number;
  /** Arrivals of a number already recorded (ignored). */
  duplicates: number;
  /** Arrivals of a number already reported lost (reported again, now received). */
  reordered: number;
  /** Arrivals older than the history (ignored). */
  tooOld: number;
  /** Far jumps seen once and ignored (not confirmed by the next packet). */
  ignoredJumps: number;
  /** Confirmed far jumps: history restarted. */
  restarts: number;
  /** Arrival times that were not finite (ignored). */
  invalid: number;
  /** Numbers that left the history before any feedback reported them. */
  unreportedDropped: number;
  /** Feedback packets returned by `tick`. */
  feedbackPackets: number;
  /** The current feedback interval. */
  intervalUs: number;
}

/** Receiver-side TWCC: records arrivals, returns feedback packets on `tick` (see the file comment). */
export class TransportFeedbackGenerator {
  readonly name = "transport-feedback-generator";
  private readonly senderSsrc: number;
  private readonly mediaSsrc: number;
  private readonly minIntervalUs: number;
  private readonly maxIntervalUs: number;
  private readonly bandwidthFraction: number;
  private readonly maxPacketBytes: number;
  private readonly restartGap: number;
  private readonly capacity: number;
  private readonly mask: number;
  private intervalUs: number;
  private readonly arrivalUs: Float64Array;
  private readonly scratchSeq: Float64Array;
  private readonly scratchUs: Float64Array;
  private readonly unwrapper = new SequenceUnwrapper();
  /** Oldest, newest and next-to-report unwrapped numbers; NaN while empty. */
  private lowest = NaN;
  private highest = NaN;
  private start = NaN;
  private candidateSeq = -1;
  private candidateUs = 0;
  private lastFeedbackUs = NaN;
  private feedbackCount = 0;
  private pending: TransportFeedback[] = [];
  private readonly s: Omit<TransportFeedbackGeneratorStats, "intervalUs"> = {
    packetsReceived: 0,
    duplicates: 0,
    reordered: 0,
    tooOld: 0,
    ignoredJumps: 0,
    restarts: 0,
    invalid: 0,
    unreportedDropped: 0,
    feedbackPackets: 0,
  };

  constructor(options: TransportFeedbackGeneratorOptions) {
    this.senderSsrc = checkInt("senderSsrc", options.senderSsrc, 0, 0xffff_ffff);
    this.mediaSsrc = checkInt("mediaSsrc", options.mediaSsrc ?? 0, 0, 0xffff_ffff);
    this.minIntervalUs = checkRange("minIntervalUs", options.minIntervalUs ?? 50_000, 1000, 10_000_000);
    this.maxIntervalUs = checkRange("maxIntervalUs", options.maxIntervalUs ?? 250_000, this.minIntervalUs, 10_000_000);
    this.intervalUs = checkRange("initialIntervalUs", options.initialIntervalUs ?? 100_000, this.minIntervalUs, this.maxIntervalUs);
    this.bandwidthFraction = checkRange("bandwidthFraction", options.bandwidthFraction ?? 0.05, 0.001, 1);
    this.maxPacketBytes = checkInt("maxPacketBytes", options.maxPacketBytes ?? 1200, 32, 0x40000);
    const maxHistory = checkInt("maxHistoryPackets", options.maxHistoryPackets ?? 32768, 64, 32768);
    this.restartGap = checkInt("restartGap", options.restartGap ?? 3000, 16, 32767);
    let cap = 64;
    while (cap < maxHistory) cap *= 2;
    this.capacity = cap;
    this.mask = cap - 1;
    this.arrivalUs = new Float64Array(cap).fill(NaN);
    this.scratchSeq = new Float64Array(cap);
    this.scratchUs = new Float64Array(cap);
  }

  /** The interval between feedbacks now (µs). */
  get feedbackIntervalUs(): number {
    return this.intervalUs;
  }

  /** When `tick` will next build feedback (µs), or NaN before the first tick. */
  get nextFeedbackUs(): number {
    return this.lastFeedbackUs + this.intervalUs;
  }

  /**
   * Adapts the interval to the receive bitrate estimate (libwebrtc
   * RemoteEstimatorProxy::OnBitrateChanged): a 68-byte report takes `bandwidthFraction` of
   * `rateBps`, the interval clamped to [minIntervalUs, maxIntervalUs].
   */
  setBitrate(rateBps: number): void {
    if (!Number.isFinite(rateBps) || rateBps < 0) return;
    const bits = TWCC_REPORT_BYTES * 8;
    const minRate = (bits * 1e6) / this.maxIntervalUs;
    const maxRate = (bits * 1e6) / this.minIntervalUs;
    const rate = Math.min(maxRate, Math.max(minRate, this.bandwidthFraction * rateBps));
    this.intervalUs = Math.round((bits * 1e6) / rate);
  }

  /** Records one arriving packet: its 16-bit transport-wide sequence number and arrival time (µs). */
  onPacketReceived(sequenceNumber: number, arrivalUs: number): void {
    if (!Number.isFinite(arrivalUs)) {
      this.s.invalid++;
      return;
    }
    const seq = sequenceNumber & 0xffff;
    if (Number.isNaN(this.highest)) {
      this.begin(seq, arrivalUs);
      return;
    }
    const peek = this.unwrapper.peek(seq);
    const d = peek - this.highest;
    if (d > this.restartGap || d < -this.restartGap) {
      if (this.candidateSeq >= 0 && seq === ((this.candidateSeq + 1) & 0xffff)) {
        // Confirmed: report what is pending, then start over from the candidate.
        this.flushPending();
        this.s.restarts++;
        this.arrivalUs.fill(NaN);
        const cs = this.candidateSeq;
        const cu = this.candidateUs;
        this.candidateSeq = -1;
        this.begin(cs, cu);
        this.record(this.unwrapper.unwrap(seq), arrivalUs);
        return;
      }
      this.s.ignoredJumps++;
      this.candidateSeq = seq;
      this.candidateUs = arrivalUs;
      return;
    }
    this.candidateSeq = -1;
    const u = this.unwrapper.unwrap(seq);
    if (u < this.lowest) {
      this.s.tooOld++;
      return;
    }
    this.record(u, arrivalUs);
  }

  private begin(seq: number, arrivalUs: number): void {
    this.unwrapper.reset();
    const u = this.unwrapper.unwrap(seq);
    this.lowest = u;
    this.highest = u;
    this.start = u;
    this.arrivalUs[u & this.mask] = arrivalUs;
    this.s.packetsReceived++;
  }

  private record(u: number, arrivalUs: number): void {
    const arr = this.arrivalUs;
    if (u > this.highest) {
      // Numbers leaving the ring unreported are counted before their slots are reused.
      const newLowest = u - this.capacity + 1;
      if (newLowest > this.lowest) {
        if (newLowest > this.start) {
          for (let s = this.start; s < newLowest && s <= this.highest; s++) if (!Number.isNaN(arr[s & this.mask]!)) this.s.unreportedDropped++;
          this.start = newLowest;
        }
        this.lowest = newLowest;
      }
      if (u - this.highest >= this.capacity) arr.fill(NaN);
      else for (let s = this.highest + 1; s <= u; s++) arr[s & this.mask] = NaN;
      this.highest = u;
    }
    const slot = u & this.mask;
    if (!Number.isNaN(arr[slot]!)) {
      this.s.duplicates++;
      return;
    }
    arr[slot] = arrivalUs;
    this.s.packetsReceived++;
    if (u < this.start) {
      this.start = u;
      this.s.reordered++;
    }
  }

  private flushPending(): void {
    for (const fb of this.build()) this.pending.push(fb);
  }

  private build(): TransportFeedback[] {
    if (Number.isNaN(this.highest) || this.start > this.highest) return [];
    let n = 0;
    const arr = this.arrivalUs;
    for (let s = this.start; s <= this.highest; s++) {
      const t = arr[s & this.mask]!;
      if (Number.isNaN(t)) continue;
      this.scratchSeq[n] = s;
      this.scratchUs[n] = t;
      n++;
    }
    if (n === 0) return [];
    const out = TransportFeedback.build(
      { senderSsrc: this.senderSsrc, mediaSsrc: this.mediaSsrc, feedbackPacketCount: this.feedbackCount, maxPacketBytes: this.maxPacketBytes },
      this.start,
      this.scratchSeq,
      this.scratchUs,
      n,
    );
    this.feedbackCount = (this.feedbackCount + out.length) & 0xff;
    this.s.feedbackPackets += out.length;
    this.start = this.scratchSeq[n - 1]! + 1;
    return out;
  }

  /**
   * Time-driven work: when the interval has passed since the last feedback (or on the first
   * call), returns the feedback packets covering everything new since then; otherwise only
   * what a restart left pending. Empty when nothing arrived.
   */
  tick(nowUs: number): TransportFeedback[] {
    let out: TransportFeedback[] = this.pending;
    if (out.length > 0) this.pending = [];
    if (Number.isNaN(this.lastFeedbackUs) || nowUs - this.lastFeedbackUs >= this.intervalUs || nowUs < this.lastFeedbackUs) {
      this.lastFeedbackUs = nowUs;
      const fbs = this.build();
      out = out.length === 0 ? fbs : out.concat(fbs);
    }
    return out;
  }

  stats(): TransportFeedbackGeneratorStats {
    return { ...this.s, intervalUs: this.intervalUs };
  }

  /** Forgets everything (a new transport). */
  close(): void {
    this.arrivalUs.fill(NaN);
    this.lowest = this.highest = this.start = NaN;
    this.pending = [];
    this.candidateSeq = -1;
    this.unwrapper.reset();
  }
}
