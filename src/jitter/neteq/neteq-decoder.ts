import type { EncodedFrame } from "../../codec/encoded-frame.js";
import type { AudioFrame } from "../../media/audio-frame.js";

/**
 * What {@link NetEqPlayout} needs of an audio decoder: 20 ms frames of 48 kHz PCM. The real
 * `OpusDecoder` satisfies it as is; tests may pass a fake.
 */
export interface NetEqDecoder {
  readonly channels: 1 | 2;
  /** Decodes one packet; undefined when it does not decode (the playout conceals instead). */
  decode(frame: EncodedFrame): AudioFrame | undefined;
  /** Packet loss concealment: the next 20 ms synthesized from the decoder's history. */
  conceal(nowUs: number): AudioFrame;
  /** Recovers the frame before `nextFrame` from its in-band FEC (conceals when it has none). */
  decodeFec(nextFrame: EncodedFrame): AudioFrame;
  close?(): void;
}
