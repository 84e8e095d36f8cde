/** The only sample rate on the media path (Opus' native rate). */
export const AUDIO_SAMPLE_RATE = 48_000;
/** Every audio frame is 20 ms (RFC 7587 recommends 20 ms for interactive use). */
export const AUDIO_FRAME_MS = 20;
export const AUDIO_FRAME_SAMPLES = (AUDIO_SAMPLE_RATE * AUDIO_FRAME_MS) / 1000; // 960

/** 20 ms of 48 kHz PCM, signed 16-bit, interleaved when stereo. */
export interface AudioFrame {
  readonly sampleRate: 48_000;
  readonly channels: 1 | 2;
  /** AUDIO_FRAME_SAMPLES * channels samples. */
  readonly samples: Int16Array;
  /** When the first sample was captured (µs, on the call's clock). */
  captureTimeUs: number;
  /** Frame number at the source, or -1 when unknown. */
  frameIndex: number;
  /** True when this frame was synthesized by concealment (PLC/FEC), not decoded from a packet. */
  concealed?: boolean;
}

export function createAudioFrame(channels: 1 | 2, captureTimeUs = 0, frameIndex = -1): AudioFrame {
  return {
    sampleRate: AUDIO_SAMPLE_RATE,
    channels,
    samples: new Int16Array(AUDIO_FRAME_SAMPLES * channels),
    captureTimeUs,
    frameIndex,
  };
}
