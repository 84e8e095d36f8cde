import { checkRange, InvalidOptionError } from "../errors.js";
import type { SeededRandom } from "../util/seeded-random.js";

/**
 * Parameters of the two-state Gilbert-Elliott burst-loss model, as transition and loss
 * probabilities per packet. Each packet first moves the chain, then is lost with the loss
 * probability of the state it is in.
 */
export interface GilbertElliottParams {
  /** P(Good → Bad) per packet ("p"), in [0, 1]. */
  pGoodToBad: number;
  /** P(Bad → Good) per packet ("r"), in (0, 1]. */
  pBadToGood: number;
  /** Loss probability while Good ("1 − k"), in [0, 1]. Default 0. */
  lossInGood?: number;
  /** Loss probability while Bad ("1 − h"), in [0, 1]. Default 1 (the simple Gilbert model). */
  lossInBad?: number;
}

/**
 * A Gilbert-Elliott loss process: a Markov chain with a Good and a Bad state.
 *
 * With the default loss probabilities (0 in Good, 1 in Bad) every stay in Bad is one burst of
 * consecutive losses, so from an average loss rate `L` (fraction) and a mean burst length `B`
 * (packets) the transition probabilities are (see {@link GilbertElliott.fromBurst}):
 *
 * - `r = 1 / B` (a stay in Bad is geometric with mean 1/r),
 * - `p = r · L / (1 − L)` (the stationary share of Bad is p / (p + r) = L).
 *
 * `p` must not exceed 1, so `L ≤ B / (B + 1)`.
 */
export class GilbertElliott {
  readonly pGoodToBad: number;
  readonly pBadToGood: number;
  readonly lossInGood: number;
  readonly lossInBad: number;
  private bad = false;

  constructor(params: GilbertElliottParams, private readonly rng: SeededRandom) {
    this.pGoodToBad = checkRange("pGoodToBad", params.pGoodToBad, 0, 1);
    this.pBadToGood = checkRange("pBadToGood", params.pBadToGood, Number.MIN_VALUE, 1);
    this.lossInGood = checkRange("lossInGood", params.lossInGood ?? 0, 0, 1);
    this.lossInBad = checkRange("lossInBad", params.lossInBad ?? 1, 0, 1);
    // Start in the stationary distribution so short runs are not biased toward Good.
    const pi = this.pGoodToBad / (this.pGoodToBad + this.pBadToGood);
    this.bad = rng.next() < pi;
  }

  /**
   * Transition probabilities for an average loss of `lossPct` percent and a mean burst of
   * `meanBurstLength` packets, with loss 0 in Good and 1 in Bad.
   */
  static paramsFromBurst(lossPct: number, meanBurstLength: number): GilbertElliottParams {
    checkRange("burstLossPct", lossPct, 0, 99.999);
    checkRange("burstMeanLength", meanBurstLength, 1, 1e6);
    const l = lossPct / 100;
    const r = 1 / meanBurstLength;
    const p = (r * l) / (1 - l);
    if (p > 1) {
      const maxPct = (100 * meanBurstLength) / (meanBurstLength + 1);
      throw new InvalidOptionError(
        `Cannot use burstLossPct=${lossPct} with burstMeanLength=${meanBurstLength}: ` +
          `the Good→Bad probability would exceed 1; allowed is burstLossPct up to ${maxPct.toFixed(3)} for this burst length`,
      );
    }
    return { pGoodToBad: p, pBadToGood: r, lossInGood: 0, lossInBad: 1 };
  }

  /** A model from an average loss percentage and a mean burst length in packets. */
  static fromBurst(lossPct: number, meanBurstLength: number, rng: SeededRandom): GilbertElliott {
    return new GilbertElliott(GilbertElliott.paramsFromBurst(lossPct, meanBurstLength), rng);
  }

  /** Whether the chain is in the Bad state now. */
  get inBadState(): boolean {
    return this.bad;
  }

  /** Advances the chain by one packet and returns true when that packet is lost. */
  nextLost(): boolean {
    if (this.bad) {
      if (this.rng.next() < this.pBadToGood) this.bad = false;
    } else if (this.rng.next() < this.pGoodToBad) {
      this.bad = true;
    }
    const loss = this.bad ? this.lossInBad : this.lossInGood;
    if (loss <= 0) return false;
    if (loss >= 1) return true;
    return this.rng.next() < loss;
  }
}
