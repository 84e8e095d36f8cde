/**
 * The contract between the generic Packetizer/Depacketizer stages and one codec's RTP payload
 * format (VP8 RFC 7741, VP9 RFC 9628, Opus RFC 7587).
 */
import type { EncodedFrame } from "../codec/encoded-frame.js";

/** Splits frames of one codec into RTP payloads. */
export interface CodecPacketizer {
  /**
   * Returns the payloads of one frame, each at most `maxPayloadBytes` (descriptor included),
   * in send order. Advances per-frame state such as the PictureID.
   */
  packetize(frame: EncodedFrame, maxPayloadBytes: number): Uint8Array[];
  /** The largest descriptor this format may add to a packet (used to validate the MTU). */
  readonly maxDescriptorBytes: number;
}

/**
 * What a codec depacketizer learns from one RTP payload. One object is reused per
 * depacketizer (read it before the next `parse`).
 */
export interface DepacketizedPayload {
  /** This packet begins a frame (VP8 S=1 PID=0, VP9 B=1, always for Opus). */
  startOfFrame: boolean;
  /** The frame is a keyframe; meaningful when `startOfFrame`. */
  keyframe: boolean;
  /** Codec bytes after the descriptor (a view). */
  data: Uint8Array;
  /** PictureID, or -1. */
  pictureId: number;
  /** PictureID modulus (128 or 32768), for reference arithmetic. */
  pictureIdModulus: number;
  /** VP9 flexible-mode reference PictureID differences, or null when not known. */
  pDiffs: readonly number[] | null;
  /** Temporal layer (VP8 TID, RFC 7741 4.2), or -1 when the stream does not signal layers. */
  tid: number;
  /** Running index of the temporal base layer frames (VP8 TL0PICIDX), or -1. */
  tl0PicIdx: number;
  /** Layer sync (VP8 Y): the frame depends only on the base layer frame of its TL0PICIDX. */
  layerSync: boolean;
  /** Coded size when this packet carries it (VP8 keyframe header, VP9 SS), else 0. */
  width: number;
  height: number;
}

/** Parses RTP payloads of one codec. */
export interface CodecDepacketizer {
  /** Throws MalformedPacketError on a payload that does not parse. */
  parse(payload: Uint8Array): DepacketizedPayload;
}

/** A fresh, empty DepacketizedPayload for an implementation to reuse. */
export function emptyDepacketizedPayload(): DepacketizedPayload {
  return { startOfFrame: false, keyframe: false, data: new Uint8Array(0), pictureId: -1, pictureIdModulus: 0, pDiffs: null, tid: -1, tl0PicIdx: -1, layerSync: false, width: 0, height: 0 };
}

/**
 * Sizes of the data chunks when `length` bytes are split over packets whose first one carries
 * `firstOverheadBytes` of descriptor and the others `otherOverheadBytes`, each packet payload at
 * most `maxPayloadBytes`: the fewest packets, with sizes as equal as possible (like libwebrtc's
 * balanced split), so no runt last packet.
 */
export function balancedChunkSizes(length: number, maxPayloadBytes: number, firstOverheadBytes: number, otherOverheadBytes: number): number[] {
  const firstCap = maxPayloadBytes - firstOverheadBytes;
  const otherCap = maxPayloadBytes - otherOverheadBytes;
  if (firstCap < 1 || otherCap < 1) throw new RangeError(`Cannot split a payload: ${maxPayloadBytes} bytes leaves no room after a ${Math.max(firstOverheadBytes, otherOverheadBytes)}-byte descriptor`);
  if (length <= firstCap) return [length];
  const n = 1 + Math.ceil((length - firstCap) / otherCap);
  // Balance the packet sizes (descriptor + data) rather than the data alone.
  const extra = firstOverheadBytes - otherOverheadBytes;
  const virtual = length + extra;
  const per = Math.floor(virtual / n);
  let rem = virtual % n;
  const sizes = new Array<number>(n);
  let assigned = 0;
  for (let i = 0; i < n; i++) {
    let s = per + (rem > 0 ? 1 : 0);
    if (rem > 0) rem--;
    if (i === 0) s = Math.min(firstCap, Math.max(0, s - extra));
    else s = Math.min(otherCap, s);
    sizes[i] = s;
    assigned += s;
  }
  // Rounding/clamping leftovers go to the packets that still have room.
  let left = length - assigned;
  for (let i = n - 1; left > 0 && i >= 0; i--) {
    const cap = i === 0 ? firstCap : otherCap;
    const add = Math.min(left, cap - sizes[i]!);
    sizes[i]! += add;
    left -= add;
  }
  for (let i = n - 1; left < 0 && i >= 0; i--) {
    const sub = Math.min(-left, sizes[i]!);
    sizes[i]! -= sub;
    left += sub;
  }
  return sizes;
}
