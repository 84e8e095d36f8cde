import type { VideoCodecName } from "../codec/encoded-frame.js";
import { checkInt, checkOneOf, checkRange, InvalidOptionError } from "../errors.js";
import { SRTP_SUITE_NAMES, type SrtpSuiteName } from "../srtp/srtp-suite.js";

/** Options of an emulated two-peer call (`rtcpipe call`). */
export interface CallOptions {
  /** Call length in seconds (default 10). */
  durationS?: number;
  video?: VideoCodecName | "none";
  audio?: "opus" | "none";
  width?: number;
  height?: number;
  fps?: number;
  /** Video target bitrate (default 800 kbps). */
  videoBitrateBps?: number;
  /** Opus bitrate (default 32 kbps). */
  audioBitrateBps?: number;
  /** A keyframe every N frames (default 90: without PLI yet, a loss freezes video until the next one). */
  keyframeIntervalFrames?: number;
  /** Network, per direction: random loss %, Gilbert-Elliott mean burst (with lossPct as the average), delay, jitter, rate. */
  lossPct?: number;
  burstMeanLength?: number;
  delayMs?: number;
  jitterMs?: number;
  rateBps?: number;
  reorderPct?: number;
  duplicatePct?: number;
  lossTracePath?: string;
  rateTracePath?: string;
  /**
   * Where the rate trace (or rate) applies: "both" directions (default: each side's feedback
   * then queues behind the other side's media, RFC 8867 5.3's congested feedback link), or
   * "a-to-b" only, B to A unconstrained (RFC 8867 5.1's single bottleneck on the forward path).
   */
  rateDirection?: "both" | "a-to-b";
  seed?: number;
  /** Y4M video input (looped) instead of the test pattern. */
  inputPath?: string;
  /** WAV audio input (48 kHz, looped) instead of the speech-like signal. */
  audioInputPath?: string;
  /** Run on the wall clock instead of the virtual clock. */
  realtime?: boolean;
  /**
   * "emulated" (default): the network emulator. "udp": real UDP sockets on 127.0.0.1 (implies
   * realtime; network impairment options are not allowed, loopback has none to add).
   */
  transport?: "emulated" | "udp";
  /**
   * On the virtual clock, let measured encode/decode time pass before a frame is sent/rendered
   * (default true: latency then includes codec time). false makes runs exactly repeatable.
   */
  modelProcessingTime?: boolean;
  srtpSuite?: SrtpSuiteName;
  /** Generic NACK + RTX retransmission for video (RFC 4585, RFC 4588); default true. */
  nack?: boolean;
  /** Forward error correction: Opus in-band FEC for audio; default true. */
  fec?: boolean;
  /**
   * Video temporal layers: 1, 2 (every other frame one nothing references, RFC 7741 4.2, so
   * losing it stalls nothing), or "auto" (default): 2 while the path loses packets and its
   * round trip is too long for a retransmission to be waited for (TemporalLayerPolicy), else 1.
   * VP9 with "auto" keeps 1 (layers need an error-resilient VP9 stream from the start).
   */
  temporalLayers?: 1 | 2 | "auto";
  /**
   * Opus per RTP packet: 20 ms (default) or 60 ms (three frames per packet, RFC 6716 3.2.5: a
   * third of the packet headers, ~17 kbps less at 50 packets/s, for 40 ms more delay).
   */
  audioPacketMs?: 20 | 60;
  /**
   * Adaptive bitrate (default true): TWCC feedback, GCC-style estimation, pacing, and encoders
   * that follow the estimate (bitrate, then frame rate, then resolution). `videoBitrateBps` is
   * then the video's maximum. false: fixed encoder rates, packets leave as encoded.
   */
  abr?: boolean;
  /** ABR: total send rate before any feedback (default 300 kbps). */
  startBitrateBps?: number;
  /** ABR: least total rate (default 30 kbps). */
  minBitrateBps?: number;
  /** ABR: most total rate (default 2.5 Mbps, at least the start rate). */
  maxBitrateBps?: number;
  mtuBytes?: number;
  /** Called once with the network and clock before the call starts (to inject traffic in tests). */
  onNetwork?: (network: import("../net/emulated-network.js").EmulatedNetwork, clock: import("../pipeline/clock.js").Clock) => void;
  /** Called once with both peers (A, B) and the clock before the call starts (to watch their internals in tests). */
  onPeers?: (peers: readonly [import("./peer.js").Peer, import("./peer.js").Peer], clock: import("../pipeline/clock.js").Clock) => void;
  /** Called about once per second of call time. */
  onProgress?: (p: CallProgress) => void;
}

export interface CallProgress {
  tS: number;
  durationS: number;
  videoKbps: number;
  audioKbps: number;
  wireLossPct: number;
  videoLatencyP50Ms: number;
  psnrDb: number;
}

export type ResolvedCallOptions = Required<Omit<CallOptions, "lossTracePath" | "rateTracePath" | "inputPath" | "audioInputPath" | "onProgress" | "burstMeanLength" | "onNetwork" | "onPeers">> &
  Pick<CallOptions, "lossTracePath" | "rateTracePath" | "inputPath" | "audioInputPath" | "onProgress" | "burstMeanLength" | "onNetwork" | "onPeers">;

function checkTemporalLayers(v: unknown): 1 | 2 | "auto" {
  if (v === 1 || v === 2 || v === "auto") return v;
  throw new InvalidOptionError(`Cannot use temporalLayers=${JSON.stringify(v)}: allowed is 1, 2 or "auto"`);
}

function checkAudioPacketMs(v: unknown): 20 | 60 {
  if (v === 20 || v === 60) return v;
  throw new InvalidOptionError(`Cannot use audioPacketMs=${JSON.stringify(v)}: allowed is 20 or 60`);
}

/** Applies defaults and validates; throws InvalidOptionError naming what is allowed. */
export function resolveCallOptions(o: CallOptions): ResolvedCallOptions {
  const r: ResolvedCallOptions = {
    durationS: checkRange("durationS", o.durationS ?? 10, 0.5, 24 * 3600),
    video: checkOneOf("video", o.video ?? "vp8", ["vp8", "vp9", "none"]),
    audio: checkOneOf("audio", o.audio ?? "opus", ["opus", "none"]),
    width: checkInt("width", o.width ?? 640, 16, 4096),
    height: checkInt("height", o.height ?? 480, 16, 4096),
    fps: checkRange("fps", o.fps ?? 30, 1, 120),
    videoBitrateBps: checkRange("videoBitrateBps", o.videoBitrateBps ?? 800_000, 10_000, 50_000_000),
    audioBitrateBps: checkRange("audioBitrateBps", o.audioBitrateBps ?? 32_000, 6_000, 510_000),
    // With adaptive bitrate, keyframes only at the start and on request (PLI), as WebRTC does:
    // a periodic keyframe is a burst the delay detector reads as congestion (at 640x480 on the
    // steady 2 Mbps trace: 90% utilisation and no freeze, against ~66-78% every 90 frames).
    keyframeIntervalFrames: checkInt("keyframeIntervalFrames", o.keyframeIntervalFrames ?? ((o.abr ?? true) ? 0 : 90), 0, 100_000),
    lossPct: checkRange("lossPct", o.lossPct ?? 0, 0, 100),
    burstMeanLength: o.burstMeanLength === undefined ? undefined : checkRange("burstMeanLength", o.burstMeanLength, 1, 1000),
    delayMs: checkRange("delayMs", o.delayMs ?? 0, 0, 10_000),
    jitterMs: checkRange("jitterMs", o.jitterMs ?? 0, 0, 10_000),
    rateBps: checkRange("rateBps", o.rateBps ?? 0, 0, 10_000_000_000),
    reorderPct: checkRange("reorderPct", o.reorderPct ?? 0, 0, 100),
    duplicatePct: checkRange("duplicatePct", o.duplicatePct ?? 0, 0, 100),
    lossTracePath: o.lossTracePath,
    rateTracePath: o.rateTracePath,
    rateDirection: checkOneOf("rateDirection", o.rateDirection ?? "both", ["both", "a-to-b"]),
    seed: checkInt("seed", o.seed ?? 1, 0, 0xffffffff),
    inputPath: o.inputPath,
    audioInputPath: o.audioInputPath,
    realtime: (o.realtime ?? false) || o.transport === "udp",
    transport: checkOneOf("transport", o.transport ?? "emulated", ["emulated", "udp"]),
    modelProcessingTime: o.modelProcessingTime ?? true,
    nack: o.nack ?? true,
    fec: o.fec ?? true,
    temporalLayers: checkTemporalLayers(o.temporalLayers ?? "auto"),
    audioPacketMs: checkAudioPacketMs(o.audioPacketMs ?? 20),
    abr: o.abr ?? true,
    startBitrateBps: checkRange("startBitrateBps", o.startBitrateBps ?? 300_000, 10_000, 1e9),
    minBitrateBps: checkRange("minBitrateBps", o.minBitrateBps ?? 30_000, 10_000, 1e9),
    maxBitrateBps: checkRange("maxBitrateBps", o.maxBitrateBps ?? Math.max(2_500_000, o.startBitrateBps ?? 0), 10_000, 1e10),
    srtpSuite: checkOneOf("srtpSuite", o.srtpSuite ?? "AEAD_AES_128_GCM", SRTP_SUITE_NAMES),
    mtuBytes: checkInt("mtuBytes", o.mtuBytes ?? 1200, 256, 9000),
    onProgress: o.onProgress,
    onNetwork: o.onNetwork,
    onPeers: o.onPeers,
  };
  if (r.width % 2 || r.height % 2) throw new InvalidOptionError(`Cannot use size ${r.width}x${r.height}: width and height must be even`);
  if (r.video === "none" && r.audio === "none") throw new InvalidOptionError("Cannot make a call with video=none and audio=none: allowed is at least one media kind");
  if (r.transport === "udp" && (r.lossPct || r.delayMs || r.jitterMs || r.rateBps || r.reorderPct || r.duplicatePct || r.lossTracePath || r.rateTracePath)) {
    throw new InvalidOptionError("Cannot impair a real UDP path: network options (--loss, --delay, --jitter, --rate, traces) are allowed only with the emulated transport");
  }
  if (r.minBitrateBps > r.startBitrateBps || r.startBitrateBps > r.maxBitrateBps) {
    throw new InvalidOptionError(`Cannot use min/start/max bitrate ${r.minBitrateBps}/${r.startBitrateBps}/${r.maxBitrateBps}: allowed is min <= start <= max`);
  }
  if (r.rateTracePath && r.rateBps > 0) throw new InvalidOptionError("Cannot use both a rate and a rate trace: allowed is one of them");
  if (r.burstMeanLength !== undefined && r.lossTracePath) throw new InvalidOptionError("Cannot use both burst loss and a loss trace: allowed is one of them");
  return r;
}
