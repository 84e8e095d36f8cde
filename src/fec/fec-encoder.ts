/**
 * The FecEncoder stage: media RTP packets in, RED-wrapped media and ULPFEC packets out
 * (RFC 5109 ULPFEC carried in RFC 2198 RED, as libwebrtc and GStreamer's rtpulpfecenc +
 * rtpredenc send it). FEC packets share the media SSRC and sequence-number space: every
 * outgoing packet takes the next sequence number, so media packets are renumbered, and the FEC
 * protects them as the receiver sees them after unwrapping RED (RFC 5109 10.2).
 *
 * Media packets are grouped: a group closes at the end of a frame (marker bit) once it holds
 * at least 1/fecPerMedia packets, or at `maxGroup` packets; then round(k · fecPerMedia)
 * (at least 1) ULPFEC packets follow, their masks from `fecMaskTable`.
 */
import { checkInt, checkOneOf, InvalidOptionError } from "../errors.js";
import { StageCore, type StageStats } from "../pipeline/stage.js";
import { RtpPacket, RTP_FIXED_HEADER_BYTES } from "../rtp/rtp-packet.js";
import { fecMaskTable } from "./fec-mask-table.js";
import { resolveFecProtection, NO_FEC_PROTECTION, type FecProtection, type ResolvedFecProtection } from "./fec-protection.js";
import { RedPacket } from "./red-packet.js";
import { protectPackets, xorPacketsFor, type XorEngine, type XorPacketsFn } from "./ulpfec-parity.js";

/** Payload types GStreamer's interop recipe and our defaults use. */
export const DEFAULT_RED_PAYLOAD_TYPE = 101;
export const DEFAULT_ULPFEC_PAYLOAD_TYPE = 100;

export interface FecEncoderOptions {
  /** RED payload type (RFC 2198). Default 101. */
  redPayloadType?: number;
  /** ULPFEC payload type inside RED (RFC 5109 14.1). Default 100. */
  ulpfecPayloadType?: number;
  /** Initial protection; change it live with `setProtection`. Default none. */
  protection?: FecProtection;
  /**
   * Sequence number of the first outgoing packet. Default: the first media packet's, so a
   * stream without loss keeps its numbers until the first FEC packet.
   */
  initialSequenceNumber?: number;
  /** Close groups only at frame ends (marker bit), as libwebrtc does per frame. Default true. */
  alignToFrames?: boolean;
  /** Where the XOR runs. Default "wasm". */
  xor?: XorEngine;
}

export class FecEncoder extends StageCore<RtpPacket, RtpPacket> {
  readonly name = "fec-encoder";
  readonly redPayloadType: number;
  readonly ulpfecPayloadType: number;
  private readonly alignToFrames: boolean;
  private readonly xor: XorPacketsFn;
  private protection: ResolvedFecProtection = NO_FEC_PROTECTION;
  private nextSeq = -1;
  private ssrc = -1;
  private group: Uint8Array[] = [];
  private groupFirstSeq = 0;
  private groupLastTimestamp = 0;
  private mediaPackets = 0;
  private mediaBytes = 0;
  private fecPackets = 0;
  private fecBytes = 0;
  private groups = 0;
  private foreignSsrcPackets = 0;

  constructor(options: FecEncoderOptions = {}) {
    super();
    this.redPayloadType = checkInt("redPayloadType", options.redPayloadType ?? DEFAULT_RED_PAYLOAD_TYPE, 0, 127);
    this.ulpfecPayloadType = checkInt("ulpfecPayloadType", options.ulpfecPayloadType ?? DEFAULT_ULPFEC_PAYLOAD_TYPE, 0, 127);
    if (this.redPayloadType === this.ulpfecPayloadType) {
      throw new InvalidOptionError(`Cannot use ulpfecPayloadType=${this.ulpfecPayloadType}: it equals redPayloadType, allowed is any other 0-127`);
    }
    if (options.initialSequenceNumber !== undefined) this.nextSeq = checkInt("initialSequenceNumber", options.initialSequenceNumber, 0, 0xffff);
    this.alignToFrames = options.alignToFrames ?? true;
    this.xor = xorPacketsFor(checkOneOf("xor", options.xor ?? "wasm", ["wasm", "typescript"]));
    if (options.protection) this.protection = resolveFecProtection(options.protection);
  }

  /** Changes the protection; takes effect when the current group closes. */
  setProtection(protection: FecProtection): void {
    this.protection = resolveFecProtection(protection);
  }

  /** The protection in force (defaults applied). */
  getProtection(): ResolvedFecProtection {
    return { ...this.protection };
  }

  /** Sequence number the next outgoing packet will carry (or -1 before the first). */
  get nextSequenceNumber(): number {
    return this.nextSeq;
  }

  push(input: RtpPacket, nowUs: number): void {
    if (this.ssrc < 0) this.ssrc = input.ssrc;
    if (input.ssrc !== this.ssrc || input.payloadType === this.redPayloadType || input.payloadType === this.ulpfecPayloadType) {
      // One encoder protects one stream; anything else passes unprotected.
      this.foreignSsrcPackets++;
      this.out.push(input, nowUs);
      return;
    }
    if (this.nextSeq < 0) this.nextSeq = input.sequenceNumber;
    const seq = this.nextSeq;
    this.nextSeq = (this.nextSeq + 1) & 0xffff;
    // The packet as the receiver will see it after unwrapping RED: renumbered, no padding.
    let bytes = input.serialize();
    if (input.paddingLength > 0) {
      bytes[0] = bytes[0]! & ~0x20;
      bytes = bytes.subarray(0, bytes.length - input.paddingLength);
    }
    bytes[2] = seq >> 8;
    bytes[3] = seq & 0xff;
    const media = RtpPacket.parse(bytes);
    this.mediaPackets++;
    this.mediaBytes += bytes.length;
    const red = RedPacket.wrapSerialized(bytes, media.headerLength, this.redPayloadType);
    const p = this.protection;
    if (p.fecPerMedia > 0) {
      if (this.group.length === 0) this.groupFirstSeq = seq;
      this.group.push(bytes);
      this.groupLastTimestamp = media.timestamp;
    }
    this.out.push(red, nowUs);
    if (this.group.length === 0) return;
    const k = this.group.length;
    const minGroup = Math.min(p.maxGroup, Math.ceil(1 / Math.max(p.fecPerMedia, 1e-9) - 1e-9));
    if (k >= p.maxGroup || (k >= minGroup && (media.marker || !this.alignToFrames))) this.closeGroup(nowUs);
    else if (p.fecPerMedia === 0) this.group = [];
  }

  /** Ends the current group now (for example before a pause), sending its FEC packets. */
  flush(nowUs: number): void {
    if (this.group.length > 0) this.closeGroup(nowUs);
  }

  private closeGroup(nowUs: number): void {
    const group = this.group;
    this.group = [];
    const p = this.protection;
    if (p.fecPerMedia <= 0) return;
    const k = group.length;
    const m = Math.max(1, Math.min(k, Math.round(k * p.fecPerMedia)));
    this.groups++;
    for (const offsets of fecMaskTable(k, m, p.maskType)) {
      // SN base is the first protected packet; the mask is 16 bits when it spans <= 16.
      const first = offsets[0]!;
      const rel = offsets.map((o) => o - first);
      const fec = protectPackets(offsets.map((o) => group[o]!), rel, (this.groupFirstSeq + first) & 0xffff, this.xor);
      const seq = this.nextSeq;
      this.nextSeq = (this.nextSeq + 1) & 0xffff;
      // RTP header (RFC 3550 5.1), the 1-byte RED header (RFC 2198 3), the ULPFEC packet.
      const bytes = new Uint8Array(RTP_FIXED_HEADER_BYTES + 1 + fec.byteLength);
      bytes[0] = 0x80;
      bytes[1] = this.redPayloadType;
      bytes[2] = seq >> 8;
      bytes[3] = seq & 0xff;
      writeU32(bytes, 4, this.groupLastTimestamp);
      writeU32(bytes, 8, this.ssrc);
      bytes[RTP_FIXED_HEADER_BYTES] = this.ulpfecPayloadType;
      fec.serializeInto(bytes, RTP_FIXED_HEADER_BYTES + 1);
      const packet = RtpPacket.parse(bytes);
      this.fecPackets++;
      this.fecBytes += packet.byteLength;
      this.out.push(packet, nowUs);
    }
  }

  override stats(): StageStats {
    return {
      mediaPackets: this.mediaPackets,
      mediaBytes: this.mediaBytes,
      fecPackets: this.fecPackets,
      fecBytes: this.fecBytes,
      groups: this.groups,
      foreignPackets: this.foreignSsrcPackets,
      fecPerMedia: this.protection.fecPerMedia,
    };
  }
}

function writeU32(dst: Uint8Array, o: number, v: number): void {
  dst[o] = v >>> 24;
  dst[o + 1] = (v >>> 16) & 0xff;
  dst[o + 2] = (v >>> 8) & 0xff;
  dst[o + 3] = v & 0xff;
}
