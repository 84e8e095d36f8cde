/**
 * The ULPFEC protection and recovery operations (RFC 5109 sections 6.2, 6.3, 10.2) over whole
 * serialized RTP packets. XORing full packets byte for byte gives, in one kernel call, the XOR
 * of the first two header bytes (P, X, CC, M, PT), of the timestamps (bytes 4-7) and of
 * everything after the 12-byte header (CSRCs, extension, payload, padding), zero-padded to the
 * longest; the sequence-number and SSRC bytes it also XORs are ignored, and the length
 * recovery field is computed on the side.
 */
import { MalformedPacketError } from "../errors.js";
import { RTP_FIXED_HEADER_BYTES } from "../rtp/rtp-packet.js";
import { WasmKernels } from "../wasm/kernels.js";
import { xorPacketsTs } from "../wasm/reference-kernels.js";
import { UlpfecPacket } from "./ulpfec-packet.js";

/** XOR of packets zero-extended to `outLen` (WasmKernels.xorPackets or its TS reference). */
export type XorPacketsFn = (srcs: readonly Uint8Array[], outLen: number, out?: Uint8Array) => Uint8Array;

/** Where the XOR runs: the AssemblyScript SIMD kernel (default) or plain TypeScript. */
export type XorEngine = "wasm" | "typescript";

export function xorPacketsFor(engine: XorEngine): XorPacketsFn {
  if (engine === "typescript") return xorPacketsTs;
  const k = WasmKernels.get();
  return (srcs, outLen, out) => k.xorPackets(srcs, outLen, out);
}

/**
 * Builds the ULPFEC packet protecting `packets` (serialized RTP packets, the first at
 * sequence number `snBase + offsets[0]`), with `offsets` their distances from `snBase`
 * (RFC 5109 6.2, 7.3, 7.4; level 0 covers every byte of the longest packet).
 */
export function protectPackets(packets: readonly Uint8Array[], offsets: readonly number[], snBase: number, xor: XorPacketsFn): UlpfecPacket {
  let maxLen = RTP_FIXED_HEADER_BYTES;
  let lengthRecovery = 0;
  for (const p of packets) {
    if (p.length > maxLen) maxLen = p.length;
    lengthRecovery ^= p.length - RTP_FIXED_HEADER_BYTES;
  }
  const acc = xor(packets, maxLen);
  return new UlpfecPacket({
    headerRecovery: acc[0]! & 0x3f,
    markerPtRecovery: acc[1]!,
    snBase,
    tsRecovery: ((acc[4]! << 24) | (acc[5]! << 16) | (acc[6]! << 8) | acc[7]!) >>> 0,
    lengthRecovery,
    protectedOffsets: offsets,
    payload: acc.subarray(RTP_FIXED_HEADER_BYTES, maxLen),
  });
}

/**
 * Recovers the one missing packet protected by `fec` from the other protected packets
 * (`present`, serialized) (RFC 5109 6.3.2): returns its bytes with sequence number `seq` and
 * SSRC `ssrc`. Throws MalformedPacketError when the recovered length is impossible (an FEC
 * packet that does not match the media it claims to protect).
 */
export function recoverPacket(fec: UlpfecPacket, present: readonly Uint8Array[], seq: number, ssrc: number, xor: XorPacketsFn): Uint8Array {
  const protLen = fec.protectionLength;
  const outLen = RTP_FIXED_HEADER_BYTES + protLen;
  // The FEC packet's own bit string, laid out like an RTP packet (RFC 5109 6.3.2).
  const own = new Uint8Array(outLen);
  own[0] = fec.headerRecovery;
  own[1] = fec.markerPtRecovery;
  own[4] = fec.tsRecovery >>> 24;
  own[5] = (fec.tsRecovery >>> 16) & 0xff;
  own[6] = (fec.tsRecovery >>> 8) & 0xff;
  own[7] = fec.tsRecovery & 0xff;
  own.set(fec.payload, RTP_FIXED_HEADER_BYTES);
  let length = fec.lengthRecovery;
  for (const p of present) length ^= p.length - RTP_FIXED_HEADER_BYTES;
  if (length > protLen) {
    throw new MalformedPacketError(`Cannot recover packet ${seq}: recovered length ${length} exceeds the protection length ${protLen}`);
  }
  const srcs = [own, ...present];
  const acc = xor(srcs, outLen);
  const out = acc.subarray(0, RTP_FIXED_HEADER_BYTES + length);
  out[0] = 0x80 | (out[0]! & 0x3f); // V = 2 (RFC 5109 6.3.2 step 3)
  out[2] = (seq >> 8) & 0xff;
  out[3] = seq & 0xff;
  out[8] = ssrc >>> 24;
  out[9] = (ssrc >>> 16) & 0xff;
  out[10] = (ssrc >>> 8) & 0xff;
  out[11] = ssrc & 0xff;
  return out;
}
