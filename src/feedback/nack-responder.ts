/**
 * Sender-side answer to Generic NACKs (RFC 4585 6.2.1) with retransmissions, in RTX packets
 * (RFC 4588: own SSRC, own payload type, own sequence numbers, OSN in front of the payload)
 * or, without an RTX stream, as the original packets. Rules (libwebrtc's):
 * - a packet is resent at most once per RTT, whatever the NACKs say;
 * - retransmissions draw from a token bucket refilled at `maxRateRatio` of the measured media
 *   rate (never below `minRateBps`, never above `maxRateBps`), so a flood of NACKs cannot
 *   multiply the traffic;
 * - on a lossy path (reported loss above `duplicateAboveLoss`) each retransmission goes out
 *   twice, so that one lost copy does not cost another round trip;
 * - NACKs for another SSRC, and numbers never sent or already evicted from the history, are
 *   dropped and counted. The responder keeps no per-NACK state: memory is the history's bound.
 * Pure: time and RTT are arguments; returns the packets to send.
 */
import { InvalidOptionError, checkInt, checkRange } from "../errors.js";
import type { GenericNack } from "../rtcp/generic-nack.js";
import { RtpPacket } from "../rtp/rtp-packet.js";
import { RTX_OSN_BYTES, wrapRtx } from "../rtp/rtx.js";
import { RtpSendHistory, type RtpSendHistoryOptions } from "./rtp-send-history.js";

export interface NackResponderRtxOptions {
  /** SSRC of the RTX stream (RFC 4588 5.3, SSRC multiplexing). */
  ssrc: number;
  /** The RTX payload type (its `apt` points to the media payload type, RFC 4588 8.6). */
  payloadType: number;
  /** First RTX sequence number (RFC 3550 says random; the caller picks it). Default 0. */
  initialSequenceNumber?: number;
}

export interface NackResponderOptions {
  /** SSRC of the media stream whose NACKs this answers. */
  mediaSsrc: number;
  /** Send retransmissions as RTX (RFC 4588); without it the original packets are resent. */
  rtx?: NackResponderRtxOptions;
  /** The send history, or options for one the responder creates. */
  history?: RtpSendHistory | RtpSendHistoryOptions;
  /** Retransmission budget as a share of the measured media rate. Default 0.5. */
  maxRateRatio?: number;
  /** Budget floor (bits/s), so recovery works before the media rate is measured. Default 100 000. */
  minRateBps?: number;
  /** Budget ceiling (bits/s). Default 50 000 000. */
  maxRateBps?: number;
  /** Token-bucket depth in time at the current budget (a loss burst NACKs many packets at once, their retries follow within an RTT or two). Default 500 000 µs. */
  burstUs?: number;
  /** Media-rate measurement window. Default 1 000 000 µs. */
  rateWindowUs?: number;
  /** RTT assumed for the once-per-RTT rule while none is known. Default 100 000 µs. */
  defaultRttUs?: number;
  /**
   * Above this reported loss (RTCP fraction lost, smoothed), each retransmission is sent twice
   * (two RTX packets with their own RTX sequence numbers): a lost retransmission costs a whole
   * extra round trip, which at 10% loss happens to one in ten. Default 0.05.
   */
  duplicateAboveLoss?: number;
}

export class NackResponder {
  readonly name = "nack-responder";
  readonly mediaSsrc: number;
  readonly history: RtpSendHistory;
  private readonly rtx: { ssrc: number; payloadType: number } | undefined;
  private rtxSeq: number;
  private readonly maxRateRatio: number;
  private readonly minRateBps: number;
  private readonly maxRateBps: number;
  private readonly burstUs: number;
  private readonly rateWindowUs: number;
  private readonly defaultRttUs: number;
  private readonly duplicateAboveLoss: number;
  private loss = NaN;
  private capBps = Infinity;

  // Media rate: bytes in the current and the previous half window.
  private winStartUs = NaN;
  private winBytes = 0;
  private prevWinBytes = 0;
  // Token bucket (bytes).
  private tokens = NaN;
  private bucketBytes = 0;
  private lastRefillUs = NaN;

  private nNacks = 0;
  private nSeqsRequested = 0;
  private nRetransmitted = 0;
  private nRetransmittedBytes = 0;
  private nPadding = 0;
  private nMediaBytes = 0;
  private nUnknownSsrc = 0;
  private nNeverSent = 0;
  private nEvicted = 0;
  private nWithinRtt = 0;
  private nRateLimited = 0;
  private nDuplicated = 0;

  constructor(options: NackResponderOptions) {
    this.mediaSsrc = checkInt("mediaSsrc", options.mediaSsrc, 0, 0xffff_ffff);
    if (options.rtx !== undefined) {
      this.rtx = { ssrc: checkInt("rtx.ssrc", options.rtx.ssrc, 0, 0xffff_ffff), payloadType: checkInt("rtx.payloadType", options.rtx.payloadType, 0, 127) };
      this.rtxSeq = checkInt("rtx.initialSequenceNumber", options.rtx.initialSequenceNumber ?? 0, 0, 0xffff);
    } else {
      this.rtx = undefined;
      this.rtxSeq = 0;
    }
    this.history = options.history instanceof RtpSendHistory ? options.history : new RtpSendHistory(options.history);
    this.maxRateRatio = checkRange("maxRateRatio", options.maxRateRatio ?? 0.5, 0, 10);
    this.minRateBps = checkRange("minRateBps", options.minRateBps ?? 100_000, 0, 1e10);
    this.maxRateBps = checkRange("maxRateBps", options.maxRateBps ?? 50_000_000, this.minRateBps, 1e10);
    this.burstUs = checkRange("burstUs", options.burstUs ?? 500_000, 1_000, 10_000_000);
    this.rateWindowUs = checkRange("rateWindowUs", options.rateWindowUs ?? 1_000_000, 10_000, 60_000_000);
    this.defaultRttUs = checkRange("defaultRttUs", options.defaultRttUs ?? 100_000, 0, 10_000_000);
    this.duplicateAboveLoss = checkRange("duplicateAboveLoss", options.duplicateAboveLoss ?? 0.05, 0, 1);
  }

  /**
   * The loss the receiver reports (RTCP fraction lost, RFC 3550 6.4.1, as 0-1); it decides
   * whether retransmissions go out twice. Rises at once, falls with weight 0.1 per report:
   * reports that ride along with NACKs cover a few packets only, so many say 0 on a lossy path.
   */
  onLossReport(fractionLost: number): void {
    const f = checkRange("fractionLost", fractionLost, 0, 1);
    this.loss = Number.isNaN(this.loss) || f >= this.loss ? f : this.loss + 0.1 * (f - this.loss);
  }

  /** Copies of each retransmission sent now: 2 above `duplicateAboveLoss`, else 1. */
  get copies(): 1 | 2 {
    return this.loss > this.duplicateAboveLoss ? 2 : 1;
  }

  /** Records a media packet as sent (stores it in the history, measures the media rate). */
  onPacketSent(packet: RtpPacket, nowUs: number): void {
    this.history.put(packet, nowUs);
    this.rollWindow(nowUs);
    this.winBytes += packet.byteLength;
    this.nMediaBytes += packet.byteLength;
  }

  /** Measured media rate over the last one to one and a half windows, bits/s. */
  mediaRateBps(nowUs: number): number {
    this.rollWindow(nowUs);
    if (Number.isNaN(this.winStartUs)) return 0;
    const spanUs = this.rateWindowUs / 2 + Math.max(nowUs - this.winStartUs, 1);
    return ((this.prevWinBytes + this.winBytes) * 8 * 1e6) / spanUs;
  }

  /**
   * Caps the budget at the sender's congestion-control target (bits/s; Infinity lifts the
   * cap), as libwebrtc sets its retransmission rate limiter's maximum to the target bitrate.
   * Without it the budget's floor alone allows 100 kbps of retransmissions, which on a
   * 125 kbps path whose queue has just overflowed is congestion collapse: the retransmissions
   * of the dropped packets keep the queue full and are dropped in turn.
   */
  setRateCapBps(capBps: number): void {
    if (!(capBps >= 0)) throw new InvalidOptionError(`Cannot cap the retransmission rate at ${capBps}: give bits/s >= 0 (Infinity for no cap)`);
    this.capBps = capBps;
  }

  /** The retransmission budget now, bits/s. */
  budgetBps(nowUs: number): number {
    return Math.min(this.capBps, this.maxRateBps, Math.max(this.minRateBps, this.maxRateRatio * this.mediaRateBps(nowUs)));
  }

  /**
   * Answers one Generic NACK received at `nowUs` (`rttUs` NaN or ≤ 0: unknown). Returns the
   * packets to send now (RTX packets, or the originals without RTX), oldest request first.
   * Second copies (see `duplicateAboveLoss`) go into `copiesOut` when given, so the caller can
   * send them a little later (out of a loss burst that takes the first copy); else they follow
   * the first copies in the returned list.
   */
  onNack(nack: GenericNack, nowUs: number, rttUs: number, copiesOut?: RtpPacket[]): RtpPacket[] {
    this.nNacks++;
    const out: RtpPacket[] = [];
    const copies = copiesOut ?? [];
    if ((nack.mediaSsrc >>> 0) !== this.mediaSsrc) {
      this.nUnknownSsrc++;
      return out;
    }
    const rtt = Number.isFinite(rttUs) && rttUs > 0 ? rttUs : this.defaultRttUs;
    this.history.setRtt(rtt);
    this.history.expire(nowUs);
    this.refill(nowUs);
    for (const e of nack.entries) {
      this.answer(e.pid & 0xffff, nowUs, rtt, out, copies);
      for (let i = 0, m = e.blp & 0xffff; m !== 0; i++, m >>>= 1) if ((m & 1) !== 0) this.answer((e.pid + i + 1) & 0xffff, nowUs, rtt, out, copies);
    }
    if (copiesOut === undefined) out.push(...copies);
    return out;
  }

  private answer(seq: number, nowUs: number, rttUs: number, out: RtpPacket[], copiesOut: RtpPacket[]): void {
    this.nSeqsRequested++;
    const entry = this.history.get(seq);
    if (entry === undefined) {
      if (this.history.lookup(seq) === "never-sent") this.nNeverSent++;
      else this.nEvicted++;
      return;
    }
    // At most one resend per RTT (libwebrtc RTPSender::ReSendPacket).
    if (nowUs - entry.lastResentUs < rttUs) {
      this.nWithinRtt++;
      return;
    }
    const size = entry.sizeBytes + (this.rtx !== undefined ? RTX_OSN_BYTES : 0);
    if (this.tokens < size) {
      this.nRateLimited++;
      return;
    }
    entry.lastResentUs = nowUs;
    entry.resends++;
    // The second copy only from the top quarter of the budget: a first copy of another packet
    // (a loss burst NACKs many at once, and their retries follow) is worth more.
    const copies = this.copies === 2 && this.tokens - 2 * size >= this.bucketBytes * 0.75 ? 2 : 1;
    this.nRetransmitted++;
    for (let c = 0; c < copies; c++) {
      this.tokens -= size;
      this.nRetransmittedBytes += size;
      if (c > 0) this.nDuplicated++;
      const dst = c === 0 ? out : copiesOut;
      if (this.rtx === undefined) {
        dst.push(entry.packet);
      } else {
        dst.push(wrapRtx(entry.packet, { ssrc: this.rtx.ssrc, payloadType: this.rtx.payloadType, sequenceNumber: this.rtxSeq }));
        this.rtxSeq = (this.rtxSeq + 1) & 0xffff;
      }
    }
  }

  private refill(nowUs: number): void {
    const rateBytesPerUs = this.budgetBps(nowUs) / 8 / 1e6;
    const capacity = rateBytesPerUs * this.burstUs;
    this.bucketBytes = capacity;
    if (Number.isNaN(this.lastRefillUs)) {
      this.tokens = capacity;
    } else if (nowUs > this.lastRefillUs) {
      this.tokens = Math.min(capacity, this.tokens + (nowUs - this.lastRefillUs) * rateBytesPerUs);
    }
    this.lastRefillUs = Number.isNaN(this.lastRefillUs) ? nowUs : Math.max(this.lastRefillUs, nowUs);
  }

  private rollWindow(nowUs: number): void {
    const half = this.rateWindowUs / 2;
    if (Number.isNaN(this.winStartUs)) {
      this.winStartUs = nowUs;
      return;
    }
    if (nowUs - this.winStartUs < half) return;
    if (nowUs - this.winStartUs < 2 * half) {
      this.prevWinBytes = this.winBytes;
      this.winStartUs += half;
    } else {
      this.prevWinBytes = 0;
      this.winStartUs = nowUs;
    }
    this.winBytes = 0;
  }

  /**
   * One padding-only packet on the RTX stream (RFC 3550 5.1 padding, no payload) for bandwidth
   * probing and ramp-up: it takes the next RTX sequence number, so SRTP's replay window and the
   * receiver's view of the RTX stream stay consistent. `paddingBytes` is 1-255 (the RTP padding
   * count is one byte). Undefined without RTX.
   */
  paddingPacket(paddingBytes: number): RtpPacket | undefined {
    if (this.rtx === undefined) return undefined;
    const newest = this.history.newestSequenceNumber;
    const timestamp = newest === undefined ? 0 : this.history.get(newest)?.packet.timestamp ?? 0;
    this.nPadding++;
    const p = new RtpPacket({ payloadType: this.rtx.payloadType, sequenceNumber: this.rtxSeq, timestamp, ssrc: this.rtx.ssrc, paddingLength: Math.max(1, Math.min(255, Math.round(paddingBytes))) });
    this.rtxSeq = (this.rtxSeq + 1) & 0xffff;
    return p;
  }

  stats(): {
    nacksReceived: number;
    seqsRequested: number;
    retransmitted: number;
    retransmittedBytes: number;
    mediaBytes: number;
    unknownSsrc: number;
    neverSent: number;
    evicted: number;
    withinRtt: number;
    rateLimited: number;
    duplicated: number;
    historyPackets: number;
    historyBytes: number;
    paddingPackets: number;
  } {
    return {
      nacksReceived: this.nNacks,
      seqsRequested: this.nSeqsRequested,
      retransmitted: this.nRetransmitted,
      retransmittedBytes: this.nRetransmittedBytes,
      mediaBytes: this.nMediaBytes,
      unknownSsrc: this.nUnknownSsrc,
      neverSent: this.nNeverSent,
      evicted: this.nEvicted,
      withinRtt: this.nWithinRtt,
      rateLimited: this.nRateLimited,
      duplicated: this.nDuplicated,
      historyPackets: this.history.packetCount,
      historyBytes: this.history.byteCount,
      paddingPackets: this.nPadding,
    };
  }
}
