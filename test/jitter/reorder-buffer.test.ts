import { describe, expect, it } from "vitest";
import { ReorderBuffer } from "../../src/jitter/reorder-buffer.js";

function collect(buf: ReorderBuffer<{ sequenceNumber: number }>): number[] {
  const out: number[] = [];
  buf.pipe({ push: (p) => out.push(p.sequenceNumber) });
  return out;
}

describe("ReorderBuffer", () => {
  it("passes in-order packets straight through, across the 16-bit wrap (RFC 3550 5.1)", () => {
    const buf = new ReorderBuffer({ minWaitMs: 0 });
    const out = collect(buf);
    for (const s of [65534, 65535, 0, 1]) buf.push({ sequenceNumber: s }, 0);
    expect(out).toEqual([65534, 65535, 0, 1]);
  });

  it("restores order of a reordered packet without waiting for a timeout", () => {
    const buf = new ReorderBuffer({ minWaitMs: 0 });
    const out = collect(buf);
    buf.push({ sequenceNumber: 10 }, 0);
    buf.push({ sequenceNumber: 12 }, 1000);
    buf.push({ sequenceNumber: 11 }, 3000);
    expect(out).toEqual([10, 11, 12]);
    expect(buf.stats().reordered).toBe(1);
  });

  it("gives up a missing packet after the wait and counts it lost", () => {
    const buf = new ReorderBuffer({ minWaitMs: 5, maxWaitMs: 50 });
    const out = collect(buf);
    buf.push({ sequenceNumber: 1 }, 0);
    buf.push({ sequenceNumber: 3 }, 1000);
    buf.tick(5000); // the start wait (5 ms) ends: 1 goes, 2 is missing
    expect(out).toEqual([1]);
    buf.tick(9000);
    expect(out).toEqual([1]);
    buf.tick(10_000); // 5 ms of waiting for 2: given up
    expect(out).toEqual([1, 3]);
    expect(buf.stats().skippedLost).toBe(1);
    // The missing packet arriving afterwards is too late and dropped.
    buf.push({ sequenceNumber: 2 }, 11_000);
    expect(out).toEqual([1, 3]);
    expect(buf.stats().late).toBe(1);
  });

  it("drops duplicates and learns to wait as long as reordering lasts", () => {
    const buf = new ReorderBuffer({ minWaitMs: 1, maxWaitMs: 100 });
    collect(buf);
    buf.push({ sequenceNumber: 1 }, 0);
    buf.push({ sequenceNumber: 3 }, 0);
    buf.push({ sequenceNumber: 3 }, 0);
    buf.push({ sequenceNumber: 2 }, 20_000);
    expect(buf.stats().duplicates).toBe(1);
    expect(buf.waitUs).toBeCloseTo(30_000, -2);
  });
});

describe("ReorderBuffer at the start of a stream", () => {
  it("keeps the real first packet when the first two arrive swapped", () => {
    const buf = new ReorderBuffer({ minWaitMs: 5 });
    const out: number[] = [];
    buf.pipe({ push: (p) => out.push(p.sequenceNumber) });
    buf.push({ sequenceNumber: 101 }, 0);
    buf.push({ sequenceNumber: 100 }, 1000);
    buf.push({ sequenceNumber: 102 }, 2000);
    expect(out).toEqual([]);
    expect(buf.nextDueUs()).toBe(5000);
    buf.tick(5000);
    expect(out).toEqual([100, 101, 102]);
    expect(buf.stats().late).toBe(0);
  });
});

describe("ReorderBuffer after an outage", () => {
  it("abandonBefore gives up the gap at once and releases what follows", () => {
    const buf = new ReorderBuffer({ minWaitMs: 0, maxWaitMs: 500 });
    const out: number[] = [];
    buf.pipe({ push: (p) => out.push(p.sequenceNumber) });
    buf.push({ sequenceNumber: 1 }, 0);
    buf.push({ sequenceNumber: 3 }, 1000); // 2 missing: held
    buf.abandonBefore(400, 2000);
    buf.push({ sequenceNumber: 400 }, 2000);
    expect(out).toEqual([1, 400]);
    expect(buf.stats().abandoned).toBe(1); // 3 had arrived but is older than the keyframe we wait for
    expect(buf.stats().skippedLost).toBe(397);
  });
});

describe("ReorderBuffer with many gaps at once", () => {
  it("gaps in a row hold a packet at most ~3 waits, not one wait per gap in turn", () => {
    // A bottleneck drops every third packet: 1 2 _ 4 5 _ 7 8 _ 10 ..., one packet per 10 ms.
    const buf = new ReorderBuffer({ minWaitMs: 0, maxWaitMs: 100 });
    buf.setWaitBounds(100_000, 100_000);
    const out: { seq: number; t: number }[] = [];
    buf.pipe({ push: (p, t) => out.push({ seq: p.sequenceNumber, t }) });
    const arrival = new Map<number, number>();
    for (let seq = 1; seq <= 60; seq++) {
      const t = seq * 10_000;
      if (seq % 3 === 0) continue;
      arrival.set(seq, t);
      buf.tick(t);
      buf.push({ sequenceNumber: seq }, t);
    }
    for (let t = 610_000; t <= 1_000_000; t += 10_000) buf.tick(t);
    expect(out.map((o) => o.seq)).toEqual([...arrival.keys()]);
    // A gap uncovered by a release waits afresh, unless it was seen two waits (200 ms) ago:
    // then it is due at once. So nothing is held longer than 3 waits plus a tick, however many
    // gaps queue up (waiting for each gap in turn would hold packet 59 for 20 waits, 2 s).
    for (const o of out) expect(o.t - arrival.get(o.seq)!).toBeLessThanOrEqual(310_000);
    expect(buf.stats().skippedLost).toBe(19); // 3, 6, ..., 57 (60 has nothing behind it)
  });
});
