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

describe("ReorderBuffer.skipUnneededGaps", () => {
  type Pkt = { sequenceNumber: number };

  it("gives the deadline the consecutive held run after the gap, oldest first, and when the gap was seen, across the 16-bit wrap (RFC 3550 5.1)", () => {
    const buf = new ReorderBuffer<Pkt>({ minWaitMs: 0, maxWaitMs: 100 });
    const out = collect(buf);
    const calls: { run: number[]; seenUs: number }[] = [];
    buf.skipUnneededGaps((run, seenUs) => {
      calls.push({ run: run.map((p) => p.sequenceNumber), seenUs });
      return undefined;
    });
    buf.push({ sequenceNumber: 65533 }, 0);
    expect(calls).toEqual([]); // no gap, nothing asked
    buf.push({ sequenceNumber: 65535 }, 1000); // 65534 missing: the gap is seen now
    buf.push({ sequenceNumber: 1 }, 2000);
    buf.push({ sequenceNumber: 0 }, 3000); // arrives after 1, listed before it
    buf.push({ sequenceNumber: 3 }, 4000); // after a second gap (2): not part of the run
    expect(out).toEqual([65533]);
    expect(calls[0]).toEqual({ run: [65535], seenUs: 1000 });
    expect(calls.at(-1)).toEqual({ run: [65535, 0, 1], seenUs: 1000 });
  });

  it("a deadline of undefined waits as before: the gap is given up after the normal wait and counted as skippedLost", () => {
    const buf = new ReorderBuffer<Pkt>({ minWaitMs: 0 });
    const wait = 50_000;
    buf.setWaitBounds(wait, wait);
    const out = collect(buf);
    const skipped: number[] = [];
    buf.onUnneededGapSkipped = (s) => skipped.push(s);
    let asked = 0;
    buf.skipUnneededGaps(() => {
      asked++;
      return undefined;
    });
    buf.push({ sequenceNumber: 10 }, 0);
    const seen = 1000;
    buf.push({ sequenceNumber: 12 }, seen);
    expect(asked).toBeGreaterThan(0);
    expect(buf.nextDueUs()).toBe(seen + wait);
    buf.tick(seen + wait - 1);
    expect(out).toEqual([10]);
    buf.tick(seen + wait);
    expect(out).toEqual([10, 12]);
    expect(buf.stats()).toMatchObject({ skippedLost: 1, skippedUnneeded: 0 });
    expect(skipped).toEqual([]);
  });

  it("a deadline T gives the gap up at T, not before, as skippedUnneeded, and reports the sequence number released after it (RFC 3550 5.1 wrap)", () => {
    const buf = new ReorderBuffer<Pkt>({ minWaitMs: 0 });
    buf.setWaitBounds(100_000, 100_000);
    const out = collect(buf);
    const skipped: number[] = [];
    buf.onUnneededGapSkipped = (s) => skipped.push(s);
    const free = 30_000;
    buf.skipUnneededGaps((_run, seenUs) => seenUs + free);
    buf.push({ sequenceNumber: 65533 }, 0);
    const seen = 1000;
    buf.push({ sequenceNumber: 0 }, seen); // 65534 and 65535 missing
    buf.push({ sequenceNumber: 1 }, seen + 1000);
    expect(buf.nextDueUs()).toBe(seen + free);
    buf.tick(seen + free - 1);
    expect(out).toEqual([65533]);
    expect(skipped).toEqual([]);
    buf.tick(seen + free);
    expect(out).toEqual([65533, 0, 1]);
    expect(buf.stats()).toMatchObject({ skippedUnneeded: 2, skippedLost: 0 });
    expect(skipped).toEqual([0]);
    expect(buf.nextDueUs()).toBeUndefined();
  });

  it("a missing packet that comes before the deadline is released in order and nothing is skipped", () => {
    const buf = new ReorderBuffer<Pkt>({ minWaitMs: 0 });
    buf.setWaitBounds(100_000, 100_000);
    const out = collect(buf);
    buf.skipUnneededGaps((_run, seenUs) => seenUs + 30_000);
    buf.push({ sequenceNumber: 10 }, 0);
    buf.push({ sequenceNumber: 12 }, 1000);
    buf.tick(20_000);
    buf.push({ sequenceNumber: 11 }, 20_000);
    buf.tick(40_000);
    expect(out).toEqual([10, 11, 12]);
    expect(buf.stats()).toMatchObject({ skippedUnneeded: 0, skippedLost: 0 });
    expect(buf.nextDueUs()).toBeUndefined();
  });

  it("a deadline later than the normal wait does not lengthen it: the gap is given up as lost then", () => {
    const buf = new ReorderBuffer<Pkt>({ minWaitMs: 0 });
    const wait = 20_000;
    buf.setWaitBounds(wait, wait);
    const out = collect(buf);
    buf.skipUnneededGaps((_run, seenUs) => seenUs + 5 * wait);
    buf.push({ sequenceNumber: 10 }, 0);
    buf.push({ sequenceNumber: 12 }, 1000);
    expect(buf.nextDueUs()).toBe(1000 + wait);
    buf.tick(1000 + wait);
    expect(out).toEqual([10, 12]);
    expect(buf.stats()).toMatchObject({ skippedLost: 1, skippedUnneeded: 0 });
  });

  it.each([
    ["-Infinity", (): number => -Infinity],
    ["a time before the gap was seen", (_run: readonly Pkt[], seenUs: number): number => seenUs - 1],
  ])("a deadline already passed (%s) gives the gap up at once", (_name, deadline) => {
    const buf = new ReorderBuffer<Pkt>({ minWaitMs: 0 });
    buf.setWaitBounds(100_000, 100_000);
    const out = collect(buf);
    const skipped: number[] = [];
    buf.onUnneededGapSkipped = (s) => skipped.push(s);
    buf.skipUnneededGaps(deadline);
    buf.push({ sequenceNumber: 10 }, 0);
    buf.push({ sequenceNumber: 13 }, 5000);
    expect(out).toEqual([10, 13]);
    expect(buf.stats()).toMatchObject({ skippedUnneeded: 2, skippedLost: 0, held: 0 });
    expect(skipped).toEqual([13]);
  });

  /** A buffer that has seen packet 2 arrive 20 ms after packet 3: it has learned reordering lateness. */
  function reorderingPath(): { buf: ReorderBuffer<Pkt>; out: number[] } {
    const buf = new ReorderBuffer<Pkt>({ minWaitMs: 5, maxWaitMs: 500 });
    const out = collect(buf);
    buf.push({ sequenceNumber: 1 }, 0);
    buf.push({ sequenceNumber: 3 }, 0);
    buf.push({ sequenceNumber: 2 }, 20_000);
    expect(out).toEqual([1, 2, 3]);
    expect(buf.reorderLatenessUs).toBeGreaterThan(0);
    // A long normal wait (as for a retransmission): the reordering floor is what is tested.
    buf.setWaitBounds(200_000, 500_000);
    return { buf, out };
  }

  it("a packet only reordered on the path is still waited for ~1.5x the learned lateness when the deadline is earlier", () => {
    const { buf, out } = reorderingPath();
    const floor = 1.5 * buf.reorderLatenessUs;
    buf.skipUnneededGaps((_run, seenUs) => seenUs + 1000);
    const seen = 100_000;
    buf.push({ sequenceNumber: 4 }, seen);
    buf.push({ sequenceNumber: 6 }, seen); // 5 missing
    expect(buf.nextDueUs()).toBeCloseTo(seen + floor, 6);
    buf.tick(seen + 1000); // the deadline has passed, the reordering floor has not
    buf.tick(seen + floor - 1);
    expect(out).toEqual([1, 2, 3, 4]);
    buf.tick(seen + floor);
    expect(out).toEqual([1, 2, 3, 4, 6]);
    expect(buf.stats()).toMatchObject({ skippedUnneeded: 1, skippedLost: 0 });
  });

  it("a reordered packet that comes after the deadline but within the reordering floor is released in order", () => {
    const { buf, out } = reorderingPath();
    const floor = 1.5 * buf.reorderLatenessUs;
    buf.skipUnneededGaps((_run, seenUs) => seenUs + 1000);
    const seen = 100_000;
    buf.push({ sequenceNumber: 4 }, seen);
    buf.push({ sequenceNumber: 6 }, seen);
    buf.tick(seen + floor / 2);
    buf.push({ sequenceNumber: 5 }, seen + floor / 2);
    expect(out).toEqual([1, 2, 3, 4, 5, 6]);
    expect(buf.stats()).toMatchObject({ skippedUnneeded: 0, skippedLost: 0 });
  });
});
