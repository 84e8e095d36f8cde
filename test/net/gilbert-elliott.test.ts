import { describe, expect, it } from "vitest";
import { InvalidOptionError } from "../../src/errors.js";
import { GilbertElliott } from "../../src/net/gilbert-elliott.js";
import { SeededRandom } from "../../src/util/seeded-random.js";

describe("GilbertElliott", () => {
  it("derives r = 1/B and p = r·L/(1−L) from loss and mean burst", () => {
    const p = GilbertElliott.paramsFromBurst(10, 8);
    expect(p.pBadToGood).toBe(0.125);
    expect(p.pGoodToBad).toBeCloseTo((0.125 * 0.1) / 0.9, 15);
    expect(p.lossInGood).toBe(0);
    expect(p.lossInBad).toBe(1);
    const stationary = p.pGoodToBad / (p.pGoodToBad + p.pBadToGood);
    expect(stationary).toBeCloseTo(0.1, 12);
  });

  it("allows loss up to B/(B+1) and rejects more", () => {
    expect(GilbertElliott.paramsFromBurst(50, 1).pGoodToBad).toBeCloseTo(1, 12);
    expect(() => GilbertElliott.paramsFromBurst(70, 2)).toThrow(/up to 66\.667/);
    expect(() => GilbertElliott.paramsFromBurst(70, 2)).toThrow(InvalidOptionError);
  });

  it("follows explicit parameters with losses in both states", () => {
    // Always Good (p = 0), with 30% loss in Good: plain Bernoulli loss.
    const ge = new GilbertElliott({ pGoodToBad: 0, pBadToGood: 1, lossInGood: 0.3 }, new SeededRandom(2));
    let lost = 0;
    const n = 50_000;
    for (let i = 0; i < n; i++) if (ge.nextLost()) lost++;
    expect(Math.abs(lost / n - 0.3)).toBeLessThan(5 * Math.sqrt((0.3 * 0.7) / n));
    expect(ge.inBadState).toBe(false);
  });

  it("validates parameters", () => {
    const rng = new SeededRandom(1);
    expect(() => new GilbertElliott({ pGoodToBad: 1.5, pBadToGood: 0.5 }, rng)).toThrow(/Cannot use pGoodToBad=1.5/);
    expect(() => new GilbertElliott({ pGoodToBad: 0.1, pBadToGood: 0 }, rng)).toThrow(/Cannot use pBadToGood=0/);
    expect(() => new GilbertElliott({ pGoodToBad: 0.1, pBadToGood: 0.5, lossInBad: 2 }, rng)).toThrow(/Cannot use lossInBad=2/);
  });
});
