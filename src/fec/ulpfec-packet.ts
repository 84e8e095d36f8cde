/**
 * The ULPFEC packet payload (RFC 5109 section 7): the 10-byte FEC header (7.3) and one
 * level-0 header (7.4) with its protection length and a 16-bit mask, or a 48-bit mask when
 * the L bit is set, followed by the level-0 payload (the XOR of the protected packets' bytes
 * after their 12-byte RTP headers, zero-padded to the longest, RFC 5109 6.2 and 10.2).
 *
 * ```
 *  0                   1                   2                   3
 * |E|L|P|X|  CC   |M| PT recovery |            SN base            |   FEC header (7.3)
 * |                          TS recovery                          |
 * |        length recovery        |
 *                                 |       Protection Length       |   level 0 header (7.4)
 * |             mask              |      mask cont. (L = 1)       |
 * |                  mask cont. (L = 1, 32 more bits)              |
 * ```
 * Bit i of the mask (most significant first) set means sequence number SN base + i is protected.
 */
import { InvalidOptionError, MalformedPacketError } from "../errors.js";

/** Size of the FEC header (RFC 5109 7.3). */
export const ULPFEC_HEADER_BYTES = 10;
/** Mask bits with L = 0 and L = 1 (RFC 5109 7.4). */
export const ULPFEC_SHORT_MASK_BITS = 16;
export const ULPFEC_LONG_MASK_BITS = 48;

export interface UlpfecPacketInit {
  /** P, X and CC recovery: the low 6 bits of the first byte (RFC 5109 7.3). */
  headerRecovery: number;
  /** M recovery (bit 7) and PT recovery (bits 0-6): the second byte. */
  markerPtRecovery: number;
  /** Sequence number of the first packet the mask refers to. */
  snBase: number;
  /** XOR of the protected packets' RTP timestamps. */
  tsRecovery: number;
  /** XOR of the protected packets' lengths minus 12 (CSRCs, extension, payload, padding). */
  lengthRecovery: number;
  /** Sequence-number offsets from `snBase` that this packet protects, ascending, each 0-47. */
  protectedOffsets: readonly number[];
  /** The level-0 payload; its length is the protection length. */
  payload: Uint8Array;
  /** Force the 48-bit mask (L = 1) even when every offset is below 16. Default false. */
  longMask?: boolean;
}

function fail(reason: string): never {
  throw new MalformedPacketError(`Cannot parse ULPFEC packet: ${reason}`);
}

export class UlpfecPacket {
  headerRecovery: number;
  markerPtRecovery: number;
  snBase: number;
  tsRecovery: number;
  lengthRecovery: number;
  /** Offsets from `snBase`, ascending. */
  protectedOffsets: readonly number[];
  /** The L bit: 48-bit mask. */
  longMask: boolean;
  /** Level-0 payload (a view after parse); its length is the protection length. */
  payload: Uint8Array;

  constructor(init: UlpfecPacketInit) {
    const offs = init.protectedOffsets;
    if (offs.length === 0) throw new InvalidOptionError("Cannot build ULPFEC packet: it protects no packet");
    let prev = -1;
    for (const o of offs) {
      if (!Number.isInteger(o) || o <= prev || o >= ULPFEC_LONG_MASK_BITS) {
        throw new InvalidOptionError(`Cannot build ULPFEC packet: offsets ${offs.join(",")} must be ascending integers from 0 to 47`);
      }
      prev = o;
    }
    if (init.payload.length > 0xffff) throw new InvalidOptionError(`Cannot build ULPFEC packet: protection length ${init.payload.length} exceeds 65535`);
    this.headerRecovery = init.headerRecovery & 0x3f;
    this.markerPtRecovery = init.markerPtRecovery & 0xff;
    this.snBase = init.snBase & 0xffff;
    this.tsRecovery = init.tsRecovery >>> 0;
    this.lengthRecovery = init.lengthRecovery & 0xffff;
    this.protectedOffsets = offs;
    this.longMask = (init.longMask ?? false) || prev >= ULPFEC_SHORT_MASK_BITS;
    this.payload = init.payload;
  }

  /** Protection length of level 0 (RFC 5109 7.4). */
  get protectionLength(): number {
    return this.payload.length;
  }

  get byteLength(): number {
    return ULPFEC_HEADER_BYTES + (this.longMask ? 8 : 4) + this.payload.length;
  }

  /**
   * Parses an ULPFEC payload (RFC 5109 7.3, 7.4). Reads level 0 only; bytes after the level-0
   * payload (higher levels, which libwebrtc and GStreamer never send) are ignored. Throws
   * MalformedPacketError on a short packet, the reserved E bit, an empty mask, or a payload
   * shorter than the protection length.
   */
  static parse(bytes: Uint8Array): UlpfecPacket {
    const len = bytes.length;
    if (len < ULPFEC_HEADER_BYTES + 4) fail(`${len} bytes is shorter than the 14-byte FEC and level-0 headers`);
    const b0 = bytes[0]!;
    if ((b0 & 0x80) !== 0) fail("the E bit is set (reserved for extensions, RFC 5109 7.3)");
    const longMask = (b0 & 0x40) !== 0;
    const head = ULPFEC_HEADER_BYTES + (longMask ? 8 : 4);
    if (len < head) fail(`${len} bytes is shorter than the ${head}-byte headers with L=1`);
    const protLen = (bytes[10]! << 8) | bytes[11]!;
    if (head + protLen > len) fail(`protection length ${protLen} overruns the ${len - head} payload bytes`);
    const offsets: number[] = [];
    const maskBytes = longMask ? 6 : 2;
    for (let i = 0; i < maskBytes; i++) {
      const m = bytes[12 + i]!;
      if (m === 0) continue;
      for (let bit = 0; bit < 8; bit++) if ((m & (0x80 >> bit)) !== 0) offsets.push(8 * i + bit);
    }
    if (offsets.length === 0) fail("the mask protects no packet");
    const p = Object.create(UlpfecPacket.prototype) as UlpfecPacket;
    p.headerRecovery = b0 & 0x3f;
    p.markerPtRecovery = bytes[1]!;
    p.snBase = (bytes[2]! << 8) | bytes[3]!;
    p.tsRecovery = ((bytes[4]! << 24) | (bytes[5]! << 16) | (bytes[6]! << 8) | bytes[7]!) >>> 0;
    p.lengthRecovery = (bytes[8]! << 8) | bytes[9]!;
    p.protectedOffsets = offsets;
    p.longMask = longMask;
    p.payload = bytes.subarray(head, head + protLen);
    return p;
  }

  /** Writes the packet at `offset`; returns bytes written. */
  serializeInto(dst: Uint8Array, offset: number): number {
    const total = this.byteLength;
    if (offset + total > dst.length) throw new RangeError(`Cannot serialize ULPFEC packet: needs ${total} bytes at offset ${offset}, buffer has ${dst.length}`);
    const o = offset;
    dst[o] = (this.longMask ? 0x40 : 0) | this.headerRecovery;
    dst[o + 1] = this.markerPtRecovery;
    dst[o + 2] = this.snBase >> 8;
    dst[o + 3] = this.snBase & 0xff;
    dst[o + 4] = this.tsRecovery >>> 24;
    dst[o + 5] = (this.tsRecovery >>> 16) & 0xff;
    dst[o + 6] = (this.tsRecovery >>> 8) & 0xff;
    dst[o + 7] = this.tsRecovery & 0xff;
    dst[o + 8] = this.lengthRecovery >> 8;
    dst[o + 9] = this.lengthRecovery & 0xff;
    dst[o + 10] = this.payload.length >> 8;
    dst[o + 11] = this.payload.length & 0xff;
    const maskBytes = this.longMask ? 6 : 2;
    dst.fill(0, o + 12, o + 12 + maskBytes);
    for (const off of this.protectedOffsets) dst[o + 12 + (off >> 3)]! |= 0x80 >> (off & 7);
    dst.set(this.payload, o + 12 + maskBytes);
    return total;
  }

  serialize(): Uint8Array {
    const out = new Uint8Array(this.byteLength);
    this.serializeInto(out, 0);
    return out;
  }
}
