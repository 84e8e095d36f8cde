/**
 * Send-side counters of one RTP stream and the Sender Report built from them
 * (RFC 3550 6.4.1: NTP timestamp, matching RTP timestamp, packet and octet counts).
 */
import { checkInt } from "../errors.js";
import { ntpFromUnixUs } from "./ntp-time.js";
import type { ReportBlock } from "./report-block.js";
import { SenderReport } from "./sender-report.js";

export interface SenderStatisticsOptions {
  ssrc: number;
  /** RTP clock rate: 90000 for video, 48000 for Opus. */
  clockRateHz: number;
}

/** What the statistics need from a sent RTP packet. */
export interface SentRtpPacket {
  timestamp: number;
  payload: Uint8Array;
}

export class SenderStatistics {
  readonly ssrc: number;
  readonly clockRateHz: number;
  /** Packets sent (RFC 3550 6.4.1 sender's packet count). */
  packetCount = 0;
  /** Payload octets sent, headers and padding excluded (sender's octet count). */
  octetCount = 0;
  private refRtpTs = 0;
  private refUs = NaN;

  constructor(options: SenderStatisticsOptions) {
    this.ssrc = checkInt("ssrc", options.ssrc, 0, 0xffffffff);
    this.clockRateHz = checkInt("clockRateHz", options.clockRateHz, 1, 10_000_000);
  }

  /**
   * Records a sent packet at `nowUs`. Unless `setTimestampReference` was called, the latest
   * packet's RTP timestamp and send time anchor the RTP/NTP mapping.
   */
  onPacketSent(packet: SentRtpPacket, nowUs: number): void {
    this.packetCount = (this.packetCount + 1) >>> 0;
    this.octetCount = (this.octetCount + packet.payload.length) >>> 0;
    if (!this.pinned) {
      this.refRtpTs = packet.timestamp >>> 0;
      this.refUs = nowUs;
    }
  }

  private pinned = false;

  /** Anchors the RTP clock: `rtpTimestamp` corresponds to `nowUs` (e.g. a frame's capture time). */
  setTimestampReference(rtpTimestamp: number, nowUs: number): void {
    this.refRtpTs = rtpTimestamp >>> 0;
    this.refUs = nowUs;
    this.pinned = true;
  }

  /** The RTP timestamp that corresponds to `nowUs`, extrapolated at the clock rate. */
  rtpTimestampAt(nowUs: number): number {
    if (Number.isNaN(this.refUs)) return 0;
    return (this.refRtpTs + Math.round(((nowUs - this.refUs) * this.clockRateHz) / 1e6)) >>> 0;
  }

  /**
   * Builds an SR at `nowUs` (the stage clock) whose NTP timestamp is `wallTimeUs` (µs since the
   * Unix epoch, the same instant on the wall clock).
   */
  buildSenderReport(nowUs: number, wallTimeUs: number, reportBlocks: ReportBlock[] = []): SenderReport {
    const ntp = ntpFromUnixUs(wallTimeUs);
    return new SenderReport({
      ssrc: this.ssrc,
      ntpSeconds: ntp.seconds,
      ntpFraction: ntp.fraction,
      rtpTimestamp: this.rtpTimestampAt(nowUs),
      packetCount: this.packetCount,
      octetCount: this.octetCount,
      reportBlocks,
    });
  }
}
