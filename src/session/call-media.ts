import type { ResolvedCallOptions } from "./call-options.js";
import type { BandwidthAdaptationOptions } from "./bandwidth-adaptation.js";
import type { PeerOptions } from "./peer.js";
import type { SendConfig } from "./stream-config.js";
import type { SeededRandom } from "../util/seeded-random.js";

/**
 * What one side of a call sends, from the call options: random SSRCs (RFC 3550 8.1), RTX and
 * FEC as the options say. Shared by the in-process call and the call between processes.
 */
export function sendConfigFor(o: ResolvedCallOptions, rng: SeededRandom): SendConfig {
  return {
    video: o.video === "none" ? undefined : {
      codec: o.video, width: o.width, height: o.height, fps: o.fps, bitrateBps: o.videoBitrateBps,
      keyframeIntervalFrames: o.keyframeIntervalFrames, ssrc: rng.nextUint32(),
      rtxSsrc: o.nack ? rng.nextUint32() : undefined,
      fec: o.fec,
      temporalLayers: o.temporalLayers,
    },
    audio: o.audio === "none" ? undefined : { bitrateBps: o.audioBitrateBps, channels: 1, dtx: false, inbandFec: o.fec, red: o.fec, complexity: 9, ssrc: rng.nextUint32(), packetMs: o.audioPacketMs },
    srtpSuite: o.srtpSuite,
    mtuBytes: o.mtuBytes,
  };
}

/** The receive side matching what the remote sends. */
export function receiveConfigFor(o: ResolvedCallOptions, remote: SendConfig): PeerOptions["receive"] {
  return {
    video: remote.video?.codec,
    videoSsrc: remote.video?.ssrc,
    videoRtxSsrc: remote.video?.rtxSsrc,
    videoFec: remote.video?.fec ?? false,
    audio: remote.audio ? { channels: remote.audio.channels, red: remote.audio.red ?? false } : undefined,
    transportCc: o.abr,
  };
}

/** Adaptive-bitrate settings from the call options (undefined with abr off). */
export function congestionFor(o: ResolvedCallOptions): BandwidthAdaptationOptions | undefined {
  if (!o.abr) return undefined;
  return {
    startRateBps: o.startBitrateBps, minRateBps: o.minBitrateBps, maxRateBps: o.maxBitrateBps,
    video: o.video === "none" ? undefined : { captureWidth: o.width, captureHeight: o.height, captureFps: o.fps, maxBitrateBps: o.videoBitrateBps },
    audioMaxBitrateBps: o.audioBitrateBps,
    audioPacketMs: o.audioPacketMs,
  };
}
