/**
 * Sum of squared differences between two byte planes of `len` bytes at `a` and `b`
 * (the core of PSNR). SIMD: 32 bytes per step, widened to i16 differences and squared-summed
 * into i32 lanes with dot products; the i32 lanes are widened into i64 every 2048 steps
 * (2048 · 2 · 4 · 65025 < 2^31, so no lane overflows).
 */
export function sumSquaredError(a: usize, b: usize, len: i32): f64 {
  let acc = i64x2.splat(0);
  let i: i32 = 0;
  while (i + 32 <= len) {
    let blockEnd = i + 2048 * 32;
    if (blockEnd > len) blockEnd = len;
    let acc32 = i32x4.splat(0);
    for (; i + 32 <= blockEnd; i += 32) {
      const va0 = v128.load(a + <usize>i);
      const vb0 = v128.load(b + <usize>i);
      const va1 = v128.load(a + <usize>i, 16);
      const vb1 = v128.load(b + <usize>i, 16);
      const d0 = i16x8.sub(i16x8.extend_low_i8x16_u(va0), i16x8.extend_low_i8x16_u(vb0));
      const d1 = i16x8.sub(i16x8.extend_high_i8x16_u(va0), i16x8.extend_high_i8x16_u(vb0));
      const d2 = i16x8.sub(i16x8.extend_low_i8x16_u(va1), i16x8.extend_low_i8x16_u(vb1));
      const d3 = i16x8.sub(i16x8.extend_high_i8x16_u(va1), i16x8.extend_high_i8x16_u(vb1));
      acc32 = i32x4.add(acc32, i32x4.add(i32x4.dot_i16x8_s(d0, d0), i32x4.dot_i16x8_s(d1, d1)));
      acc32 = i32x4.add(acc32, i32x4.add(i32x4.dot_i16x8_s(d2, d2), i32x4.dot_i16x8_s(d3, d3)));
    }
    acc = i64x2.add(acc, i64x2.extend_low_i32x4_u(acc32));
    acc = i64x2.add(acc, i64x2.extend_high_i32x4_u(acc32));
  }
  let total: i64 = i64x2.extract_lane(acc, 0) + i64x2.extract_lane(acc, 1);
  for (; i < len; i++) {
    const d = <i32>load<u8>(a + <usize>i) - <i32>load<u8>(b + <usize>i);
    total += <i64>(d * d);
  }
  return <f64>total;
}
