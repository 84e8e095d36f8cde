/**
 * Multiplication in GF(2^128) with GCM's bit order and polynomial (NIST SP 800-38D Section 6.3,
 * Algorithm 1): `x` * `y`, 16 bytes each, big-endian, bit 0 = the most significant bit of
 * byte 0. Runs in time independent of both operands (no branch or index depends on a bit), so
 * it may take the secret hash key H. About 2 µs; meant for values that are cached, not per block.
 */
export function gf128Multiply(x: Uint8Array, y: Uint8Array): Uint8Array {
  let z0 = 0, z1 = 0, z2 = 0, z3 = 0;
  let v0 = word(y, 0), v1 = word(y, 4), v2 = word(y, 8), v3 = word(y, 12);
  for (let i = 0; i < 128; i++) {
    // mask = all ones when bit i of x is set.
    const m = -((((x[i >>> 3] as number) >>> (7 - (i & 7))) & 1)) | 0;
    z0 ^= v0 & m;
    z1 ^= v1 & m;
    z2 ^= v2 & m;
    z3 ^= v3 & m;
    // V = V >> 1, reduced by R = 11100001 || 0^120 when the bit shifted out was set.
    const r = -(v3 & 1) | 0;
    v3 = (v3 >>> 1) | (v2 << 31);
    v2 = (v2 >>> 1) | (v1 << 31);
    v1 = (v1 >>> 1) | (v0 << 31);
    v0 = (v0 >>> 1) ^ (0xe1000000 & r);
  }
  const out = new Uint8Array(16);
  const view = new DataView(out.buffer);
  view.setUint32(0, z0 >>> 0);
  view.setUint32(4, z1 >>> 0);
  view.setUint32(8, z2 >>> 0);
  view.setUint32(12, z3 >>> 0);
  return out;
}

function word(b: Uint8Array, o: number): number {
  return ((b[o] as number) << 24) | ((b[o + 1] as number) << 16) | ((b[o + 2] as number) << 8) | (b[o + 3] as number);
}
