/**
 * Decides whether video is sent in two temporal layers (every other frame one that nothing
 * references, RFC 7741 4.2) or one. Two layers cost compression (a base frame predicts from two
 * frames back: at 160x120 on the test pattern 25% fewer frames fit the same rate) and pay off
 * only when a lost frame would otherwise stall the picture: on a lossy path whose round trip is
 * too long for a retransmission to fit the latency budget (one way RTT/2 + the retransmission's
 * RTT + 20 ms within 300 ms, G.114, leaves RTT <= ~190 ms with no jitter; 150 ms keeps room for
 * it). Then an upper-layer frame that is lost is skipped and only base-layer losses wait.
 * Pure: feed it loss figures (TWCC-derived or RTCP RR) with the RTT and the time; the loss is
 * smoothed over about 2 s of reports.
 */
import { checkRange } from "../errors.js";

export interface TemporalLayerPolicyOptions {
  /** Smoothed loss from which layers go on (default 0.01) and below which they go off (default 0.003). */
  onLossFraction?: number;
  offLossFraction?: number;
  /** RTT from which layers go on (default 150 ms) and below which they go off (default 120 ms). */
  onRttMs?: number;
  offRttMs?: number;
}

/** Time constant of the loss average (µs): a start-up overflow or a loss burst fades in ~2 s. */
const LOSS_TIME_CONSTANT_US = 2_000_000;

export class TemporalLayerPolicy {
  private readonly onLoss: number;
  private readonly offLoss: number;
  private readonly onRttMs: number;
  private readonly offRttMs: number;
  private loss = NaN;
  private lastUs = NaN;
  private layers: 1 | 2 = 1;

  constructor(options: TemporalLayerPolicyOptions = {}) {
    this.onLoss = checkRange("onLossFraction", options.onLossFraction ?? 0.01, 0, 1);
    this.offLoss = checkRange("offLossFraction", options.offLossFraction ?? 0.003, 0, this.onLoss);
    this.onRttMs = checkRange("onRttMs", options.onRttMs ?? 150, 0, 60_000);
    this.offRttMs = checkRange("offRttMs", options.offRttMs ?? 120, 0, this.onRttMs);
  }

  /**
   * A loss figure (fraction lost over recent packets, e.g. RFC 3550 6.4.1's) and the RTT at
   * `nowUs`: returns the layers to send.
   */
  update(lossFraction: number, rttMs: number, nowUs: number): 1 | 2 {
    checkRange("lossFraction", lossFraction, 0, 1);
    checkRange("nowUs", nowUs, -1e15, 1e15);
    if (Number.isNaN(rttMs)) return this.layers;
    checkRange("rttMs", rttMs, 0, 60_000);
    if (Number.isNaN(this.loss)) {
      this.loss = lossFraction;
    } else {
      const weight = 1 - Math.exp(-Math.max(0, nowUs - this.lastUs) / LOSS_TIME_CONSTANT_US);
      this.loss += weight * (lossFraction - this.loss);
    }
    this.lastUs = nowUs;
    if (this.layers === 1 && this.loss >= this.onLoss && rttMs >= this.onRttMs) this.layers = 2;
    else if (this.layers === 2 && (this.loss < this.offLoss || rttMs < this.offRttMs)) this.layers = 1;
    return this.layers;
  }

  /** The smoothed loss fraction (NaN before the first figure). */
  get smoothedLoss(): number {
    return this.loss;
  }

  get current(): 1 | 2 {
    return this.layers;
  }
}
