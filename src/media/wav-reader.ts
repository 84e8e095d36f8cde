import { closeSync, fstatSync, openSync, readSync } from "node:fs";
import { BadFileError, RtcpipeError, checkOneOf } from "../errors.js";
import { AUDIO_FRAME_SAMPLES, AUDIO_SAMPLE_RATE, createAudioFrame, type AudioFrame } from "./audio-frame.js";
import { FrameSourceStage } from "./frame-source-stage.js";
import { parseWavHeader, type WavHeader } from "./wav-header.js";

export interface WavReaderOptions {
  /**
   * Accept rates other than 48 kHz by resampling with linear interpolation (default false:
   * such files are rejected with the sox command that converts them properly).
   */
  resample?: boolean;
  /** Output channels (default: 1 for mono files, 2 otherwise; extra channels are dropped, mono is duplicated, downmix averages). */
  channels?: 1 | 2;
  /** Start again at frame 0 after the last frame (default false). */
  loop?: boolean;
}

/** Longest header (with LIST/metadata chunks) scanned for the data chunk. */
const MAX_HEADER_SCAN_BYTES = 1 << 20;
const FRAME_US = (AUDIO_FRAME_SAMPLES * 1e6) / AUDIO_SAMPLE_RATE;

/**
 * Streams 20 ms 48 kHz frames from a 16-bit PCM WAV file, reading only what each frame
 * needs. The last frame is padded with silence. `frameAt(i)` is random access.
 */
export class WavReader extends FrameSourceStage<AudioFrame> {
  readonly name = "wav-reader";
  readonly path: string;
  readonly header: WavHeader;
  readonly channels: 1 | 2;
  /** 20 ms frames in the file (the last one possibly padded). */
  readonly frameCount: number;
  private readonly ratio: number;
  private readonly srcSamples: number;
  private readonly loop: boolean;
  private fd: number | null;
  private nextIndex = 0;

  constructor(path: string, options: WavReaderOptions = {}) {
    super();
    this.path = path;
    this.loop = options.loop ?? false;
    if (options.channels !== undefined) checkOneOf("channels", String(options.channels), ["1", "2"]);
    try {
      this.fd = openSync(path, "r");
    } catch (err) {
      throw new BadFileError(`Cannot read WAV: cannot open ${path} (${(err as Error).message})`);
    }
    try {
      const size = fstatSync(this.fd).size;
      const head = new Uint8Array(Math.min(size, MAX_HEADER_SCAN_BYTES));
      readSync(this.fd, head, 0, head.length, 0);
      this.header = parseWavHeader(head, size);
      if (this.header.sampleRate !== AUDIO_SAMPLE_RATE && !options.resample) {
        throw new BadFileError(
          `Cannot read WAV: ${path} is ${this.header.sampleRate} Hz and the media path runs at 48000 Hz; ` +
            `convert it with \`sox in.wav -r 48000 out.wav\` or pass { resample: true }`,
        );
      }
    } catch (err) {
      this.close();
      throw err;
    }
    this.channels = options.channels ?? (this.header.channels === 1 ? 1 : 2);
    this.ratio = this.header.sampleRate / AUDIO_SAMPLE_RATE;
    this.srcSamples = this.header.dataBytes / this.header.blockAlign;
    const outSamples = Math.floor(this.srcSamples / this.ratio);
    this.frameCount = Math.ceil(outSamples / AUDIO_FRAME_SAMPLES);
  }

  next(): AudioFrame | undefined {
    if (this.nextIndex >= this.frameCount) {
      if (!this.loop || this.frameCount === 0) return undefined;
      this.nextIndex = 0;
    }
    return this.frameAt(this.nextIndex++);
  }

  /** Frame `index`, or undefined past the end. captureTimeUs = index · 20 ms. */
  frameAt(index: number): AudioFrame | undefined {
    if (this.fd === null) throw new RtcpipeError("ERR_CLOSED", `Cannot read WAV: ${this.path} is closed`);
    if (!Number.isInteger(index) || index < 0 || index >= this.frameCount) return undefined;
    const frame = createAudioFrame(this.channels, Math.round(index * FRAME_US), index);
    const first = index * AUDIO_FRAME_SAMPLES;
    const srcCh = this.header.channels;
    const outCh = this.channels;
    const out = frame.samples;
    if (this.ratio === 1) {
      const src = this.readSource(first, AUDIO_FRAME_SAMPLES);
      const n = Math.min(AUDIO_FRAME_SAMPLES, this.srcSamples - first);
      for (let i = 0; i < n; i++) mapChannels(src, i * srcCh, srcCh, out, i * outCh, outCh, 1, 0);
      return frame;
    }
    // Linear interpolation: output sample k sits at source position k·ratio.
    const s0 = Math.floor(first * this.ratio);
    const s1 = Math.min(this.srcSamples, Math.floor((first + AUDIO_FRAME_SAMPLES - 1) * this.ratio) + 2);
    const src = this.readSource(s0, s1 - s0);
    const count = s1 - s0;
    for (let i = 0; i < AUDIO_FRAME_SAMPLES; i++) {
      const pos = (first + i) * this.ratio;
      const a = Math.floor(pos) - s0;
      if (a >= count) break;
      const b = Math.min(a + 1, count - 1);
      const frac = pos - Math.floor(pos);
      mapChannels(src, a * srcCh, srcCh, out, i * outCh, outCh, 1 - frac, frac, b * srcCh);
    }
    return frame;
  }

  seek(index: number): void {
    this.nextIndex = Math.max(0, Math.floor(index));
  }

  override close(): void {
    if (this.fd !== null) {
      closeSync(this.fd);
      this.fd = null;
    }
  }

  /** Reads `count` source sample frames from `first` (fewer at the end) as Int16. */
  private readSource(first: number, count: number): Int16Array {
    const n = Math.max(0, Math.min(count, this.srcSamples - first));
    const bytes = new Uint8Array(n * this.header.blockAlign);
    readSync(this.fd!, bytes, 0, bytes.length, this.header.dataOffset + first * this.header.blockAlign);
    const out = new Int16Array(n * this.header.channels);
    const dv = new DataView(bytes.buffer);
    for (let i = 0; i < out.length; i++) out[i] = dv.getInt16(2 * i, true);
    return out;
  }
}

/** Writes one output sample frame from source frame(s) at `a` (weight wa) and `b` (weight wb). */
function mapChannels(
  src: Int16Array, a: number, srcCh: number, out: Int16Array, o: number, outCh: number, wa: number, wb: number, b = a,
): void {
  const at = (ch: number): number => src[a + ch]! * wa + (wb === 0 ? 0 : src[b + ch]! * wb);
  if (outCh === 1) {
    let sum = 0;
    for (let c = 0; c < srcCh; c++) sum += at(c);
    out[o] = clamp16(Math.round(sum / srcCh));
  } else {
    out[o] = clamp16(Math.round(at(0)));
    out[o + 1] = clamp16(Math.round(at(srcCh > 1 ? 1 : 0)));
  }
}

function clamp16(v: number): number {
  return v > 32767 ? 32767 : v < -32768 ? -32768 : v;
}
