import { checkInt } from "../../errors.js";

/** Where samples in the sync buffer came from (bit flags, OR-ed when samples are mixed). */
export const SampleOrigin = {
  decoded: 1,
  plc: 2,
  fec: 4,
  cng: 8,
  silence: 16,
} as const;

/**
 * NetEQ's sync buffer: decoded PCM waiting to be played, plus the recent past (for merge and
 * time-stretch context). Output is read in fixed 20 ms frames while decodes, concealment and
 * time stretches write variable amounts, so this is what keeps the output continuous. Each
 * sample carries an origin flag so an output frame knows whether it holds concealment.
 * Interleaved Int16; bounded (writes beyond `maxFrames` unplayed drop the oldest unplayed audio
 * and are counted).
 */
export class SyncBuffer {
  readonly channels: 1 | 2;
  private data: Int16Array;
  private flags: Uint8Array;
  private readPos = 0; // frames
  private writePos = 0; // frames
  private readonly historyFrames: number;
  private readonly maxFrames: number;
  private overflowFrames = 0;

  constructor(channels: 1 | 2, options: { historyFrames?: number; maxFrames?: number } = {}) {
    this.channels = channels;
    this.historyFrames = checkInt("historyFrames", options.historyFrames ?? 1920, 0, 48_000);
    this.maxFrames = checkInt("maxFrames", options.maxFrames ?? 9600, 960, 480_000);
    const cap = this.historyFrames + this.maxFrames + 4800;
    this.data = new Int16Array(cap * channels);
    this.flags = new Uint8Array(cap);
  }

  /** Unplayed frames held. */
  get availableFrames(): number {
    return this.writePos - this.readPos;
  }

  /** Frames dropped because too much unplayed audio piled up. */
  get droppedFrames(): number {
    return this.overflowFrames;
  }

  /** Appends interleaved samples of one origin. */
  append(samples: Int16Array, origin: number): void {
    const frames = Math.floor(samples.length / this.channels);
    this.ensureRoom(frames);
    this.data.set(samples.subarray(0, frames * this.channels), this.writePos * this.channels);
    this.flags.fill(origin, this.writePos, this.writePos + frames);
    this.writePos += frames;
    if (this.availableFrames > this.maxFrames) {
      const drop = this.availableFrames - this.maxFrames;
      this.readPos += drop;
      this.overflowFrames += drop;
    }
  }

  /** The unplayed samples (a view, valid until the next write). */
  unplayed(): Int16Array {
    return this.data.subarray(this.readPos * this.channels, this.writePos * this.channels);
  }

  /** The unplayed origin flags (a view). */
  unplayedFlags(): Uint8Array {
    return this.flags.subarray(this.readPos, this.writePos);
  }

  /** Replaces all unplayed audio (after a time stretch) with `samples` and their `flags`. */
  replaceUnplayed(samples: Int16Array, flags: Uint8Array): void {
    this.writePos = this.readPos;
    const frames = Math.floor(samples.length / this.channels);
    this.ensureRoom(frames);
    this.data.set(samples.subarray(0, frames * this.channels), this.writePos * this.channels);
    this.flags.set(flags.subarray(0, frames), this.writePos);
    this.writePos += frames;
  }

  /** The last `frames` frames written (played or not), fewer if not that many exist (a view). */
  tail(frames: number): Int16Array {
    const from = Math.max(0, this.writePos - frames);
    return this.data.subarray(from * this.channels, this.writePos * this.channels);
  }

  /**
   * Reads `frames` frames into `out` (zero-filled past what is held); returns the OR of the
   * origins read (0 when nothing was held).
   */
  read(out: Int16Array, frames: number): number {
    const n = Math.min(frames, this.availableFrames);
    out.set(this.data.subarray(this.readPos * this.channels, (this.readPos + n) * this.channels));
    if (n < frames) out.fill(0, n * this.channels, frames * this.channels);
    let origin = 0;
    for (let i = this.readPos; i < this.readPos + n; i++) origin |= this.flags[i]!;
    this.readPos += n;
    return origin;
  }

  /** Drops all unplayed audio. */
  clear(): void {
    this.readPos = this.writePos;
  }

  private ensureRoom(frames: number): void {
    const capFrames = this.flags.length;
    if (this.writePos + frames <= capFrames) return;
    // Compact: keep historyFrames of played audio before readPos.
    const keepFrom = Math.max(0, this.readPos - this.historyFrames);
    const c = this.channels;
    this.data.copyWithin(0, keepFrom * c, this.writePos * c);
    this.flags.copyWithin(0, keepFrom, this.writePos);
    this.readPos -= keepFrom;
    this.writePos -= keepFrom;
    if (this.writePos + frames > capFrames) {
      const newCap = Math.max(capFrames * 2, this.writePos + frames);
      const d = new Int16Array(newCap * c);
      d.set(this.data.subarray(0, this.writePos * c));
      const f = new Uint8Array(newCap);
      f.set(this.flags.subarray(0, this.writePos));
      this.data = d;
      this.flags = f;
    }
  }
}
