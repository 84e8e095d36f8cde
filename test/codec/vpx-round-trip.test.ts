import { describe, expect, it } from "vitest";
import type { EncodedFrame } from "../../src/codec/encoded-frame.js";
import { VpxDecoder } from "../../src/codec/vpx-decoder.js";
import { VpxEncoder } from "../../src/codec/vpx-encoder.js";
import type { VideoFrame } from "../../src/media/video-frame.js";
import { sinkTo } from "../../src/pipeline/stage.js";
import { PatternSource, psnr } from "./synthetic-media.js";

/**
 * Round trip of a moving detailed pattern through encoder and decoder stages.
 * Thresholds: measured here (320x240 @ 600 kbps, noisy texture) VP8 mean 34.2 dB / min 33.0,
 * VP9 mean 34.2 dB / min 32.3; the thresholds leave ~3 dB of margin.
 */
const CASES = [
  { codec: "vp8", minMeanPsnrDb: 31, minFramePsnrDb: 28 },
  { codec: "vp9", minMeanPsnrDb: 31, minFramePsnrDb: 28 },
] as const;

describe("VP8/VP9 round trip", () => {
  for (const c of CASES) {
    it(`${c.codec}: 60 frames 320x240 @ 600 kbps decode with mean PSNR > ${c.minMeanPsnrDb} dB`, async () => {
      const src = new PatternSource(320, 240, 30);
      const enc = await VpxEncoder.create({ codec: c.codec, width: 320, height: 240, bitrateBps: 600_000, fps: 30 });
      const dec = await VpxDecoder.create({ codec: c.codec });
      const sent = new Map<number, VideoFrame>();
      const encoded: EncodedFrame[] = [];
      const scores: number[] = [];
      enc.pipe(
        sinkTo((f: EncodedFrame, now) => {
          encoded.push(f);
          dec.push(f, now);
        }),
      );
      dec.pipe(
        sinkTo((f: VideoFrame) => {
          const ref = sent.get(f.frameIndex);
          expect(ref).toBeDefined();
          scores.push(psnr(ref!, f));
        }),
      );
      for (let i = 0; i < 60; i++) {
        const frame = src.next();
        sent.set(frame.frameIndex, frame);
        enc.push(frame, frame.captureTimeUs);
      }
      const es = enc.stats();
      const ds = dec.stats();
      const mean = scores.reduce((a, b) => a + b, 0) / scores.length;
      const kbps = ((es.bytesOut ?? 0) * 8) / 2 / 1000;
      console.log(`${c.codec} 320x240: mean PSNR ${mean.toFixed(2)} dB, min ${Math.min(...scores).toFixed(2)}, ${kbps.toFixed(0)} kbps, ${es.framesEncoded} encoded, ${es.framesDropped} dropped, encode ${((es.encodeMsTotal ?? 0) / 60).toFixed(2)} ms/frame`);
      expect(encoded[0]?.keyframe).toBe(true);
      expect(encoded[0]?.rtpTimestamp).toBe(0);
      expect(encoded[1]?.rtpTimestamp).toBe(3000);
      expect(encoded[0]?.width).toBe(320);
      expect(es.framesIn).toBe(60);
      expect(ds.decodeErrors).toBe(0);
      expect(ds.framesDecoded).toBe(es.framesEncoded);
      expect(scores.length).toBeGreaterThan(50);
      expect(mean).toBeGreaterThan(c.minMeanPsnrDb);
      expect(Math.min(...scores)).toBeGreaterThan(c.minFramePsnrDb);
      expect(kbps).toBeLessThan(600 * 1.5);
      enc.close();
      dec.close();
      enc.close(); // idempotent
    });
  }
});
