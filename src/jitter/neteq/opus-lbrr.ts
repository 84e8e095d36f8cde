/**
 * Whether an Opus packet carries LBRR (in-band FEC) data for the frame before it, read from the
 * packet without decoding it, so the playout logic knows in advance whether `decodeFec` will
 * recover the lost frame or only conceal it.
 *
 * RFC 6716 3.1 (TOC byte) and 3.2 (frame packing) locate the first Opus frame; in SILK-only and
 * hybrid modes (configs 0-15) that frame starts with the SILK header flags (RFC 6716 4.2.3): one
 * VAD flag per 20 ms SILK frame, then the LBRR flag, for the mid channel and then (stereo) the
 * side channel. The range coder codes these equiprobable flags as the leading bits of the first
 * byte. CELT-only packets (configs 16-31) never carry LBRR.
 */
export function opusPacketHasLbrr(packet: Uint8Array): boolean {
  if (packet.length < 2) return false;
  const toc = packet[0]!;
  const config = toc >> 3;
  if (config >= 16) return false;
  // SILK frames per Opus frame: 10 and 20 ms → 1, 40 ms → 2, 60 ms → 3 (RFC 6716 4.2.2).
  const durationIndex = config < 12 ? config & 3 : config & 1; // hybrid has only 10/20 ms
  const silkFrames = durationIndex <= 1 ? 1 : durationIndex === 2 ? 2 : 3;
  const stereo = (toc & 0x04) !== 0;
  const code = toc & 0x03;
  let offset = 1;
  if (code === 2) {
    // Code 2: the first frame's length in 1 or 2 bytes (RFC 6716 3.2.1), then its data.
    const b = packet[1]!;
    offset = b < 252 ? 2 : 3;
  } else if (code === 3) {
    // Code 3: frame count byte, optional padding length, optional VBR frame lengths (3.2.5).
    if (packet.length < 3) return false;
    const countByte = packet[1]!;
    const count = countByte & 0x3f;
    if (count === 0) return false;
    offset = 2;
    if (countByte & 0x40) {
      let b = 255;
      while (b === 255) {
        if (offset >= packet.length) return false;
        b = packet[offset++]!;
      }
    }
    if (countByte & 0x80) {
      for (let i = 0; i < count - 1; i++) {
        if (offset >= packet.length) return false;
        offset += packet[offset]! < 252 ? 1 : 2;
      }
    }
  }
  if (offset >= packet.length) return false;
  const first = packet[offset]!;
  let lbrr = (first >> (7 - silkFrames)) & 1;
  if (stereo) lbrr |= (first >> (6 - 2 * silkFrames)) & 1;
  return lbrr === 1;
}
