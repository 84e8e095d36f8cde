/**
 * d[db + w] = s[sb + w] ^ k[kb + w] for w < words: the TypeScript XOR of KeystreamBatches.xor
 * (AesCmKeystream.xorInPlace), unrolled by four (15% faster). On arrays V8 cannot constant-fold
 * it costs 0.45..0.56 µs per 1188 bytes (0.15 µs only in micro-benchmarks with constant
 * arrays), which is why SrtpSession XORs in a PacketScratch with the WASM SIMD kernel instead.
 */
export function xorWords(d: Int32Array, db: number, s: Int32Array, sb: number, k: Int32Array, kb: number, words: number): void {
  let w = 0;
  for (; w + 4 <= words; w += 4) {
    const i = db + w;
    const j = sb + w;
    const m = kb + w;
    d[i] = (s[j] as number) ^ (k[m] as number);
    d[i + 1] = (s[j + 1] as number) ^ (k[m + 1] as number);
    d[i + 2] = (s[j + 2] as number) ^ (k[m + 2] as number);
    d[i + 3] = (s[j + 3] as number) ^ (k[m + 3] as number);
  }
  for (; w < words; w++) d[db + w] = (s[sb + w] as number) ^ (k[kb + w] as number);
}
