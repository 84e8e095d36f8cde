/**
 * Transport-wide congestion control feedback, RTCP RTPFB (PT=205) with FMT=15
 * (draft-holmer-rmcat-transport-wide-cc-extensions-01, section 3.1): the receiver reports,
 * for a range of transport-wide sequence numbers, which packets arrived and when.
 *
 * ```
 * |V=2|P|  FMT=15 |    PT=205     |           length              |
 * |                     SSRC of packet sender                     |
 * |                      SSRC of media source                     |
 * |      base sequence number     |      packet status count      |
 * |                 reference time                | fb pkt. count |
 * |          packet chunk         |         packet chunk          |  ...
 * |         recv delta            |  recv delta   | zero padding  |  ...
 * ```
 *
 * Packet status chunks (3.1.1-3.1.4): a run-length chunk (T=0: 2-bit symbol, 13-bit run) or
 * a status vector chunk (T=1: S=0 fourteen 1-bit symbols, S=1 seven 2-bit symbols). Symbols:
 * 0 not received, 1 received with a 1-byte delta (0..63.75 ms), 2 received with a 2-byte
 * signed delta (−8192..8191.75 ms), 3 reserved. Deltas are in 250 µs ticks, the first one
 * relative to the reference time (24 bits, 64 ms units), each next one to the previous packet.
 */
import { InvalidOptionError, MalformedPacketError, checkInt } from "../errors.js";
import { checkRoom, readU32, RtcpHeader, RtcpPacketType, writeU32 } from "./rtcp-header.js";

/** Feedback message type of transport-wide CC feedback in an RTPFB packet (draft section 3.1). */
export const TRANSPORT_FEEDBACK_FMT = 15;
/** Unit of receive deltas (draft 3.1.5). */
export const TRANSPORT_FEEDBACK_DELTA_TICK_US = 250;
/** Unit of the reference time (draft 3.1). */
export const TRANSPORT_FEEDBACK_REFERENCE_TIME_UNIT_US = 64_000;

/** Packet status symbols (draft 3.1.1). */
export const TransportFeedbackStatus = {
  NotReceived: 0,
  SmallDelta: 1,
  LargeDelta: 2,
} as const;

/** Fixed part: header, two SSRCs, base seq, status count, reference time, fb pkt count. */
const FIXED_BYTES = 20;
const MAX_RUN = 0x1fff;
const MAX_STATUS_COUNT = 0xffff;
const REF_MOD = 1 << 24;
/** Largest RTCP packet the 16-bit length field allows. */
const MAX_RTCP_BYTES = 0x40000;

function fail(reason: string): never {
  throw new MalformedPacketError(`Cannot parse transport feedback: ${reason}`);
}

/**
 * Chooses packet status chunks for a symbol sequence as it grows (like libwebrtc's LastChunk):
 * a buffer of pending symbols becomes a run-length chunk when all equal, a 1-bit vector when
 * it holds 14 symbols without large deltas, otherwise 2-bit vectors of 7.
 */
class ChunkEncoder {
  words: number[] = [];
  private buf = new Uint8Array(14);
  private size = 0;
  private allSame = true;
  private hasLarge = false;
  private saved = new Uint8Array(14);
  private savedWords = 0;
  private savedSize = 0;
  private savedAllSame = true;
  private savedHasLarge = false;

  reset(): void {
    this.words = [];
    this.size = 0;
    this.allSame = true;
    this.hasLarge = false;
  }

  /** Chunks the sequence needs so far, including the pending buffer. */
  get chunkCount(): number {
    return this.words.length + (this.size > 0 ? 1 : 0);
  }

  private canAdd(sym: number): boolean {
    if (this.size < 7) return true;
    if (this.size < 14 && !this.hasLarge && sym <= 1) return true;
    return this.allSame && sym === this.buf[0] && this.size < MAX_RUN;
  }

  private emit(): void {
    const buf = this.buf;
    if (this.allSame) {
      this.words.push((buf[0]! << 13) | this.size);
      this.size = 0;
      this.allSame = true;
      this.hasLarge = false;
      return;
    }
    if (!this.hasLarge && this.size === 14) {
      let w = 0x8000;
      for (let k = 0; k < 14; k++) w |= buf[k]! << (13 - k);
      this.words.push(w);
      this.size = 0;
      this.allSame = true;
      return;
    }
    // Seven 2-bit symbols; any rest (only without large deltas) stays pending.
    let w = 0xc000;
    const n = Math.min(7, this.size);
    for (let k = 0; k < n; k++) w |= buf[k]! << (12 - 2 * k);
    this.words.push(w);
    const rest = this.size - n;
    buf.copyWithin(0, n, this.size);
    this.size = rest;
    this.allSame = true;
    this.hasLarge = false;
    for (let k = 0; k < rest; k++) {
      if (buf[k] !== buf[0]) this.allSame = false;
      if (buf[k] === 2) this.hasLarge = true;
    }
  }

  add(sym: number): void {
    while (!this.canAdd(sym)) this.emit();
    if (this.size < 14) this.buf[this.size] = sym;
    if (this.size > 0 && sym !== this.buf[0]) this.allSame = false;
    if (sym === 2) this.hasLarge = true;
    this.size++;
  }

  addRun(sym: number, count: number): void {
    while (count > 0) {
      if (this.allSame && this.size >= 14 && this.buf[0] === sym && this.size < MAX_RUN) {
        const take = Math.min(count, MAX_RUN - this.size);
        this.size += take;
        count -= take;
      } else {
        this.add(sym);
        count--;
      }
    }
  }

  save(): void {
    this.saved.set(this.buf);
    this.savedWords = this.words.length;
    this.savedSize = this.size;
    this.savedAllSame = this.allSame;
    this.savedHasLarge = this.hasLarge;
  }

  restore(): void {
    this.buf.set(this.saved);
    this.words.length = this.savedWords;
    this.size = this.savedSize;
    this.allSame = this.savedAllSame;
    this.hasLarge = this.savedHasLarge;
  }

  /** Flushes the pending buffer and returns the chunk words. */
  finish(): Uint16Array {
    if (this.size > 0) {
      if (this.allSame) this.words.push((this.buf[0]! << 13) | this.size);
      else if (this.hasLarge) {
        let w = 0xc000;
        for (let k = 0; k < this.size; k++) w |= this.buf[k]! << (12 - 2 * k);
        this.words.push(w);
      } else {
        let w = 0x8000;
        for (let k = 0; k < this.size; k++) w |= this.buf[k]! << (13 - k);
        this.words.push(w);
      }
      this.size = 0;
      this.allSame = true;
      this.hasLarge = false;
    }
    return Uint16Array.from(this.words);
  }
}

const encoder = new ChunkEncoder();

/** Fields of one transport feedback packet. */
export interface TransportFeedbackInit {
  senderSsrc: number;
  mediaSsrc: number;
  /** Transport-wide sequence number of the first status (16-bit). */
  baseSequenceNumber: number;
  /** 24-bit reference time in 64 ms units (draft 3.1). */
  referenceTime: number;
  /** 8-bit feedback packet count (draft 3.1). */
  feedbackPacketCount: number;
  /** One status symbol per packet from the base (0 not received, 1 small delta, 2 large delta); 1 to 65535 of them. */
  symbols: Uint8Array;
  /** One receive delta per received packet, in 250 µs ticks (0..255 for symbol 1, −32768..32767 for symbol 2). */
  deltaTicks: Int16Array;
}

/** Options of `TransportFeedback.build`. */
export interface TransportFeedbackBuildOptions {
  senderSsrc: number;
  mediaSsrc: number;
  /** Feedback packet count of the first packet built; the others count on (mod 256). */
  feedbackPacketCount: number;
  /** Largest packet to build, bytes, 32 to 262144. Default 1200. */
  maxPacketBytes?: number;
}

/** A TWCC feedback packet (draft-holmer-rmcat-transport-wide-cc-extensions-01, 3.1). */
export class TransportFeedback {
  readonly packetType = RtcpPacketType.RTPFB;
  readonly format = TRANSPORT_FEEDBACK_FMT;
  senderSsrc: number;
  mediaSsrc: number;
  readonly baseSequenceNumber: number;
  readonly referenceTime: number;
  readonly feedbackPacketCount: number;
  /** Status symbol per packet (see TransportFeedbackStatus). Treat as immutable: the chunk encoding is cached. */
  readonly symbols: Uint8Array;
  /** Receive delta per received packet, 250 µs ticks. */
  readonly deltaTicks: Int16Array;
  private chunks: Uint16Array | null = null;

  /** Validates the fields; throws InvalidOptionError when they cannot go on the wire. */
  constructor(init: TransportFeedbackInit) {
    const { symbols, deltaTicks } = init;
    if (symbols.length < 1 || symbols.length > MAX_STATUS_COUNT) throw new InvalidOptionError(`Cannot build transport feedback: ${symbols.length} statuses, allowed is 1 to ${MAX_STATUS_COUNT}`);
    let r = 0;
    for (let i = 0; i < symbols.length; i++) {
      const s = symbols[i]!;
      if (s > 2) throw new InvalidOptionError(`Cannot build transport feedback: status symbol ${s} at ${i}, allowed is 0, 1 or 2`);
      if (s === 0) continue;
      const d = deltaTicks[r++];
      if (d === undefined) throw new InvalidOptionError(`Cannot build transport feedback: fewer deltas (${deltaTicks.length}) than received packets`);
      if (s === 1 && (d < 0 || d > 255)) throw new InvalidOptionError(`Cannot build transport feedback: small delta ${d} ticks at ${i}, allowed is 0 to 255`);
    }
    if (r !== deltaTicks.length) throw new InvalidOptionError(`Cannot build transport feedback: ${deltaTicks.length} deltas for ${r} received packets`);
    this.senderSsrc = init.senderSsrc >>> 0;
    this.mediaSsrc = init.mediaSsrc >>> 0;
    this.baseSequenceNumber = init.baseSequenceNumber & 0xffff;
    this.referenceTime = ((init.referenceTime % REF_MOD) + REF_MOD) % REF_MOD;
    this.feedbackPacketCount = init.feedbackPacketCount & 0xff;
    this.symbols = symbols;
    this.deltaTicks = deltaTicks;
  }

  /** Number of packets covered (draft 3.1 "packet status count"). */
  get packetStatusCount(): number {
    return this.symbols.length;
  }

  /** The reference time in µs (24-bit field × 64 ms; wraps every 12.4 days). */
  get referenceTimeUs(): number {
    return this.referenceTime * TRANSPORT_FEEDBACK_REFERENCE_TIME_UNIT_US;
  }

  /** How many of the covered packets arrived. */
  get receivedCount(): number {
    return this.deltaTicks.length;
  }

  /**
   * Calls `fn` for every covered packet in sequence order with its 16-bit sequence number,
   * its offset from the base, and its receive time in µs (reference time plus the deltas so
   * far) or undefined when not received. Allocates nothing.
   */
  forEachPacket(fn: (sequenceNumber: number, index: number, receiveTimeUs: number | undefined) => void): void {
    const symbols = this.symbols;
    let ticks = this.referenceTime * (TRANSPORT_FEEDBACK_REFERENCE_TIME_UNIT_US / TRANSPORT_FEEDBACK_DELTA_TICK_US);
    let r = 0;
    for (let i = 0; i < symbols.length; i++) {
      if (symbols[i] === 0) {
        fn((this.baseSequenceNumber + i) & 0xffff, i, undefined);
      } else {
        ticks += this.deltaTicks[r++]!;
        fn((this.baseSequenceNumber + i) & 0xffff, i, ticks * TRANSPORT_FEEDBACK_DELTA_TICK_US);
      }
    }
  }

  /** The covered packets as a list (see forEachPacket). */
  packets(): { sequenceNumber: number; receiveTimeUs: number | undefined }[] {
    const out: { sequenceNumber: number; receiveTimeUs: number | undefined }[] = [];
    this.forEachPacket((sequenceNumber, _i, receiveTimeUs) => out.push({ sequenceNumber, receiveTimeUs }));
    return out;
  }

  private encodedChunks(): Uint16Array {
    if (this.chunks === null) {
      encoder.reset();
      for (let i = 0; i < this.symbols.length; i++) encoder.add(this.symbols[i]!);
      this.chunks = encoder.finish();
    }
    return this.chunks;
  }

  /** Number of packet status chunks the packet is encoded with. */
  get chunkCount(): number {
    return this.encodedChunks().length;
  }

  private get unpaddedLength(): number {
    let deltaBytes = 0;
    for (let i = 0; i < this.symbols.length; i++) deltaBytes += this.symbols[i]!;
    return FIXED_BYTES + 2 * this.encodedChunks().length + deltaBytes;
  }

  get byteLength(): number {
    return (this.unpaddedLength + 3) & ~3;
  }

  /**
   * Parses exactly one transport feedback packet (draft 3.1). Throws MalformedPacketError when
   * the packet status count is 0 (libwebrtc refuses empty feedback too), the chunks or deltas
   * overrun the packet, a symbol is the reserved value 3, or more than 3 bytes follow the
   * deltas other than RTCP padding. Up to 3 stray bytes are accepted whatever the P bit says,
   * since some senders set P without a valid count.
   */
  static parse(bytes: Uint8Array): TransportFeedback {
    const header = RtcpHeader.parse(bytes, "transport feedback");
    if (header.packetType !== RtcpPacketType.RTPFB) fail(`packet type is ${header.packetType}, expected 205`);
    if (header.count !== TRANSPORT_FEEDBACK_FMT) fail(`feedback format is ${header.count}, expected ${TRANSPORT_FEEDBACK_FMT}`);
    const len = bytes.length;
    if (header.packetBytes !== len) fail(`length field says ${header.packetBytes} bytes, got ${len}`);
    if (len < FIXED_BYTES) fail(`${len} bytes is shorter than the 20-byte fixed part`);
    const count = (bytes[14]! << 8) | bytes[15]!;
    if (count === 0) fail("packet status count is 0");
    if (Math.floor((len - FIXED_BYTES) / 2) * MAX_RUN < count) fail(`${count} statuses cannot fit in ${len} bytes`);
    const symbols = new Uint8Array(count);
    let filled = 0;
    let received = 0;
    let o = FIXED_BYTES;
    while (filled < count) {
      if (o + 2 > len) fail(`chunks end after ${filled} of ${count} statuses`);
      const w = (bytes[o]! << 8) | bytes[o + 1]!;
      o += 2;
      if ((w & 0x8000) === 0) {
        // Run-length chunk (3.1.3).
        const sym = (w >> 13) & 3;
        if (sym === 3) fail("run-length chunk has the reserved symbol 3");
        const n = Math.min(w & MAX_RUN, count - filled);
        if (sym !== 0) {
          symbols.fill(sym, filled, filled + n);
          received += n;
        }
        filled += n;
      } else if ((w & 0x4000) === 0) {
        // Status vector chunk, 14 one-bit symbols (3.1.4).
        for (let k = 13; k >= 0 && filled < count; k--) {
          const sym = (w >> k) & 1;
          symbols[filled++] = sym;
          received += sym;
        }
      } else {
        // Status vector chunk, 7 two-bit symbols (3.1.4).
        for (let k = 12; k >= 0 && filled < count; k -= 2) {
          const sym = (w >> k) & 3;
          if (sym === 3) fail("status vector has the reserved symbol 3");
          symbols[filled++] = sym;
          if (sym !== 0) received++;
        }
      }
    }
    const deltaTicks = new Int16Array(received);
    let r = 0;
    for (let i = 0; i < count; i++) {
      const sym = symbols[i]!;
      if (sym === 1) {
        if (o + 1 > len) fail(`receive deltas end after ${r} of ${received}`);
        deltaTicks[r++] = bytes[o++]!;
      } else if (sym === 2) {
        if (o + 2 > len) fail(`receive deltas end after ${r} of ${received}`);
        deltaTicks[r++] = (bytes[o]! << 8) | bytes[o + 1]!;
        o += 2;
      }
    }
    const trailing = len - o;
    if (trailing > 3 && !(header.padding && bytes[len - 1] === trailing)) fail(`${trailing} bytes after the receive deltas`);
    return new TransportFeedback({
      senderSsrc: readU32(bytes, 4),
      mediaSsrc: readU32(bytes, 8),
      baseSequenceNumber: (bytes[12]! << 8) | bytes[13]!,
      referenceTime: (bytes[16]! << 16) | (bytes[17]! << 8) | bytes[18]!,
      feedbackPacketCount: bytes[19]!,
      symbols,
      deltaTicks,
    });
  }

  /** Writes the packet, zero-padded to 32 bits with RTCP padding (RFC 3550 6.4.1); returns bytes written. */
  serializeInto(dst: Uint8Array, offset: number): number {
    const chunks = this.encodedChunks();
    const unpadded = this.unpaddedLength;
    const size = (unpadded + 3) & ~3;
    if (size > MAX_RTCP_BYTES) throw new RangeError(`Cannot serialize transport feedback: ${size} bytes, allowed is at most ${MAX_RTCP_BYTES}`);
    checkRoom("transport feedback", dst, offset, size);
    RtcpHeader.write(dst, offset, TRANSPORT_FEEDBACK_FMT, RtcpPacketType.RTPFB, size);
    writeU32(dst, offset + 4, this.senderSsrc);
    writeU32(dst, offset + 8, this.mediaSsrc);
    const count = this.symbols.length;
    dst[offset + 12] = this.baseSequenceNumber >> 8;
    dst[offset + 13] = this.baseSequenceNumber & 0xff;
    dst[offset + 14] = count >> 8;
    dst[offset + 15] = count & 0xff;
    dst[offset + 16] = this.referenceTime >> 16;
    dst[offset + 17] = (this.referenceTime >> 8) & 0xff;
    dst[offset + 18] = this.referenceTime & 0xff;
    dst[offset + 19] = this.feedbackPacketCount;
    let o = offset + FIXED_BYTES;
    for (let k = 0; k < chunks.length; k++, o += 2) {
      dst[o] = chunks[k]! >> 8;
      dst[o + 1] = chunks[k]! & 0xff;
    }
    let r = 0;
    for (let i = 0; i < count; i++) {
      const sym = this.symbols[i]!;
      if (sym === 1) dst[o++] = this.deltaTicks[r++]!;
      else if (sym === 2) {
        const d = this.deltaTicks[r++]!;
        dst[o] = (d >> 8) & 0xff;
        dst[o + 1] = d & 0xff;
        o += 2;
      }
    }
    const pad = size - unpadded;
    if (pad > 0) {
      dst.fill(0, o, offset + size);
      dst[offset] = dst[offset]! | 0x20;
      dst[offset + size - 1] = pad;
    }
    return size;
  }

  serialize(): Uint8Array {
    const out = new Uint8Array(this.byteLength);
    this.serializeInto(out, 0);
    return out;
  }

  /**
   * Builds the feedback packets that report `count` arrivals: `sequenceNumbers[i]` (unwrapped,
   * strictly increasing, none below `baseSequenceNumber`) arrived at `arrivalTimesUs[i]`.
   * Sequence numbers in between are reported not received, starting from
   * `baseSequenceNumber`. The reference time of each packet is its first arrival rounded down
   * to 64 ms; deltas are rounded to 250 µs against the rounded absolute time, so errors do not
   * add up. A new packet starts when a delta leaves the 16-bit range (±8.19 s), the status
   * count would pass 65535, or the packet would exceed `maxPacketBytes`; it then starts right
   * after the last sequence number the previous one covered. Throws InvalidOptionError on
   * unsorted input.
   */
  static build(options: TransportFeedbackBuildOptions, baseSequenceNumber: number, sequenceNumbers: ArrayLike<number>, arrivalTimesUs: ArrayLike<number>, count = sequenceNumbers.length): TransportFeedback[] {
    const maxBytes = checkInt("maxPacketBytes", options.maxPacketBytes ?? 1200, 32, MAX_RTCP_BYTES);
    checkInt("feedbackPacketCount", options.feedbackPacketCount, 0, 0xffff_ffff);
    const out: TransportFeedback[] = [];
    if (count === 0) return out;
    let prev = baseSequenceNumber - 1;
    for (let k = 0; k < count; k++) {
      const s = sequenceNumbers[k]!;
      if (!Number.isInteger(s) || s <= prev) throw new InvalidOptionError(`Cannot build transport feedback: sequence number ${s} at ${k} is not above ${prev}; allowed are increasing integers from the base ${baseSequenceNumber}`);
      if (!Number.isFinite(arrivalTimesUs[k]!)) throw new InvalidOptionError(`Cannot build transport feedback: arrival time ${arrivalTimesUs[k]} at ${k} is not a finite number`);
      prev = s;
    }
    let fbCount = options.feedbackPacketCount;
    let base = baseSequenceNumber;
    let i = 0;
    const deltas: number[] = [];
    while (i < count) {
      const first = i;
      encoder.reset();
      deltas.length = 0;
      const refTime = Math.floor(arrivalTimesUs[i]! / TRANSPORT_FEEDBACK_REFERENCE_TIME_UNIT_US);
      let lastTicks = refTime * (TRANSPORT_FEEDBACK_REFERENCE_TIME_UNIT_US / TRANSPORT_FEEDBACK_DELTA_TICK_US);
      let next = base;
      let deltaBytes = 0;
      while (i < count) {
        const seq = sequenceNumbers[i]!;
        const ticks = Math.round(arrivalTimesUs[i]! / TRANSPORT_FEEDBACK_DELTA_TICK_US);
        const delta = ticks - lastTicks;
        if (delta < -0x8000 || delta > 0x7fff) break;
        if (seq - base + 1 > MAX_STATUS_COUNT) break;
        const gap = seq - next;
        const sym = delta >= 0 && delta <= 255 ? 1 : 2;
        // A cheap upper bound first; the exact size only near the limit.
        const bound = FIXED_BYTES + 2 * (encoder.chunkCount + 3 + Math.ceil(gap / MAX_RUN)) + deltaBytes + sym + 3;
        if (bound > maxBytes) {
          encoder.save();
          encoder.addRun(0, gap);
          encoder.add(sym);
          if (((FIXED_BYTES + 2 * encoder.chunkCount + deltaBytes + sym + 3) & ~3) > maxBytes) {
            encoder.restore();
            break;
          }
        } else {
          encoder.addRun(0, gap);
          encoder.add(sym);
        }
        deltas.push(delta);
        deltaBytes += sym;
        lastTicks = ticks;
        next = seq + 1;
        i++;
      }
      if (i === first) {
        // Not even the first arrival fits after the leading losses: drop them and start at it.
        base = sequenceNumbers[i]!;
        continue;
      }
      const symbols = new Uint8Array(next - base);
      for (let k = first; k < i; k++) symbols[sequenceNumbers[k]! - base] = deltas[k - first]! >= 0 && deltas[k - first]! <= 255 ? 1 : 2;
      const fb = new TransportFeedback({
        senderSsrc: options.senderSsrc,
        mediaSsrc: options.mediaSsrc,
        baseSequenceNumber: base,
        referenceTime: refTime,
        feedbackPacketCount: fbCount,
        symbols,
        deltaTicks: Int16Array.from(deltas),
      });
      fb.chunks = encoder.finish();
      out.push(fb);
      fbCount++;
      base = next;
    }
    return out;
  }
}
