/**
 * Sum of squared differences between two byte planes of `len` bytes at `a` and `b`
 * (the core of PSNR). SIMD: 16 bytes per step, widened to i32 lanes.
 */
export function sumSquaredError(a: usize, b: usize, len: i32): f64 {
  let acc = i64x2.splat(0);
  let i: i32 = 0;
  for (; i + 16 <= len; i += 16) {
    const va = v128.load(a + <usize>i);
    const vb = v128.load(b + <usize>i);
    const dLo = i16x8.sub(i16x8.extend_low_i8x16_u(va), i16x8.extend_low_i8x16_u(vb));
    const dHi = i16x8.sub(i16x8.extend_high_i8x16_u(va), i16x8.extend_high_i8x16_u(vb));
    const sq = i32x4.add(i32x4.dot_i16x8_s(dLo, dLo), i32x4.dot_i16x8_s(dHi, dHi));
    acc = i64x2.add(acc, i64x2.extend_low_i32x4_u(sq));
    acc = i64x2.add(acc, i64x2.extend_high_i32x4_u(sq));
  }
  let total: i64 = i64x2.extract_lane(acc, 0) + i64x2.extract_lane(acc, 1);
  for (; i < len; i++) {
    const d = <i32>load<u8>(a + <usize>i) - <i32>load<u8>(b + <usize>i);
    total += <i64>(d * d);
  }
  return <f64>total;
}
