/**
 * Which media packets of a group each FEC packet protects: our own mask tables, generated
 * rather than stored, in the spirit of libwebrtc's random and bursty ULPFEC tables
 * (modules/rtp_rtcp/source/fec_private_tables_*.h), which pick masks per (media, FEC) count
 * for independent or bursty loss.
 *
 * - `random` (independent loss): the group is split into `m` runs of consecutive packets, FEC j
 *   protecting run j. Under independent loss p a run of n media packets plus its FEC leaves
 *   p·(1 − (1 − p)^n) of the media lost (RFC 5109 single-parity XOR).
 * - `bursty`: interleaved, packet i is protected by FEC (i mod m), so any burst of up to m
 *   consecutive media losses hits m different FEC packets and is fully recovered.
 */
import { checkInt, checkOneOf } from "../errors.js";

export type FecMaskType = "random" | "bursty";
export const FEC_MASK_TYPES: readonly FecMaskType[] = ["random", "bursty"];

/** Largest group ULPFEC's 48-bit mask covers (RFC 5109 7.4; libwebrtc's kUlpfecMaxMediaPackets). */
export const ULPFEC_MAX_GROUP = 48;

/**
 * For a group of `mediaCount` packets protected by `fecCount` FEC packets, the ascending
 * group offsets each FEC packet protects (every media packet is protected exactly once).
 */
export function fecMaskTable(mediaCount: number, fecCount: number, type: FecMaskType): number[][] {
  checkInt("mediaCount", mediaCount, 1, ULPFEC_MAX_GROUP);
  checkInt("fecCount", fecCount, 1, mediaCount);
  checkOneOf("maskType", type, FEC_MASK_TYPES);
  const masks: number[][] = Array.from({ length: fecCount }, () => []);
  for (let i = 0; i < mediaCount; i++) {
    const j = type === "bursty" ? i % fecCount : Math.floor((i * fecCount) / mediaCount);
    masks[j]!.push(i);
  }
  return masks;
}
