/**
 * Packet index estimation, RFC 3711 Section 3.3.1 and Appendix A: given the highest sequence
 * number s_l seen so far with rollover counter ROC, the received SEQ belongs to rollover v, one of
 * ROC - 1, ROC or ROC + 1, whichever puts SEQ closest to s_l. The packet index is
 * i = 2^16 * v + SEQ.
 *
 * Returns v, which can be -1 (a packet from before the first one seen, when ROC is 0) or
 * 2^32 (when ROC is 2^32 - 1); callers treat those as not acceptable.
 */
export function guessRolloverCounter(highestSeq: number, roc: number, seq: number): number {
  if (highestSeq < 32768) {
    return seq - highestSeq > 32768 ? roc - 1 : roc;
  }
  return highestSeq - 32768 > seq ? roc + 1 : roc;
}
