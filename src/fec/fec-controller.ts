/**
 * Picks the FEC protection level from measured loss and RTT.
 *
 * The model: under independent loss p, one ULPFEC packet per n media packets (a group of n + 1
 * packets, single-parity XOR, RFC 5109) leaves p·(1 − (1 − p)^n) of the media lost (the
 * DESIGN.md anchor: ≈0.9% at 5%, ≈3.4% at 10% for n = 4). NACK then gets one retransmission
 * per RTT (libwebrtc: one resend per RTT) within the receiver's recovery budget, each lost
 * again with probability p, so after r rounds the residual is multiplied by p^r.
 * `fecProtectionFor` takes the least FEC from a ladder (none, 1/10 … 1/2) whose expected
 * residual meets the target; so a clean path gets none, and a short RTT (several NACK rounds
 * fit the budget, libwebrtc switches FEC off below kLowRttNackMs = 20 ms in its hybrid
 * NACK/FEC mode, media_opt_util) gets less FEC than a long one, where NACK is too slow.
 * Defaults: target residual 0.5% (issue 4's bar at 10% random loss), recovery budget 150 ms
 * (ITU-T G.114's mouth-to-ear budget; what the jitter buffer may wait at most), at most 3
 * NACK rounds (libwebrtc's NACK retry limits are of this order).
 */
import { checkInt, checkRange } from "../errors.js";
import { ULPFEC_MAX_GROUP, type FecMaskType } from "./fec-mask-table.js";
import type { ResolvedFecProtection } from "./fec-protection.js";

/** FEC-per-media ratios the policy chooses from. */
export const FEC_RATIO_LADDER: readonly number[] = [0, 1 / 10, 1 / 8, 1 / 6, 1 / 5, 1 / 4, 1 / 3, 1 / 2];

export interface FecPolicyInput {
  /** Measured media packet loss before recovery, 0-1. */
  lossFraction: number;
  /** Round-trip time in ms. */
  rttMs: number;
  /** Mean length of loss bursts in packets, when known (1 = independent). */
  meanBurstLength?: number;
}

export interface FecPolicyOptions {
  /** Residual loss to aim for after FEC and NACK. Default 0.005. */
  targetResidualLoss?: number;
  /** How long the receiver can wait for a retransmission, ms. Default 150. */
  recoveryBudgetMs?: number;
  /** Most NACK rounds counted on. Default 3. */
  maxNackRounds?: number;
  /** Below this loss the path is clean: no FEC. Default 0.005. */
  minLossFraction?: number;
}

export interface FecDecision extends ResolvedFecProtection {
  /** NACK rounds that fit the budget at this RTT. */
  nackRounds: number;
  /** Residual loss the model expects with this protection. */
  expectedResidualLoss: number;
}

/** Residual media loss with one FEC per `mediaPerFec` media packets under loss p (RFC 5109 XOR). */
export function residualLossWithFec(p: number, mediaPerFec: number): number {
  return mediaPerFec <= 0 ? p : p * (1 - Math.pow(1 - p, mediaPerFec));
}

/** The protection for this loss and RTT (see the file comment for the model). Pure. */
export function fecProtectionFor(input: FecPolicyInput, options: FecPolicyOptions = {}): FecDecision {
  const p = checkRange("lossFraction", input.lossFraction, 0, 1);
  const rtt = checkRange("rttMs", input.rttMs, 0, 60_000);
  const burst = checkRange("meanBurstLength", input.meanBurstLength ?? 1, 1, 1000);
  const target = checkRange("targetResidualLoss", options.targetResidualLoss ?? 0.005, 0, 1);
  const budget = checkRange("recoveryBudgetMs", options.recoveryBudgetMs ?? 150, 0, 10_000);
  const maxRounds = checkInt("maxNackRounds", options.maxNackRounds ?? 3, 0, 20);
  const minLoss = checkRange("minLossFraction", options.minLossFraction ?? 0.005, 0, 1);
  const nackRounds = rtt <= 0 ? maxRounds : Math.min(maxRounds, Math.floor(budget / rtt));
  const maskType: FecMaskType = burst >= 2 ? "bursty" : "random";
  const afterNack = Math.pow(p, nackRounds);
  let choice = 0;
  let residual = p * afterNack;
  if (p >= minLoss) {
    for (const f of FEC_RATIO_LADDER) {
      choice = f;
      residual = (f === 0 ? p : residualLossWithFec(p, 1 / f)) * afterNack;
      if (residual <= target) break;
    }
  } else {
    residual = p * afterNack;
  }
  return { fecPerMedia: choice, maxGroup: ULPFEC_MAX_GROUP, maskType, nackRounds, expectedResidualLoss: residual };
}

export interface FecControllerOptions extends FecPolicyOptions {
  /** Weight of a new loss sample in the moving average (0-1]. Default 0.3. */
  lossSmoothing?: number;
}

/**
 * `fecProtectionFor` over a smoothed loss: feed it each loss report (RTCP RR fraction lost,
 * RFC 3550 6.4.1) with the current RTT; it returns the protection to give
 * FecEncoder.setProtection.
 */
export class FecController {
  private readonly options: FecPolicyOptions;
  private readonly alpha: number;
  private loss = NaN;
  private decision: FecDecision;

  constructor(options: FecControllerOptions = {}) {
    this.alpha = checkRange("lossSmoothing", options.lossSmoothing ?? 0.3, 0.001, 1);
    this.options = options;
    this.decision = fecProtectionFor({ lossFraction: 0, rttMs: 0 }, options);
  }

  /** A loss report: returns the protection level now. */
  update(lossFraction: number, rttMs: number, meanBurstLength?: number): FecDecision {
    checkRange("lossFraction", lossFraction, 0, 1);
    this.loss = Number.isNaN(this.loss) ? lossFraction : this.loss + this.alpha * (lossFraction - this.loss);
    const input: FecPolicyInput = { lossFraction: this.loss, rttMs };
    if (meanBurstLength !== undefined) input.meanBurstLength = meanBurstLength;
    this.decision = fecProtectionFor(input, this.options);
    return this.decision;
  }

  /** The smoothed loss fraction (NaN before the first report). */
  get smoothedLoss(): number {
    return this.loss;
  }

  get current(): FecDecision {
    return this.decision;
  }
}
