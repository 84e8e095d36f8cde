/**
 * XOR parity, the one operation of XOR FEC (RFC 5109 section 6.2, "protection operation"):
 * dst[i] ^= src[i] for `len` bytes at `dst` and `src` in linear memory. SIMD: 64 bytes per
 * step in four v128 lanes, then 16-byte steps, then a scalar tail. `dst` and `src` may be any
 * alignment (v128.load/store take unaligned addresses); they must not partially overlap.
 */
export function xorInto(dst: usize, src: usize, len: i32): void {
  let i: i32 = 0;
  for (; i + 64 <= len; i += 64) {
    const d = dst + <usize>i;
    const s = src + <usize>i;
    v128.store(d, v128.xor(v128.load(d), v128.load(s)));
    v128.store(d, v128.xor(v128.load(d, 16), v128.load(s, 16)), 16);
    v128.store(d, v128.xor(v128.load(d, 32), v128.load(s, 32)), 32);
    v128.store(d, v128.xor(v128.load(d, 48), v128.load(s, 48)), 48);
  }
  for (; i + 16 <= len; i += 16) {
    const d = dst + <usize>i;
    v128.store(d, v128.xor(v128.load(d), v128.load(src + <usize>i)));
  }
  for (; i < len; i++) {
    const d = dst + <usize>i;
    store<u8>(d, load<u8>(d) ^ load<u8>(src + <usize>i));
  }
}

/**
 * XOR of `count` packets laid out back to back at `src` (each `lens[j]` bytes, `lens` an i32
 * array of `count` entries at `lens`, each packet starting 16-byte aligned) into `dst`, which
 * the kernel zeroes first for `dstLen` bytes. Shorter packets count as zero-padded (RFC 5109
 * 10.2: the bit strings are padded with zeros to the longest). Bytes of a packet past
 * `dstLen` are ignored. One call computes a whole FEC packet's parity.
 */
export function xorPackets(dst: usize, dstLen: i32, src: usize, lens: usize, count: i32): void {
  memory.fill(dst, 0, <usize>dstLen);
  let p = src;
  for (let j: i32 = 0; j < count; j++) {
    const n = load<i32>(lens + (<usize>j << 2));
    xorInto(dst, p, n < dstLen ? n : dstLen);
    p += (<usize>n + 15) & ~<usize>15;
  }
}
