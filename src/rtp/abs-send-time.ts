/**
 * The absolute send time RTP header extension (http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time):
 * 3 bytes, the send time in seconds as 6.18 fixed point, wrapping every 64 s. An alternative
 * to transport-wide sequence numbers for receive-side estimation (REMB).
 *
 * ```
 * |  ID   | L=2   |     absolute send time (6.18 s)               |
 * ```
 */
import { MalformedPacketError } from "../errors.js";
import type { RtpPacket } from "./rtp-packet.js";
import { findRtpExtensionElement } from "./transport-wide-sequence-number.js";

/** The extension's URI for SDP `a=extmap`. */
export const ABS_SEND_TIME_URI = "http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time";

/** Size of the element data. */
export const ABS_SEND_TIME_BYTES = 3;

const UNITS_PER_S = 1 << 18;
const MOD = 1 << 24;

/** Conversions and read/write helpers for abs-send-time (24-bit, 6.18 fixed-point seconds). */
export const AbsSendTime = {
  URI: ABS_SEND_TIME_URI,

  /** The 24-bit wire value for a send time in µs (rounded to 2^-18 s, modulo 64 s). */
  fromUs(sendTimeUs: number): number {
    const v = Math.round((sendTimeUs * UNITS_PER_S) / 1e6) % MOD;
    return v < 0 ? v + MOD : v;
  },

  /** The time in µs, within the 64-s period, that a 24-bit wire value stands for. */
  toUs(value: number): number {
    return ((value & 0xffffff) * 1e6) / UNITS_PER_S;
  },

  /** Signed difference a − b of two wire values in µs, taking the 64-s wrap into account (|a−b| < 32 s). */
  diffUs(a: number, b: number): number {
    let d = ((a & 0xffffff) - (b & 0xffffff)) % MOD;
    if (d < 0) d += MOD;
    if (d >= MOD / 2) d -= MOD;
    return (d * 1e6) / UNITS_PER_S;
  },

  /** The 24-bit value in element `id` of `packet`, or undefined. Throws MalformedPacketError when not 3 bytes. */
  read(packet: RtpPacket, id: number): number | undefined {
    const d = packet.getExtension(id);
    if (d === undefined) return undefined;
    if (d.length !== ABS_SEND_TIME_BYTES) throw new MalformedPacketError(`Cannot parse abs-send-time: element is ${d.length} bytes, expected 3`);
    return (d[0]! << 16) | (d[1]! << 8) | d[2]!;
  },

  /** Sets element `id` to the wire value for `sendTimeUs`, in place when a 3-byte element exists. */
  write(packet: RtpPacket, id: number, sendTimeUs: number): void {
    const v = AbsSendTime.fromUs(sendTimeUs);
    const d = packet.getExtension(id);
    if (d !== undefined && d.length === ABS_SEND_TIME_BYTES) {
      d[0] = v >> 16;
      d[1] = (v >> 8) & 0xff;
      d[2] = v & 0xff;
      return;
    }
    packet.setExtension(id, Uint8Array.of(v >> 16, (v >> 8) & 0xff, v & 0xff));
  },

  /** Overwrites element `id` of a serialized packet in place; false when it has no 3-byte element `id`. */
  patch(bytes: Uint8Array, id: number, sendTimeUs: number): boolean {
    const r = findRtpExtensionElement(bytes, id);
    if (r < 0 || (r & 0xff) !== ABS_SEND_TIME_BYTES) return false;
    const o = r >>> 8;
    const v = AbsSendTime.fromUs(sendTimeUs);
    bytes[o] = v >> 16;
    bytes[o + 1] = (v >> 8) & 0xff;
    bytes[o + 2] = v & 0xff;
    return true;
  },
} as const;
