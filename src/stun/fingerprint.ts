/**
 * FINGERPRINT (RFC 8489 14.7): CRC-32 (ISO HDLC, as in ITU-T V.42 / zlib) of the message up
 * to the attribute, XORed with 0x5354554e ("STUN"), so STUN can be told apart from other
 * protocols on the same port.
 */

/** The value XORed into the CRC (RFC 8489 14.7). */
export const FINGERPRINT_XOR = 0x5354554e;

const TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

/** CRC-32 (reflected polynomial 0xEDB88320, init and final XOR 0xFFFFFFFF) of `bytes`. */
export function crc32(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (let i = 0; i < bytes.length; i++) c = TABLE[(c ^ bytes[i]!) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

/** The FINGERPRINT value for the message bytes before the attribute (length field already set). */
export function stunFingerprint(bytesBefore: Uint8Array): number {
  return (crc32(bytesBefore) ^ FINGERPRINT_XOR) >>> 0;
}
