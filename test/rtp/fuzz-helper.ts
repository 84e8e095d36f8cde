/**
 * Seeded mutation fuzzing shared by the RTP and RTCP parser tests: random byte strings and
 * mutations of valid packets. Malformed input must throw MalformedPacketError (no other
 * error, no hang); anything that parses must round-trip through serialize.
 */
import { MalformedPacketError } from "../../src/errors.js";
import { SeededRandom } from "../../src/util/seeded-random.js";

export interface FuzzTarget<T> {
  parse(bytes: Uint8Array): T;
  serialize(value: T): Uint8Array;
  /** Makes a valid encoded packet. */
  valid(rng: SeededRandom): Uint8Array;
}

export interface FuzzResult {
  inputs: number;
  parsed: number;
  rejected: number;
}

function mutate(rng: SeededRandom, src: Uint8Array): Uint8Array {
  let b: Uint8Array = src.slice();
  const ops = rng.int(1, 4);
  for (let k = 0; k < ops; k++) {
    const op = rng.int(0, 5);
    if (op === 0 && b.length > 0) {
      const i = rng.int(0, b.length - 1);
      b[i] = b[i]! ^ (1 << rng.int(0, 7));
    } else if (op === 1 && b.length > 0) {
      b[rng.int(0, b.length - 1)] = rng.int(0, 255);
    } else if (op === 2) {
      b = b.subarray(0, rng.int(0, b.length));
    } else if (op === 3) {
      const extra = rng.fill(new Uint8Array(rng.int(1, 16)));
      const c = new Uint8Array(b.length + extra.length);
      c.set(b);
      c.set(extra, b.length);
      b = c;
    } else if (op === 4 && b.length > 0) {
      // Header bytes are the interesting ones.
      const i = rng.int(0, Math.min(b.length - 1, 15));
      b[i] = rng.int(0, 255);
    } else if (b.length > 1) {
      const i = rng.int(0, b.length - 1);
      b = b.subarray(0, i);
    }
  }
  return b;
}

function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Runs `count` inputs; throws (failing the test) on a non-MalformedPacketError or a round-trip mismatch. */
export function fuzz<T>(target: FuzzTarget<T>, count: number, seed: number): FuzzResult {
  const rng = new SeededRandom(seed);
  const result: FuzzResult = { inputs: 0, parsed: 0, rejected: 0 };
  for (let n = 0; n < count; n++) {
    const kind = n % 4;
    let input: Uint8Array;
    if (kind === 0) input = rng.fill(new Uint8Array(rng.int(0, 96)));
    else if (kind === 1) input = target.valid(rng);
    else input = mutate(rng, target.valid(rng));
    result.inputs++;
    let value: T;
    try {
      value = target.parse(input);
    } catch (e) {
      if (!(e instanceof MalformedPacketError)) {
        throw new Error(`fuzz input ${n} (${Array.from(input, (x) => x.toString(16).padStart(2, "0")).join("")}) threw ${String(e)}`, { cause: e });
      }
      if (kind === 1) throw new Error(`fuzz: valid input ${n} was rejected: ${e.message}`);
      result.rejected++;
      continue;
    }
    result.parsed++;
    const once = target.serialize(value);
    const twice = target.serialize(target.parse(once));
    if (!equalBytes(once, twice)) {
      throw new Error(`fuzz input ${n} does not round-trip: ${Array.from(input, (x) => x.toString(16).padStart(2, "0")).join("")}`);
    }
    if (kind === 1 && !equalBytes(once, input)) {
      throw new Error(`fuzz: valid input ${n} does not serialize back to the same bytes`);
    }
  }
  return result;
}
