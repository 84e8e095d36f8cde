/**
 * The FecDecoder stage: RED-wrapped media and ULPFEC packets in (RFC 2198, RFC 5109), media
 * RTP packets out. Media passes through at once; recent media and FEC packets are kept in
 * buffers bounded by count and age. An FEC packet whose protected set has exactly one packet
 * missing recovers it (RFC 5109 6.3); a recovered packet may complete another FEC packet's
 * set, so recovery repeats until nothing changes. Recovered packets are emitted as soon as
 * they exist (out of order; the jitter buffer reorders) and `FecDecoder.isRecovered` tells
 * them apart.
 *
 * Garbage is dropped and counted, never thrown: unparsable RED or FEC, FEC whose mask points
 * outside the window around the newest sequence number, unknown payload types, FEC that
 * recovers an impossible length or a packet that does not parse.
 */
import { checkInt, checkOneOf, InvalidOptionError, MalformedPacketError } from "../errors.js";
import { StageCore, type StageStats } from "../pipeline/stage.js";
import { RtpPacket } from "../rtp/rtp-packet.js";
import { SequenceUnwrapper } from "../rtp/wrap-around-unwrapper.js";
import { DEFAULT_RED_PAYLOAD_TYPE, DEFAULT_ULPFEC_PAYLOAD_TYPE } from "./fec-encoder.js";
import { RedPacket } from "./red-packet.js";
import { recoverPacket, xorPacketsFor, type XorEngine, type XorPacketsFn } from "./ulpfec-parity.js";
import { UlpfecPacket } from "./ulpfec-packet.js";

export interface FecDecoderOptions {
  /** RED payload type (RFC 2198). Default 101. */
  redPayloadType?: number;
  /** ULPFEC payload type, inside RED or on its own. Default 100. */
  ulpfecPayloadType?: number;
  /**
   * Media payload types expected inside RED; others (and packets recovered with another PT)
   * are dropped and counted. Default: any but RED and ULPFEC.
   */
  mediaPayloadTypes?: readonly number[];
  /** Media packets kept for recovery. Default 512 (10+ groups of 48). */
  maxMediaPackets?: number;
  /** FEC packets kept while their groups are incomplete. Default 64. */
  maxFecPackets?: number;
  /** Oldest packet kept, by arrival time. Default 1 000 000 µs. */
  maxAgeUs?: number;
  /**
   * FEC packets protecting sequence numbers further than this from the newest one seen are
   * dropped as garbage. Default 1024.
   */
  maxSequenceDistance?: number;
  /** Where the XOR runs. Default "wasm". */
  xor?: XorEngine;
}

interface StoredFec {
  fec: UlpfecPacket;
  ssrc: number;
  /** Unwrapped sequence numbers protected. */
  seqs: number[];
  arrivalUs: number;
}

interface StoredMedia {
  bytes: Uint8Array;
  arrivalUs: number;
}

/** Size of the ring of sequence numbers seen (for "was this packet ever received?"). */
const SEEN_RING = 4096;

const recoveredPackets = new WeakSet<RtpPacket>();

export class FecDecoder extends StageCore<RtpPacket, RtpPacket> {
  readonly name = "fec-decoder";
  readonly redPayloadType: number;
  readonly ulpfecPayloadType: number;
  private readonly mediaPts: Set<number> | null;
  private readonly maxMedia: number;
  private readonly maxFec: number;
  private readonly maxAgeUs: number;
  private readonly maxDistance: number;
  private readonly xor: XorPacketsFn;
  private readonly unwrapper = new SequenceUnwrapper();
  /** Media by unwrapped sequence number, in arrival order. */
  private readonly media = new Map<number, StoredMedia>();
  private fecs: StoredFec[] = [];
  /** Sequence numbers protected by the stored FEC packets: only their arrival can help. */
  private pendingSeqs = new Set<number>();
  /** Unwrapped sequence number of the last media packet received (NaN before the first). */
  private recentU = NaN;
  /** seen[u % SEEN_RING] === u when unwrapped sequence number u arrived or was recovered. */
  private readonly seen = new Float64Array(SEEN_RING).fill(-1);
  private counters = {
    mediaPackets: 0,
    fecPackets: 0,
    recovered: 0,
    passedThrough: 0,
    duplicates: 0,
    malformed: 0,
    unknownPayloadType: 0,
    fecOutOfWindow: 0,
    fecUnrecoverable: 0,
    fecExpired: 0,
    recoveryFailed: 0,
    redundantBlocksIgnored: 0,
  };

  constructor(options: FecDecoderOptions = {}) {
    super();
    this.redPayloadType = checkInt("redPayloadType", options.redPayloadType ?? DEFAULT_RED_PAYLOAD_TYPE, 0, 127);
    this.ulpfecPayloadType = checkInt("ulpfecPayloadType", options.ulpfecPayloadType ?? DEFAULT_ULPFEC_PAYLOAD_TYPE, 0, 127);
    if (this.redPayloadType === this.ulpfecPayloadType) {
      throw new InvalidOptionError(`Cannot use ulpfecPayloadType=${this.ulpfecPayloadType}: it equals redPayloadType, allowed is any other 0-127`);
    }
    if (options.mediaPayloadTypes) {
      for (const pt of options.mediaPayloadTypes) checkInt("mediaPayloadTypes[]", pt, 0, 127);
      this.mediaPts = new Set(options.mediaPayloadTypes);
    } else {
      this.mediaPts = null;
    }
    this.maxMedia = checkInt("maxMediaPackets", options.maxMediaPackets ?? 512, 48, 65536);
    this.maxFec = checkInt("maxFecPackets", options.maxFecPackets ?? 64, 1, 4096);
    this.maxAgeUs = checkInt("maxAgeUs", options.maxAgeUs ?? 1_000_000, 1000, 60_000_000);
    this.maxDistance = checkInt("maxSequenceDistance", options.maxSequenceDistance ?? 1024, 48, SEEN_RING - 64);
    this.xor = xorPacketsFor(checkOneOf("xor", options.xor ?? "wasm", ["wasm", "typescript"]));
  }

  /** True for packets this decoder (any instance) recovered from FEC rather than received. */
  static isRecovered(packet: RtpPacket): boolean {
    return recoveredPackets.has(packet);
  }

  /** Packets currently buffered (media, FEC): for tests of the bounds. */
  get buffered(): { media: number; fec: number } {
    return { media: this.media.size, fec: this.fecs.length };
  }

  push(input: RtpPacket, nowUs: number): void {
    const pt = input.payloadType;
    if (pt === this.redPayloadType) {
      let red: RedPacket;
      try {
        red = RedPacket.parse(input.payload);
      } catch (e) {
        if (!(e instanceof MalformedPacketError)) throw e;
        this.counters.malformed++;
        return;
      }
      if (red.blocks.length > 1) this.counters.redundantBlocksIgnored += red.blocks.length - 1;
      const block = red.primary;
      if (block.payloadType === this.ulpfecPayloadType) {
        this.onFec(block.data, input.sequenceNumber, input.ssrc, nowUs);
      } else if (block.payloadType === this.redPayloadType || (this.mediaPts !== null && !this.mediaPts.has(block.payloadType))) {
        this.counters.unknownPayloadType++;
      } else {
        const bytes = RedPacket.primaryBytes(input, block);
        this.onMedia(RtpPacket.parse(bytes), bytes, nowUs);
      }
    } else if (pt === this.ulpfecPayloadType) {
      this.onFec(input.payload, input.sequenceNumber, input.ssrc, nowUs);
    } else if (this.mediaPts !== null && !this.mediaPts.has(pt)) {
      this.counters.unknownPayloadType++;
    } else {
      this.counters.passedThrough++;
      this.onMedia(input, null, nowUs);
    }
    this.expire(nowUs);
  }

  override tick(nowUs: number): void {
    this.expire(nowUs);
  }

  private isSeen(u: number): boolean {
    return this.seen[((u % SEEN_RING) + SEEN_RING) % SEEN_RING] === u;
  }

  private markSeen(u: number): void {
    this.seen[((u % SEEN_RING) + SEEN_RING) % SEEN_RING] = u;
  }

  /** `bytes`: the packet serialized, when the caller has it already. */
  private onMedia(packet: RtpPacket, bytes: Uint8Array | null, nowUs: number): void {
    const u = this.unwrapper.unwrap(packet.sequenceNumber);
    if (this.isSeen(u)) {
      // A duplicate, or the original of a packet already recovered.
      this.counters.duplicates++;
      return;
    }
    this.markSeen(u);
    // The window for FEC follows the last media packet, not the highest number ever seen, so
    // one forged packet far ahead cannot push every later FEC packet out of the window.
    this.recentU = u;
    this.counters.mediaPackets++;
    this.out.push(packet, nowUs);
    this.store(u, bytes ?? packet.serialize(), nowUs);
    if (this.pendingSeqs.has(u)) this.recover(nowUs);
  }

  private store(u: number, bytes: Uint8Array, nowUs: number): void {
    this.media.set(u, { bytes, arrivalUs: nowUs });
    while (this.media.size > this.maxMedia) {
      const oldest = this.media.keys().next().value as number;
      this.media.delete(oldest);
    }
  }

  private onFec(payload: Uint8Array, seq: number, ssrc: number, nowUs: number): void {
    let fec: UlpfecPacket;
    try {
      fec = UlpfecPacket.parse(payload);
    } catch (e) {
      if (!(e instanceof MalformedPacketError)) throw e;
      this.counters.malformed++;
      return;
    }
    // The FEC packet itself takes a sequence number of the shared space (libwebrtc, GStreamer);
    // it is only peeked, so FEC never moves the unwrapping reference.
    const own = this.unwrapper.peek(seq);
    const base = this.unwrapper.peek(fec.snBase);
    const last = base + fec.protectedOffsets[fec.protectedOffsets.length - 1]!;
    const ref = Number.isNaN(this.recentU) ? own : this.recentU;
    if (Math.abs(ref - base) > this.maxDistance || Math.abs(own - last) > this.maxDistance) {
      this.counters.fecOutOfWindow++;
      return;
    }
    if (this.mediaPts !== null && !this.mediaPts.has(fec.markerPtRecovery & 0x7f) && fec.protectedOffsets.length === 1) {
      // A single protected packet's PT is the PT recovery field itself.
      this.counters.unknownPayloadType++;
      return;
    }
    this.counters.fecPackets++;
    this.fecs.push({ fec, ssrc, seqs: fec.protectedOffsets.map((o) => base + o), arrivalUs: nowUs });
    if (this.fecs.length > this.maxFec) {
      this.fecs.shift();
      this.counters.fecExpired++;
    }
    this.recover(nowUs);
  }

  /** Repeats single-loss recovery over the stored FEC packets until nothing changes. */
  private recover(nowUs: number): void {
    let progress = true;
    while (progress) {
      progress = false;
      const keep: StoredFec[] = [];
      for (const f of this.fecs) {
        let missing = -1;
        let missingCount = 0;
        let unavailable = false;
        for (const s of f.seqs) {
          if (!this.isSeen(s)) {
            missingCount++;
            missing = s;
          } else if (!this.media.has(s)) {
            unavailable = true; // received once, evicted since: cannot take part any more
          }
        }
        if (missingCount === 0) continue; // nothing to do: done with this FEC packet
        if (missingCount > 1 || unavailable) {
          if (unavailable && missingCount === 1) {
            this.counters.fecUnrecoverable++;
            continue;
          }
          keep.push(f);
          continue;
        }
        const present = f.seqs.filter((s) => s !== missing).map((s) => this.media.get(s)!.bytes);
        let packet: RtpPacket;
        try {
          const bytes = recoverPacket(f.fec, present, missing & 0xffff, f.ssrc, this.xor);
          packet = RtpPacket.parse(bytes);
          if (packet.payloadType === this.redPayloadType || packet.payloadType === this.ulpfecPayloadType || (this.mediaPts !== null && !this.mediaPts.has(packet.payloadType))) {
            throw new MalformedPacketError(`Cannot recover packet: payload type ${packet.payloadType} is not a media type`);
          }
        } catch (e) {
          if (!(e instanceof MalformedPacketError)) throw e;
          this.counters.recoveryFailed++;
          continue;
        }
        recoveredPackets.add(packet);
        this.markSeen(missing);
        this.counters.recovered++;
        this.store(missing, packet.serialize(), nowUs);
        this.out.push(packet, nowUs);
        progress = true;
      }
      this.fecs = keep;
    }
    this.indexPending();
  }

  private indexPending(): void {
    this.pendingSeqs.clear();
    for (const f of this.fecs) for (const s of f.seqs) this.pendingSeqs.add(s);
  }

  private expire(nowUs: number): void {
    const limit = nowUs - this.maxAgeUs;
    for (const [u, m] of this.media) {
      if (m.arrivalUs >= limit) break;
      this.media.delete(u);
    }
    if (this.fecs.length > 0 && this.fecs[0]!.arrivalUs < limit) {
      const before = this.fecs.length;
      this.fecs = this.fecs.filter((f) => f.arrivalUs >= limit);
      this.counters.fecExpired += before - this.fecs.length;
      this.indexPending();
    }
  }

  override stats(): StageStats {
    return { ...this.counters, bufferedMedia: this.media.size, bufferedFec: this.fecs.length };
  }
}
