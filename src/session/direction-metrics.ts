import type { AudioFrame } from "../media/audio-frame.js";
import type { VideoFrame } from "../media/video-frame.js";
import { FreezeDetector } from "../metrics/freeze-detector.js";
import { Percentiles } from "../metrics/percentiles.js";
import { psnr } from "../metrics/psnr.js";
import { scaleVideoFrame } from "../media/scale-video-frame.js";
import type { NetEqOutput } from "../jitter/neteq/neteq-playout.js";

/** Per-second buckets of one direction of a call. */
export interface SecondBucket {
  videoBytes: number;
  audioBytes: number;
  videoLatency: Percentiles;
  audioLatency: Percentiles;
  psnrSum: number;
  psnrCount: number;
  framesRendered: number;
}

function newBucket(): SecondBucket {
  return { videoBytes: 0, audioBytes: 0, videoLatency: new Percentiles(), audioLatency: new Percentiles(), psnrSum: 0, psnrCount: 0, framesRendered: 0 };
}

/** Gauges sampled once per second at the receiver. */
export interface SeriesPoint {
  wireLossPct: number;
  residualLossPct: number;
  retransmittedPerS: number;
  fecRecoveredPerS: number;
  audioFecFramesPerS: number;
  concealedPct: number;
  jitterBufferMs: number;
  audioBufferMs: number;
  rttMs: number;
  capacityKbps: number;
  estimateKbps: number;
  sentKbps: number;
  queueDelayMs: number;
  videoHeight: number;
  videoFpsTarget: number;
}

/**
 * What one direction of a call measured at its receiver: capture-to-render latency, PSNR of
 * each decoded frame against the source frame it came from, freezes, concealed audio, and
 * per-second series for the report's plots.
 */
export class DirectionMetrics {
  readonly videoLatency = new Percentiles();
  readonly audioLatency = new Percentiles();
  readonly psnrY = new Percentiles();
  readonly freezes: FreezeDetector;
  framesRendered = 0;
  audioSlots = 0;
  audioConcealed = 0;
  audioDecoded = 0;
  readonly seconds: SecondBucket[] = [];
  readonly series: SeriesPoint[] = [];

  /**
   * @param startUs when the call started
   * @param endUs when the senders stopped: audio slots after it are the drain, not concealment
   */
  constructor(
    readonly startUs: number,
    private readonly endUs = Infinity,
    nominalFrameUs = NaN,
  ) {
    this.freezes = new FreezeDetector(30, nominalFrameUs);
  }

  bucket(nowUs: number): SecondBucket {
    const i = Math.max(0, Math.floor((nowUs - this.startUs) / 1e6));
    while (this.seconds.length <= i) this.seconds.push(newBucket());
    return this.seconds[i]!;
  }

  onVideoSent(bytes: number, nowUs: number): void {
    this.bucket(nowUs).videoBytes += bytes;
  }

  onAudioSent(bytes: number, nowUs: number): void {
    this.bucket(nowUs).audioBytes += bytes;
  }

  onVideoRendered(frame: VideoFrame, renderUs: number, source: VideoFrame | undefined): void {
    const b = this.bucket(renderUs);
    this.framesRendered++;
    b.framesRendered++;
    this.freezes.frameRendered(renderUs);
    if (Number.isFinite(frame.captureTimeUs)) {
      const ms = (renderUs - frame.captureTimeUs) / 1000;
      this.videoLatency.add(ms);
      b.videoLatency.add(ms);
    }
    if (source && source.width >= frame.width && source.height >= frame.height) {
      // A frame the sender scaled down (rate or CPU adaptation) is judged against the source
      // scaled the same way: PSNR then measures coding loss at the size that was sent.
      const reference = source.width === frame.width && source.height === frame.height ? source : scaleVideoFrame(source, frame.width, frame.height);
      const y = Math.min(100, psnr(reference, frame).y);
      this.psnrY.add(y);
      b.psnrSum += y;
      b.psnrCount++;
    }
  }

  /**
   * One 20 ms frame played. Concealed means synthesized by PLC ("expand"); FEC-recovered,
   * stretched and merged frames carry decoded audio, and comfort noise in a DTX pause is what
   * the sender asked for.
   */
  onAudioPlayed(frame: AudioFrame, playUs: number, out: NetEqOutput): void {
    const concealed = out.operation === "expand";
    if (concealed && playUs > this.endUs) return; // the sender has hung up
    this.audioSlots++;
    if (concealed) {
      this.audioConcealed++;
      return;
    }
    if (out.operation === "cng") return;
    this.audioDecoded++;
    if (Number.isFinite(frame.captureTimeUs)) {
      const ms = (playUs - frame.captureTimeUs) / 1000;
      this.audioLatency.add(ms);
      this.bucket(playUs).audioLatency.add(ms);
    }
  }

}
