export type VideoCodecName = "vp8" | "vp9";
export type CodecName = VideoCodecName | "opus";

/** One compressed frame (a VP8/VP9 picture or a 20 ms Opus packet), before packetization. */
export interface EncodedFrame {
  readonly kind: "video" | "audio";
  readonly codec: CodecName;
  readonly data: Uint8Array;
  /** A keyframe (video) decodes without references; audio frames are always true. */
  readonly keyframe: boolean;
  /** RTP media timestamp: 90 kHz for video, 48 kHz for Opus (RFC 7587 4.1). */
  readonly rtpTimestamp: number;
  /** Capture time of the raw frame this came from (µs), or NaN when unknown (receiver side). */
  captureTimeUs: number;
  /** Frame number at the source, or -1 when unknown. */
  frameIndex: number;
  /** Coded size (video only). */
  readonly width?: number;
  readonly height?: number;
  /**
   * Temporal layer (video with temporal scalability): 0 = base layer, 1 = a frame nothing else
   * references, which a receiver may drop or lose without harm. Undefined without layers.
   */
  readonly temporalLayer?: number;
  /** Opus DTX: a 1-2 byte packet for silence that need not be sent (audio only). */
  readonly dtx?: boolean;
}
