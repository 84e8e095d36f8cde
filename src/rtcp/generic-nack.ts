/**
 * Generic NACK, RTCP RTPFB (PT=205) with FMT=1 (RFC 4585 6.2.1): the receiver of a media
 * stream names the RTP sequence numbers it lost. Each FCI entry names one packet ID (PID) and a
 * bitmask of the 16 following sequence numbers (BLP: bit i set means PID+i+1 is lost too).
 *
 * ```
 * |V=2|P| FMT=1 |   PT=205      |          length               |
 * |                  SSRC of packet sender                        |
 * |                  SSRC of media source                         |
 * |            PID                |             BLP               |  (one or more)
 * ```
 */
import { MalformedPacketError } from "../errors.js";
import { seqDiff } from "../rtp/wrap-around-unwrapper.js";
import { checkRoom, readU32, RtcpHeader, RtcpPacketType, writeU32 } from "./rtcp-header.js";

/** Feedback message type of Generic NACK in an RTPFB packet (RFC 4585 6.2). */
export const GENERIC_NACK_FMT = 1;

/** The largest number of FCI entries one RTCP packet can hold (16-bit length field). */
const MAX_ENTRIES = 0xffff - 2;

/** One Generic NACK FCI entry (RFC 4585 6.2.1). */
export interface NackFciEntry {
  /** Packet ID: a lost RTP sequence number, 0-65535. */
  pid: number;
  /** Bitmask of following lost packets: bit i (LSB = 0) set means PID+i+1 is lost. */
  blp: number;
}

/**
 * The fewest FCI entries that name exactly `sequenceNumbers` (RFC 4585 6.2.1). The input is
 * normally sorted oldest first and may cross the 16-bit wrap (…, 65535, 0, 1, …); it is ordered
 * by RFC 1982 distance from its first element (so it must span less than half the space) and
 * duplicates are dropped. Greedy from the oldest number is optimal: each entry covers PID and
 * the 16 numbers after it, and starting an entry anywhere but the oldest uncovered number
 * never covers more.
 */
export function nackEntriesFromSequenceNumbers(sequenceNumbers: readonly number[]): NackFciEntry[] {
  const n = sequenceNumbers.length;
  if (n === 0) return [];
  const first = sequenceNumbers[0]! & 0xffff;
  // Offsets from the first number; already sorted in the usual case, so check before sorting.
  const offsets = new Array<number>(n);
  let sorted = true;
  for (let i = 0; i < n; i++) {
    const d = seqDiff(sequenceNumbers[i]!, first);
    offsets[i] = d;
    if (i > 0 && d <= offsets[i - 1]!) sorted = false;
  }
  if (!sorted) offsets.sort((a, b) => a - b);
  const entries: NackFciEntry[] = [];
  let pidOffset = NaN;
  let blp = 0;
  for (const d of offsets) {
    const k = d - pidOffset;
    if (k === 0) continue; // duplicate
    if (k >= 1 && k <= 16) {
      blp |= 1 << (k - 1);
      continue;
    }
    if (!Number.isNaN(pidOffset)) entries.push({ pid: (first + pidOffset) & 0xffff, blp });
    pidOffset = d;
    blp = 0;
  }
  entries.push({ pid: (first + pidOffset) & 0xffff, blp });
  return entries;
}

/** Every sequence number the entries name, in entry order, PID before its BLP bits (RFC 4585 6.2.1). */
export function sequenceNumbersFromNackEntries(entries: readonly NackFciEntry[]): number[] {
  const out: number[] = [];
  for (const e of entries) {
    out.push(e.pid & 0xffff);
    for (let i = 0, m = e.blp & 0xffff; m !== 0; i++, m >>>= 1) if ((m & 1) !== 0) out.push((e.pid + i + 1) & 0xffff);
  }
  return out;
}

export class GenericNack {
  readonly packetType = RtcpPacketType.RTPFB;
  readonly format = GENERIC_NACK_FMT;
  senderSsrc: number;
  mediaSsrc: number;
  /** At least one entry on the wire (RFC 4585 6.2.1). */
  entries: NackFciEntry[];

  constructor(senderSsrc: number, mediaSsrc: number, entries: NackFciEntry[]) {
    this.senderSsrc = senderSsrc >>> 0;
    this.mediaSsrc = mediaSsrc >>> 0;
    this.entries = entries;
  }

  /** A NACK naming `sequenceNumbers` with the fewest FCI entries (see nackEntriesFromSequenceNumbers). */
  static fromSequenceNumbers(senderSsrc: number, mediaSsrc: number, sequenceNumbers: readonly number[]): GenericNack {
    return new GenericNack(senderSsrc, mediaSsrc, nackEntriesFromSequenceNumbers(sequenceNumbers));
  }

  /** The sequence numbers this NACK names. */
  get sequenceNumbers(): number[] {
    return sequenceNumbersFromNackEntries(this.entries);
  }

  get byteLength(): number {
    return 12 + 4 * this.entries.length;
  }

  /**
   * Parses exactly one Generic NACK packet (RFC 4585 6.1 common format, 6.2.1 FCI). Throws
   * MalformedPacketError when the FCI is empty or not a whole number of 4-byte entries.
   */
  static parse(bytes: Uint8Array): GenericNack {
    const { header, body } = RtcpHeader.body(bytes, RtcpPacketType.RTPFB, "Generic NACK");
    if (header.count !== GENERIC_NACK_FMT) throw new MalformedPacketError(`Cannot parse Generic NACK: feedback format is ${header.count}, expected ${GENERIC_NACK_FMT}`);
    if (body.length < 12) throw new MalformedPacketError(`Cannot parse Generic NACK: ${body.length} bytes after the header, need 8 plus at least one 4-byte FCI entry`);
    if ((body.length - 8) % 4 !== 0) throw new MalformedPacketError(`Cannot parse Generic NACK: FCI of ${body.length - 8} bytes is not a whole number of 4-byte entries`);
    const n = (body.length - 8) / 4;
    const entries = new Array<NackFciEntry>(n);
    for (let i = 0, o = 8; i < n; i++, o += 4) entries[i] = { pid: (body[o]! << 8) | body[o + 1]!, blp: (body[o + 2]! << 8) | body[o + 3]! };
    return new GenericNack(readU32(body, 0), readU32(body, 4), entries);
  }

  serializeInto(dst: Uint8Array, offset: number): number {
    const n = this.entries.length;
    if (n === 0 || n > MAX_ENTRIES) throw new RangeError(`Cannot serialize Generic NACK: ${n} FCI entries, allowed is 1 to ${MAX_ENTRIES}`);
    const size = this.byteLength;
    checkRoom("Generic NACK", dst, offset, size);
    RtcpHeader.write(dst, offset, GENERIC_NACK_FMT, RtcpPacketType.RTPFB, size);
    writeU32(dst, offset + 4, this.senderSsrc);
    writeU32(dst, offset + 8, this.mediaSsrc);
    let o = offset + 12;
    for (const e of this.entries) {
      dst[o] = (e.pid >> 8) & 0xff;
      dst[o + 1] = e.pid & 0xff;
      dst[o + 2] = (e.blp >> 8) & 0xff;
      dst[o + 3] = e.blp & 0xff;
      o += 4;
    }
    return size;
  }

  serialize(): Uint8Array {
    const out = new Uint8Array(this.byteLength);
    this.serializeInto(out, 0);
    return out;
  }
}
