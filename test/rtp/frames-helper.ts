/** Synthetic encoded frames for the RTP tests and bench. */
import type { EncodedFrame } from "../../src/codec/encoded-frame.js";
import type { SeededRandom } from "../../src/util/seeded-random.js";

/** Random bytes shaped like a VP8 frame: P bit of the frame tag, and a keyframe header (RFC 6386 9.1). */
export function vp8Frame(rng: SeededRandom, size: number, keyframe: boolean, rtpTimestamp: number, width = 640, height = 480): EncodedFrame {
  const data = rng.fill(new Uint8Array(size));
  data[0] = (data[0]! & 0xfe) | (keyframe ? 0 : 1);
  if (keyframe) {
    data.set([0x9d, 0x01, 0x2a, width & 0xff, width >> 8, height & 0xff, height >> 8], 3);
  }
  return { kind: "video", codec: "vp8", data, keyframe, rtpTimestamp, captureTimeUs: 0, frameIndex: 0 };
}
