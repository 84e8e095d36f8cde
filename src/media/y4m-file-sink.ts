import { checkInt } from "../errors.js";
import { StageCore, type StageStats } from "../pipeline/stage.js";
import type { VideoFrame } from "./video-frame.js";
import { Y4mWriter } from "./y4m-writer.js";

export interface Y4mFileSinkOptions {
  path: string;
  /** Frame rate written in the header (default 30/1). */
  fpsNum?: number;
  fpsDen?: number;
}

/**
 * A terminal stage writing every frame to a Y4M file. The size comes from the first frame;
 * the file is created then (so a sink that never sees a frame leaves no file).
 */
export class Y4mFileSink extends StageCore<VideoFrame, never> {
  readonly name = "y4m-file-sink";
  readonly path: string;
  private readonly fpsNum: number;
  private readonly fpsDen: number;
  private writer: Y4mWriter | null = null;
  private frames = 0;
  private closed = false;

  constructor(options: Y4mFileSinkOptions) {
    super();
    this.path = options.path;
    this.fpsNum = checkInt("fpsNum", options.fpsNum ?? 30, 1, 1_000_000);
    this.fpsDen = checkInt("fpsDen", options.fpsDen ?? 1, 1, 1_000_000);
  }

  push(frame: VideoFrame, _nowUs: number): void {
    if (this.closed) return;
    this.writer ??= new Y4mWriter(this.path, { width: frame.width, height: frame.height, fpsNum: this.fpsNum, fpsDen: this.fpsDen });
    this.writer.write(frame);
    this.frames++;
  }

  override stats(): StageStats {
    return { frames: this.frames };
  }

  override close(): void {
    this.closed = true;
    this.writer?.close();
  }
}
