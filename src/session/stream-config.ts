import type { VideoCodecName } from "../codec/encoded-frame.js";
import type { SrtpSuiteName } from "../srtp/srtp-suite.js";

/** Default RTP payload types (dynamic range, RFC 3551 6), as common WebRTC offers use them. */
export const PAYLOAD_TYPES = { vp8: 96, vp9: 98, opus: 111 } as const;

/** What one side of a call sends. */
export interface SendConfig {
  video?: {
    codec: VideoCodecName;
    width: number;
    height: number;
    fps: number;
    bitrateBps: number;
    keyframeIntervalFrames: number;
    ssrc: number;
  };
  audio?: {
    bitrateBps: number;
    channels: 1 | 2;
    dtx: boolean;
    inbandFec: boolean;
    complexity: number;
    ssrc: number;
  };
  srtpSuite: SrtpSuiteName;
  mtuBytes: number;
}
