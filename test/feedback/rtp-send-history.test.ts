import { describe, expect, it } from "vitest";
import { InvalidOptionError } from "../../src/errors.js";
import { RtpSendHistory } from "../../src/feedback/rtp-send-history.js";
import { RtpPacket } from "../../src/rtp/rtp-packet.js";

const MS = 1000;
const packet = (seq: number, bytes = 988): RtpPacket => new RtpPacket({ payloadType: 96, sequenceNumber: seq, timestamp: 0, ssrc: 1, payload: new Uint8Array(bytes) });

describe("RtpSendHistory", () => {
  it("finds packets by sequence number across the 16-bit wrap", () => {
    const h = new RtpSendHistory();
    for (let i = 0; i < 100; i++) h.put(packet((65500 + i) & 0xffff), i * MS);
    expect(h.get(65535)?.packet.sequenceNumber).toBe(65535);
    expect(h.get(63)?.packet.sequenceNumber).toBe(63);
    expect(h.lookup(64)).toBe("never-sent");
    expect(h.lookup(65499)).toBe("evicted");
    expect(h.newestSequenceNumber).toBe(63);
  });

  it("is bounded in bytes (oldest evicted first)", () => {
    const h = new RtpSendHistory({ maxBytes: 100_000, maxAgeUs: 60_000_000 });
    for (let i = 0; i < 1000; i++) h.put(packet(i), i);
    expect(h.byteCount).toBeLessThanOrEqual(100_000);
    expect(h.packetCount).toBe(100); // 1000-byte packets
    expect(h.get(899)).toBeUndefined();
    expect(h.get(900)).toBeDefined();
    expect(h.stats()).toMatchObject({ evictedBySize: 900, evictedByAge: 0 });
  });

  it("is bounded in age, stretched to rttFactor·RTT", () => {
    const h = new RtpSendHistory({ maxAgeUs: 1000 * MS, rttFactor: 3 });
    for (let i = 0; i <= 2000; i++) h.put(packet(i, 100), i * MS);
    expect(h.get(999)).toBeUndefined();
    expect(h.get(1000)).toBeDefined();
    h.setRtt(500 * MS); // 3 · 500 ms = 1.5 s
    expect(h.effectiveMaxAgeUs).toBe(1500 * MS);
    for (let i = 2001; i <= 4000; i++) h.put(packet(i, 100), i * MS);
    expect(h.get(2499)).toBeUndefined();
    expect(h.get(2500)).toBeDefined();
    expect(h.stats().evictedByAge).toBe(2500);
  });

  it("keeps under half the sequence space so a number is never ambiguous", () => {
    const h = new RtpSendHistory({ maxBytes: 1 << 30, maxAgeUs: 60_000_000 });
    for (let i = 0; i < 70_000; i++) h.put(packet(i & 0xffff, 0), 0);
    expect(h.packetCount).toBeLessThanOrEqual(32_767);
    expect(h.get((70_000 - 1) & 0xffff)).toBeDefined();
    expect(h.get((70_000 - 40_000) & 0xffff)).toBeUndefined();
  });

  it("rejects bad options", () => {
    expect(() => new RtpSendHistory({ maxBytes: 10 })).toThrow(InvalidOptionError);
    expect(() => new RtpSendHistory({ maxPackets: 40_000 })).toThrow(InvalidOptionError);
  });
});
