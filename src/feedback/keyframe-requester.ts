/**
 * Receiver side of keyframe requests: decides when to send a PLI (RFC 4585 6.3.1) or a FIR
 * (RFC 5104 4.3.1) while the decoder needs a keyframe. At most one request per
 * max(`minIntervalUs`, `rttFactor`·RTT) (default max(200 ms, 1.5·RTT), the rule of
 * Peer.requestKeyframeIfNeeded), so a request in flight is not repeated before it can be
 * answered. FIR command sequence numbers grow by one per new request and stay the same for
 * repetitions of a request not yet answered (RFC 5104 4.3.1.2).
 */
import { checkInt, checkOneOf, checkRange } from "../errors.js";
import { FullIntraRequest } from "../rtcp/full-intra-request.js";
import { PictureLossIndication } from "../rtcp/picture-loss-indication.js";

export interface KeyframeRequesterOptions {
  /** Our SSRC (the "SSRC of packet sender" field). */
  senderSsrc: number;
  /** SSRC of the video stream asked for a keyframe. */
  mediaSsrc: number;
  /** "pli" (default) or "fir" (RFC 5104, for senders that must not ignore the request). */
  method?: "pli" | "fir";
  /** Shortest time between requests. Default 200 000 µs. */
  minIntervalUs?: number;
  /** ...or this many RTTs when longer. Default 1.5. */
  rttFactor?: number;
  /** First FIR command sequence number. Default 0. */
  initialFirSequenceNumber?: number;
}

export class KeyframeRequester {
  readonly name = "keyframe-requester";
  readonly senderSsrc: number;
  readonly mediaSsrc: number;
  readonly method: "pli" | "fir";
  private readonly minIntervalUs: number;
  private readonly rttFactor: number;
  private firSeq: number;
  /** A request was sent and no keyframe has arrived since. */
  private outstanding = false;
  private lastRequestUs = -Infinity;
  private nPli = 0;
  private nFir = 0;
  private nSuppressed = 0;

  constructor(options: KeyframeRequesterOptions) {
    this.senderSsrc = checkInt("senderSsrc", options.senderSsrc, 0, 0xffff_ffff);
    this.mediaSsrc = checkInt("mediaSsrc", options.mediaSsrc, 0, 0xffff_ffff);
    this.method = checkOneOf("method", options.method ?? "pli", ["pli", "fir"]);
    this.minIntervalUs = checkRange("minIntervalUs", options.minIntervalUs ?? 200_000, 0, 60_000_000);
    this.rttFactor = checkRange("rttFactor", options.rttFactor ?? 1.5, 0, 100);
    // The first request increments, so start one below.
    this.firSeq = (checkInt("initialFirSequenceNumber", options.initialFirSequenceNumber ?? 0, 0, 255) + 255) & 0xff;
  }

  /** The current FIR command sequence number (of the last request sent). */
  get firSequenceNumber(): number {
    return this.firSeq;
  }

  /**
   * Call whenever a keyframe is needed (each tick while the decoder waits, or when the NACK
   * generator flags an overflow). Returns the PLI or FIR to send now, or undefined when one
   * was sent less than max(minIntervalUs, rttFactor·RTT) ago. `rttUs` NaN means unknown (0).
   */
  request(nowUs: number, rttUs: number): PictureLossIndication | FullIntraRequest | undefined {
    const rtt = Number.isFinite(rttUs) && rttUs > 0 ? rttUs : 0;
    if (nowUs - this.lastRequestUs < Math.max(this.minIntervalUs, this.rttFactor * rtt)) {
      this.nSuppressed++;
      return undefined;
    }
    this.lastRequestUs = nowUs;
    if (this.method === "pli") {
      this.nPli++;
      return new PictureLossIndication(this.senderSsrc, this.mediaSsrc);
    }
    // A new command increments; a repetition of an unanswered one keeps the number (RFC 5104 4.3.1.2).
    if (!this.outstanding) this.firSeq = (this.firSeq + 1) & 0xff;
    this.outstanding = true;
    this.nFir++;
    return new FullIntraRequest(this.senderSsrc, [{ ssrc: this.mediaSsrc, sequenceNumber: this.firSeq }]);
  }

  /** A keyframe arrived: the outstanding request is answered; the next one is a new command. */
  keyframeReceived(): void {
    this.outstanding = false;
  }

  stats(): { pliSent: number; firSent: number; suppressed: number } {
    return { pliSent: this.nPli, firSent: this.nFir, suppressed: this.nSuppressed };
  }
}
