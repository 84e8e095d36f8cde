/**
 * Sender-side history of sent RTP packets, kept so NACKed packets can be retransmitted
 * (RFC 4585 6.2.1, RFC 4588). Bounded in bytes (`maxBytes`), in age (`maxAgeUs`, stretched to
 * `rttFactor`·RTT on long paths as libwebrtc's RtpPacketHistory does) and to less than half
 * the sequence space, so every stored number maps back unambiguously. Lookup is O(1): packets
 * are keyed by their unwrapped sequence number (the one unwrapper, wrap-around-unwrapper.ts).
 */
import { checkInt, checkRange } from "../errors.js";
import type { RtpPacket } from "../rtp/rtp-packet.js";
import { SequenceUnwrapper } from "../rtp/wrap-around-unwrapper.js";

export interface RtpSendHistoryOptions {
  /** Most bytes (RTP packet sizes) kept. Default 2 MiB. */
  maxBytes?: number;
  /** Packets older than this are evicted (unless `rttFactor`·RTT is longer). Default 1 000 000 µs. */
  maxAgeUs?: number;
  /** Keep packets at least this many RTTs (see `setRtt`). Default 3. */
  rttFactor?: number;
  /** Most packets kept; at most 32767 so a 16-bit number is never ambiguous. Default 32767. */
  maxPackets?: number;
}

/** One stored packet. */
export interface RtpHistoryEntry {
  readonly packet: RtpPacket;
  readonly sizeBytes: number;
  readonly sentAtUs: number;
  /** When it was last retransmitted, or NaN. Set by the responder. */
  lastResentUs: number;
  /** Times it was retransmitted. */
  resends: number;
}

/** How a lookup for a sequence number came out. */
export type RtpHistoryLookup = "found" | "never-sent" | "evicted";

export class RtpSendHistory {
  private readonly maxBytes: number;
  private readonly maxAgeUs: number;
  private readonly rttFactor: number;
  private readonly maxPackets: number;
  private rttUs = 0;
  private readonly unwrapper = new SequenceUnwrapper();
  /** By unwrapped sequence number; insertion (send) order is oldest first. */
  private readonly entries = new Map<number, RtpHistoryEntry>();
  private bytes = 0;
  private nStored = 0;
  private nEvictedByAge = 0;
  private nEvictedBySize = 0;
  private nReplaced = 0;

  constructor(options: RtpSendHistoryOptions = {}) {
    this.maxBytes = checkInt("maxBytes", options.maxBytes ?? 2 * 1024 * 1024, 1500, 1 << 30);
    this.maxAgeUs = checkRange("maxAgeUs", options.maxAgeUs ?? 1_000_000, 1_000, 60_000_000);
    this.rttFactor = checkRange("rttFactor", options.rttFactor ?? 3, 0, 100);
    this.maxPackets = checkInt("maxPackets", options.maxPackets ?? 32_767, 1, 32_767);
  }

  /** Latest RTT estimate; the age bound becomes max(maxAgeUs, rttFactor·RTT). */
  setRtt(rttUs: number): void {
    this.rttUs = Number.isFinite(rttUs) && rttUs > 0 ? rttUs : 0;
  }

  /** Current age bound. */
  get effectiveMaxAgeUs(): number {
    return Math.max(this.maxAgeUs, this.rttFactor * this.rttUs);
  }

  get packetCount(): number {
    return this.entries.size;
  }

  get byteCount(): number {
    return this.bytes;
  }

  /** Highest sequence number stored so far, or undefined. */
  get newestSequenceNumber(): number | undefined {
    const h = this.unwrapper.highest;
    return Number.isNaN(h) ? undefined : h & 0xffff;
  }

  /**
   * Stores a packet sent at `nowUs`, then evicts by age and size. The packet is kept by
   * reference: do not change its payload bytes afterwards.
   */
  put(packet: RtpPacket, nowUs: number): void {
    const u = this.unwrapper.unwrap(packet.sequenceNumber);
    const old = this.entries.get(u);
    if (old !== undefined) {
      this.entries.delete(u);
      this.bytes -= old.sizeBytes;
      this.nReplaced++;
    }
    const sizeBytes = packet.byteLength;
    this.entries.set(u, { packet, sizeBytes, sentAtUs: nowUs, lastResentUs: NaN, resends: 0 });
    this.bytes += sizeBytes;
    this.nStored++;
    this.expire(nowUs);
  }

  /** The stored entry for `sequenceNumber`, or undefined. */
  get(sequenceNumber: number): RtpHistoryEntry | undefined {
    if (this.entries.size === 0) return undefined;
    return this.entries.get(this.unwrapper.peek(sequenceNumber));
  }

  /** Why `get` would return nothing: a number after the newest was never sent; others were evicted (or skipped). */
  lookup(sequenceNumber: number): RtpHistoryLookup {
    if (Number.isNaN(this.unwrapper.highest)) return "never-sent";
    const u = this.unwrapper.peek(sequenceNumber);
    if (this.entries.has(u)) return "found";
    return u > this.unwrapper.highest ? "never-sent" : "evicted";
  }

  /** Evicts packets past the age bound, then oldest-first until within bytes and count. */
  expire(nowUs: number): void {
    const maxAge = this.effectiveMaxAgeUs;
    const lowest = this.unwrapper.highest - 32_767;
    for (const [key, e] of this.entries) {
      const overSize = this.bytes > this.maxBytes || this.entries.size > this.maxPackets || key <= lowest;
      const overAge = nowUs - e.sentAtUs > maxAge;
      if (!overSize && !overAge) break;
      this.entries.delete(key);
      this.bytes -= e.sizeBytes;
      if (overAge) this.nEvictedByAge++;
      else this.nEvictedBySize++;
    }
  }

  clear(): void {
    this.entries.clear();
    this.bytes = 0;
    this.unwrapper.reset();
  }

  stats(): { packets: number; bytes: number; stored: number; evictedByAge: number; evictedBySize: number; replaced: number } {
    return { packets: this.entries.size, bytes: this.bytes, stored: this.nStored, evictedByAge: this.nEvictedByAge, evictedBySize: this.nEvictedBySize, replaced: this.nReplaced };
  }
}
