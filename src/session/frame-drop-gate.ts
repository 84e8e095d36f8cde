import type { VpxEncoder } from "../codec/vpx-encoder.js";
import type { FrameDropper } from "../congestion/frame-dropper.js";
import type { VideoFrame } from "../media/video-frame.js";
import { StageCore, type StageStats } from "../pipeline/stage.js";

/**
 * Just before the video encoder: asks a FrameDropper (set by the bandwidth adaptation) whether
 * to encode each frame the format adapter passes, and tells it what the encoder made of it. A
 * dropped frame is reported to the encoder (`skipFrame`) so its rate control keeps its per-frame
 * budget. Without a dropper every frame passes.
 */
export class FrameDropGate extends StageCore<VideoFrame, VideoFrame> {
  readonly name = "frame-drop-gate";
  dropper: FrameDropper | undefined;

  constructor(private readonly encoder: VpxEncoder) {
    super();
  }

  push(frame: VideoFrame, nowUs: number): void {
    const d = this.dropper;
    if (!d) return this.out.push(frame, nowUs);
    if (d.shouldDrop(nowUs, this.encoder.keyframeRequested)) {
      this.encoder.skipFrame();
      return;
    }
    const before = this.encoder.bytesEncoded;
    const keyframesBefore = this.encoder.keyframesEncoded;
    this.out.push(frame, nowUs);
    d.onEncoded(this.encoder.bytesEncoded - before, nowUs, this.encoder.keyframesEncoded > keyframesBefore);
  }

  override stats(): StageStats {
    return (this.dropper?.stats() as unknown as StageStats | undefined) ?? {};
  }
}
