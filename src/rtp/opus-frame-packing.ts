/**
 * Several 20 ms Opus frames in one packet, and back (RFC 6716 3.2, "code 3" packets; RFC 7587
 * 4.2 lets an RTP packet carry up to 120 ms of Opus). At low rates the per-packet headers are
 * most of the audio on the wire (IP/UDP 28 + RTP 12 + extension 8 + SRTP tag 16 bytes against
 * ~40 bytes of Opus at 16 kbps), so a sender may pack three 20 ms frames per packet, as
 * libwebrtc's audio network adaptor lengthens its frames on a slow uplink; the receiver splits
 * them back into 20 ms packets for its 20 ms playout.
 *
 * TOC byte (RFC 6716 3.1): config (5 bits) | s (stereo) | c (frame count code).
 * Code 3 (3.2.5): frame count byte v (VBR) | p (padding) | M (1-48 frames); with p, padding
 * length bytes (255 = 254 and another byte follows); with v, M - 1 frame lengths (3.2.1: one byte
 * up to 251, else two: 4 x second + first); the frames; the padding.
 */
import { MalformedPacketError } from "../errors.js";

/** Longest Opus frame in bytes (RFC 6716 3.2.1). */
const MAX_FRAME_BYTES = 1275;
/** Most audio in one packet (RFC 6716 3.2.5). */
const MAX_PACKET_US = 120_000;

function fail(reason: string): never {
  throw new MalformedPacketError(`Cannot parse an Opus packet: ${reason}`);
}

/** Duration of one frame (µs) for a TOC byte's config (RFC 6716 3.1, Table 2). */
export function opusFrameDurationUs(toc: number): number {
  const config = toc >> 3;
  if (config < 12) return [10_000, 20_000, 40_000, 60_000][config & 3]!; // SILK-only NB/MB/WB
  if (config < 16) return [10_000, 20_000][config & 1]!; // hybrid SWB/FB
  return [2_500, 5_000, 10_000, 20_000][config & 3]!; // CELT-only
}

/** The frames of one Opus packet (views into it), after checking its framing (RFC 6716 3.2). */
export function opusFrames(packet: Uint8Array): Uint8Array[] {
  const n = packet.length;
  if (n < 1) fail("it is empty (RFC 6716 3.4 R1)");
  const code = packet[0]! & 3;
  if (code === 0) {
    if (n - 1 > MAX_FRAME_BYTES) fail(`a ${n - 1}-byte frame is longer than ${MAX_FRAME_BYTES}`);
    return [packet.subarray(1)];
  }
  if (code === 1) {
    if ((n - 1) % 2 !== 0) fail("code 1 needs two frames of equal size (RFC 6716 3.4 R3)");
    const half = (n - 1) / 2;
    if (half > MAX_FRAME_BYTES) fail(`a ${half}-byte frame is longer than ${MAX_FRAME_BYTES}`);
    return [packet.subarray(1, 1 + half), packet.subarray(1 + half)];
  }
  if (code === 2) {
    const [first, o] = readFrameLength(packet, 1, n);
    if (o + first > n) fail("code 2's first frame runs past the packet (RFC 6716 3.4 R4)");
    if (n - o - first > MAX_FRAME_BYTES) fail(`a ${n - o - first}-byte frame is longer than ${MAX_FRAME_BYTES}`);
    return [packet.subarray(o, o + first), packet.subarray(o + first)];
  }
  if (n < 2) fail("code 3 needs a frame count byte (RFC 6716 3.4 R6)");
  const countByte = packet[1]!;
  const vbr = (countByte & 0x80) !== 0;
  const padded = (countByte & 0x40) !== 0;
  const m = countByte & 0x3f;
  if (m === 0) fail("code 3 with 0 frames (RFC 6716 3.4 R5)");
  if (m * opusFrameDurationUs(packet[0]!) > MAX_PACKET_US) fail(`${m} frames are more than 120 ms (RFC 6716 3.4 R5)`);
  let o = 2;
  let padding = 0;
  if (padded) {
    for (;;) {
      if (o >= n) fail("code 3 padding length runs past the packet");
      const b = packet[o++]!;
      padding += b === 255 ? 254 : b;
      if (b !== 255) break;
    }
  }
  const end = n - padding;
  if (end < o) fail("code 3 padding is longer than the packet (RFC 6716 3.4 R6/R7)");
  const lengths: number[] = [];
  if (vbr) {
    for (let i = 0; i < m - 1; i++) {
      const [len, next] = readFrameLength(packet, o, end);
      lengths.push(len);
      o = next;
    }
    const used = lengths.reduce((a, b) => a + b, 0);
    if (o + used > end) fail("code 3 frame lengths run past the packet (RFC 6716 3.4 R6)");
    const last = end - o - used;
    if (last > MAX_FRAME_BYTES) fail(`a ${last}-byte frame is longer than ${MAX_FRAME_BYTES}`);
    lengths.push(last);
  } else {
    const total = end - o;
    if (total % m !== 0) fail("code 3 CBR frames do not divide the packet evenly (RFC 6716 3.4 R7)");
    const each = total / m;
    if (each > MAX_FRAME_BYTES) fail(`a ${each}-byte frame is longer than ${MAX_FRAME_BYTES}`);
    for (let i = 0; i < m; i++) lengths.push(each);
  }
  const frames: Uint8Array[] = [];
  for (const len of lengths) {
    frames.push(packet.subarray(o, o + len));
    o += len;
  }
  return frames;
}

/** RFC 6716 3.2.1: a frame length in one byte (0-251) or two (252-1275). */
function readFrameLength(packet: Uint8Array, o: number, end: number): [number, number] {
  if (o >= end) fail("a frame length runs past the packet");
  const b0 = packet[o]!;
  if (b0 < 252) return [b0, o + 1];
  if (o + 1 >= end) fail("a two-byte frame length runs past the packet");
  return [packet[o + 1]! * 4 + b0, o + 2];
}

function writeFrameLength(len: number, out: number[]): void {
  if (len < 252) {
    out.push(len);
  } else {
    const b0 = 252 + (len & 3);
    out.push(b0, (len - b0) / 4);
  }
}

/**
 * Packs single-frame (code 0) packets of the same configuration (TOC config and stereo bit)
 * into one code 3 VBR packet, in order. Returns undefined when they cannot share a packet
 * (another code, another configuration, a frame over 1275 bytes, more than 120 ms).
 */
export function packOpusFrames(packets: readonly Uint8Array[]): Uint8Array | undefined {
  if (packets.length === 0) return undefined;
  const toc = packets[0]![0];
  if (toc === undefined) return undefined;
  if (packets.length === 1) return packets[0];
  if (packets.length > 48 || packets.length * opusFrameDurationUs(toc) > MAX_PACKET_US) return undefined;
  const header: number[] = [(toc & 0xfc) | 3, 0x80 | packets.length];
  let body = 0;
  for (let i = 0; i < packets.length; i++) {
    const p = packets[i]!;
    if (p.length < 1 || (p[0]! & 3) !== 0 || (p[0]! & 0xfc) !== (toc & 0xfc) || p.length - 1 > MAX_FRAME_BYTES) return undefined;
    if (i < packets.length - 1) writeFrameLength(p.length - 1, header);
    body += p.length - 1;
  }
  const out = new Uint8Array(header.length + body);
  out.set(header, 0);
  let o = header.length;
  for (const p of packets) {
    out.set(p.subarray(1), o);
    o += p.length - 1;
  }
  return out;
}

/**
 * Splits a packet of several 20 ms frames into single-frame (code 0) packets, one per frame,
 * in order; a packet of one frame, or of frames that are not 20 ms each, comes back as it is.
 * Throws MalformedPacketError on bad framing.
 */
export function splitOpusPacket(packet: Uint8Array): Uint8Array[] {
  const frames = opusFrames(packet);
  if (frames.length === 1 || opusFrameDurationUs(packet[0]!) !== 20_000) return [packet];
  const toc = packet[0]! & 0xfc;
  return frames.map((f) => {
    const out = new Uint8Array(1 + f.length);
    out[0] = toc;
    out.set(f, 1);
    return out;
  });
}
