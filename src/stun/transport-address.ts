/**
 * A transport address (IP address and port) and the conversions between its text form and
 * the 4- or 16-byte form STUN address attributes carry (RFC 8489 14.1).
 */
import { MalformedPacketError } from "../errors.js";

/** An IPv4 or IPv6 address with a UDP/TCP port. */
export interface TransportAddress {
  /** 4 for IPv4, 6 for IPv6. */
  family: 4 | 6;
  /** Text form: dotted quad, or RFC 5952 IPv6 text. */
  address: string;
  /** 0-65535. */
  port: number;
}

/** Makes a TransportAddress, taking the family from the address text. Throws MalformedPacketError on bad text. */
export function transportAddress(address: string, port: number): TransportAddress {
  const family = address.includes(":") ? 6 : 4;
  // Round-trip to normalise (and validate) the text.
  return { family, address: ipToText(ipToBytes(address)), port: port & 0xffff };
}

/** "a.b.c.d:port" or "[v6]:port". */
export function formatTransportAddress(a: TransportAddress): string {
  return a.family === 6 ? `[${a.address}]:${a.port}` : `${a.address}:${a.port}`;
}

/** True when both name the same address and port. */
export function sameTransportAddress(a: TransportAddress, b: TransportAddress): boolean {
  return a.port === b.port && a.family === b.family && a.address === b.address;
}

function parseIpv4(text: string, out: Uint8Array, at: number): boolean {
  const parts = text.split(".");
  if (parts.length !== 4) return false;
  for (let i = 0; i < 4; i++) {
    const p = parts[i]!;
    if (!/^\d{1,3}$/.test(p)) return false;
    const v = Number(p);
    if (v > 255) return false;
    out[at + i] = v;
  }
  return true;
}

/** The 4 or 16 bytes of an IPv4 or IPv6 address text. Throws MalformedPacketError on bad text. */
export function ipToBytes(text: string): Uint8Array {
  if (!text.includes(":")) {
    const out = new Uint8Array(4);
    if (!parseIpv4(text, out, 0)) throw new MalformedPacketError(`Cannot parse IP address ${JSON.stringify(text)}: expected a.b.c.d or IPv6 text`);
    return out;
  }
  const bad = (): MalformedPacketError => new MalformedPacketError(`Cannot parse IPv6 address ${JSON.stringify(text)}`);
  const out = new Uint8Array(16);
  const halves = text.split("::");
  if (halves.length > 2) throw bad();
  const groups = (s: string): string[] => (s === "" ? [] : s.split(":"));
  const head = groups(halves[0]!);
  const tail = halves.length === 2 ? groups(halves[1]!) : [];
  // An embedded IPv4 address in the last group (RFC 4291 2.2 form 3).
  const words: number[] = [];
  const pushGroups = (gs: string[], into: number[]): boolean => {
    for (let i = 0; i < gs.length; i++) {
      const g = gs[i]!;
      if (i === gs.length - 1 && g.includes(".")) {
        const v4 = new Uint8Array(4);
        if (!parseIpv4(g, v4, 0)) return false;
        into.push((v4[0]! << 8) | v4[1]!, (v4[2]! << 8) | v4[3]!);
      } else {
        if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return false;
        into.push(parseInt(g, 16));
      }
    }
    return true;
  };
  const tailWords: number[] = [];
  if (!pushGroups(head, words) || !pushGroups(tail, tailWords)) throw bad();
  if (halves.length === 1) {
    if (words.length !== 8) throw bad();
  } else {
    if (words.length + tailWords.length > 7) throw bad();
    while (words.length + tailWords.length < 8) words.push(0);
  }
  words.push(...tailWords);
  for (let i = 0; i < 8; i++) {
    out[2 * i] = words[i]! >> 8;
    out[2 * i + 1] = words[i]! & 0xff;
  }
  return out;
}

/** Text of a 4-byte (dotted quad) or 16-byte (RFC 5952 canonical) address. */
export function ipToText(bytes: Uint8Array): string {
  if (bytes.length === 4) return `${bytes[0]}.${bytes[1]}.${bytes[2]}.${bytes[3]}`;
  if (bytes.length !== 16) throw new MalformedPacketError(`Cannot format an IP address of ${bytes.length} bytes: allowed are 4 and 16`);
  const w: number[] = [];
  for (let i = 0; i < 8; i++) w.push((bytes[2 * i]! << 8) | bytes[2 * i + 1]!);
  // RFC 5952 4.2: compress the longest run (>= 2) of zero words, the first on a tie.
  let bestAt = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (w[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && w[j] === 0) j++;
    if (j - i > bestLen) {
      bestAt = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = (a: number[]): string => a.map((x) => x.toString(16)).join(":");
  if (bestAt < 0) return hex(w);
  return `${hex(w.slice(0, bestAt))}::${hex(w.slice(bestAt + bestLen))}`;
}
