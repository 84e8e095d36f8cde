/**
 * d[db + w] = s[sb + w] ^ k[kb + w] for w < words. A function of its own: inside the method
 * above the same loop ran at 0.58 µs per 1188 bytes, as a separate function 0.15 µs (V8 keeps
 * the typed-array checks out of the loop only here); unrolled by four, which measured 15% faster.
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
