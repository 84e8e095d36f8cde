/**
 * How much FEC the encoder adds: a parity ratio, a group bound and a mask table. Shared by
 * FecEncoder (which applies it) and FecController (which picks it from loss and RTT).
 */
import { checkInt, checkOneOf, checkRange } from "../errors.js";
import { FEC_MASK_TYPES, ULPFEC_MAX_GROUP, type FecMaskType } from "./fec-mask-table.js";

export interface FecProtection {
  /** FEC packets per media packet, 0 (none) to 0.5 (one FEC per two media packets). */
  fecPerMedia: number;
  /** Most media packets one group (one set of masks) spans, 1-48. Default 48. */
  maxGroup?: number;
  /** Mask table: `random` for independent loss, `bursty` for bursts. Default `random`. */
  maskType?: FecMaskType;
}

/** A validated FecProtection with every default applied. */
export interface ResolvedFecProtection {
  fecPerMedia: number;
  maxGroup: number;
  maskType: FecMaskType;
}

/** No FEC. */
export const NO_FEC_PROTECTION: ResolvedFecProtection = Object.freeze({ fecPerMedia: 0, maxGroup: ULPFEC_MAX_GROUP, maskType: "random" as const });

/** Validates (InvalidOptionError, "Cannot use protection.X=...") and applies defaults. */
export function resolveFecProtection(p: FecProtection): ResolvedFecProtection {
  return {
    fecPerMedia: checkRange("protection.fecPerMedia", p.fecPerMedia, 0, 0.5),
    maxGroup: checkInt("protection.maxGroup", p.maxGroup ?? ULPFEC_MAX_GROUP, 1, ULPFEC_MAX_GROUP),
    maskType: checkOneOf("protection.maskType", p.maskType ?? "random", FEC_MASK_TYPES),
  };
}
