import type { VideoCodecName } from "../codec/encoded-frame.js";
import type { EncodedFrame } from "../codec/encoded-frame.js";
import { OpusDecoder } from "../codec/opus-decoder.js";
import { OpusEncoder } from "../codec/opus-encoder.js";
import { VpxDecoder } from "../codec/vpx-decoder.js";
import { VpxEncoder } from "../codec/vpx-encoder.js";
import { createAudioFrame } from "../media/audio-frame.js";
import { createVideoFrame } from "../media/video-frame.js";

/**
 * Runs a few frames through throwaway codecs before a live call, so WebAssembly compilation
 * and tier-up happen before the first real frame rather than as a latency spike at the start.
 */
export async function warmUpCodecs(video: { codec: VideoCodecName; width: number; height: number } | undefined, audio: boolean): Promise<void> {
  if (video) {
    const enc = await VpxEncoder.create({ codec: video.codec, width: video.width, height: video.height, bitrateBps: 300_000 });
    const dec = await VpxDecoder.create({ codec: video.codec });
    enc.pipe(dec);
    for (let i = 0; i < 10; i++) {
      const f = createVideoFrame(video.width, video.height, i * 33_333, i);
      f.y.fill((i * 25) & 0xff);
      enc.push(f, i * 33_333);
    }
    enc.close();
    dec.close();
  }
  if (audio) {
    const enc = await OpusEncoder.create({});
    const dec = await OpusDecoder.create({});
    enc.pipe({ push: (f: EncodedFrame) => void dec.decode(f) });
    for (let i = 0; i < 10; i++) enc.push(createAudioFrame(1, i * 20_000, i), i * 20_000);
    dec.conceal(0);
    enc.close();
    dec.close();
  }
}
