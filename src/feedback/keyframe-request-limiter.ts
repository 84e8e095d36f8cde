/**
 * Sender side of keyframe requests (PLI, RFC 4585 6.3.1; FIR, RFC 5104 4.3.1): decides
 * whether a received request makes the encoder produce a keyframe. At most one keyframe per
 * `minIntervalUs` (default 250 ms, the rule of Peer.onPictureLoss) so a PLI storm cannot flood
 * the link; a FIR repeating the last command sequence number of its sender is a
 * retransmission of a request already acted on and is ignored (RFC 5104 4.3.1.2).
 */
import { checkInt, checkRange } from "../errors.js";
import type { FullIntraRequest } from "../rtcp/full-intra-request.js";

export interface KeyframeRequestLimiterOptions {
  /** Shortest time between two keyframes made on request. Default 250 000 µs. */
  minIntervalUs?: number;
  /** Most FIR senders whose last sequence number is remembered. Default 64. */
  maxFirSenders?: number;
}

export class KeyframeRequestLimiter {
  readonly name = "keyframe-request-limiter";
  private readonly minIntervalUs: number;
  private readonly maxFirSenders: number;
  private lastKeyframeUs = -Infinity;
  private readonly lastFirSeq = new Map<number, number>();
  private nRequests = 0;
  private nAccepted = 0;
  private nRateLimited = 0;
  private nFirRepeats = 0;

  constructor(options: KeyframeRequestLimiterOptions = {}) {
    this.minIntervalUs = checkRange("minIntervalUs", options.minIntervalUs ?? 250_000, 0, 60_000_000);
    this.maxFirSenders = checkInt("maxFirSenders", options.maxFirSenders ?? 64, 1, 100_000);
  }

  /** A PLI (or any keyframe request) arrived: true means make a keyframe now. */
  onRequest(nowUs: number): boolean {
    this.nRequests++;
    if (nowUs - this.lastKeyframeUs < this.minIntervalUs) {
      this.nRateLimited++;
      return false;
    }
    this.lastKeyframeUs = nowUs;
    this.nAccepted++;
    return true;
  }

  /**
   * A FIR arrived: true means make a keyframe now. Only entries for `ownSsrc` count; an
   * entry repeating the sender's last command sequence number is ignored (RFC 5104 4.3.1.2).
   */
  onFullIntraRequest(fir: FullIntraRequest, ownSsrc: number, nowUs: number): boolean {
    for (const e of fir.entries) {
      if ((e.ssrc >>> 0) !== ownSsrc >>> 0) continue;
      const seq = e.sequenceNumber & 0xff;
      if (this.lastFirSeq.get(fir.senderSsrc) === seq) {
        this.nFirRepeats++;
        return false;
      }
      // Remember the number only when acted on, so a repetition of a rate-limited command still counts.
      if (!this.onRequest(nowUs)) return false;
      this.lastFirSeq.delete(fir.senderSsrc);
      if (this.lastFirSeq.size >= this.maxFirSenders) {
        const oldest = this.lastFirSeq.keys().next();
        if (oldest.done !== true) this.lastFirSeq.delete(oldest.value);
      }
      this.lastFirSeq.set(fir.senderSsrc, seq);
      return true;
    }
    return false;
  }

  stats(): { requests: number; accepted: number; rateLimited: number; firRepeats: number } {
    return { requests: this.nRequests, accepted: this.nAccepted, rateLimited: this.nRateLimited, firRepeats: this.nFirRepeats };
  }
}
