import { checkInt } from "../../errors.js";
import { seqDiff, timestampDiff } from "../../rtp/wrap-around-unwrapper.js";

/** What the playout needs of an audio RTP packet (RtpPacket has these fields). */
export interface NetEqPacket {
  readonly sequenceNumber: number;
  readonly timestamp: number;
  readonly payload: Uint8Array;
}

/** A packet held by the buffer, with its unwrapped (and grid-snapped) timestamp and sequence. */
export interface BufferedPacket {
  readonly ts: number;
  readonly seq: number;
  readonly payload: Uint8Array;
  /** The RTP timestamp as it came (32-bit). */
  readonly rtpTimestamp: number;
  readonly arrivalUs: number;
}

/** Options of {@link PacketBuffer}. */
export interface PacketBufferOptions {
  /** Packets held at most (default 100: 2 s of 20 ms packets). */
  capacity?: number;
  /** Samples per packet at 48 kHz: the timestamp grid (default 960 = 20 ms). */
  frameSamples?: number;
  /** Largest payload accepted, bytes (default 1275, the Opus maximum per frame, RFC 6716 3.4 R2). */
  maxPayloadBytes?: number;
}

/** Why `insert` did or did not keep a packet. */
export type InsertResult = "inserted" | "duplicate" | "late" | "overflow" | "invalid";

/**
 * NetEQ's packet buffer: encoded packets ordered by RTP timestamp, unwrapped with the one
 * helper (rtp/wrap-around-unwrapper, RFC 1982 serial distance) relative to the playout point,
 * not to the newest packet seen: a garbage timestamp can then never drag the unwrapping of the
 * real stream (a reference-follows-newest unwrapper is moved 2^31 ahead by two such packets).
 * Timestamps are snapped to the 20 ms grid of the first packet (a sender whose timestamps
 * wander by a few samples, or a garbage timestamp, still lands in a slot). Bounded: when full, the packet furthest in the future is evicted for an earlier one
 * (the one needed soonest wins, and a flood of far-future garbage cannot starve the stream);
 * otherwise the newcomer is dropped. Late (older than the playout point), duplicate, oversized
 * or empty packets are counted and dropped. Nothing here throws on input.
 */
export class PacketBuffer {
  private readonly capacity: number;
  private readonly frameSamples: number;
  private readonly maxPayloadBytes: number;
  /** Unwrapping anchors: a raw 32-bit timestamp / 16-bit sequence and their unwrapped values. */
  private tsAnchorRaw = NaN;
  private tsAnchor = 0;
  private seqAnchorRaw = NaN;
  private seqAnchor = 0;
  /** Sorted by ts, ascending. */
  private readonly packets: BufferedPacket[] = [];
  private gridOrigin = NaN;
  private floorTs = -Infinity;
  private readonly counters = { inserted: 0, duplicates: 0, late: 0, overflows: 0, invalid: 0, discarded: 0 };

  constructor(options: PacketBufferOptions = {}) {
    this.capacity = checkInt("capacity", options.capacity ?? 100, 2, 10_000);
    this.frameSamples = checkInt("frameSamples", options.frameSamples ?? 960, 1, 48_000);
    this.maxPayloadBytes = checkInt("maxPayloadBytes", options.maxPayloadBytes ?? 1275, 1, 65_535);
  }

  /** The unwrapped, grid-snapped timestamp `packet` would get, without inserting it. */
  peekTimestamp(rtpTimestamp: number): number {
    return this.snap(this.unwrapTs(rtpTimestamp));
  }

  /** Forgets everything (a new timeline): the next packet anchors unwrapping and the grid. */
  reset(): void {
    this.packets.length = 0;
    this.tsAnchorRaw = NaN;
    this.seqAnchorRaw = NaN;
    this.gridOrigin = NaN;
    this.floorTs = -Infinity;
  }

  /** Adds a packet; returns what happened (all outcomes are counted). */
  insert(packet: NetEqPacket, arrivalUs: number): InsertResult {
    const len = packet.payload?.length ?? 0;
    if (len === 0 || len > this.maxPayloadBytes || !Number.isFinite(packet.timestamp) || !Number.isFinite(packet.sequenceNumber)) {
      this.counters.invalid++;
      return "invalid";
    }
    const raw = this.unwrapTs(packet.timestamp);
    if (Number.isNaN(this.gridOrigin)) this.gridOrigin = raw;
    const ts = this.snap(raw);
    if (Number.isNaN(this.seqAnchorRaw)) {
      this.seqAnchorRaw = packet.sequenceNumber & 0xffff;
      this.seqAnchor = this.seqAnchorRaw;
    }
    const seq = this.seqAnchor + seqDiff(packet.sequenceNumber, this.seqAnchorRaw);
    if (ts < this.floorTs) {
      this.counters.late++;
      return "late";
    }
    const i = this.lowerBound(ts);
    if (i < this.packets.length && this.packets[i]!.ts === ts) {
      this.counters.duplicates++;
      return "duplicate";
    }
    if (this.packets.length >= this.capacity) {
      this.counters.overflows++;
      if (i >= this.packets.length) return "overflow"; // newcomer is the furthest: drop it
      this.packets.pop(); // evict the furthest in the future
    }
    this.packets.splice(i, 0, { ts, seq, payload: packet.payload, rtpTimestamp: packet.timestamp >>> 0, arrivalUs });
    this.counters.inserted++;
    return "inserted";
  }

  /** The packet at unwrapped timestamp `ts`, if held. */
  get(ts: number): BufferedPacket | undefined {
    const i = this.lowerBound(ts);
    const p = this.packets[i];
    return p && p.ts === ts ? p : undefined;
  }

  has(ts: number): boolean {
    return this.get(ts) !== undefined;
  }

  /** The earliest held packet, if any. */
  earliest(): BufferedPacket | undefined {
    return this.packets[0];
  }

  /**
   * Where playout should start: the earliest packet with a neighbour within `withinSamples`
   * after it (a real stream comes in runs; a garbage timestamp is alone), else the earliest.
   */
  startCandidate(withinSamples: number): BufferedPacket | undefined {
    for (let i = 0; i + 1 < this.packets.length; i++) {
      if (this.packets[i + 1]!.ts - this.packets[i]!.ts <= withinSamples) return this.packets[i];
    }
    return this.packets[0];
  }

  /** Removes and returns the packet at `ts`. */
  take(ts: number): BufferedPacket | undefined {
    const i = this.lowerBound(ts);
    const p = this.packets[i];
    if (!p || p.ts !== ts) return undefined;
    this.packets.splice(i, 1);
    this.seqAnchor = p.seq; // unwrap sequence numbers around the playout point
    this.seqAnchorRaw = p.seq & 0xffff;
    return p;
  }

  /**
   * Sets the playout point: packets older than `ts` are dropped now (counted as discarded) and
   * any that arrive later are late.
   */
  advanceTo(ts: number): void {
    this.floorTs = Math.max(this.floorTs, ts);
    if (!Number.isNaN(this.tsAnchorRaw) && this.floorTs > this.tsAnchor) {
      // Move the unwrapping anchor to the playout point.
      this.tsAnchorRaw = (this.tsAnchorRaw + (this.floorTs - this.tsAnchor)) % 0x1_0000_0000;
      this.tsAnchor = this.floorTs;
    }
    let k = 0;
    while (k < this.packets.length && this.packets[k]!.ts < this.floorTs) k++;
    if (k > 0) {
      this.packets.splice(0, k);
      this.counters.discarded += k;
    }
  }

  /**
   * Samples of audio from `fromTs` to the end of the latest packet no further than
   * `horizonSamples` ahead (NetEQ's span-based buffer level: the playout delay the packets
   * represent, holes included). 0 when nothing is held in that horizon.
   */
  spanSamples(fromTs: number, horizonSamples: number): number {
    let last = -Infinity;
    for (let i = this.packets.length - 1; i >= 0; i--) {
      const t = this.packets[i]!.ts;
      if (t - fromTs <= horizonSamples) {
        last = t;
        break;
      }
    }
    return last >= fromTs ? last - fromTs + this.frameSamples : 0;
  }

  get size(): number {
    return this.packets.length;
  }

  stats(): Record<string, number> {
    return { ...this.counters, held: this.packets.length };
  }

  private unwrapTs(rtpTimestamp: number): number {
    if (Number.isNaN(this.tsAnchorRaw)) {
      this.tsAnchorRaw = rtpTimestamp >>> 0;
      this.tsAnchor = this.tsAnchorRaw;
    }
    return this.tsAnchor + timestampDiff(rtpTimestamp, this.tsAnchorRaw);
  }

  private snap(raw: number): number {
    if (Number.isNaN(this.gridOrigin)) return raw;
    return this.gridOrigin + Math.round((raw - this.gridOrigin) / this.frameSamples) * this.frameSamples;
  }

  private lowerBound(ts: number): number {
    let lo = 0, hi = this.packets.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.packets[mid]!.ts < ts) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}
