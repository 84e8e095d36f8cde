/**
 * Candidate pair priority (RFC 8445 6.1.2.3), with G the controlling agent's candidate
 * priority and D the controlled agent's:
 *
 *   pair priority = 2^32 · MIN(G, D) + 2 · MAX(G, D) + (G > D ? 1 : 0)
 *
 * The value needs up to 63 bits, so it is a bigint.
 */

/** Pair priority from the controlling (G) and controlled (D) candidate priorities. */
export function candidatePairPriority(controllingPriority: number, controlledPriority: number): bigint {
  const g = BigInt(controllingPriority);
  const d = BigInt(controlledPriority);
  const min = g < d ? g : d;
  const max = g < d ? d : g;
  return (min << 32n) + 2n * max + (g > d ? 1n : 0n);
}
