import { describe, expect, it } from "vitest";
import { InvalidOptionError } from "../../src/errors.js";
import { TokenBucket } from "../../src/signaling/token-bucket.js";

describe("TokenBucket", () => {
  it("allows the burst at once, then the rate", () => {
    const b = new TokenBucket({ ratePerS: 10, burst: 5 });
    const first = Array.from({ length: 8 }, () => b.take(0));
    expect(first).toEqual([true, true, true, true, true, false, false, false]);
    expect(b.take(99)).toBe(false); // 0.99 tokens
    expect(b.take(100)).toBe(true); // one token per 100 ms
    expect(b.take(100)).toBe(false);
    // A long quiet period refills only up to the burst.
    expect(Array.from({ length: 7 }, () => b.take(60_000)).filter(Boolean)).toHaveLength(5);
  });
  it("ignores time going backwards", () => {
    const b = new TokenBucket({ ratePerS: 1, burst: 1 });
    expect(b.take(5000)).toBe(true);
    expect(b.take(1000)).toBe(false);
    expect(b.take(5999)).toBe(false);
    expect(b.take(6000)).toBe(true);
  });
  it("validates its options", () => {
    expect(() => new TokenBucket({ ratePerS: 0, burst: 1 })).toThrow(InvalidOptionError);
    expect(() => new TokenBucket({ ratePerS: 1, burst: 0.5 })).toThrow(/burst=0.5: allowed is a number from 1/);
  });
});
