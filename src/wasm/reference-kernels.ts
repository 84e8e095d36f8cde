/**
 * Plain TypeScript references for the AssemblyScript kernels in assembly/. They define the
 * exact results the WASM builds must reproduce (tests compare them on random inputs) and are
 * the fallback where WebAssembly is unavailable.
 */

/** Sum of squared differences of the first `len` bytes of `a` and `b` (default: all of `a`). */
export function sumSquaredErrorTs(a: Uint8Array, b: Uint8Array, len = a.length): number {
  let total = 0;
  // Integer partial sums stay exact: 65025 * 2^16 < 2^53 per chunk, summed into a double.
  for (let i = 0; i < len; ) {
    const end = Math.min(len, i + 65536);
    let acc = 0;
    for (; i < end; i++) {
      const d = a[i]! - b[i]!;
      acc += d * d;
    }
    total += acc;
  }
  return total;
}

/**
 * Exact 2:1 box downscale of one plane: dst[y][x] = (sum of the 2x2 block + 2) >> 2.
 * Writes dstW x dstH bytes into `dst` with `dstStride`.
 */
export function downscaleBox2xTs(
  src: Uint8Array, srcStride: number, dst: Uint8Array, dstStride: number, dstW: number, dstH: number,
): void {
  for (let y = 0; y < dstH; y++) {
    const r0 = 2 * y * srcStride;
    const r1 = r0 + srcStride;
    const o = y * dstStride;
    for (let x = 0; x < dstW; x++) {
      const s = 2 * x;
      dst[o + x] = (src[r0 + s]! + src[r0 + s + 1]! + src[r1 + s]! + src[r1 + s + 1]! + 2) >> 2;
    }
  }
}

/**
 * Bilinear resize with pixel centres aligned, 16.16 fixed-point positions and 8-bit weights
 * (bit-exact with assembly/downscale.ts `downscaleBilinear`).
 */
export function downscaleBilinearTs(
  src: Uint8Array, srcW: number, srcH: number, srcStride: number,
  dst: Uint8Array, dstW: number, dstH: number, dstStride: number,
): void {
  const stepX = Math.floor((srcW * 65536) / dstW);
  const stepY = Math.floor((srcH * 65536) / dstH);
  const maxX = (srcW - 1) * 65536;
  const maxY = (srcH - 1) * 65536;
  for (let y = 0; y < dstH; y++) {
    let py = Math.floor(((2 * y + 1) * stepY) / 2) - 32768;
    if (py < 0) py = 0;
    if (py > maxY) py = maxY;
    const y0 = py >> 16;
    const fy = (py >> 8) & 255;
    const y1 = y0 + 1 < srcH ? y0 + 1 : y0;
    const row0 = y0 * srcStride;
    const row1 = y1 * srcStride;
    const o = y * dstStride;
    for (let x = 0; x < dstW; x++) {
      let px = Math.floor(((2 * x + 1) * stepX) / 2) - 32768;
      if (px < 0) px = 0;
      if (px > maxX) px = maxX;
      const x0 = px >> 16;
      const fx = (px >> 8) & 255;
      const x1 = x0 + 1 < srcW ? x0 + 1 : x0;
      const top = src[row0 + x0]! * (256 - fx) + src[row0 + x1]! * fx;
      const bot = src[row1 + x0]! * (256 - fx) + src[row1 + x1]! * fx;
      dst[o + x] = (top * (256 - fy) + bot * fy + 32768) >> 16;
    }
  }
}

/** XOR parity (RFC 5109 6.2): `dst[i] ^= src[i]` for the first `src.length` bytes. */
export function xorIntoTs(dst: Uint8Array, src: Uint8Array): Uint8Array {
  for (let i = 0; i < src.length; i++) dst[i]! ^= src[i]!;
  return dst;
}

/** XOR of several packets, each zero-extended (or cut) to `outLen` bytes (RFC 5109 10.2). */
export function xorPacketsTs(srcs: readonly Uint8Array[], outLen: number, out: Uint8Array = new Uint8Array(outLen)): Uint8Array {
  out.fill(0, 0, outLen);
  for (const s of srcs) {
    const n = Math.min(s.length, outLen);
    for (let i = 0; i < n; i++) out[i]! ^= s[i]!;
  }
  return out;
}

/**
 * Exact 4:3 area downscale (bit-exact with assembly/downscale.ts `downscale3of4`): each 4x4
 * source block becomes 3x3 pixels with per-axis weights (3, 1), (2, 2), (1, 3); an output
 * byte is (Σ wx·wy·s + 8) >> 4. srcW, srcH multiples of 4.
 */
export function downscale3of4Ts(src: Uint8Array, srcW: number, srcH: number, srcStride: number, dst: Uint8Array, dstStride: number): void {
  for (let by = 0; by < srcH >> 2; by++) {
    const r0 = 4 * by * srcStride, r1 = r0 + srcStride, r2 = r1 + srcStride, r3 = r2 + srcStride;
    const o0 = 3 * by * dstStride, o1 = o0 + dstStride, o2 = o1 + dstStride;
    for (let bx = 0; bx < srcW >> 2; bx++) {
      const s = 4 * bx, d = 3 * bx;
      // Horizontal weights per row, then the same weights across rows.
      const ha0 = 3 * src[r0 + s]! + src[r0 + s + 1]!, ha1 = 2 * (src[r0 + s + 1]! + src[r0 + s + 2]!), ha2 = src[r0 + s + 2]! + 3 * src[r0 + s + 3]!;
      const hb0 = 3 * src[r1 + s]! + src[r1 + s + 1]!, hb1 = 2 * (src[r1 + s + 1]! + src[r1 + s + 2]!), hb2 = src[r1 + s + 2]! + 3 * src[r1 + s + 3]!;
      const hc0 = 3 * src[r2 + s]! + src[r2 + s + 1]!, hc1 = 2 * (src[r2 + s + 1]! + src[r2 + s + 2]!), hc2 = src[r2 + s + 2]! + 3 * src[r2 + s + 3]!;
      const he0 = 3 * src[r3 + s]! + src[r3 + s + 1]!, he1 = 2 * (src[r3 + s + 1]! + src[r3 + s + 2]!), he2 = src[r3 + s + 2]! + 3 * src[r3 + s + 3]!;
      dst[o0 + d] = (3 * ha0 + hb0 + 8) >> 4;
      dst[o0 + d + 1] = (3 * ha1 + hb1 + 8) >> 4;
      dst[o0 + d + 2] = (3 * ha2 + hb2 + 8) >> 4;
      dst[o1 + d] = (2 * (hb0 + hc0) + 8) >> 4;
      dst[o1 + d + 1] = (2 * (hb1 + hc1) + 8) >> 4;
      dst[o1 + d + 2] = (2 * (hb2 + hc2) + 8) >> 4;
      dst[o2 + d] = (hc0 + 3 * he0 + 8) >> 4;
      dst[o2 + d + 1] = (hc1 + 3 * he1 + 8) >> 4;
      dst[o2 + d + 2] = (hc2 + 3 * he2 + 8) >> 4;
    }
  }
}
