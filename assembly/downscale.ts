/**
 * I420 plane downscalers for resolution ladders. Both read one 8-bit plane at `src` (rows of
 * `srcStride` bytes) and write another at `dst`; both are bit-exact with the TypeScript
 * references in src/wasm/reference-kernels.ts.
 */

/**
 * Exact 2:1 box filter: each output byte is (a + b + c + d + 2) >> 2 of a 2x2 source block.
 * SIMD: 32 source bytes of two rows become 16 output bytes per step (pairwise widening adds).
 * Odd trailing source columns/rows are ignored (dstW = srcW >> 1, dstH = srcH >> 1).
 */
export function downscaleBox2x(
  src: usize, srcStride: i32, dst: usize, dstStride: i32, dstW: i32, dstH: i32,
): void {
  const two = i16x8.splat(2);
  for (let y: i32 = 0; y < dstH; y++) {
    const r0 = src + <usize>(2 * y * srcStride);
    const r1 = r0 + <usize>srcStride;
    const o = dst + <usize>(y * dstStride);
    let x: i32 = 0;
    for (; x + 16 <= dstW; x += 16) {
      const s = <usize>(2 * x);
      const a0 = v128.load(r0 + s);
      const a1 = v128.load(r0 + s + 16);
      const b0 = v128.load(r1 + s);
      const b1 = v128.load(r1 + s + 16);
      const lo = i16x8.shr_u(
        i16x8.add(i16x8.add(i16x8.extadd_pairwise_i8x16_u(a0), i16x8.extadd_pairwise_i8x16_u(b0)), two), 2);
      const hi = i16x8.shr_u(
        i16x8.add(i16x8.add(i16x8.extadd_pairwise_i8x16_u(a1), i16x8.extadd_pairwise_i8x16_u(b1)), two), 2);
      v128.store(o + <usize>x, i8x16.narrow_i16x8_u(lo, hi));
    }
    for (; x < dstW; x++) {
      const s = <usize>(2 * x);
      const sum = <i32>load<u8>(r0 + s) + <i32>load<u8>(r0 + s + 1) + <i32>load<u8>(r1 + s) + <i32>load<u8>(r1 + s + 1);
      store<u8>(o + <usize>x, <u8>((sum + 2) >> 2));
    }
  }
}

/**
 * Bilinear resize of one plane to any smaller (or equal) size, in 16.16 fixed point with 8-bit
 * weights, pixel centres aligned: srcPos = (dstPos + 0.5) * srcSize / dstSize - 0.5, clamped
 * to the plane. `tmp` is host scratch of dstW·8 bytes for a column table. Best for ratios between 1 and 2 (use downscaleBox2x first for larger ones).
 */
export function downscaleBilinear(
  src: usize, srcW: i32, srcH: i32, srcStride: i32, dst: usize, dstW: i32, dstH: i32, dstStride: i32, tmp: usize,
): void {
  const stepX: i32 = <i32>((<i64>srcW << 16) / <i64>dstW);
  const stepY: i32 = <i32>((<i64>srcH << 16) / <i64>dstH);
  const maxX: i32 = (srcW - 1) << 16;
  const maxY: i32 = (srcH - 1) << 16;
  // Column table at `tmp` (8 bytes per output column): source x0 and weight fx.
  for (let x: i32 = 0; x < dstW; x++) {
    let px: i32 = (<i32>(((<i64>(2 * x + 1)) * <i64>stepX) >> 1)) - 32768;
    if (px < 0) px = 0;
    if (px > maxX) px = maxX;
    store<i32>(tmp + (<usize>x << 3), px >> 16);
    store<i32>(tmp + (<usize>x << 3) + 4, (px >> 8) & 255);
  }
  for (let y: i32 = 0; y < dstH; y++) {
    let py: i32 = (<i32>(((<i64>(2 * y + 1)) * <i64>stepY) >> 1)) - 32768;
    if (py < 0) py = 0;
    if (py > maxY) py = maxY;
    const y0 = py >> 16;
    const fy = (py >> 8) & 255;
    const y1 = y0 + 1 < srcH ? y0 + 1 : y0;
    const row0 = src + <usize>(y0 * srcStride);
    const row1 = src + <usize>(y1 * srcStride);
    const o = dst + <usize>(y * dstStride);
    for (let x: i32 = 0; x < dstW; x++) {
      const x0 = load<i32>(tmp + (<usize>x << 3));
      const fx = load<i32>(tmp + (<usize>x << 3) + 4);
      const x1 = x0 + 1 < srcW ? x0 + 1 : x0;
      const top = <i32>load<u8>(row0 + <usize>x0) * (256 - fx) + <i32>load<u8>(row0 + <usize>x1) * fx;
      const bot = <i32>load<u8>(row1 + <usize>x0) * (256 - fx) + <i32>load<u8>(row1 + <usize>x1) * fx;
      store<u8>(o + <usize>x, <u8>((top * (256 - fy) + bot * fy + 32768) >> 16));
    }
  }
}

/**
 * Exact 4:3 area downscale (640x480 → 480x360): every 4x4 source block becomes 3x3 output
 * pixels, each the area-weighted mean of the source pixels it covers. Per axis the weights
 * are (3, 1), (2, 2), (1, 3) in quarters of a source pixel, so an output byte is
 * (Σ wx·wy·s + 8) >> 4 with Σ wx·wy = 16. Unlike bilinear at this ratio, every source pixel
 * counts (no aliasing from skipped ones). srcW and srcH must be multiples of 4;
 * dstW = srcW·3/4, dstH = srcH·3/4.
 */
export function downscale3of4(src: usize, srcW: i32, srcH: i32, srcStride: i32, dst: usize, dstStride: i32): void {
  const blocksX = srcW >> 2;
  const blocksY = srcH >> 2;
  for (let by: i32 = 0; by < blocksY; by++) {
    const r0 = src + <usize>(4 * by * srcStride);
    const r1 = r0 + <usize>srcStride;
    const r2 = r1 + <usize>srcStride;
    const r3 = r2 + <usize>srcStride;
    const o0 = dst + <usize>(3 * by * dstStride);
    const o1 = o0 + <usize>dstStride;
    const o2 = o1 + <usize>dstStride;
    for (let bx: i32 = 0; bx < blocksX; bx++) {
      const s = <usize>(bx << 2);
      const d = <usize>(bx * 3);
      // Horizontal pass per source row: three values of weight 4 each.
      // One 32-bit load per row (little-endian: byte 0 in the low bits).
      const wa = load<u32>(r0 + s), wb = load<u32>(r1 + s), wc = load<u32>(r2 + s), we = load<u32>(r3 + s);
      const a0 = <i32>(wa & 255), a1 = <i32>((wa >> 8) & 255), a2 = <i32>((wa >> 16) & 255), a3 = <i32>(wa >> 24);
      const b0 = <i32>(wb & 255), b1 = <i32>((wb >> 8) & 255), b2 = <i32>((wb >> 16) & 255), b3 = <i32>(wb >> 24);
      const c0 = <i32>(wc & 255), c1 = <i32>((wc >> 8) & 255), c2 = <i32>((wc >> 16) & 255), c3 = <i32>(wc >> 24);
      const e0 = <i32>(we & 255), e1 = <i32>((we >> 8) & 255), e2 = <i32>((we >> 16) & 255), e3 = <i32>(we >> 24);
      const ha0 = 3 * a0 + a1, ha1 = 2 * (a1 + a2), ha2 = a2 + 3 * a3;
      const hb0 = 3 * b0 + b1, hb1 = 2 * (b1 + b2), hb2 = b2 + 3 * b3;
      const hc0 = 3 * c0 + c1, hc1 = 2 * (c1 + c2), hc2 = c2 + 3 * c3;
      const he0 = 3 * e0 + e1, he1 = 2 * (e1 + e2), he2 = e2 + 3 * e3;
      // Vertical pass: the same weights across rows.
      store<u8>(o0 + d, <u8>((3 * ha0 + hb0 + 8) >> 4));
      store<u8>(o0 + d + 1, <u8>((3 * ha1 + hb1 + 8) >> 4));
      store<u8>(o0 + d + 2, <u8>((3 * ha2 + hb2 + 8) >> 4));
      store<u8>(o1 + d, <u8>((2 * (hb0 + hc0) + 8) >> 4));
      store<u8>(o1 + d + 1, <u8>((2 * (hb1 + hc1) + 8) >> 4));
      store<u8>(o1 + d + 2, <u8>((2 * (hb2 + hc2) + 8) >> 4));
      store<u8>(o2 + d, <u8>((hc0 + 3 * he0 + 8) >> 4));
      store<u8>(o2 + d + 1, <u8>((hc1 + 3 * he1 + 8) >> 4));
      store<u8>(o2 + d + 2, <u8>((hc2 + 3 * he2 + 8) >> 4));
    }
  }
}
