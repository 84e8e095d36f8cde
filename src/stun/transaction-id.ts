/**
 * 96-bit STUN transaction IDs (RFC 8489 5: chosen uniformly at random). The cores take a
 * `RandomFill`, so tests pass a SeededRandom and socket wrappers pass crypto randomness.
 */
import { SeededRandom } from "../util/seeded-random.js";

/** Fills `out` with random bytes. */
export type RandomFill = (out: Uint8Array) => void;

/** A RandomFill over a SeededRandom (for tests and simulations). */
export function seededRandomFill(seed: number): RandomFill {
  const rng = new SeededRandom(seed);
  return (out) => {
    rng.fill(out);
  };
}

/** A fresh 12-byte transaction ID from `fill`. */
export function newTransactionId(fill: RandomFill): Uint8Array {
  const id = new Uint8Array(12);
  fill(id);
  return id;
}
