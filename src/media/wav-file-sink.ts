import { StageCore, type StageStats } from "../pipeline/stage.js";
import type { AudioFrame } from "./audio-frame.js";
import { WavWriter } from "./wav-writer.js";

export interface WavFileSinkOptions {
  path: string;
}

/**
 * A terminal stage writing every audio frame to a 16-bit 48 kHz WAV file (channels from the
 * first frame). `close()` fixes up the RIFF sizes.
 */
export class WavFileSink extends StageCore<AudioFrame, never> {
  readonly name = "wav-file-sink";
  readonly path: string;
  private writer: WavWriter | null = null;
  private frames = 0;
  private concealed = 0;
  private closed = false;

  constructor(options: WavFileSinkOptions) {
    super();
    this.path = options.path;
  }

  push(frame: AudioFrame, _nowUs: number): void {
    if (this.closed) return;
    this.writer ??= new WavWriter(this.path, { channels: frame.channels });
    this.writer.write(frame);
    this.frames++;
    if (frame.concealed) this.concealed++;
  }

  override stats(): StageStats {
    return { frames: this.frames, concealedFrames: this.concealed };
  }

  override close(): void {
    this.closed = true;
    this.writer?.close();
  }
}
