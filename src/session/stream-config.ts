import type { VideoCodecName } from "../codec/encoded-frame.js";
import type { SrtpSuiteName } from "../srtp/srtp-suite.js";

/** Default RTP payload types (dynamic range, RFC 3551 6), as common WebRTC offers use them. */
export const PAYLOAD_TYPES = { vp8: 96, vp9: 98, opus: 111 } as const;

/** Payload type of audio RED (RFC 2198), as Chrome offers red/48000/2. */
export const AUDIO_RED_PAYLOAD_TYPE = 63;

/** Video FEC: ULPFEC (RFC 5109) inside RED (RFC 2198), and RTX for RED (apt=101). */
export const VIDEO_RED_PAYLOAD_TYPE = 101;
export const ULPFEC_PAYLOAD_TYPE = 100;
export const RED_RTX_PAYLOAD_TYPE = 102;

/** RTX payload types (RFC 4588 8.1, `apt=` the media type), as common WebRTC offers pair them. */
export const RTX_PAYLOAD_TYPES = { vp8: 97, vp9: 99 } as const;

/**
 * RFC 8285 one-byte header extension id of the transport-wide sequence number
 * (draft-holmer-rmcat-transport-wide-cc-extensions-01), as Chrome's offers number it.
 */
export const TRANSPORT_CC_EXTENSION_ID = 3;

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
    /** Retransmissions (RFC 4588) go out on this SSRC; undefined turns NACK/RTX off. */
    rtxSsrc?: number;
    /** ULPFEC in RED, its level set from reported loss and RTT; the receiver must expect RED. */
    fec?: boolean;
    /** Temporal layers: 1 (default), 2, or "auto" (set from loss and RTT, see TemporalLayerPolicy). */
    temporalLayers?: 1 | 2 | "auto";
  };
  audio?: {
    bitrateBps: number;
    channels: 1 | 2;
    dtx: boolean;
    /** Opus in-band FEC (LBRR), its strength set from the loss the receiver reports (RTCP RR). */
    inbandFec: boolean;
    /** Audio RED (RFC 2198), its distance set from reported loss; the receiver must expect it. */
    red?: boolean;
    /** Opus per RTP packet: 20 ms (default) or 60 ms (OpusFramePacker). */
    packetMs?: 20 | 60;
    complexity: number;
    ssrc: number;
  };
  srtpSuite: SrtpSuiteName;
  mtuBytes: number;
}
