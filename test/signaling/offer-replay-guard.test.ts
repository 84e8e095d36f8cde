import { describe, expect, it } from "vitest";
import { OfferReplayGuard } from "../../src/signaling/offer-replay-guard.js";

describe("OfferReplayGuard", () => {
  it("refuses a call id seen within the window, accepts it after", () => {
    const g = new OfferReplayGuard({ windowMs: 1000 });
    expect(g.accept("call-0001", 0)).toBe(true);
    expect(g.accept("call-0001", 999)).toBe(false);
    expect(g.accept("call-0002", 999)).toBe(true);
    expect(g.accept("call-0001", 1000)).toBe(true);
    expect(g.size).toBe(2);
  });
  it("stays bounded: the oldest ids are forgotten first", () => {
    const g = new OfferReplayGuard({ windowMs: 1_000_000, maxEntries: 3 });
    for (const id of ["a0000000", "b0000000", "c0000000", "d0000000"]) expect(g.accept(id, 1)).toBe(true);
    expect(g.size).toBe(3);
    expect(g.accept("d0000000", 2)).toBe(false);
    expect(g.accept("a0000000", 2)).toBe(true); // evicted, so no longer known
  });
});
