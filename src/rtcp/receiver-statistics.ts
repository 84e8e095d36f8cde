/**
 * Reception statistics of one RTP source (RFC 3550 A.1, A.3, A.8) and the report block built
 * from them (RFC 3550 6.4.1).
 */
import { checkInt } from "../errors.js";
import { SequenceUnwrapper, timestampDiff } from "../rtp/wrap-around-unwrapper.js";
import { ntpToCompact, usToCompactNtp } from "./ntp-time.js";
import { ReportBlock } from "./report-block.js";
import type { SenderReport } from "./sender-report.js";

export interface ReceiverStatisticsOptions {
  /** SSRC of the source being received. */
  ssrc: number;
  /** RTP clock rate: 90000 for video, 48000 for Opus. */
  clockRateHz: number;
  /** A forward jump larger than this (in packets) is a restart candidate (RFC 3550 A.1 MAX_DROPOUT). Default 3000. */
  maxDropout?: number;
  /** A backward step up to this is reordering, not a restart (RFC 3550 A.1 MAX_MISORDER). Default 100. */
  maxMisorder?: number;
}

/** What the statistics need from a received RTP packet. */
export interface ReceivedRtpPacket {
  sequenceNumber: number;
  timestamp: number;
}

export class ReceiverStatistics {
  readonly ssrc: number;
  readonly clockRateHz: number;
  private readonly maxDropout: number;
  private readonly maxMisorder: number;
  private unwrapper = new SequenceUnwrapper();
  private started = false;
  private baseSeq = 0;
  private maxSeq = 0;
  private badSeq = -1;
  private received = 0;
  private expectedPrior = 0;
  private receivedPrior = 0;
  private jitterTs = 0;
  private lastTransitValid = false;
  private lastArrivalTs = 0;
  private lastRtpTs = 0;
  private lastSrCompact = 0;
  private lastSrArrivalUs = NaN;
  /** Packets received (duplicates included, as RFC 3550 A.3 counts them). */
  get packetsReceived(): number {
    return this.received;
  }

  constructor(options: ReceiverStatisticsOptions) {
    this.ssrc = checkInt("ssrc", options.ssrc, 0, 0xffffffff);
    this.clockRateHz = checkInt("clockRateHz", options.clockRateHz, 1, 10_000_000);
    this.maxDropout = checkInt("maxDropout", options.maxDropout ?? 3000, 1, 32767);
    this.maxMisorder = checkInt("maxMisorder", options.maxMisorder ?? 100, 0, 32767);
  }

  /**
   * Records a received packet (RFC 3550 A.1 update_seq, without the probation step: the
   * source is valid from its first packet). Returns false when the packet was discarded as
   * a sequence jump awaiting confirmation.
   */
  onPacket(packet: ReceivedRtpPacket, arrivalUs: number): boolean {
    const seq = packet.sequenceNumber & 0xffff;
    if (!this.started) {
      this.restart(seq);
    } else {
      const ext = this.unwrapper.peek(seq);
      const delta = ext - this.maxSeq;
      if (delta > 0 && delta < this.maxDropout) {
        this.unwrapper.unwrap(seq);
        this.maxSeq = ext;
      } else if (delta <= 0 && -delta <= this.maxMisorder) {
        // duplicate or reordered: counted, does not move the highest sequence number
      } else if (seq === this.badSeq) {
        // Two sequential packets after a big jump: the source restarted (RFC 3550 A.1).
        this.restart(seq);
      } else {
        this.badSeq = (seq + 1) & 0xffff;
        return false;
      }
    }
    this.received++;
    this.updateJitter(packet.timestamp >>> 0, arrivalUs);
    return true;
  }

  private restart(seq: number): void {
    this.unwrapper = new SequenceUnwrapper();
    const ext = this.unwrapper.unwrap(seq);
    this.started = true;
    this.baseSeq = ext;
    this.maxSeq = ext;
    this.badSeq = -1;
    this.received = 0;
    this.expectedPrior = 0;
    this.receivedPrior = 0;
  }

  /** Interarrival jitter (RFC 3550 A.8): J += (|D| − J) / 16, in timestamp units. */
  private updateJitter(rtpTs: number, arrivalUs: number): void {
    const arrivalTs = (arrivalUs * this.clockRateHz) / 1e6;
    if (this.lastTransitValid) {
      const d = arrivalTs - this.lastArrivalTs - timestampDiff(rtpTs, this.lastRtpTs);
      this.jitterTs += (Math.abs(d) - this.jitterTs) / 16;
    }
    this.lastTransitValid = true;
    this.lastArrivalTs = arrivalTs;
    this.lastRtpTs = rtpTs;
  }

  /** Records an SR from this source for LSR/DLSR (RFC 3550 6.4.1). */
  onSenderReport(sr: SenderReport, arrivalUs: number): void {
    this.lastSrCompact = ntpToCompact(sr.ntpSeconds, sr.ntpFraction);
    this.lastSrArrivalUs = arrivalUs;
  }

  /** Extended highest sequence number: cycles in the top 16 bits (RFC 3550 A.3). */
  get extendedHighestSequenceNumber(): number {
    return this.maxSeq >>> 0;
  }

  /** Packets expected so far (RFC 3550 A.3). */
  get expected(): number {
    return this.started ? this.maxSeq - this.baseSeq + 1 : 0;
  }

  /** Cumulative lost, clamped to the signed 24-bit field (RFC 3550 A.3). */
  get cumulativeLost(): number {
    return Math.max(-0x800000, Math.min(0x7fffff, this.expected - this.received));
  }

  /** Current interarrival jitter in timestamp units (RFC 3550 A.8). */
  get jitter(): number {
    return this.jitterTs;
  }

  /**
   * Builds the report block for this source at `nowUs` and starts a new reporting interval
   * (fraction lost is over the interval since the previous call, RFC 3550 A.3).
   */
  buildReportBlock(nowUs: number): ReportBlock {
    const expected = this.expected;
    const expectedInterval = expected - this.expectedPrior;
    const receivedInterval = this.received - this.receivedPrior;
    this.expectedPrior = expected;
    this.receivedPrior = this.received;
    const lostInterval = expectedInterval - receivedInterval;
    const fraction = expectedInterval === 0 || lostInterval <= 0 ? 0 : Math.min(255, Math.floor((lostInterval * 256) / expectedInterval));
    const haveSr = !Number.isNaN(this.lastSrArrivalUs);
    return new ReportBlock({
      ssrc: this.ssrc,
      fractionLost: fraction,
      cumulativeLost: this.cumulativeLost,
      extendedHighestSequenceNumber: this.extendedHighestSequenceNumber,
      jitter: Math.floor(this.jitterTs),
      lastSenderReport: haveSr ? this.lastSrCompact : 0,
      delaySinceLastSenderReport: haveSr ? usToCompactNtp(nowUs - this.lastSrArrivalUs) : 0,
    });
  }
}
