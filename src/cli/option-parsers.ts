import { InvalidOptionError } from "../errors.js";

/**
 * Parsers for command-line values. Each throws InvalidOptionError with a message that names
 * the option, the value given and what is allowed.
 */
function bad(option: string, value: string, allowed: string): never {
  throw new InvalidOptionError(`Cannot use ${option} ${JSON.stringify(value)}: allowed is ${allowed}`);
}

/** A number with an optional k/M/G suffix (bits per second): "800k", "1.5M", "250000". */
export function parseBitrate(option: string, value: string, minBps = 1000, maxBps = 100e6): number {
  const m = /^(\d+(?:\.\d+)?)\s*([kKmMgG]?)(?:bps|b)?$/.exec(value.trim());
  if (!m) bad(option, value, `a bitrate like 800k, 1.5M or 250000 (bits per second), ${minBps}..${maxBps}`);
  const mult = { "": 1, k: 1e3, K: 1e3, m: 1e6, M: 1e6, g: 1e9, G: 1e9 }[m[2]!]!;
  const bps = Math.round(Number(m[1]) * mult);
  if (bps < minBps || bps > maxBps) bad(option, value, `a bitrate from ${minBps} to ${maxBps} bits per second`);
  return bps;
}

/** A plain number within [min, max]. */
export function parseNumber(option: string, value: string, min: number, max: number, integer = false): number {
  const n = Number(value);
  if (value.trim() === "" || !Number.isFinite(n) || n < min || n > max || (integer && !Number.isInteger(n))) {
    bad(option, value, `${integer ? "an integer" : "a number"} from ${min} to ${max}`);
  }
  return n;
}

/** "640x480" → [640, 480]; even sizes from 16 to 4096. */
export function parseSize(option: string, value: string): [number, number] {
  const m = /^(\d+)x(\d+)$/.exec(value.trim());
  const w = m ? Number(m[1]) : NaN;
  const h = m ? Number(m[2]) : NaN;
  if (!m || w < 16 || h < 16 || w > 4096 || h > 4096 || w % 2 || h % 2) {
    bad(option, value, "WIDTHxHEIGHT with even numbers from 16 to 4096, e.g. 640x480");
  }
  return [w, h];
}

/** One of a fixed set of words. */
export function parseChoice<T extends string>(option: string, value: string, allowed: readonly T[]): T {
  if (!(allowed as readonly string[]).includes(value)) bad(option, value, `one of ${allowed.join(", ")}`);
  return value as T;
}

/** "HOST:PORT" with a port from 1 to 65535. */
export function parseHostPort(option: string, value: string): { host: string; port: number } {
  const m = /^(.+):(\d+)$/.exec(value.trim());
  const port = m ? Number(m[2]) : NaN;
  if (!m || port < 1 || port > 65535) bad(option, value, "HOST:PORT, e.g. 127.0.0.1:5004");
  return { host: m[1]!.replace(/^\[(.*)\]$/, "$1"), port };
}
