import { describe, expect, it } from "vitest";
import { InvalidOptionError } from "../../src/errors.js";
import { NackGenerator } from "../../src/feedback/nack-generator.js";
import { SeededRandom } from "../../src/util/seeded-random.js";

const MS = 1000;

describe("NackGenerator (RFC 4585 6.2.1, libwebrtc NackRequester rules)", () => {
  it("waits the reorder allowance, then NACKs; a reordered packet is never requested", () => {
    const g = new NackGenerator({ reorderAllowanceUs: 10 * MS });
    g.received(1, 0);
    g.received(4, 1 * MS); // 2, 3 missing
    expect(g.tick(5 * MS, 100 * MS).sequenceNumbers).toEqual([]);
    g.received(2, 6 * MS); // reordered, arrives within the allowance
    expect(g.tick(11 * MS, 100 * MS).sequenceNumbers).toEqual([3]);
    expect(g.stats()).toMatchObject({ nacksSent: 1, seqsRequested: 1, retries: 0, recoveredBeforeNack: 1 });
  });

  it("retries once per RTT (+ margin), at most maxRetries, then gives up", () => {
    const g = new NackGenerator({ reorderAllowanceUs: 0, maxRetries: 2, retryMarginUs: 0, maxAgeUs: 10_000 * MS });
    g.received(10, 0);
    g.received(12, 0);
    const at = (t: number, rtt: number): number[] => g.tick(t * MS, rtt * MS).sequenceNumbers;
    expect(at(0, 100)).toEqual([11]);
    expect(at(99, 100)).toEqual([]);
    expect(at(100, 100)).toEqual([11]); // retry 1
    expect(at(150, 50)).toEqual([11]); // RTT fell to 50 ms: retry 2
    expect(at(300, 50)).toEqual([]); // no retries left: given up
    expect(g.stats()).toMatchObject({ seqsRequested: 3, retries: 2, givenUp: 1, missing: 0 });
  });

  it("unknown RTT (NaN) uses defaultRttUs", () => {
    const g = new NackGenerator({ reorderAllowanceUs: 0, retryMarginUs: 0, defaultRttUs: 200 * MS });
    g.received(0, 0);
    g.received(2, 0);
    expect(g.tick(0, NaN).sequenceNumbers).toEqual([1]);
    expect(g.tick(150 * MS, NaN).sequenceNumbers).toEqual([]);
    expect(g.tick(200 * MS, NaN).sequenceNumbers).toEqual([1]);
  });

  it("counts packets that arrive after being NACKed, and FEC-recovered ones apart", () => {
    const g = new NackGenerator({ reorderAllowanceUs: 0 });
    g.received(100, 0);
    g.received(104, 0);
    expect(g.tick(0, 100 * MS).sequenceNumbers).toEqual([101, 102, 103]);
    g.received(101, 50 * MS);
    g.received(102, 50 * MS, true);
    expect(g.stats()).toMatchObject({ recoveredAfterNack: 1, fecRecovered: 1, missing: 1 });
  });

  it("tracks gaps across the 16-bit wrap (65534 → 1)", () => {
    const g = new NackGenerator({ reorderAllowanceUs: 0 });
    g.received(65533, 0);
    g.received(1, 0);
    expect(g.tick(0, 100 * MS).sequenceNumbers).toEqual([65534, 65535, 0]);
    g.received(65535, 1 * MS);
    g.received(0, 1 * MS);
    expect(g.missingCount).toBe(1);
    g.clearOlderThan(2);
    expect(g.missingCount).toBe(0);
  });

  it("drops entries older than maxAgeUs", () => {
    const g = new NackGenerator({ reorderAllowanceUs: 0, maxAgeUs: 300 * MS });
    g.received(0, 0);
    g.received(5, 0);
    g.tick(0, 100 * MS);
    expect(g.tick(301 * MS, 100 * MS).sequenceNumbers).toEqual([]);
    expect(g.stats()).toMatchObject({ givenUp: 4, missing: 0 });
  });

  it("never tracks more than maxListSize (1000, libwebrtc kMaxNackPackets) and then asks for a keyframe", () => {
    const g = new NackGenerator();
    g.received(0, 0);
    g.received(999, 0); // 998 missing
    g.received(1003, 0); // +3 → 1001: the oldest is dropped
    expect(g.missingCount).toBe(1000);
    let r = g.tick(20 * MS, 100 * MS);
    expect(r.keyframeRequest).toBe(true);
    expect(r.sequenceNumbers[0]).toBe(2);
    g.received(10_000, 30 * MS); // a jump past the bound: clear all
    expect(g.missingCount).toBe(0);
    r = g.tick(40 * MS, 100 * MS);
    expect(r.keyframeRequest).toBe(true);
    expect(g.tick(50 * MS, 100 * MS).keyframeRequest).toBe(false);
    expect(g.stats().keyframeRequests).toBe(2);
  });

  it("stays within its bound under garbage sequence numbers (bad input)", () => {
    const g = new NackGenerator();
    const rng = new SeededRandom(7);
    let maxSize = 0;
    for (let i = 0; i < 100_000; i++) {
      g.received(rng.int(0, 65535), i * 10);
      if (i % 100 === 0) g.tick(i * 10, 100 * MS);
      maxSize = Math.max(maxSize, g.missingCount);
    }
    expect(maxSize).toBeLessThanOrEqual(1000);
    expect(g.stats().keyframeRequests).toBeGreaterThan(0);
  });

  it("nextDueUs says when tick has work", () => {
    const g = new NackGenerator({ reorderAllowanceUs: 10 * MS, retryMarginUs: 0 });
    expect(g.nextDueUs(100 * MS)).toBe(Infinity);
    g.received(0, 0);
    g.received(2, 1 * MS);
    expect(g.nextDueUs(100 * MS)).toBe(11 * MS);
    g.tick(11 * MS, 100 * MS);
    expect(g.nextDueUs(100 * MS)).toBe(111 * MS);
  });

  it("asks for two copies of each NACK once measured loss passes duplicateAboveLoss, one on a cleaner path", () => {
    const g = new NackGenerator({ reorderAllowanceUs: 0, duplicateAboveLoss: 0.05 });
    const rng = new SeededRandom(7);
    let seq = 0;
    let t = 0;
    // 2% independent loss: below the threshold.
    for (let i = 0; i < 2000; i++, seq++) if (rng.next() >= 0.02) g.received(seq, (t += MS));
    expect(g.lossFraction).toBeGreaterThan(0.003);
    expect(g.lossFraction).toBeLessThan(0.05);
    expect(g.tick(t, 100 * MS).copies).toBe(1);
    // 15% loss: the estimate follows within ~100 packets and NACKs go out twice.
    for (let i = 0; i < 300; i++, seq++) if (rng.next() >= 0.15) g.received(seq, (t += MS));
    expect(g.lossFraction).toBeGreaterThan(0.07);
    expect(g.tick(t, 100 * MS).copies).toBe(2);
  });

  it("measures loss from the first packets of a stream (running mean before ~100)", () => {
    const g = new NackGenerator();
    g.received(0, 0);
    for (let s = 1; s <= 40; s += 2) g.received(s, s * MS); // every other number missing: 50%
    expect(g.lossFraction).toBeGreaterThan(0.4);
    expect(g.lossFraction).toBeLessThan(0.6);
  });

  it.each([
    [{ duplicateAboveLoss: 2 }],
    [{ maxRetries: -1 }],
    [{ maxListSize: 0 }],
    [{ reorderAllowanceUs: Number.NaN }],
    [{ maxAgeUs: 0 }],
  ])("rejects bad options %j", (o) => {
    expect(() => new NackGenerator(o)).toThrow(InvalidOptionError);
  });
});
