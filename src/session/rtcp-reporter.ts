import { Goodbye } from "../rtcp/goodbye.js";
import { PictureLossIndication } from "../rtcp/picture-loss-indication.js";
import { GenericNack } from "../rtcp/generic-nack.js";
import { TransportFeedback } from "../rtcp/transport-feedback.js";
import { ReceiverReport } from "../rtcp/receiver-report.js";
import { ReceiverStatistics } from "../rtcp/receiver-statistics.js";
import type { ReportBlock } from "../rtcp/report-block.js";
import { roundTripTimeUs } from "../rtcp/round-trip-time.js";
import { ntpToUnixUs } from "../rtcp/ntp-time.js";
import { RtcpCompoundPacket } from "../rtcp/rtcp-compound-packet.js";
import type { RtcpPacket } from "../rtcp/rtcp-packet.js";
import { SenderReport } from "../rtcp/sender-report.js";
import { SenderStatistics } from "../rtcp/sender-statistics.js";
import { SourceDescription } from "../rtcp/source-description.js";
import type { RtpPacket } from "../rtp/rtp-packet.js";

/** What a peer learned from the remote's reports about one of its own streams. */
export interface RemoteReception {
  fractionLost: number;
  cumulativeLost: number;
  jitter: number;
  rttUs: number;
  /** The extended highest sequence number received (RFC 3550 6.4.1): deltas count packets expected. */
  extendedHighestSequenceNumber: number;
}

/**
 * RTCP for one peer (RFC 3550 6): send-side statistics of its own streams, receive-side
 * statistics of the remote's, and the compound report (SR or RR + SDES CNAME, RFC 3550 6.1)
 * built from them; reports received update round-trip time (6.4.1) and remote loss.
 */
export class RtcpReporter {
  readonly senders = new Map<number, SenderStatistics>();
  readonly receivers = new Map<number, ReceiverStatistics>();
  readonly remote = new Map<number, RemoteReception>();
  srSent = 0;
  rrSent = 0;
  pliSent = 0;
  pliReceived = 0;
  nackSent = 0;
  nackReceived = 0;
  /** Called when the remote asks for a keyframe of one of our streams (RFC 4585 6.3.1). */
  onPictureLoss: (mediaSsrc: number) => void = () => {};
  /** Called with a Generic NACK (RFC 4585 6.2.1) about one of our streams. */
  onNack: (nack: GenericNack) => void = () => {};
  /** Called with transport-wide congestion control feedback (TWCC, RTPFB FMT 15). */
  onTransportFeedback: (feedback: TransportFeedback) => void = () => {};
  transportFeedbackReceived = 0;
  reportsReceived = 0;
  /** Report blocks about our streams taken in (new ones only). */
  reportBlocksReceived = 0;
  /** Report blocks ignored as an exact repeat of the previous one (a duplicated compound). */
  repeatedBlocks = 0;
  private readonly lastBlockKey = new Map<number, string>();
  lastRttUs = NaN;
  /**
   * The remote's latest SR per SSRC: its RTP timestamp and NTP wall time (RFC 3550 6.4.1), which
   * map the remote's RTP clock to wall time (lip sync, and latency across processes on one host).
   */
  readonly senderReports = new Map<number, { rtpTimestamp: number; wallUs: number }>();

  constructor(
    private readonly cname: string,
    /** µs since the Unix epoch for `nowUs` on the session clock (the NTP time of SRs). */
    private readonly wallClockUs: (nowUs: number) => number,
    private readonly clockRateOf: (payloadType: number) => number,
    /** SSRC used in RRs when this peer sends nothing. */
    readonly fallbackSsrc: number,
  ) {}

  addSender(ssrc: number, clockRateHz: number): void {
    this.senders.set(ssrc, new SenderStatistics({ ssrc, clockRateHz }));
  }

  onRtpSent(packet: RtpPacket, nowUs: number): void {
    this.senders.get(packet.ssrc)?.onPacketSent(packet, nowUs);
  }

  /** Anchors a stream's RTP clock to the capture clock (RFC 3550 6.4.1 SR timestamps). */
  anchor(ssrc: number, rtpTimestamp: number, captureUs: number): void {
    this.senders.get(ssrc)?.setTimestampReference(rtpTimestamp, captureUs);
  }

  onRtpReceived(packet: RtpPacket, nowUs: number): void {
    let stats = this.receivers.get(packet.ssrc);
    if (!stats) {
      stats = new ReceiverStatistics({ ssrc: packet.ssrc, clockRateHz: this.clockRateOf(packet.payloadType) });
      this.receivers.set(packet.ssrc, stats);
    }
    stats.onPacket(packet, nowUs);
  }

  /**
   * Builds a compound report (RFC 3550 6.1): SR/RR, SDES CNAME, then a PLI for each SSRC in
   * `pictureLossFor` (RFC 4585 early feedback rides in a full compound packet), then BYE.
   */
  buildReport(nowUs: number, goodbye = false, pictureLossFor: readonly number[] = [], nacks: readonly GenericNack[] = []): Uint8Array {
    const blocks: ReportBlock[] = [];
    for (const r of this.receivers.values()) blocks.push(r.buildReportBlock(nowUs));
    const packets: RtcpPacket[] = [];
    const wall = this.wallClockUs(nowUs);
    let first = true;
    for (const s of this.senders.values()) {
      packets.push(s.buildSenderReport(nowUs, wall, first ? blocks.slice(0, 31) : []));
      first = false;
      this.srSent++;
    }
    if (first) {
      packets.push(new ReceiverReport({ ssrc: this.fallbackSsrc, reportBlocks: blocks.slice(0, 31) }));
      this.rrSent++;
    }
    const ssrcs = this.senders.size > 0 ? [...this.senders.keys()] : [this.fallbackSsrc];
    packets.push(new SourceDescription(ssrcs.map((ssrc) => SourceDescription.withCname(ssrc, this.cname).chunks[0]!)));
    for (const nack of nacks) {
      packets.push(nack);
      this.nackSent++;
    }
    for (const media of pictureLossFor) {
      packets.push(new PictureLossIndication(ssrcs[0]!, media));
      this.pliSent++;
    }
    if (goodbye) packets.push(new Goodbye(ssrcs, "hang-up"));
    return new RtcpCompoundPacket(packets).serialize();
  }

  /** Handles a received (already unprotected) compound packet. */
  onRtcp(compound: RtcpCompoundPacket, nowUs: number): void {
    this.reportsReceived++;
    for (const p of compound.packets) {
      if (p instanceof SenderReport) {
        this.receivers.get(p.ssrc)?.onSenderReport(p, nowUs);
        this.senderReports.set(p.ssrc, { rtpTimestamp: p.rtpTimestamp, wallUs: ntpToUnixUs(p.ntpSeconds, p.ntpFraction) });
        this.onBlocks(p.reportBlocks, nowUs);
      } else if (p instanceof ReceiverReport) {
        this.onBlocks(p.reportBlocks, nowUs);
      } else if (p instanceof GenericNack && this.senders.has(p.mediaSsrc)) {
        this.nackReceived++;
        this.onNack(p);
      } else if (p instanceof PictureLossIndication && this.senders.has(p.mediaSsrc)) {
        this.pliReceived++;
        this.onPictureLoss(p.mediaSsrc);
      } else if (p instanceof TransportFeedback) {
        // Transport-wide: about every packet we sent, whatever its SSRC.
        this.transportFeedbackReceived++;
        this.onTransportFeedback(p);
      }
    }
  }

  private onBlocks(blocks: readonly ReportBlock[], nowUs: number): void {
    for (const b of blocks) {
      if (!this.senders.has(b.ssrc)) continue;
      // A block equal to the last one is the same report again (a NACK sent twice on a lossy
      // path carries its report twice): count it once, so loss adaptation weighs it once.
      const key = `${b.fractionLost},${b.cumulativeLost},${b.extendedHighestSequenceNumber},${b.jitter},${b.lastSenderReport},${b.delaySinceLastSenderReport}`;
      if (this.lastBlockKey.get(b.ssrc) === key) {
        this.repeatedBlocks++;
        continue;
      }
      this.lastBlockKey.set(b.ssrc, key);
      this.reportBlocksReceived++;
      const rtt = roundTripTimeUs(b, this.wallClockUs(nowUs));
      if (rtt !== undefined) this.lastRttUs = rtt;
      this.remote.set(b.ssrc, { fractionLost: b.fractionLost / 256, cumulativeLost: b.cumulativeLost, jitter: b.jitter, rttUs: rtt ?? NaN, extendedHighestSequenceNumber: b.extendedHighestSequenceNumber });
    }
  }
}
