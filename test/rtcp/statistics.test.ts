import { describe, expect, it } from "vitest";
import { InvalidOptionError } from "../../src/errors.js";
import { compactNtpToUs, ntpFromUnixUs, ntpToCompact, ntpToUnixUs, usToCompactNtp, NTP_UNIX_EPOCH_OFFSET_S } from "../../src/rtcp/ntp-time.js";
import { ReceiverStatistics } from "../../src/rtcp/receiver-statistics.js";
import { ReportBlock } from "../../src/rtcp/report-block.js";
import { roundTripTimeUs } from "../../src/rtcp/round-trip-time.js";
import { SenderReport } from "../../src/rtcp/sender-report.js";
import { SenderStatistics } from "../../src/rtcp/sender-statistics.js";

describe("NTP time (RFC 3550 4)", () => {
  it("maps the Unix epoch to NTP second 2208988800", () => {
    expect(ntpFromUnixUs(0)).toEqual({ seconds: NTP_UNIX_EPOCH_OFFSET_S, fraction: 0 });
    expect(ntpFromUnixUs(500_000)).toEqual({ seconds: NTP_UNIX_EPOCH_OFFSET_S, fraction: 0x8000_0000 });
  });

  it("round-trips µs through the 64-bit form within 1 µs, including era 1 after 2036", () => {
    for (const us of [1_700_000_000_123_456, 1_000_000, 2_085_978_496_000_000 + 1_234_567, 2_200_000_000_999_999]) {
      const n = ntpFromUnixUs(us);
      expect(Math.abs(ntpToUnixUs(n.seconds, n.fraction) - us)).toBeLessThanOrEqual(1);
    }
  });

  it("compact form is the middle 32 bits (RFC 3550 6.4.1)", () => {
    expect(ntpToCompact(0xda8bd1fc, 0xdbba7a80)).toBe(0xd1fcdbba);
    expect(usToCompactNtp(1_000_000)).toBe(65536);
    expect(usToCompactNtp(-5)).toBe(0);
    expect(compactNtpToUs(32768)).toBe(500_000);
  });
});

describe("ReceiverStatistics (RFC 3550 A.1, A.3, A.8)", () => {
  const pkt = (seq: number, ts: number) => ({ sequenceNumber: seq & 0xffff, timestamp: ts >>> 0 });

  it("counts expected, lost and fraction lost per interval (A.3)", () => {
    const s = new ReceiverStatistics({ ssrc: 7, clockRateHz: 90000 });
    for (let i = 0; i < 100; i++) if (i % 10 !== 3) s.onPacket(pkt(1000 + i, i * 3000), i * 33_333);
    const b = s.buildReportBlock(4_000_000);
    expect(b.ssrc).toBe(7);
    expect(s.expected).toBe(100);
    expect(b.cumulativeLost).toBe(10);
    expect(b.fractionLost).toBe(Math.floor((10 * 256) / 100));
    expect(b.extendedHighestSequenceNumber).toBe(1099);
    // Next interval: no loss.
    for (let i = 100; i < 150; i++) s.onPacket(pkt(1000 + i, i * 3000), i * 33_333);
    const b2 = s.buildReportBlock(6_000_000);
    expect(b2.fractionLost).toBe(0);
    expect(b2.cumulativeLost).toBe(10);
  });

  it("extends the highest sequence number across the 16-bit wrap (A.1)", () => {
    const s = new ReceiverStatistics({ ssrc: 1, clockRateHz: 48000 });
    for (let i = 0; i < 20; i++) s.onPacket(pkt(65530 + i, i * 960), i * 20_000);
    expect(s.extendedHighestSequenceNumber).toBe(65530 + 19);
    expect(s.buildReportBlock(0).extendedHighestSequenceNumber).toBe(0x1_0000 + 13);
    expect(s.cumulativeLost).toBe(0);
  });

  it("counts duplicates as received, so loss can go negative (A.3)", () => {
    const s = new ReceiverStatistics({ ssrc: 1, clockRateHz: 48000 });
    s.onPacket(pkt(1, 0), 0);
    s.onPacket(pkt(2, 960), 20_000);
    s.onPacket(pkt(2, 960), 20_000);
    expect(s.cumulativeLost).toBe(-1);
    expect(s.buildReportBlock(0).fractionLost).toBe(0);
  });

  it("treats reordering as received without moving the highest sequence number", () => {
    const s = new ReceiverStatistics({ ssrc: 1, clockRateHz: 48000 });
    for (const q of [10, 12, 11, 13]) s.onPacket(pkt(q, q * 960), q * 20_000);
    expect(s.extendedHighestSequenceNumber).toBe(13);
    expect(s.cumulativeLost).toBe(0);
  });

  it("resynchronizes after a large jump confirmed by two sequential packets (A.1)", () => {
    const s = new ReceiverStatistics({ ssrc: 1, clockRateHz: 48000 });
    for (let i = 0; i < 10; i++) s.onPacket(pkt(100 + i, 0), 0);
    expect(s.onPacket(pkt(30000, 0), 0)).toBe(false);
    expect(s.onPacket(pkt(30001, 0), 0)).toBe(true);
    expect(s.extendedHighestSequenceNumber).toBe(30001);
    expect(s.expected).toBe(1);
  });

  it("interarrival jitter is zero for perfectly timed packets (A.8)", () => {
    const s = new ReceiverStatistics({ ssrc: 1, clockRateHz: 90000 });
    for (let i = 0; i < 50; i++) s.onPacket(pkt(i, 3000 * i), 33_333.333 * i + 1e6);
    expect(s.jitter).toBeLessThan(0.01);
  });

  it("interarrival jitter follows J += (|D| − J)/16 in timestamp units (A.8)", () => {
    const s = new ReceiverStatistics({ ssrc: 1, clockRateHz: 8000 });
    // 20 ms packets (160 ticks); arrivals alternately 10 ms late: |D| = 80 ticks every packet.
    let j = 0;
    for (let i = 0; i < 200; i++) {
      s.onPacket(pkt(i, 160 * i), 20_000 * i + (i % 2) * 10_000);
      if (i > 0) j += (80 - j) / 16;
    }
    expect(s.jitter).toBeCloseTo(j, 6);
    expect(s.buildReportBlock(0).jitter).toBe(Math.floor(j));
  });

  it("jitter is computed across the RTP timestamp wrap", () => {
    const s = new ReceiverStatistics({ ssrc: 1, clockRateHz: 90000 });
    for (let i = 0; i < 30; i++) s.onPacket(pkt(i, 0xffff_0000 + 3000 * i), 33_333.333 * i);
    expect(s.jitter).toBeLessThan(0.01);
  });

  it("LSR is the middle 32 bits of the last SR, DLSR the delay since it in 1/65536 s (RFC 3550 6.4.1)", () => {
    const s = new ReceiverStatistics({ ssrc: 1, clockRateHz: 90000 });
    s.onPacket(pkt(1, 0), 0);
    expect(s.buildReportBlock(0).lastSenderReport).toBe(0);
    const sr = new SenderReport({ ssrc: 1, ntpSeconds: 0xda8bd1fc, ntpFraction: 0xdbba7a80, rtpTimestamp: 0, packetCount: 1, octetCount: 1 });
    s.onSenderReport(sr, 5_000_000);
    const b = s.buildReportBlock(5_250_000);
    expect(b.lastSenderReport).toBe(0xd1fcdbba);
    expect(b.delaySinceLastSenderReport).toBe(16384);
  });

  it("validates options", () => {
    expect(() => new ReceiverStatistics({ ssrc: 1, clockRateHz: 0 })).toThrow(InvalidOptionError);
  });
});

describe("SenderStatistics and RTT (RFC 3550 6.4.1)", () => {
  it("counts packets and payload octets and maps the RTP clock to the NTP time", () => {
    const s = new SenderStatistics({ ssrc: 9, clockRateHz: 90000 });
    for (let i = 0; i < 10; i++) s.onPacketSent({ timestamp: 1000 + i * 3000, payload: new Uint8Array(100) }, i * 33_333);
    const wall = 1_700_000_000_000_000;
    const sr = s.buildSenderReport(9 * 33_333 + 100_000, wall);
    expect(sr.ssrc).toBe(9);
    expect(sr.packetCount).toBe(10);
    expect(sr.octetCount).toBe(1000);
    expect(sr.rtpTimestamp).toBe(1000 + 9 * 3000 + 9000);
    expect(ntpToUnixUs(sr.ntpSeconds, sr.ntpFraction)).toBe(wall);
  });

  it("uses a pinned timestamp reference (capture time) when set", () => {
    const s = new SenderStatistics({ ssrc: 9, clockRateHz: 48000 });
    s.setTimestampReference(0xffff_ff00, 1_000_000);
    s.onPacketSent({ timestamp: 5, payload: new Uint8Array(3) }, 2_000_000);
    expect(s.rtpTimestampAt(1_010_000)).toBe((0xffff_ff00 + 480) >>> 0);
  });

  it("RTT = A − LSR − DLSR (RFC 3550 6.4.1)", () => {
    // The SR was sent at wall time T; the receiver held it 250 ms; the RR arrives 300 ms after T.
    const t = 1_700_000_000_000_000;
    const ntp = ntpFromUnixUs(t);
    const block = new ReportBlock({ ssrc: 1, lastSenderReport: ntpToCompact(ntp.seconds, ntp.fraction), delaySinceLastSenderReport: usToCompactNtp(250_000) });
    const rtt = roundTripTimeUs(block, t + 300_000)!;
    expect(Math.abs(rtt - 50_000)).toBeLessThan(40);
    expect(roundTripTimeUs(new ReportBlock({ ssrc: 1 }), t)).toBeUndefined();
    expect(roundTripTimeUs(block, t + 100_000)).toBe(0);
  });

  it("end to end: SR → receiver statistics → report block → RTT", () => {
    const tx = new SenderStatistics({ ssrc: 3, clockRateHz: 90000 });
    const rx = new ReceiverStatistics({ ssrc: 3, clockRateHz: 90000 });
    const wall0 = 1_750_000_000_000_000;
    const oneWayUs = 40_000;
    const sr = tx.buildSenderReport(0, wall0);
    rx.onSenderReport(sr, 0 + oneWayUs);
    const block = rx.buildReportBlock(oneWayUs + 120_000);
    const rtt = roundTripTimeUs(block, wall0 + oneWayUs + 120_000 + oneWayUs)!;
    expect(Math.abs(rtt - 2 * oneWayUs)).toBeLessThan(40);
  });
});
