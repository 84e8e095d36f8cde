/**
 * RTP payload for redundant data, RED (RFC 2198 section 3): a list of block headers followed by
 * the block data. Every header but the last is 4 bytes (F=1, block PT, 14-bit timestamp offset,
 * 10-bit block length); the last is 1 byte (F=0, block PT) and its block, the primary encoding,
 * takes the rest of the payload. ULPFEC in RED (as libwebrtc and GStreamer's rtpredenc use it)
 * carries one block per packet: either a media packet's payload or an ULPFEC packet.
 */
import { InvalidOptionError, MalformedPacketError } from "../errors.js";
import { RtpPacket } from "../rtp/rtp-packet.js";

/** One RED block (RFC 2198 3). */
export interface RedBlock {
  /** Payload type of the block's data, 0-127. */
  payloadType: number;
  /** RTP timestamp of the primary minus this block's (14 bits); always 0 for the primary. */
  timestampOffset: number;
  /** The block data (a view into the parsed bytes). */
  data: Uint8Array;
}

/** Largest block length a 10-bit RED header can carry (RFC 2198 3). */
export const RED_MAX_BLOCK_BYTES = 1023;
/** Largest timestamp offset a 14-bit RED header can carry (RFC 2198 3). */
export const RED_MAX_TIMESTAMP_OFFSET = 0x3fff;

function fail(reason: string): never {
  throw new MalformedPacketError(`Cannot parse RED payload: ${reason}`);
}

export class RedPacket {
  /** Redundant blocks first (oldest first), the primary block last (RFC 2198 3). */
  readonly blocks: readonly RedBlock[];

  constructor(blocks: readonly RedBlock[]) {
    if (blocks.length === 0) throw new InvalidOptionError("Cannot build RED payload: needs at least the primary block");
    blocks.forEach((b, i) => {
      const last = i === blocks.length - 1;
      if (!Number.isInteger(b.payloadType) || b.payloadType < 0 || b.payloadType > 127) {
        throw new InvalidOptionError(`Cannot build RED payload: block ${i} payloadType=${b.payloadType}, allowed is an integer from 0 to 127`);
      }
      if (!last && (b.data.length > RED_MAX_BLOCK_BYTES || !Number.isInteger(b.timestampOffset) || b.timestampOffset < 0 || b.timestampOffset > RED_MAX_TIMESTAMP_OFFSET)) {
        throw new InvalidOptionError(
          `Cannot build RED payload: redundant block ${i} has ${b.data.length} bytes at offset ${b.timestampOffset}, allowed is at most ${RED_MAX_BLOCK_BYTES} bytes and offset 0-${RED_MAX_TIMESTAMP_OFFSET}`,
        );
      }
    });
    this.blocks = blocks;
  }

  /** The primary block (the last, RFC 2198 3). */
  get primary(): RedBlock {
    return this.blocks[this.blocks.length - 1]!;
  }

  /** Size of the RED payload: 4 bytes per redundant header, 1 for the primary, plus data. */
  get byteLength(): number {
    let n = 1 + 4 * (this.blocks.length - 1);
    for (const b of this.blocks) n += b.data.length;
    return n;
  }

  /**
   * Parses the payload of a RED packet (RFC 2198 3). Block data are views into `payload`.
   * Throws MalformedPacketError when the headers run past the payload or the block lengths
   * exceed it.
   */
  static parse(payload: Uint8Array): RedPacket {
    const len = payload.length;
    const heads: { payloadType: number; timestampOffset: number; length: number }[] = [];
    let o = 0;
    for (;;) {
      if (o >= len) fail(`block headers run past the ${len}-byte payload (no final header with F=0)`);
      const b0 = payload[o]!;
      if ((b0 & 0x80) === 0) {
        heads.push({ payloadType: b0, timestampOffset: 0, length: -1 });
        o += 1;
        break;
      }
      if (o + 4 > len) fail(`redundant block header at byte ${o} overruns the ${len}-byte payload`);
      const b1 = payload[o + 1]!;
      const b2 = payload[o + 2]!;
      const b3 = payload[o + 3]!;
      heads.push({ payloadType: b0 & 0x7f, timestampOffset: (b1 << 6) | (b2 >> 2), length: ((b2 & 0x03) << 8) | b3 });
      o += 4;
    }
    const blocks: RedBlock[] = [];
    for (const h of heads) {
      const n = h.length < 0 ? len - o : h.length;
      if (o + n > len) fail(`block of ${n} bytes at byte ${o} overruns the ${len}-byte payload`);
      blocks.push({ payloadType: h.payloadType, timestampOffset: h.timestampOffset, data: payload.subarray(o, o + n) });
      o += n;
    }
    return new RedPacket(blocks);
  }

  /** Writes the RED payload at `offset`; returns bytes written. */
  serializeInto(dst: Uint8Array, offset: number): number {
    const total = this.byteLength;
    if (offset + total > dst.length) throw new RangeError(`Cannot serialize RED payload: needs ${total} bytes at offset ${offset}, buffer has ${dst.length}`);
    let o = offset;
    const last = this.blocks.length - 1;
    this.blocks.forEach((b, i) => {
      if (i === last) {
        dst[o++] = b.payloadType;
        return;
      }
      dst[o] = 0x80 | b.payloadType;
      dst[o + 1] = b.timestampOffset >> 6;
      dst[o + 2] = ((b.timestampOffset & 0x3f) << 2) | (b.data.length >> 8);
      dst[o + 3] = b.data.length & 0xff;
      o += 4;
    });
    for (const b of this.blocks) {
      dst.set(b.data, o);
      o += b.data.length;
    }
    return o - offset;
  }

  serialize(): Uint8Array {
    const out = new Uint8Array(this.byteLength);
    this.serializeInto(out, 0);
    return out;
  }

  /**
   * Wraps an RTP packet as a primary-only RED packet (RFC 2198 3, one 1-byte header): same
   * header (marker, sequence number, timestamp, SSRC, CSRCs, extension), payload type `redPt`,
   * payload = [F=0 | original PT] + original payload. Padding is not carried (RED blocks have
   * none), so the receiver unwraps the packet without it.
   */
  static wrap(packet: RtpPacket, redPayloadType: number): RtpPacket {
    const bytes = packet.serialize();
    return RedPacket.wrapSerialized(bytes.subarray(0, bytes.length - packet.paddingLength), packet.headerLength, redPayloadType);
  }

  /**
   * `wrap` for a packet already serialized without padding (`bytes`, header of `headerLength`
   * bytes): one copy into the RED packet.
   */
  static wrapSerialized(bytes: Uint8Array, headerLength: number, redPayloadType: number): RtpPacket {
    const head = headerLength;
    const payloadLen = bytes.length - head;
    const out = new Uint8Array(head + 1 + payloadLen);
    out.set(bytes.subarray(0, head), 0);
    out[0] = bytes[0]! & ~0x20; // no padding
    out[1] = (bytes[1]! & 0x80) | (redPayloadType & 0x7f);
    out[head] = bytes[1]! & 0x7f;
    out.set(bytes.subarray(head, head + payloadLen), head + 1);
    return RtpPacket.parse(out);
  }

  /**
   * The primary block of a RED packet as an RTP packet (what rtpreddec and libwebrtc emit):
   * the RED packet's header with the block's payload type, payload = the block data, no
   * padding. The returned packet's bytes are fresh (it does not alias `red`).
   */
  static unwrap(red: RtpPacket): RtpPacket {
    return RedPacket.primaryAsPacket(red, RedPacket.parse(red.payload).primary);
  }

  /** An RTP packet made of `red`'s header and `block` (see `unwrap`). */
  static primaryAsPacket(red: RtpPacket, block: RedBlock): RtpPacket {
    return RtpPacket.parse(RedPacket.primaryBytes(red, block));
  }

  /** The serialized bytes of `primaryAsPacket(red, block)` (fresh, not aliasing `red`). */
  static primaryBytes(red: RtpPacket, block: RedBlock): Uint8Array {
    const head = red.headerLength;
    const out = new Uint8Array(head + block.data.length);
    red.serializeInto(scratchFor(red.byteLength), 0);
    out.set(scratch.subarray(0, head), 0);
    out[0] = scratch[0]! & ~0x20;
    out[1] = (scratch[1]! & 0x80) | block.payloadType;
    out.set(block.data, head);
    return out;
  }
}

let scratch = new Uint8Array(1500);
function scratchFor(n: number): Uint8Array {
  if (scratch.length < n) scratch = new Uint8Array(Math.max(n, 2 * scratch.length));
  return scratch;
}
