import { describe, expect, it } from "vitest";
import { RtcpCompoundPacket } from "../../src/rtcp/rtcp-compound-packet.js";
import { RtpPacket } from "../../src/rtp/rtp-packet.js";
import { RtcpReporter } from "../../src/session/rtcp-reporter.js";

const MS = 1000;
const wall = (nowUs: number): number => 1_700_000_000_000_000 + nowUs;

describe("RtcpReporter (RFC 3550 6.4)", () => {
  it("takes a repeated report block (the same compound sent twice) once, a new one again", () => {
    const a = new RtcpReporter("a", wall, () => 90_000, 1);
    a.addSender(0x1111, 90_000);
    const b = new RtcpReporter("b", wall, () => 90_000, 2);
    let seq = 0;
    const receive = (n: number, lose: number, t: number): void => {
      for (let i = 0; i < n; i++, seq++) if (i < 5 || i >= 5 + lose) b.onRtpReceived(new RtpPacket({ payloadType: 96, sequenceNumber: seq, timestamp: seq * 3000, ssrc: 0x1111 }), t);
    };
    receive(20, 5, 10 * MS); // 5 of 20 lost (after the first 5)
    const report = RtcpCompoundPacket.parse(b.buildReport(20 * MS));
    a.onRtcp(report, 70 * MS);
    a.onRtcp(report, 71 * MS); // the copy
    expect(a.reportBlocksReceived).toBe(1);
    expect(a.repeatedBlocks).toBe(1);
    expect(a.remote.get(0x1111)!.fractionLost).toBeCloseTo(5 / 20, 1);
    receive(20, 0, 100 * MS);
    a.onRtcp(RtcpCompoundPacket.parse(b.buildReport(110 * MS)), 160 * MS);
    expect(a.reportBlocksReceived).toBe(2);
    expect(a.remote.get(0x1111)!.fractionLost).toBe(0);
  });
});
