import { describe, expect, it } from "vitest";
import { InvalidOptionError } from "../../src/errors.js";
import { InterArrivalDelta } from "../../src/congestion/inter-arrival-delta.js";

const MS = 1000;

describe("InterArrivalDelta (draft-ietf-rmcat-gcc-02 5.2 pre-filtering)", () => {
  it("groups packets sent within 5 ms and gives deltas between the last packets of consecutive groups", () => {
    const ia = new InterArrivalDelta();
    // The result object is reused by the next call: keep copies.
    const at = (sendUs: number, arrivalUs: number, size: number) => {
      const d = ia.computeDeltas(sendUs, arrivalUs, 0, size);
      return d && { ...d };
    };
    // Group A: sent 0, 2, 4 ms; group B: sent 10, 12 ms; group C starts at 20 ms.
    const out = [
      at(0, 100 * MS, 100),
      at(2 * MS, 103 * MS, 100),
      at(4 * MS, 106 * MS, 100),
      at(10 * MS, 112 * MS, 200),
      at(12 * MS, 115 * MS, 200),
      at(20 * MS, 125 * MS, 100),
      at(30 * MS, 140 * MS, 100),
    ];
    expect(out.slice(0, 5)).toEqual([undefined, undefined, undefined, undefined, undefined]);
    // Starting C completes B, compared with A: send 12 - 4, arrival 115 - 106, size 400 - 300.
    expect(out[5]).toEqual({ sendDeltaMs: 8, arrivalDeltaMs: 9, sizeDeltaBytes: 100 });
    // Starting D completes C, compared with B.
    expect(out[6]).toEqual({ sendDeltaMs: 8, arrivalDeltaMs: 10, sizeDeltaBytes: 100 - 400 });
    expect(ia.stats().deltas).toBe(2);
  });

  it("packets arriving in a burst (< 5 ms apart, negative propagation delta) join the group although sent later (draft 5.2)", () => {
    const ia = new InterArrivalDelta();
    ia.computeDeltas(0, 100 * MS, 0, 100);
    // Sent 8 ms later but arrives 1 ms after: a burst released by a queue; same group.
    ia.computeDeltas(8 * MS, 101 * MS, 0, 100);
    ia.computeDeltas(20 * MS, 121 * MS, 0, 100); // group 2
    const d = ia.computeDeltas(40 * MS, 141 * MS, 0, 100); // group 3 starts: group 2 vs group 1
    expect(d).toEqual({ sendDeltaMs: 12, arrivalDeltaMs: 20, sizeDeltaBytes: 100 - 200 });
  });

  it("a packet sent before the current group started is ignored and counted", () => {
    const ia = new InterArrivalDelta();
    ia.computeDeltas(10 * MS, 100 * MS, 0, 100);
    expect(ia.computeDeltas(5 * MS, 101 * MS, 0, 100)).toBeUndefined();
    expect(ia.stats().outOfOrderPackets).toBe(1);
  });

  it("an arrival clock jumping > 3 s ahead of the local clock resets (libwebrtc kArrivalTimeOffsetThreshold)", () => {
    const ia = new InterArrivalDelta();
    let d;
    for (let i = 0; i < 5; i++) d = ia.computeDeltas(i * 20 * MS, i * 20 * MS, i * 20 * MS, 100);
    expect(d).toBeDefined();
    // Receiver clock leaps 10 s, our clock does not.
    ia.computeDeltas(100 * MS, 10_100 * MS, 100 * MS, 100);
    const jumped = ia.computeDeltas(120 * MS, 10_120 * MS, 120 * MS, 100);
    expect(jumped).toBeUndefined();
    expect(ia.stats().resets).toBe(1);
  });

  it("three reordered groups in a row reset (libwebrtc kReorderedResetThreshold)", () => {
    const ia = new InterArrivalDelta();
    // Groups 120 ms apart (past the 100 ms burst limit); each group's second packet arrives
    // very late, and later groups' late packets less late: each group "completes" before the last.
    for (let k = 0; k < 6; k++) {
      ia.computeDeltas(120 * k * MS, (1000 + 120 * k) * MS, 120 * k * MS, 100);
      ia.computeDeltas((120 * k + 2) * MS, (5000 - 10 * k) * MS, 120 * k * MS, 100);
    }
    expect(ia.stats().reorderedGroups).toBeGreaterThanOrEqual(3);
    expect(ia.stats().resets).toBe(1);
  });

  it("validates its option", () => {
    expect(() => new InterArrivalDelta({ groupLengthUs: 0 })).toThrow(InvalidOptionError);
  });
});
